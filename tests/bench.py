"""Benchmark of `tclaude session ls` and `tclaude status-line` (run by `make bench`; prints
figures, asserts nothing).

Every figure is a ratio to `python3 -c pass` timed in the same run, through the launcher
install.sh writes (executed as installed: its shebang finds `python3` on PATH, here the
interpreter measured).  That interpreter is Debian's /usr/bin/python3 when there is one (the
python users' status bars run), else this one; both baselines are printed.  The tmux processes
of one run are counted by a shim in front of the real tmux.

Two worlds, N = 10, 50, 200 and 500 real tmux sessions on a private server (TMUX_TMPDIR in a
temp dir), each pane showing claude's folder-trust dialog:

- reported: every session has a hook status file (a mix of waiting_input, waiting_permission
  and running) and, for the busy ones, the claude registry file claude 2.1.x keeps;
- silent: no hook ever fired and there is no registry (a claude at the trust dialog, hooks
  disabled, an older claude): the screen is the only source.
"""

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TCLAUDE = os.path.join(ROOT, "tclaude.py")
RUNS = int(os.environ.get("BENCH_RUNS", "15"))
SIZES = tuple(int(n) for n in os.environ.get("BENCH_SIZES", "10,50,200,500").split(","))
DEBIAN_PYTHON = "/usr/bin/python3"
# The interpreter tclaude runs under here (see the docstring).
PYTHON = DEBIAN_PYTHON if os.access(DEBIAN_PYTHON, os.X_OK) else sys.executable
# How users run tclaude: the launcher install.sh writes (set by install_for_bench).
RUN = [PYTHON, TCLAUDE]
TRUST_DIALOG = (
    "Quick safety check: Is this a project you created or one you trust? (Like your own code,",
    "a well-known open source project, or work from your team). If not, take a moment to",
    "review what's in this folder first.",
    "",
    "> 1. Yes, I trust this folder",
    "  2. No, exit",
    "",
    "Enter to confirm - Esc to cancel",
)


def bench_env():
    """The caller's environment without what would skew the figures: an outer tmux, and a
    PYTHONDONTWRITEBYTECODE that would keep the launcher from caching bytecode."""
    skip = ("TMUX", "TMUX_PANE", "PYTHONDONTWRITEBYTECODE", "NO_COLOR")
    return {k: v for k, v in os.environ.items() if k not in skip}


def install_for_bench(base_env, python=PYTHON):
    """Install into a temp dir with install.sh; put ``python`` first on PATH as `python3` (the
    launcher's shebang looks it up there) and warm the bytecode cache once.  Returns the base
    env with that PATH."""
    global RUN
    where = tempfile.mkdtemp(prefix="tcbin", dir="/tmp")
    env = dict(base_env, TCLAUDE_INSTALL_DIR=where)
    subprocess.run(
        ["sh", os.path.join(ROOT, "install.sh")], env=env, stdout=subprocess.DEVNULL, check=True
    )
    pydir = os.path.join(where, "python")
    os.mkdir(pydir)
    os.symlink(python, os.path.join(pydir, "python3"))
    env = dict(base_env, PATH=pydir + os.pathsep + base_env["PATH"])
    RUN = [os.path.join(where, "tclaude")]
    subprocess.run([*RUN, "--version"], env=env, stdout=subprocess.DEVNULL, check=True)
    return where, env


def timed(cmd, env, runs=RUNS, budget=3.0):
    """Median wall time of ``cmd``; fewer runs when one takes long (``budget`` seconds)."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
        )
        samples.append(time.perf_counter() - start)
        if len(samples) >= 3 and sum(samples) > budget:
            break
    return statistics.median(samples)


def private_world(base_env):
    tmp = tempfile.mkdtemp(prefix="tcb", dir="/tmp")
    home = os.path.join(tmp, "home")
    os.makedirs(home)
    return tmp, home, dict(base_env, HOME=home, TMUX_TMPDIR=tmp)


def tear_down(tmp, env):
    subprocess.run(["tmux", "kill-server"], env=env, stderr=subprocess.DEVNULL, check=False)
    shutil.rmtree(tmp, ignore_errors=True)


def start_sessions(env, first, stop):
    """tmux sessions tofu-claude-<first..stop-1>, each showing the trust dialog, on the
    private server; returns {session name: pane pid} and the server's socket."""
    script = os.path.join(env["TMUX_TMPDIR"], "trust-dialog.sh")
    with open(script, "w") as fh:
        fh.write("printf '%s\\n' " + " ".join("'%s'" % s.replace("'", "") for s in TRUST_DIALOG))
        fh.write("\nexec sleep 3600\n")
    for low in range(first, stop, 50):  # one tmux call per 50 sessions keeps argv short
        args = []
        for i in range(low, min(stop, low + 50)):
            if args:
                args.append(";")
            args += ["new-session", "-d", "-s", "tofu-claude-%08x" % i, "sh " + script]
        subprocess.run(["tmux", *args], env=env, check=True)
    out = subprocess.run(
        ["tmux", "list-panes", "-a", "-F", "#{session_name} #{pane_pid} #{socket_path}"],
        env=env, stdout=subprocess.PIPE, text=True, check=True,
    ).stdout  # fmt: skip
    pids, socket = {}, None
    for line in out.splitlines():
        name, pid, socket = line.split()
        pids[name] = int(pid)
    return pids, socket


