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


def timed(cmd, env, runs=RUNS):
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
        )
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def populate(env, state_dir, home, count):
    """Create ``count`` live sessions: tmux sessions + the files tclaude and the hook write."""
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
    for i in range(count):
        sid = "%08x" % i
        pid = int(pids["tofu-claude-" + sid])
        status = ("waiting_input", "waiting_permission", "running")[i % 3]
        record = {
            "id": sid,
            "name": None,
            "tmuxSession": "tofu-claude-" + sid,
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
        [sys.executable, TCLAUDE, "session", "ls"],
        env=shim_env,
        stdout=subprocess.DEVNULL,
        check=True,
    )
    with open(log) as fh:
        return len(fh.read().splitlines())


def main():
    print("tclaude session ls benchmark (median of %d runs each)" % RUNS)
    base_env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "TMUX_PANE")}
    baseline = timed([sys.executable, "-c", "pass"], base_env)
    print("baseline: python3 -c pass = %.1f ms" % (baseline * 1000))
    print("%8s  %10s  %8s  %12s" % ("sessions", "ls ms", "ratio", "tmux procs"))
    for count in (10, 100, 500):
        tmp = tempfile.mkdtemp(prefix="tcb", dir="/tmp")
        home = os.path.join(tmp, "home")
        os.makedirs(home)
        env = dict(base_env, HOME=home, TMUX_TMPDIR=tmp)
        try:
            populate(env, os.path.join(home, ".tofu", "claude-sessions"), home, count)
            elapsed = timed([sys.executable, TCLAUDE, "session", "ls"], env)
            calls = count_tmux_calls(env, tmp)
            print("%8d  %10.1f  %7.2fx  %12d" % (count, elapsed * 1000, elapsed / baseline, calls))
        finally:
            subprocess.run(["tmux", "kill-server"], env=env, stderr=subprocess.DEVNULL, check=False)
            shutil.rmtree(tmp, ignore_errors=True)
    print("goal: ls at 500 sessions under 2x python start-up; 1 tmux process per ls")


if __name__ == "__main__":
    main()
