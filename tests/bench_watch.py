"""Benchmark of `tclaude session watch` (run by `make bench`; prints figures, asserts nothing).

For 0 and 50 idle sessions in both of bench.py's worlds ("reported": each session's hook said
it waits for input; "silent": no hook ever fired, no claude registry, the pane shows the trust
dialog, so only the screen tells), and at 50 reported ones with the preview pane open
("50+p"), it runs the dashboard, through the installed launcher and
bench.PYTHON, at its default 1 s interval in a 160x50 pane of a private tmux server and
reports:

- CPU: utime+stime of the dashboard process over a measured window (BENCH_WATCH_SECONDS,
  default 15; 60 gives steadier figures) as % of one core, alone and with its reaped children
  (the tmux clients of every refresh);
- tmux processes per refresh, counted by a shim in front of the real tmux;
- the wall time of one refresh (resolve every session + process trees + build the rows),
  median of 20, measured in a separate process that imports tclaude.py.

Linux only for the CPU figures (/proc).
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WINDOW = float(os.environ.get("BENCH_WATCH_SECONDS", "15"))
SHIM_SECONDS = 5.0
sys.path.insert(0, HERE)

import bench  # noqa: E402  (shares the launcher, the worlds and the shim)

REFRESH_TIMING = r"""
import json, statistics, sys, time
sys.path.insert(0, sys.argv[1])
import tclaude
model = tclaude.WatchModel(tclaude.StateStore(), tclaude.Tmux())
model.refresh()
samples, calls = [], []
for _ in range(20):
    before = tclaude.Tmux.calls
    start = time.perf_counter()
    model.refresh()
    now = time.time()
    rows = [tclaude.watch_cells(v, model.stats, now) for v in model.views]
    tclaude.watch_layout(rows, 160, 3)
    samples.append(time.perf_counter() - start)
    calls.append(tclaude.Tmux.calls - before)
print(json.dumps({"ms": statistics.median(samples) * 1000, "calls": max(calls),
                  "sessions": len(model.views)}))
"""


def make_idle(env, state_dir, home, count, world):
    """``count`` idle sessions of ``world``: "reported" ones waiting for input (no registry,
    no screen reads), or "silent" ones at the trust dialog (a screen read each)."""
    pids, socket = bench.start_sessions(env, 0, count)
    bench.write_sessions(state_dir, home, count, pids, socket,
                         status_of=lambda i: "waiting_input", silent=world == "silent")  # fmt: skip
    for name in os.listdir(state_dir):
        if name.endswith(".status"):
            path = os.path.join(state_dir, name)
            with open(path) as fh:
                hook = json.load(fh)
            hook.update(event="Stop", detail="Done.")
            with open(path, "w") as fh:
                fh.write(json.dumps(hook) + "\n")


def cpu_ticks(pid):
    """(own utime+stime, reaped children's cutime+cstime) of a process, in clock ticks."""
    with open("/proc/%d/stat" % pid, "rb") as fh:
        fields = fh.read().rsplit(b")", 1)[1].split()
    return int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])


def start_dashboard(env, name, path=None):
    """The dashboard in a detached 160x50 pane; returns its pid (exec: pane pid == python)."""
    words = ["exec", "env", "PATH=" + (path or env["PATH"]), *bench.RUN, "session", "watch"]
    out = subprocess.run(
        ["tmux", "new-session", "-d", "-s", name, "-x", "160", "-y", "50",
         "-P", "-F", "#{pane_pid}", " ".join(words)],
        env=env, stdout=subprocess.PIPE, text=True, check=True,
    ).stdout  # fmt: skip
    return int(out.strip())