def write_sessions(state_dir, home, count, pids, socket, status_of=None, silent=False):
    """The files tclaude and its hook write for sessions 0..count-1 (already in tmux).
    ``status_of(i)`` picks session i's hook status (default: a mix of the three); ``silent``:
    only tclaude's records, as `session new` writes them before any hook fires."""
    os.makedirs(state_dir, mode=0o700, exist_ok=True)
    registry_dir = os.path.join(home, ".claude", "sessions")
    os.makedirs(registry_dir, exist_ok=True)
    now = time.time()
    iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 60))
    for i in range(count):
        sid = "%08x" % i
        pid = pids["tofu-claude-" + sid]
        status = status_of(i) if status_of else ("waiting_input", "waiting_permission",
                                                 "running")[i % 3]  # fmt: skip
        record = {
            "id": sid,
            "name": None,
            "tmuxSession": "tofu-claude-" + sid,
            "tmuxSocket": socket,  # recorded by session new, as tclaude does
            "pid": pid,
            "cwd": home,
            "convId": "0b5e55ed-1234-4abc-8def-%012x" % i,
            "status": "running",
            "statusDetail": "starting",
            "statusSince": iso,
            "created": iso,
            "spawned": iso,
            "updated": iso,
        }
        with open(os.path.join(state_dir, sid + ".json"), "w") as fh:
            json.dump(record, fh, indent=2)
        if silent:
            continue
        hook = {
            "v": 1,
            "ts": now - 30,
            "event": "Stop",
            "status": status,
            "since": now - 30,
            "detail": "Bash: npm test",
            "convId": record["convId"],
            "claudePid": pid,
        }
        with open(os.path.join(state_dir, sid + ".status"), "w") as fh:
            fh.write(json.dumps(hook) + "\n")
        if status != "waiting_input":
            registry = {
                "pid": pid,
                "sessionId": record["convId"],
                "status": "busy" if status == "running" else "waiting",
                "statusUpdatedAt": int((now - 31) * 1000),
            }
            with open(os.path.join(registry_dir, "%d.json" % pid), "w") as fh:
                json.dump(registry, fh)


def populate(env, state_dir, home, count, status_of=None):
    """``count`` live sessions that have reported through hooks (bench_watch, bench_wait)."""
    pids, socket = start_sessions(env, 0, count)
    write_sessions(state_dir, home, count, pids, socket, status_of)


def shim_env(env, tmp):
    """``env`` with a `tmux` in front of the real one that logs each call's subcommand (past
    a ``-S <socket>``), and the log."""
    shim = os.path.join(tmp, "shim")
    os.makedirs(shim, exist_ok=True)
    log = os.path.join(tmp, "tmux-calls.log")
    with open(os.path.join(shim, "tmux"), "w") as fh:
        fh.write(
            '#!/bin/sh\n[ "$1" = -S ] && c=$3 || c=$1\necho "$c" >> "%s"\nexec "%s" "$@"\n'
            % (log, shutil.which("tmux"))
        )
    os.chmod(os.path.join(shim, "tmux"), 0o755)
    return dict(env, PATH=shim + os.pathsep + env["PATH"]), log


def count_tmux_calls(env, tmp, cmd):
    """tmux processes one run of ``cmd`` spawns."""
    counted, log = shim_env(env, tmp)
    if os.path.exists(log):
        os.unlink(log)
    subprocess.run(cmd, env=counted, stdout=subprocess.DEVNULL, check=True)
    if not os.path.exists(log):
        return 0
    with open(log) as fh:
        return len(fh.read().splitlines())


def world_env(env, tmp, world):
    """The env of one world: its own HOME (state dir and claude registry), the shared server."""
    home = os.path.join(tmp, world)
    os.makedirs(home, exist_ok=True)
    return home, dict(env, HOME=home)


