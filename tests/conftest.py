"""Shared fixtures: every test gets its own tmux server, HOME and state dir.

Nothing here ever reaches the user's default tmux server or real HOME: the sandbox points
TMUX_TMPDIR at a fresh short directory (tmux puts its socket there) and HOME at a temp dir,
drops $TMUX/$TMUX_PANE (which would redirect tmux to the caller's server), and puts the fake
``claude`` of tests/fakebin first on PATH.
"""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TCLAUDE = os.path.join(ROOT, "tclaude.py")
HOOK = os.path.join(ROOT, "tclaude-hook.sh")
FAKEBIN = os.path.join(ROOT, "tests", "fakebin")
# Hook payloads recorded from the real claude (tests/samples/README.md says how).
SAMPLES = os.environ.get("TCLAUDE_SAMPLES_DIR") or os.path.join(ROOT, "tests", "samples")

SCRUBBED = (
    "TMUX",
    "TMUX_PANE",
    "CLAUDECODE",
    "CLAUDE_CODE_ENTRYPOINT",
    "CLAUDE_CODE_SSE_PORT",
    "CLAUDE_CONFIG_DIR",
    "TCLAUDE_STATE_DIR",
    "TCLAUDE_SESSION_ID",
    "TCLAUDE_DEBUG",
    "NO_COLOR",
)


def wait_until(predicate, timeout=10.0, interval=0.05, message="condition"):
    """Poll ``predicate`` until it returns a truthy value; fail the test with ``message``."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(
        "timed out after %.1fs waiting for %s (last: %r)" % (timeout, message, last)
    )


def process_gone(pid):
    """True once ``pid`` has exited: no such process, or a zombie its parent (the tmux server,
    which may reap late) has not collected yet."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] == b"Z"
    except OSError:
        return True  # no /proc/<pid>: gone


def assert_one_line_error(proc, pattern, code=None):
    """A user mistake: one clear line on stderr, a non-zero exit (``code`` when given), no
    output, no traceback."""
    assert proc.returncode != 0 if code is None else proc.returncode == code, proc
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("tclaude: ")
    assert re.search(pattern, lines[0]), lines[0]
    assert "Traceback" not in proc.stderr


def write_transcript(sandbox, conv_id, cwd=None):
    """The transcript claude keeps of a conversation (what ``--resume`` needs)."""
    slug = re.sub(r"[^A-Za-z0-9]", "-", os.path.realpath(cwd or sandbox.work))
    folder = os.path.join(sandbox.home, ".claude", "projects", slug)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, conv_id + ".jsonl")
    with open(path, "a", encoding="utf-8") as fh:
        fh.write('{"type":"summary"}\n')
    return path


def write_record(sandbox, sid, transcript=True, **fields):
    """A session record as tclaude would have left it (for sessions whose tmux is long gone):
    on the sandbox's tmux server, with the transcript its claude wrote (unless not
    ``transcript``)."""
    os.makedirs(sandbox.state_dir, exist_ok=True)
    record = {
        "id": sid,
        "name": None,
        "tmuxSession": "tofu-claude-" + sid,
        "tmuxSocket": sandbox.socket,
        "pid": None,
        "cwd": sandbox.work,
        "convId": "0b5e55ed-1234-4abc-8def-0123456789ab",
        "status": "running",
        "statusDetail": "starting",
        "created": "2026-01-01T00:00:00Z",
        "updated": "2026-01-01T00:00:00Z",
    }
    record.update(fields)
    record = {k: v for k, v in record.items() if v is not OMIT}
    with open(sandbox.state_file(sid), "w", encoding="utf-8") as fh:
        json.dump(record, fh)
    if transcript and record.get("convId"):
        write_transcript(sandbox, record["convId"], record.get("cwd"))
    return record


OMIT = object()  # write_record(..., field=OMIT) leaves the field out (an older record)


