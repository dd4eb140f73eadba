"""Real OpenSSH servers on 127.0.0.1 for the hosts tests: each "host" is an sshd of its own
(throwaway host key, a free port) whose sessions get their own HOME and TMUX_TMPDIR through
sshd's SetEnv, so the tclaude there has its own state dir and its own tmux server.

The client side never reads the real ~/.ssh: an ``ssh`` shim first on the sandbox's PATH runs
the real ssh with ``-F`` on an ssh_config in the test's temp dir (Host aliases, the user key,
a known_hosts file holding the hosts' keys, strict checking).  XDG_RUNTIME_DIR is a short
temp dir, so tclaude's control sockets live there and go with the test.
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FAKEBIN = os.path.join(ROOT, "tests", "fakebin")


def find_sshd():
    for path in ("/usr/sbin/sshd", "/usr/local/sbin/sshd", shutil.which("sshd") or ""):
        if path and os.access(path, os.X_OK):
            return path
    return None


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def keygen(path):
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "tclaude-test", "-f", path],
        check=True,
        stdin=subprocess.DEVNULL,
    )
    with open(path + ".pub", encoding="ascii") as fh:
        return fh.read().strip()


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def children_of(pid):
    """Pids whose parent is ``pid`` (sshd's per-connection processes)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry, "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry))
    return found


class Host:
    """One machine: an sshd on its own port, its own HOME, TMUX_TMPDIR and PATH."""

    def __init__(self, world, alias):
        self.world, self.alias = world, alias
        self.dir = os.path.join(world.root, alias)
        self.home = os.path.join(self.dir, "home")
        self.work = os.path.join(self.dir, "work")
        self.tmux_tmpdir = tempfile.mkdtemp(prefix="tch", dir="/tmp")
        for path in (self.home, self.work):
            os.makedirs(path)
        self.state_dir = os.path.join(self.home, ".tofu", "claude-sessions")
        self.port = None
        self.proc = None
        self.host_key = keygen(os.path.join(self.dir, "host_key"))
        self.env = {
            "HOME": self.home,
            "TMUX_TMPDIR": self.tmux_tmpdir,
            "PATH": FAKEBIN + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin"),
            "FAKE_CLAUDE_TIME_SCALE": "0.05",
            "LANG": "C.UTF-8",
        }

    def start(self):
        self.port = self.port or free_port()
        config = os.path.join(self.dir, "sshd_config")
        setenv = " ".join("%s=%s" % kv for kv in sorted(self.env.items()))
        with open(config, "w", encoding="utf-8") as fh:
            fh.write(
                "HostKey %s\nListenAddress 127.0.0.1\nAuthorizedKeysFile %s\n"
                "PasswordAuthentication no\nKbdInteractiveAuthentication no\nStrictModes no\n"
                "UsePAM no\nPidFile %s\nSetEnv %s\nLogLevel ERROR\n"
                % (
                    os.path.join(self.dir, "host_key"),
                    self.world.authorized_keys,
                    os.path.join(self.dir, "sshd.pid"),
                    setenv,
                )
            )
        if os.getuid() == 0:
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # privilege separation dir
        with open(os.path.join(self.dir, "sshd.log"), "ab") as log:
            self.proc = subprocess.Popen(
                [self.world.sshd, "-D", "-e", "-f", config, "-p", str(self.port)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        deadline = time.time() + 10
        while not port_open(self.port):
            if self.proc.poll() is not None or time.time() > deadline:
                with open(os.path.join(self.dir, "sshd.log"), encoding="utf-8") as fh:
                    raise AssertionError("sshd did not start: %s" % fh.read())
            time.sleep(0.02)

    def stop(self):
        """The server and every connection it serves (a control master's included)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        for child in children_of(self.proc.pid):
            try:
                os.kill(child, signal.SIGTERM)
            except OSError:
                pass
        self.proc.terminate()
        self.proc.wait(5)

    def install(self):
        """tclaude as `hosts install` leaves it, copied straight in (for tests of other things)."""
        bin_dir = os.path.join(self.home, ".tofu", "bin")
        os.makedirs(bin_dir, exist_ok=True)
        for name in ("tclaude.py", "tclaude-hook.sh"):
            shutil.copy(os.path.join(ROOT, name), os.path.join(bin_dir, name))

    def run(self, *args, timeout=30):
        """tclaude run on this host directly (no ssh): to check what ssh did."""
        env = dict(os.environ, **self.env)
        for name in ("TMUX", "TMUX_PANE", "TCLAUDE_STATE_DIR", "XDG_RUNTIME_DIR"):
            env.pop(name, None)
        return subprocess.run(
            ["python3", os.path.join(ROOT, "tclaude.py"), *args],
            env=env,
            cwd=self.work,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def close(self):
        try:
            if getattr(self, "owns_tmux", True):
                subprocess.run(
                    [shutil.which("tmux") or "tmux", "kill-server"],  # the host's PATH may lack it
                    env=dict(os.environ, **self.env),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
        finally:  # the server goes whatever happened above: no sshd outlives its test
            self.stop()
            shutil.rmtree(self.tmux_tmpdir, ignore_errors=True)


class SshWorld:
    """The client's ssh setup and the hosts it reaches (see the module docstring)."""

    def __init__(self, root, sandbox):
        self.root, self.sandbox = root, sandbox
        os.makedirs(root)
        self.sshd = find_sshd()
        self.hosts = {}
        self.user_key = os.path.join(root, "user_key")
        self.authorized_keys = os.path.join(root, "authorized_keys")
        with open(self.authorized_keys, "w", encoding="ascii") as fh:
            fh.write(keygen(self.user_key) + "\n")
        self.known_hosts = os.path.join(root, "known_hosts")
        self.config = os.path.join(root, "ssh_config")
        self.runtime = tempfile.mkdtemp(prefix="tcr", dir="/tmp")  # short: socket path limit
        shim = os.path.join(root, "sshbin")
        os.makedirs(shim)
        real_ssh = shutil.which("ssh")
        with open(os.path.join(shim, "ssh"), "w", encoding="utf-8") as fh:
            fh.write('#!/bin/sh\nexec "%s" -F "%s" "$@"\n' % (real_ssh, self.config))
        os.chmod(os.path.join(shim, "ssh"), 0o755)
        sandbox.env.update(
            PATH=shim + os.pathsep + sandbox.env["PATH"],
            XDG_RUNTIME_DIR=self.runtime,
        )
        self.aliases = []  # (alias, port, extra lines) for ssh_config
        self.write_config()

    def add(self, alias, extra="", path=None, env=None):
        """A new host reached as ``alias``; ``extra``: a Host block for it put first in the
        ssh_config; ``path``: its PATH (default: the fake claude's dir, then ours); ``env``:
        more of its environment (HOME too: the e2e check's host is the kit's world)."""
        host = Host(self, alias)
        if path is not None:
            host.env["PATH"] = path
        host.env.update(env or {})
        host.owns_tmux = host.env["TMUX_TMPDIR"] == host.tmux_tmpdir  # else: not ours to kill
        host.home = host.env["HOME"]
        host.state_dir = os.path.join(host.home, ".tofu", "claude-sessions")
        host.start()
        self.hosts[alias] = host
        self.aliases.append((alias, host.port, extra))
        with open(self.known_hosts, "a", encoding="ascii") as fh:
            fh.write("[127.0.0.1]:%d %s\n" % (host.port, host.host_key))
        self.write_config()
        return host

    def add_alias(self, alias, port):
        """An alias to a port of our choosing (nothing there, or a silent listener)."""
        self.aliases.append((alias, port, ""))
        self.write_config()

    def write_config(self):
        with open(self.config, "w", encoding="utf-8") as fh:
            for alias, port, extra in self.aliases:
                fh.write(extra)  # first: ssh takes the first value it gets for an option
                fh.write(
                    "Host %s\n  HostName 127.0.0.1\n  Port %d\n  User %s\n  IdentityFile %s\n"
                    "  IdentitiesOnly yes\n  UserKnownHostsFile %s\n  GlobalKnownHostsFile /dev/null\n"
                    "  StrictHostKeyChecking yes\n  LogLevel ERROR\n"
                    % (alias, port, user_name(), self.user_key, self.known_hosts)
                )

    def ssh(self, alias, command):
        """ssh as the user would type it, with the test's config (no multiplexing)."""
        return subprocess.run(
            ["ssh", "-F", self.config, "-o", "BatchMode=yes", alias, command],
            capture_output=True,
            text=True,
            timeout=30,
        )

    def close(self):
        close_masters(self.runtime)
        for host in self.hosts.values():
            host.close()
        shutil.rmtree(self.runtime, ignore_errors=True)


def close_masters(runtime):
    """End every ssh master tclaude keeps under ``runtime`` (its XDG_RUNTIME_DIR)."""
    control = os.path.join(runtime, "tclaude-ssh")
    for name in os.listdir(control) if os.path.isdir(control) else ():
        subprocess.run(
            ["ssh", "-F", "/dev/null", "-o", "ControlPath=" + os.path.join(control, name),
             "-O", "exit", "x"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=10,
        )  # fmt: skip


def user_name():
    import pwd

    return pwd.getpwuid(os.getuid()).pw_name