def bench_ls(env, baseline):
    print()
    print("tclaude session ls (median of up to %d runs)" % RUNS)
    print("%8s  %-8s  %9s  %7s  %10s" % ("sessions", "world", "ms", "ratio", "tmux procs"))
    tmp = tempfile.mkdtemp(prefix="tcb", dir="/tmp")
    env = dict(env, TMUX_TMPDIR=tmp)
    made = 0
    try:
        for count in SIZES:
            pids, socket = start_sessions(env, made, count)
            made = count
            for world in ("reported", "silent"):
                print_world_row(env, tmp, world, count, pids, socket, ["session", "ls"], baseline)
    finally:
        tear_down(tmp, env)
    print("goal: <= 2x in both worlds at every N; 1 tmux process per ls")


def print_world_row(env, tmp, world, count, pids, socket, words, baseline):
    """One table row: ``count`` sessions of ``world`` written, then ``tclaude <words>`` timed
    and its tmux processes counted."""
    home, wenv = world_env(env, tmp, world)
    state_dir = os.path.join(home, ".tofu", "claude-sessions")
    write_sessions(state_dir, home, count, pids, socket, silent=world == "silent")
    cmd = [*RUN, *words]
    elapsed = timed(cmd, wenv)
    calls = count_tmux_calls(wenv, tmp, cmd)
    print("%8d  %-8s  %9.1f  %6.2fx  %10d"
          % (count, world, elapsed * 1000, elapsed / baseline, calls))  # fmt: skip


def bench_status_line(env, baseline, count=20):
    """`tclaude status-line` runs every second or so from tmux's status bar."""
    print()
    print("tclaude status-line (median of %d runs)" % RUNS)
    print("%8s  %-8s  %9s  %7s  %10s" % ("sessions", "world", "ms", "ratio", "tmux procs"))
    tmp = tempfile.mkdtemp(prefix="tcb", dir="/tmp")
    env = dict(env, TMUX_TMPDIR=tmp)
    try:
        pids, socket = start_sessions(env, 0, count)
        for world in ("reported", "silent"):
            print_world_row(env, tmp, world, count, pids, socket, ["status-line"], baseline)
    finally:
        tear_down(tmp, env)
    print("goal: <= 1.5x, no tmux call")


def give_worktrees(env, state_dir, home, count):
    """Sessions 0..count-1 get a worktree each (real git repo, real `git worktree add`) in
    their records, as `session new --worktree` writes them."""
    repo = os.path.join(home, "repo")
    os.makedirs(repo)

    def git(*args):
        subprocess.run(["git", "-C", repo, *args], env=env, check=True, capture_output=True)

    git("init", "-q")
    for i in range(200):  # a small project: 200 files
        with open(os.path.join(repo, "f%03d.txt" % i), "w") as fh:
            fh.write("line %d\n" % i)
    git("add", ".")
    git("-c", "user.email=b@b", "-c", "user.name=b", "commit", "-qm", "init")
    for i in range(count):
        sid = "%08x" % i
        path = os.path.join(repo, ".claude", "worktrees", "w%d" % i)
        git("worktree", "add", "-q", "-b", "w%d" % i, path)
        record_path = os.path.join(state_dir, sid + ".json")
        with open(record_path) as fh:
            record = json.load(fh)
        record.update(cwd=path, worktreePath=path, worktreeRepo=repo, worktreeBranch="w%d" % i,
                      worktreeBase="HEAD", worktreeNewBranch=True)  # fmt: skip
        with open(record_path, "w") as fh:
            json.dump(record, fh)


def timed_cold(cmd, env, cache, runs=RUNS):
    """Median wall time of ``cmd`` with the worktree status cache removed before each run."""
    samples = []
    for _ in range(runs):
        shutil.rmtree(cache, ignore_errors=True)
        start = time.perf_counter()
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def bench_ls_worktrees(env, baseline, count=10):
    """`ls` of sessions in git worktrees: the status git is asked for (cold) or the cache."""
    if not shutil.which("git"):
        return
    print()
    print("tclaude session ls, %d sessions in git worktrees (median of %d runs)" % (count, RUNS))
    print("%-34s  %9s  %7s" % ("case", "ms", "ratio"))
    tmp = tempfile.mkdtemp(prefix="tcb", dir="/tmp")
    env = dict(env, TMUX_TMPDIR=tmp)
    try:
        pids, socket = start_sessions(env, 0, count)
        home, wenv = world_env(env, tmp, "worktrees")
        state_dir = os.path.join(home, ".tofu", "claude-sessions")
        write_sessions(state_dir, home, count, pids, socket)
        cmd = [*RUN, "session", "ls"]
        rows = [("no worktree", timed(cmd, wenv))]
        give_worktrees(wenv, state_dir, home, count)
        cache = os.path.join(state_dir, "worktrees")
        rows.append(("%d worktrees, git asked (cold)" % count, timed_cold(cmd, wenv, cache)))
        rows.append(("%d worktrees, cached (< 5 s)" % count, timed(cmd, wenv)))
        for case, elapsed in rows:
            print("%-34s  %9.1f  %6.2fx" % (case, elapsed * 1000, elapsed / baseline))
    finally:
        tear_down(tmp, env)
    print("goal: no cost without worktrees; the cached row near the first")