class Sandbox:
    """A private world for one test: HOME, tmux server, PATH with the fake claude."""

    def __init__(self, root):
        self.root = root
        self.home = os.path.join(root, "home")
        self.work = os.path.join(root, "work")
        self.tmux_tmpdir = tempfile.mkdtemp(prefix="tct", dir="/tmp")  # short: socket path limit
        os.makedirs(self.home)
        os.makedirs(self.work)
        self.state_dir = os.path.join(self.home, ".tofu", "claude-sessions")
        # the socket of the sandbox's tmux server, as tmux reports it (#{socket_path})
        self.socket = os.path.join(
            os.path.realpath(self.tmux_tmpdir), "tmux-%d" % os.getuid(), "default"
        )
        env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
        env.update(
            HOME=self.home,
            TMUX_TMPDIR=self.tmux_tmpdir,
            PATH=FAKEBIN + os.pathsep + env.get("PATH", ""),
            FAKE_CLAUDE_TIME_SCALE="0.05",
            FAKE_CLAUDE_LOG=os.path.join(root, "fake-claude.log"),
            LANG=env.get("LANG", "C.UTF-8"),
        )
        self.env = env

    # -- running things ---------------------------------------------------------------------

    def run(self, *args, input=None, env=None, timeout=30, check=False):
        """Run the real CLI (``python3 tclaude.py ...``) as a user would."""
        full_env = dict(self.env, **(env or {}))
        proc = subprocess.run(
            [sys.executable, TCLAUDE, *args],
            input=input,
            env=full_env,
            cwd=self.work,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                "tclaude %s failed (%d): %s" % (args, proc.returncode, proc.stderr)
            )
        return proc

    def tmux(self, *args, check=True):
        proc = subprocess.run(
            ["tmux", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=10,
        )
        if check and proc.returncode != 0:
            raise AssertionError("tmux %s failed: %s" % (args, proc.stderr))
        return proc

    # -- sessions ---------------------------------------------------------------------------

    def new(self, *args):
        """Start a session through the CLI and return its id."""
        proc = self.run("session", "new", "-q", *args, check=True)
        return proc.stdout.strip()

    def ls(self):
        proc = self.run("session", "ls", "--json", check=True)
        return {s["id"]: s for s in json.loads(proc.stdout)}

    def session(self, sid):
        return self.ls()[sid]

    def wait_status(self, sid, status, timeout=10.0):
        return wait_until(
            lambda: (self.session(sid) if self.session(sid)["status"] == status else None),
            timeout=timeout,
            message="session %s to be %s" % (sid, status),
        )

    def screen(self, sid):
        return self.tmux("capture-pane", "-p", "-t", "=tofu-claude-%s:" % sid, check=False).stdout

    def wait_screen(self, sid, text, timeout=10.0):
        return wait_until(
            lambda: text in self.screen(sid), timeout=timeout, message="%r on screen" % text
        )

    def type(self, sid, text, enter=True):
        """Type like a person: literal text, a pause, then Enter (claude drops keys sent too soon)."""
        target = "=tofu-claude-%s:" % sid
        self.tmux("send-keys", "-t", target, "-l", text)
        if enter:
            time.sleep(0.3)
            self.tmux("send-keys", "-t", target, "Enter")

    def answer(self, sid, key, dialog="Do you want to proceed?"):
        """Answer a dialog like a person: claude drops keys sent within ~0.15 s of drawing it."""
        self.wait_screen(sid, dialog)
        time.sleep(0.5)
        self.keys(sid, key)

    def keys(self, sid, *keys):
        self.tmux("send-keys", "-t", "=tofu-claude-%s:" % sid, *keys)

    def state_file(self, sid, suffix=".json"):
        return os.path.join(self.state_dir, sid + suffix)

    def read_state(self, sid):
        with open(self.state_file(sid), encoding="utf-8") as fh:
            return json.load(fh)

    def hook_log(self):
        """Every hook run the fake claude made, as dicts."""
        path = self.env["FAKE_CLAUDE_LOG"]
        if not os.path.exists(path):
            return []
        with open(path, encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]

    def close(self):
        subprocess.run(
            ["tmux", "kill-server"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        shutil.rmtree(self.tmux_tmpdir, ignore_errors=True)


@pytest.fixture
def sandbox(tmp_path):
    box = Sandbox(str(tmp_path))
    try:
        yield box
    finally:
        box.close()


class StatusTrail:
    """Polls ``ls --json`` in the background and keeps each change of one session's status,
    so a test can assert the sequence a user running ``ls`` would have seen."""

    def __init__(self, sandbox, sid):
        import threading

        self.sandbox = sandbox
        self.sid = sid
        self.changes = []  # (seconds since start, status, statusDetail)
        self._stop = threading.Event()
        self._start = time.time()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self):
        while not self._stop.is_set():
            proc = self.sandbox.run("session", "ls", "--json")
            try:
                view = {s["id"]: s for s in json.loads(proc.stdout)}.get(self.sid)
            except ValueError:
                view = None
            if view is not None:
                entry = (view["status"], view.get("statusDetail") or "")
                if not self.changes or self.changes[-1][1:] != entry:
                    self.changes.append((round(time.time() - self._start, 2), *entry))
            time.sleep(0.05)

    def statuses(self):
        """The distinct consecutive statuses seen so far."""
        seen = []
        for _, status, _ in self.changes:
            if not seen or seen[-1] != status:
                seen.append(status)
        return seen

    def wait_for(self, status, timeout=10.0):
        return wait_until(
            lambda: self.statuses() and self.statuses()[-1] == status,
            timeout=timeout,
            message="status %s (trail: %r)" % (status, self.changes),
        )

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=5)
        return self.statuses()


@pytest.fixture
def trail(sandbox):
    trails = []

    def start(sid):
        t = StatusTrail(sandbox, sid)
        trails.append(t)
        return t

    yield start
    for t in trails:
        t.stop()


# -- claude sessions started by hand (tools: session ls --all, session adopt) ------------------


def proc_start(pid):
    """Field 22 of /proc/<pid>/stat, as claude stores it in its registry ("procStart")."""
    with open("/proc/%d/stat" % pid, "rb") as fh:
        raw = fh.read()
    return raw[raw.rfind(b")") + 2 :].split()[19].decode()


def start_pane(sandbox, session, command):
    """A new tmux session of the sandbox server running ``command``: (pane id, pane pid)."""
    out = sandbox.tmux(
        "new-session", "-d", "-s", session, "-x", "160", "-y", "45", "-c", sandbox.work,
        "-P", "-F", "#{pane_id} #{pane_pid}", command,
    ).stdout  # fmt: skip
    pane, pid = out.split()
    return pane, int(pid)


def tmux_command_log(sandbox, tmp_path):
    """A tmux on PATH that logs each call's command (past a ``-S <socket>``), then runs the
    real one: (PATH to run tclaude with, the log file)."""
    shim, log = tmp_path / "shim", tmp_path / "tmux.log"
    shim.mkdir()
    tmux_path = shutil.which("tmux", path=sandbox.env["PATH"])
    (shim / "tmux").write_text(
        '#!/bin/sh\n[ "$1" = -S ] && c=$3 || c=$1\necho "$c" >> "%s"\nexec "%s" "$@"\n'
        % (log, tmux_path)
    )
    (shim / "tmux").chmod(0o755)
    return str(shim) + os.pathsep + sandbox.env["PATH"], log


def registry_idle(sandbox, sid):
    """Wait until the fake claude of ``sid`` has written its registry as idle: it writes it a
    moment after its Stop hook, so a test that forges a hook file must wait for that first."""
    pid = wait_until(lambda: sandbox.read_state(sid).get("pid"), message="claude's pid")
    return wait_until(
        lambda: [
            r for r in registry_files(sandbox) if r.get("pid") == pid and r.get("status") == "idle"
        ],
        message="the registry of %s idle" % sid,
    )[0]


def registry_files(sandbox):
    folder = os.path.join(sandbox.home, ".claude", "sessions")
    found = []
    for name in os.listdir(folder) if os.path.isdir(folder) else ():
        try:
            with open(os.path.join(folder, name), encoding="utf-8") as fh:
                found.append(json.load(fh))
        except (OSError, ValueError):
            pass  # being rewritten
    return found


def start_claude_by_hand(sandbox, session="work"):
    """Type ``claude`` into a shell in a tmux pane, as a user would, and wait until claude's
    registry file says it is idle: (pane id, registry entry)."""
    pane, _ = start_pane(sandbox, session, "bash --norc --noprofile")
    sandbox.tmux("send-keys", "-t", pane, "-l", "claude")
    sandbox.tmux("send-keys", "-t", pane, "Enter")
    entries = wait_until(
        lambda: [
            r
            for r in registry_files(sandbox)
            if str(r.get("tmux", "")).endswith("." + pane) and r.get("status") == "idle"
        ],
        message="claude started by hand in %s to be idle" % pane,
    )
    return pane, entries[0]


def write_registry(sandbox, pid, **fields):
    """A registry file as claude 2.1.x writes one for a live process ``pid``."""
    now_ms = int(time.time() * 1000)
    entry = {
        "pid": pid,
        "sessionId": "5e551011-0000-4000-8000-%012d" % pid,
        "cwd": sandbox.work,
        "startedAt": now_ms,
        "procStart": fields.pop("procStart", None) or proc_start(pid),
        "version": "2.1.331",
        "kind": "interactive",
        "entrypoint": "cli",
        "status": "idle",
        "updatedAt": now_ms,
        "statusUpdatedAt": now_ms,
    }
    entry.update(fields)
    folder = os.path.join(sandbox.home, ".claude", "sessions")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "%d.json" % pid), "w", encoding="utf-8") as fh:
        json.dump(entry, fh)
    return entry


