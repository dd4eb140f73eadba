"""Benchmark of `tclaude session ls` (run by `make bench`; prints figures, asserts nothing).

For 10, 100 and 500 sessions it measures the wall time of `tclaude session ls` as a ratio to
`python3 -c pass` timed in the same run, and counts the tmux processes one `ls` spawns (through
a counting shim in front of the real tmux).  Sessions are real tmux sessions on a private
server (TMUX_TMPDIR in a temp dir) running `sleep`, with state and hook status files as
tclaude and its hook write them: a mix of waiting_input, waiting_permission and running, the
busy ones with a claude registry file as claude 2.1.x keeps one.
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
# How users run tclaude: the launcher install.sh writes, which imports tclaude.py so Python
# caches its bytecode (set by install_for_bench; a checkout run recompiles on every call).
RUN = [sys.executable, TCLAUDE]


def install_for_bench(base_env):
    """Install into a temp dir with install.sh and warm the bytecode cache once."""
    global RUN
    where = tempfile.mkdtemp(prefix="tcbin", dir="/tmp")
    env = dict(base_env, TCLAUDE_INSTALL_DIR=where)
    subprocess.run(
        ["sh", os.path.join(ROOT, "install.sh")], env=env, stdout=subprocess.DEVNULL, check=True
    )
    RUN = [sys.executable, os.path.join(where, "tclaude")]
    subprocess.run([*RUN, "--version"], env=base_env, stdout=subprocess.DEVNULL, check=True)
    return where


def timed(cmd, env, runs=RUNS):
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
        )
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def populate(env, state_dir, home, count, status_of=None):
    """Create ``count`` live sessions: tmux sessions + the files tclaude and the hook write.
    ``status_of(i)`` picks session i's hook status (default: a mix of the three)."""
    os.makedirs(state_dir, mode=0o700, exist_ok=True)
    os.makedirs(os.path.join(home, ".claude", "sessions"), exist_ok=True)
    now = time.time()
    iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 60))
    # one tmux call per 50 sessions keeps argv short
    for first in range(0, count, 50):
        args = []
        for i in range(first, min(count, first + 50)):
            if args:
                args.append(";")
            args += ["new-session", "-d", "-s", "tofu-claude-%08x" % i, "sleep 3600"]
        subprocess.run(["tmux", *args], env=env, check=True)
    out = subprocess.run(
        ["tmux", "list-panes", "-a", "-F", "#{session_name} #{pane_pid}"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    ).stdout
    pids = dict(line.split() for line in out.splitlines())
    socket = subprocess.run(  # recorded by session new, as tclaude does
        ["tmux", "display-message", "-p", "#{socket_path}"],
        env=env, stdout=subprocess.PIPE, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    for i in range(count):
        sid = "%08x" % i
        pid = int(pids["tofu-claude-" + sid])
        if status_of:
            status = status_of(i)
        else:
            status = ("waiting_input", "waiting_permission", "running")[i % 3]
        record = {
            "id": sid,
            "name": None,
            "tmuxSession": "tofu-claude-" + sid,
            "tmuxSocket": socket,
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
            with open(os.path.join(home, ".claude", "sessions", "%d.json" % pid), "w") as fh:
                json.dump(registry, fh)


def count_tmux_calls(env, tmp):
    shim = os.path.join(tmp, "shim")
    os.makedirs(shim, exist_ok=True)
    log = os.path.join(tmp, "tmux-calls.log")
    with open(os.path.join(shim, "tmux"), "w") as fh:
        fh.write('#!/bin/sh\necho x >> "%s"\nexec "%s" "$@"\n' % (log, shutil.which("tmux")))
    os.chmod(os.path.join(shim, "tmux"), 0o755)
    if os.path.exists(log):
        os.unlink(log)
    shim_env = dict(env, PATH=shim + os.pathsep + env["PATH"])
    subprocess.run(
        [*RUN, "session", "ls"],
        env=shim_env,
        stdout=subprocess.DEVNULL,
        check=True,
    )
    with open(log) as fh:
        return len(fh.read().splitlines())


def main():
    print("tclaude session ls benchmark (median of %d runs each)" % RUNS)
    skip = ("TMUX", "TMUX_PANE", "PYTHONDONTWRITEBYTECODE")  # the cache is the point
    base_env = {k: v for k, v in os.environ.items() if k not in skip}
    baseline = timed([sys.executable, "-c", "pass"], base_env)
    print("baseline: python3 -c pass = %.1f ms" % (baseline * 1000))
    script = timed([sys.executable, TCLAUDE, "--version"], base_env)
    installed = install_for_bench(base_env)
    launcher = timed([*RUN, "--version"], base_env)
    print(
        "tclaude --version: %.1f ms (%.2fx) as installed (cached bytecode), "
        "%.1f ms (%.2fx) as a script from a checkout"
        % (launcher * 1000, launcher / baseline, script * 1000, script / baseline)
    )
    print("measuring the installed launcher (%s)" % installed)
    print("%8s  %10s  %8s  %12s" % ("sessions", "ls ms", "ratio", "tmux procs"))
    for count in (10, 100, 500):
        tmp = tempfile.mkdtemp(prefix="tcb", dir="/tmp")
        home = os.path.join(tmp, "home")
        os.makedirs(home)
        env = dict(base_env, HOME=home, TMUX_TMPDIR=tmp)
        try:
            populate(env, os.path.join(home, ".tofu", "claude-sessions"), home, count)
            elapsed = timed([*RUN, "session", "ls"], env)
            calls = count_tmux_calls(env, tmp)
            print("%8d  %10.1f  %7.2fx  %12d" % (count, elapsed * 1000, elapsed / baseline, calls))
        finally:
            subprocess.run(["tmux", "kill-server"], env=env, stderr=subprocess.DEVNULL, check=False)
            shutil.rmtree(tmp, ignore_errors=True)
    print("goal: ls at 500 sessions under 2x python start-up; 1 tmux process per ls")
    print()
    bench_status_line(base_env, baseline)
    print()
    bench_wait(base_env, float(os.environ.get("BENCH_WAIT_SECONDS", "30")))


def private_world(base_env):
    tmp = tempfile.mkdtemp(prefix="tcb", dir="/tmp")
    home = os.path.join(tmp, "home")
    os.makedirs(home)
    return tmp, home, dict(base_env, HOME=home, TMUX_TMPDIR=tmp)


def tear_down(tmp, env):
    subprocess.run(["tmux", "kill-server"], env=env, stderr=subprocess.DEVNULL, check=False)
    shutil.rmtree(tmp, ignore_errors=True)


def bench_status_line(base_env, baseline):
    """`tclaude status-line` runs every second or so from tmux's status bar."""
    print("tclaude status-line benchmark (median of %d runs each; no tmux call)" % RUNS)
    print("%8s  %10s  %8s" % ("sessions", "ms", "ratio"))
    for count in (0, 10, 100):
        tmp, home, env = private_world(base_env)
        try:
            if count:
                populate(env, os.path.join(home, ".tofu", "claude-sessions"), home, count)
            elapsed = timed([*RUN, "status-line"], env)
            print("%8d  %10.1f  %7.2fx" % (count, elapsed * 1000, elapsed / baseline))
        finally:
            tear_down(tmp, env)
    print("goal: status-line under 1.5x python start-up")


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
    print("tclaude session wait benchmark: %d waiters for %gs" % (waiters, seconds))
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


if __name__ == "__main__":
    main()