def baselines(env):
    """`python3 -c pass` of the measured interpreter (the ratios' baseline) and of the others."""
    print("baselines (median of %d runs):" % (RUNS * 2))
    pythons = [PYTHON] + [p for p in (DEBIAN_PYTHON, sys.executable) if p != PYTHON]
    found = {}
    for python in pythons:
        if not os.access(python, os.X_OK):
            continue
        found[python] = timed([python, "-c", "pass"], env, RUNS * 2)
        bare = timed([python, "-S", "-c", "pass"], env, RUNS * 2)
        mark = "  <- the baseline of every ratio" if python == PYTHON else ""
        print("  %-40s -c pass %5.1f ms   (-S -c pass %5.1f ms)%s"
              % (python, found[python] * 1000, bare * 1000, mark))  # fmt: skip
    return found[PYTHON]


def cpu_each(commands, env):
    """Run the commands concurrently; CPU seconds (user + system, their children included)
    each one used, from wait4."""
    pids = []
    with open(os.devnull, "wb") as null:
        for cmd in commands:
            proc = subprocess.Popen(cmd, env=env, stdout=null, stderr=null)
            pids.append(proc.pid)
            proc.returncode = 0  # reaped below with wait4: keep Popen from waiting on it
    used = []
    for pid in pids:
        _, _, usage = os.wait4(pid, 0)
        used.append(usage.ru_utime + usage.ru_stime)
    return used


def bench_wait(base_env, seconds, waiters=50):
    """50 `session wait` processes, each on its own session in a long turn, for ``seconds``.
    Half the sessions have a claude registry file (claude 2.1.x keeps one); for the other half
    ("blind") a waiter must read the screen every few seconds (a denied permission or an
    interrupt fires no hook)."""
    print()
    print("tclaude session wait: %d waiters for %gs" % (waiters, seconds))
    tmp, home, env = private_world(base_env)
    try:
        populate(
            env,
            os.path.join(home, ".tofu", "claude-sessions"),
            home,
            waiters,
            status_of=lambda i: "running",
        )
        registry = os.path.join(home, ".claude", "sessions")
        blind = set()
        for i, name in enumerate(sorted(os.listdir(registry), key=lambda n: int(n[:-5]))):
            if i % 2:
                os.unlink(os.path.join(registry, name))
        for i in range(waiters):
            with open(os.path.join(home, ".tofu", "claude-sessions", "%08x.json" % i)) as fh:
                pid = json.load(fh)["pid"]
            if not os.path.exists(os.path.join(registry, "%d.json" % pid)):
                blind.add(i)

        def wait_cmd(i, timeout):
            return [*RUN, "session", "wait", "%08x" % i, "--timeout", timeout]

        # start-up + first look, one group at a time: `wait --timeout 0`
        first = cpu_each([wait_cmd(i, "0") for i in range(waiters)], env)
        used = cpu_each([wait_cmd(i, str(seconds)) for i in range(waiters)], env)
    finally:
        tear_down(tmp, env)
    total = sum(used)
    print("CPU (user+system) of all waiters:  %6.2f s  (%.1f%% of one core over %gs)"
          % (total, 100.0 * total / seconds, seconds))  # fmt: skip
    print(
        "  start-up and first look, each:    %6.3f s  (wait --timeout 0)" % statistics.mean(first)
    )
    for label, members in (
        ("claude registry present", [i for i in range(waiters) if i not in blind]),
        ("blind (screen re-checks)", sorted(blind)),
    ):
        extra = statistics.mean(used[i] - first[i] for i in members)
        print("  %-25s %2d waiters: %6.3f s CPU per waiter-minute of watching"
              % (label, len(members), max(0.0, extra) * 60.0 / seconds))  # fmt: skip
    print("goal: waiting costs next to nothing beside the start-ups")


def main():
    base_env = bench_env()
    installed, env = install_for_bench(base_env)
    print("tclaude benchmark: the installed launcher (%s) run by %s" % (installed, PYTHON))
    baseline = baselines(env)
    launcher = timed([*RUN, "--version"], env)
    script = timed([PYTHON, TCLAUDE, "--version"], env)
    print("tclaude --version: %.1f ms (%.2fx) as installed, %.1f ms (%.2fx) as a script"
          % (launcher * 1000, launcher / baseline, script * 1000, script / baseline))  # fmt: skip
    bench_ls(env, baseline)
    bench_status_line(env, baseline)
    bench_ls_worktrees(env, baseline)
    bench_wait(env, float(os.environ.get("BENCH_WAIT_SECONDS", "10")))
    shutil.rmtree(installed, ignore_errors=True)


if __name__ == "__main__":
    main()