# -- dashboard and terminal helpers (session watch, attach) ------------------------------------

ROW = re.compile(r"^([> ])([!? -]) ([0-9a-f]{8}) ")


def iso(seconds_ago):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - seconds_ago))


def fake_sessions(sandbox, specs):
    """Sessions as tclaude and its hook leave them, with ``sleep`` standing in for claude.
    Each spec: sid, status (exited: no tmux session), optional name/detail/created/cwd/command;
    ``hook=False``: no hook status file (no hook ever fired: the screen is the only source)."""
    os.makedirs(sandbox.state_dir, mode=0o700, exist_ok=True)
    live = [s for s in specs if s["status"] != "exited"]
    for first in range(0, len(live), 50):
        args = []
        for spec in live[first : first + 50]:
            if args:
                args.append(";")
            command = spec.get("command", "sleep 3600")
            args += ["new-session", "-d", "-s", "tofu-claude-" + spec["sid"], command]
        sandbox.tmux(*args)
    panes = sandbox.tmux("list-panes", "-a", "-F", "#{session_name} #{pane_pid}", check=False)
    pids = dict(line.split() for line in panes.stdout.splitlines())
    now = time.time()
    for spec in specs:
        sid = spec["sid"]
        created = spec.get("created", iso(600))
        pid = int(pids["tofu-claude-" + sid]) if spec["status"] != "exited" else None
        record = {
            "id": sid,
            "name": spec.get("name"),
            "tmuxSession": "tofu-claude-" + sid,
            "tmuxSocket": sandbox.socket,
            "pid": pid,
            "cwd": spec.get("cwd", sandbox.work),
            "convId": "0b5e55ed-1234-4abc-8def-%s0000" % sid,
            "status": "running",
            "statusDetail": "starting",
            "statusSince": created,
            "created": created,
            "spawned": created,
            "updated": created,
        }
        with open(sandbox.state_file(sid), "w", encoding="utf-8") as fh:
            json.dump(record, fh)
        if spec["status"] == "exited":
            write_transcript(sandbox, record["convId"], record["cwd"])  # its claude had run
            continue
        if not spec.get("hook", True):
            continue
        hook = {
            "v": 1,
            "ts": now - 5,
            "event": "Stop",
            "status": spec["status"],
            "since": now - 5,
            "detail": spec.get("detail", "Bash: npm test"),
            "convId": record["convId"],
            "claudePid": pid,
        }
        with open(sandbox.state_file(sid, ".status"), "w", encoding="utf-8") as fh:
            fh.write(json.dumps(hook) + "\n")
        if spec.get("registry"):  # claude's own registry, as 2.1.x keeps it: no screen reads
            registry = os.path.join(sandbox.home, ".claude", "sessions")
            os.makedirs(registry, exist_ok=True)
            busy = {"running": "busy", "waiting_permission": "waiting"}.get(spec["status"], "idle")
            with open(os.path.join(registry, "%d.json" % pid), "w") as fh:
                json.dump(
                    {"pid": pid, "status": busy, "statusUpdatedAt": int(now * 1000 - 9000)}, fh
                )


