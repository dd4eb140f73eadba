"""Benchmark of `tclaude session ls --hosts all` (run by `make bench`; prints figures, asserts
nothing).

Two hosts, each a real sshd on 127.0.0.1 with its own HOME and tmux server (tests/sshd.py),
each with N = 50 sessions (real tmux sessions, hook status files and registry files as
tests/bench.py writes them).  Every figure is a ratio to a plain `ssh host true` (a fresh
connection, no multiplexing) timed in the same run:

- warm: tclaude's master connections are up (the usual case: they stay 120 s after a use);
- cold: every master is closed before each run, so each run pays two ssh handshakes (in
  parallel) on top of the remote tclaude.

Also shown: the same `session ls --json` run directly on one host (what the remote tclaude
itself costs), an ssh `true` over a warm master, and the local `session ls` with and without
hosts configured (configuring hosts must cost a plain ls nothing).
"""

import os
import subprocess
import tempfile
import time

import bench  # tests/bench.py (run as a script, tests/ is sys.path[0]): timing, sessions
from sshd import SshWorld, close_masters, find_sshd

SESSIONS = int(os.environ.get("BENCH_HOST_SESSIONS", "50"))
RUNS = bench.RUNS


class Client:
    """The local side: a temp HOME; SshWorld adds its ssh shim and XDG_RUNTIME_DIR."""

    def __init__(self, env):
        self.root = tempfile.mkdtemp(prefix="tcbh", dir="/tmp")
        self.home = os.path.join(self.root, "home")
        os.makedirs(self.home)
        self.env = dict(env, HOME=self.home, TMUX_TMPDIR=self.root)


def timed_cold(cmd, env, world, runs=RUNS, budget=6.0):
    samples = []
    for _ in range(runs):
        close_masters(world.runtime)
        start = time.perf_counter()
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples.append(time.perf_counter() - start)
        if len(samples) >= 3 and sum(samples) > budget:
            break
    return bench.statistics.median(samples)


def populate_host(host, count):
    env = dict(bench.bench_env(), HOME=host.home, TMUX_TMPDIR=host.tmux_tmpdir)
    pids, socket = bench.start_sessions(env, 0, count)
    bench.write_sessions(host.state_dir, host.home, count, pids, socket)


def main():
    if find_sshd() is None:
        print("bench_hosts: no sshd (install openssh-server); skipped")
        return
    installed, env = bench.install_for_bench(bench.bench_env())
    client = Client(env)
    world = SshWorld(os.path.join(client.root, "ssh"), client)
    try:
        for name, alias in (("a", "alpha"), ("b", "beta")):
            # a plain PATH, whose python3 is the one measured (not a version manager's shim)
            host = world.add(alias, path=os.pathsep.join(
                [os.path.dirname(bench.PYTHON), "/usr/bin", "/bin"]))  # fmt: skip
            host.install()
            populate_host(host, SESSIONS)
            subprocess.run([*bench.RUN, "hosts", "add", name, alias], env=client.env,
                           stdout=subprocess.DEVNULL, check=True)  # fmt: skip
        cenv = client.env
        plain = bench.timed(["ssh", "alpha", "true"], cenv)
        ls_all = [*bench.RUN, "session", "ls", "--hosts", "all"]
        check = subprocess.run(ls_all, env=cenv, capture_output=True, text=True)
        rows = len(check.stdout.splitlines()) - 1
        warm = bench.timed(ls_all, cenv)
        cold = timed_cold(ls_all, cenv, world)
        one_warm = bench.timed([*bench.RUN, "--host", "a", "session", "ls", "--json"], cenv)
        control = os.path.join(world.runtime, "tclaude-ssh")
        sock = os.path.join(control, sorted(os.listdir(control))[0])
        mux_true = bench.timed(["ssh", "-o", "ControlPath=" + sock, "alpha", "true"], cenv)
        alpha = world.hosts["alpha"]
        remote_env = dict(bench.bench_env(), **alpha.env)
        direct = bench.timed(
            [bench.PYTHON, "-S", "-c", "import os,sys;sys.path.insert(0,%r);import tclaude;"
             "sys.exit(tclaude.main())" % os.path.join(alpha.home, ".tofu", "bin"),
             "session", "ls", "--json"], remote_env)  # fmt: skip
        local_with = bench.timed([*bench.RUN, "session", "ls"], cenv)
        bare = dict(cenv, HOME=tempfile.mkdtemp(prefix="tcbh", dir="/tmp"))
        local_without = bench.timed([*bench.RUN, "session", "ls"], bare)

        print()
        print("tclaude session ls --hosts all: 2 hosts x %d sessions over ssh to 127.0.0.1 "
              "(%d rows; median of up to %d runs)" % (SESSIONS, rows, RUNS))  # fmt: skip
        print("%-52s  %8s  %7s" % ("what", "ms", "ratio"))
        for label, value in (
            ("ssh host true (fresh connection: the baseline)", plain),
            ("ssh host true over a warm master", mux_true),
            ("tclaude session ls --json on the host itself", direct),
            ("tclaude --host a session ls --json, warm", one_warm),
            ("tclaude session ls --hosts all, warm", warm),
            ("tclaude session ls --hosts all, cold", cold),
            ("tclaude session ls, local, hosts configured", local_with),
            ("tclaude session ls, local, no hosts configured", local_without),
        ):
            print("%-52s  %8.1f  %6.2fx" % (label, value * 1000, value / plain))
        print(
            "goal: warm <= 1x a plain ssh (the master saves the handshake), cold <= 2x;"
            " a local ls costs the same with hosts configured"
        )
    finally:
        world.close()
        subprocess.run(["rm", "-rf", client.root, installed], check=False)


if __name__ == "__main__":
    main()