def wait_for_screen(env, name, text, timeout=30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        screen = subprocess.run(
            ["tmux", "capture-pane", "-p", "-t", "=%s:" % name],
            env=env, stdout=subprocess.PIPE, text=True, check=False,
        ).stdout  # fmt: skip
        if text in screen:
            return
        time.sleep(0.2)
    raise SystemExit("bench_watch: the dashboard never showed %r" % text)


def measure_cpu(env, count, preview=False):
    pid = start_dashboard(env, "dash")
    wait_for_screen(env, "dash", "%d session" % count)
    if preview:  # the selected session's screen under the table: one capture-pane a refresh
        subprocess.run(["tmux", "send-keys", "-t", "=dash:", "p"], env=env, check=False)
        wait_for_screen(env, "dash", "preview")
    time.sleep(2.0)  # past start-up (imports, first refreshes)
    own0, kids0 = cpu_ticks(pid)
    start = time.monotonic()
    time.sleep(WINDOW)
    own1, kids1 = cpu_ticks(pid)
    elapsed = time.monotonic() - start
    subprocess.run(["tmux", "kill-session", "-t", "=dash"], env=env, check=False)
    hz = os.sysconf("SC_CLK_TCK")
    own = (own1 - own0) * 100.0 / hz / elapsed
    total = (own1 - own0 + kids1 - kids0) * 100.0 / hz / elapsed
    return own, total


def count_tmux_per_refresh(env, tmp, count):
    """tmux processes per refresh: the shim logs each call's subcommand; every refresh makes
    exactly one tmux call that starts with list-panes, so those lines count the refreshes."""
    counted, log = bench.shim_env(env, tmp)
    start_dashboard(env, "counted", counted["PATH"])
    wait_for_screen(env, "counted", "%d session" % count)
    time.sleep(SHIM_SECONDS)
    subprocess.run(["tmux", "kill-session", "-t", "=counted"], env=env, check=False)
    calls = []
    if os.path.exists(log):  # no session: no tmux call at all
        with open(log) as fh:
            calls = fh.read().split()
    refreshes = calls.count("list-panes")
    return len(calls) / max(1, refreshes), refreshes


def refresh_timing(env):
    out = subprocess.run(
        [bench.PYTHON, "-c", REFRESH_TIMING, ROOT],
        env=env, stdout=subprocess.PIPE, text=True, check=True,
    ).stdout  # fmt: skip
    return json.loads(out)


def main():
    if not os.path.isfile("/proc/self/stat"):
        print("bench_watch: needs /proc (Linux) for CPU figures; skipped")
        return
    installed, base_env = bench.install_for_bench(bench.bench_env())
    print()
    print("tclaude session watch (1 s interval, %.0f s window, idle sessions, %s)"
          % (WINDOW, bench.PYTHON))  # fmt: skip
    print("%8s  %-8s  %9s  %15s  %12s  %10s" % (
        "sessions", "world", "cpu self", "cpu + children", "tmux/refresh", "refresh ms"))  # fmt: skip
    rows = ((0, "-", False), (50, "reported", False), (50, "silent", False), (50, "reported", True))
    for count, world, preview in rows:
        tmp = tempfile.mkdtemp(prefix="tcw", dir="/tmp")
        home = os.path.join(tmp, "home")
        os.makedirs(home)
        env = dict(base_env, HOME=home, TMUX_TMPDIR=tmp, TERM="tmux-256color")
        state_dir = os.path.join(home, ".tofu", "claude-sessions")
        try:
            os.makedirs(state_dir, mode=0o700)
            # a server that outlives the dashboards (0 sessions: nothing else keeps it up)
            subprocess.run(["tmux", "new-session", "-d", "-s", "keep", "sleep 3600"], env=env)
            if count:
                make_idle(env, state_dir, home, count, world)
            own, total = measure_cpu(env, count, preview)
            if preview:  # (the tmux count and refresh time are the table's, measured above)
                print("%8s  %-8s  %8.2f%%  %14.2f%%" % ("%d+p" % count, world, own, total))
                continue
            per_refresh, _ = count_tmux_per_refresh(env, tmp, count)
            timing = refresh_timing(env)
            print(
                "%8d  %-8s  %8.2f%%  %14.2f%%  %12.1f  %10.1f"
                % (count, world, own, total, per_refresh, timing["ms"])
            )
        finally:
            subprocess.run(["tmux", "kill-server"], env=env, stderr=subprocess.DEVNULL, check=False)
            shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(installed, ignore_errors=True)
    print("goal: under 1% of one core at 50 sessions in both worlds; 1 tmux process per refresh")


if __name__ == "__main__":
    main()