def watch_command(sandbox, *args, env=None):
    """The dashboard as a shell command for a tmux pane, with the sandbox's world spelled out
    (a pane inherits the server's environment, not ours)."""
    values = {k: sandbox.env[k] for k in ("HOME", "PATH", "TMUX_TMPDIR", "LANG")}
    values.update(env or {})
    words = ["env"] + ["%s=%s" % kv for kv in sorted(values.items())]
    words += [sys.executable, TCLAUDE, "session", "watch", *args]
    return " ".join(shlex.quote(w) for w in words)


class Pane:
    """A tmux pane of some server (the sandbox's, or an outer one) we type into and read."""

    def __init__(self, tmux, target):
        self.tmux = tmux
        self.target = target

    def text(self):
        return self.tmux("capture-pane", "-p", "-t", self.target).stdout

    def styled(self):
        return self.tmux("capture-pane", "-p", "-e", "-t", self.target).stdout

    def lines(self):
        return self.text().split("\n")

    def keys(self, *keys):
        self.tmux("send-keys", "-t", self.target, *keys)

    def wait(self, predicate, message, timeout=10.0):
        return wait_until(lambda: predicate(self.text()), timeout=timeout, message=message)

    def wait_text(self, text, timeout=10.0):
        return self.wait(lambda screen: text in screen, "%r on the dashboard" % text, timeout)

    def rows(self):
        """[(selected, marker, id, the rest of the line)] of the session rows on screen."""
        found = []
        for line in self.lines():
            m = ROW.match(line)
            if m:
                found.append((m.group(1) == ">", m.group(2), m.group(3), line[m.end() :]))
        return found

    def ids(self):
        return [row[2] for row in self.rows()]

    def wait_ids(self, expected, timeout=10.0):
        return self.wait(lambda _: self.ids() == expected, "rows %s" % expected, timeout=timeout)

    def selected(self):
        chosen = [row[2] for row in self.rows() if row[0]]
        return chosen[0] if len(chosen) == 1 else None

    def wait_selected(self, sid):
        return self.wait(lambda _: self.selected() == sid, "%s selected" % sid)


def open_dashboard(sandbox, *args, width=120, height=30, env=None, name="dash"):
    command = watch_command(sandbox, "--interval", "0.3", *args, env=env)
    sandbox.tmux(
        "new-session", "-d", "-s", name, "-x", str(width), "-y", str(height), command
    )  # fmt: skip
    pane = Pane(sandbox.tmux, "=%s:" % name)
    pane.wait_text("session")  # the header is drawn
    return pane


@pytest.fixture
def outer(sandbox):
    """A second tmux server (its own socket) standing in for the user's terminal: a pane there
    is a real terminal, and what runs in it is outside the sandbox's tmux.  Killed at the end."""
    sock = os.path.join(sandbox.tmux_tmpdir, "outer")

    def tmux(*args, check=True):
        return sandbox.tmux("-S", sock, *args, check=check)

    yield tmux
    tmux("kill-server", check=False)


# -- other machines: real sshd servers on 127.0.0.1 (tests/sshd.py) ---------------------------


@pytest.fixture
def ssh_world(sandbox, tmp_path):
    """The sandbox's ssh client setup; hosts are added with ``ssh_world.add(alias)``."""
    from sshd import SshWorld, find_sshd

    if find_sshd() is None:
        pytest.skip("no sshd: install openssh-server (.ci/run does)")
    world = SshWorld(str(tmp_path / "ssh"), sandbox)
    try:
        yield world
    finally:
        world.close()


@pytest.fixture
def two_hosts(sandbox, ssh_world):
    """Two machines, alpha and beta, each with tclaude installed, known to the sandbox's
    tclaude as hosts a and b."""
    hosts = {}
    for name, alias in (("a", "alpha"), ("b", "beta")):
        host = ssh_world.add(alias)
        host.install()
        sandbox.run("hosts", "add", name, alias, check=True)
        hosts[name] = host
    return hosts
