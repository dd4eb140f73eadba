"""Desktop notifications: tclaude notify, session new --notify/--no-notify, and the notifier the
hook starts when a session begins waiting.

Linux is tested on a REAL private D-Bus session bus: dbus-daemon with a minimal session config,
and tests/notifyd.py owning org.freedesktop.Notifications (gdbus and dbus-send are clients only
and dbus-monitor only watches, so the server speaks the D-Bus wire protocol itself and logs every
call it answers).  notify-send's flags and macOS's osascript are checked with fakes on PATH that
record their argv; the real notify-send, when installed, also talks to the private bus.  Which
backend tclaude finds is decided by PATH alone: hidden programs are left out of a shadow
directory of symlinks to everything else on PATH.  No test reaches the user's own session bus:
DBUS_SESSION_BUS_ADDRESS always points at the private bus or at nothing.
"""

import json
import os
import re
import select
import shutil
import stat
import subprocess
import sys
import textwrap
import time

import pytest
from conftest import FAKEBIN, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
NOTIFYD = os.path.join(HERE, "notifyd.py")
DBUS_DAEMON = shutil.which("dbus-daemon")
GDBUS = shutil.which("gdbus")
REAL_NOTIFY_SEND = shutil.which("notify-send")
BACKENDS = ("notify-send", "gdbus", "osascript")

needs_bus = pytest.mark.skipif(
    not DBUS_DAEMON or not GDBUS,
    reason="needs dbus-daemon and gdbus for a private session bus "
    "(.ci/run installs them: apt-get install dbus-daemon libglib2.0-bin)",
)

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""

INSTALL_HINT = re.compile(r"libnotify-bin.*notify-send|notify-send.*libnotify-bin")


# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def box(sandbox, tmp_path):
    """The shared sandbox with no way to the user's session bus (its address leads nowhere)."""
    sandbox.env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=%s" % (tmp_path / "no-bus")
    sandbox.env.pop("XDG_RUNTIME_DIR", None)
    return sandbox


class Bus:
    """A private dbus-daemon: a session bus nobody else uses, gone after the test."""

    def __init__(self, root):
        socket_dir = os.path.join(root, "bus")
        os.makedirs(socket_dir)
        config = os.path.join(root, "bus.conf")
        with open(config, "w", encoding="utf-8") as fh:
            fh.write(BUS_CONFIG % socket_dir)
        self.proc = subprocess.Popen(
            [DBUS_DAEMON, "--config-file=" + config, "--print-address", "--nofork"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.address = read_line(self.proc, "dbus-daemon's address")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


class NotifyServer:
    """tests/notifyd.py on the private bus; calls() is what it answered, in order."""

    def __init__(self, address, root, capabilities="body,persistence"):
        self.log = os.path.join(root, "notifyd-%d.log" % id(self))
        self.proc = subprocess.Popen(
            [sys.executable, NOTIFYD, "--address", address, "--log", self.log,
             "--capabilities", capabilities],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        assert read_line(self.proc, "notifyd to own the name") == "ready"

    def calls(self, member="Notify"):
        if not os.path.exists(self.log):
            return []
        with open(self.log, encoding="utf-8") as fh:
            records = [json.loads(line) for line in fh.read().split("\n") if line]
        return [r for r in records if r["member"] == member]

    def wait_calls(self, count, timeout=10.0):
        return wait_until(
            lambda: self.calls() if len(self.calls()) >= count else None,
            timeout=timeout,
            message="%d Notify call(s) (got %r)" % (count, self.calls()),
        )

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def read_line(proc, what, timeout=10.0):
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    if not ready:
        proc.kill()
        raise AssertionError("timed out waiting for %s" % what)
    return proc.stdout.readline().strip()


@pytest.fixture
def bus(box, tmp_path):
    daemon = Bus(str(tmp_path))
    box.env["DBUS_SESSION_BUS_ADDRESS"] = daemon.address
    try:
        yield daemon
    finally:
        daemon.stop()


@pytest.fixture
def notifyd(bus, tmp_path):
    server = NotifyServer(bus.address, str(tmp_path))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def programs(tmp_path_factory):
    """A directory of symlinks to every program on PATH except notify-send, gdbus and
    osascript (built once: PATH has a thousand-odd programs)."""
    shadow = str(tmp_path_factory.mktemp("shadow-bin"))
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        try:
            names = os.listdir(folder) if folder else []
        except OSError:
            continue
        for name in names:
            link = os.path.join(shadow, name)
            if name not in BACKENDS and not os.path.lexists(link):
                os.symlink(os.path.join(folder, name), link)
    return shadow


@pytest.fixture
def use_backends(box, programs):
    """use_backends(*wanted, fakes={name: path}): PATH offers exactly ``wanted`` of
    notify-send/gdbus/osascript (the real one, or the given fake), and every other program."""

    def offer(*wanted, fakes=None):
        chosen = os.path.join(box.root, "backends")
        shutil.rmtree(chosen, ignore_errors=True)
        os.makedirs(chosen)
        for name in wanted:
            real = (fakes or {}).get(name) or shutil.which(name)
            assert real, "%s is not installed" % name
            os.symlink(real, os.path.join(chosen, name))
        box.env["PATH"] = os.pathsep.join([FAKEBIN, chosen, programs])
        return chosen

    return offer


def write_fake(box, name, source):
    folder = os.path.join(box.root, "fakes")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, name)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("#!%s\n" % sys.executable + textwrap.dedent(source))
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


NEW_NOTIFY_SEND_HELP = """Usage:
  notify-send [OPTION...] <SUMMARY> [BODY] - create a notification

Application Options:
  -u, --urgency=LEVEL               Specifies the urgency level (low, normal, critical).
  -a, --app-name=APP_NAME           Specifies the app name for the icon
  -p, --print-id                    Print the notification ID.
  -r, --replace-id=REPLACE_ID       The ID of the notification to replace.
"""
OLD_NOTIFY_SEND_HELP = """Usage:
  notify-send [OPTION...] <SUMMARY> [BODY] - create a notification

Application Options:
  -u, --urgency=LEVEL               Specifies the urgency level (low, normal, critical).
  -i, --icon=ICON[,ICON...]         Specifies an icon filename or stock icon to display.
"""


class FakeProgram:
    """A fake notify-send/osascript that appends its argv (as JSON) to a log."""

    def __init__(self, box, name, help_text="", print_ids=False):
        self.log = os.path.join(box.root, "%s.argv.log" % name)
        counter = os.path.join(box.root, "%s.ids" % name)
        self.path = write_fake(
            box,
            name,
            """
            import json, sys
            args = sys.argv[1:]
            if args == ["--help"]:
                sys.stdout.write(%r)
                sys.exit(0)
            with open(%r, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(args) + "\\n")
            if %r and "--print-id" in args:
                try:
                    last = int(open(%r).read())
                except OSError:
                    last = 40
                open(%r, "w").write(str(last + 1))
                print(last + 1)
            """
            % (help_text, self.log, print_ids, counter, counter),
        )

    def calls(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log, encoding="utf-8") as fh:
            return [json.loads(line) for line in fh.read().split("\n") if line]


def assert_one_line_error(proc, pattern):
    assert proc.returncode != 0
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("tclaude: ")
    assert re.search(pattern, lines[0]), lines[0]
    assert "Traceback" not in proc.stderr


def config(box):
    with open(os.path.join(box.home, ".tofu", "tclaude.json"), encoding="utf-8") as fh:
        return json.load(fh)


# -- tclaude notify on | off | status -----------------------------------------------------------


def test_notifications_are_off_until_switched_on(box, use_backends):
    use_backends("gdbus")
    proc = box.run("notify", "status", check=True)
    assert proc.stdout.splitlines()[0] == "notifications: off"
    assert not os.path.exists(os.path.join(box.home, ".tofu", "tclaude.json"))


def test_notify_on_writes_the_config_file_and_status_says_on(box, use_backends):
    use_backends("gdbus")
    proc = box.run("notify", "on", check=True)
    assert proc.stdout.startswith("notifications on: ")
    assert config(box) == {"notify": True}
    path = os.path.join(box.home, ".tofu", "tclaude.json")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert not [n for n in os.listdir(os.path.dirname(path)) if n.startswith(".")]  # no temp file
    assert box.run("notify", "status", check=True).stdout.splitlines()[0] == "notifications: on"


def test_notify_off_switches_them_off_again(box):
    box.run("notify", "on", check=True)
    proc = box.run("notify", "off", check=True)
    assert proc.stdout == "notifications off\n"
    assert config(box) == {"notify": False}
    assert box.run("notify", "status", check=True).stdout.splitlines()[0] == "notifications: off"


def test_notify_on_keeps_the_other_settings_in_the_config_file(box):
    os.makedirs(os.path.join(box.home, ".tofu"))
    with open(os.path.join(box.home, ".tofu", "tclaude.json"), "w") as fh:
        json.dump({"theme": "dark"}, fh)
    box.run("notify", "on", check=True)
    assert config(box) == {"notify": True, "theme": "dark"}


def test_a_corrupt_config_file_is_reported_and_left_alone(box):
    path = os.path.join(box.home, ".tofu", "tclaude.json")
    os.makedirs(os.path.dirname(path))
    with open(path, "w") as fh:
        fh.write('{"notify": tru')
    for action in ("on", "status"):
        proc = box.run("notify", action)
        assert_one_line_error(proc, r"cannot read .*tclaude\.json .*fix or remove it")
    with open(path) as fh:
        assert fh.read() == '{"notify": tru'


def test_notify_needs_an_action(box):
    proc = box.run("notify")
    assert proc.returncode == 2
    assert "the following arguments are required: action" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_notify_refuses_an_unknown_action(box):
    proc = box.run("notify", "maybe")
    assert proc.returncode == 2
    assert "invalid choice: 'maybe'" in proc.stderr
    assert box.run("notify", "status", check=True).stdout.splitlines()[0] == "notifications: off"


def test_status_names_notify_send_first_when_it_is_installed(box, use_backends):
    fake = FakeProgram(box, "notify-send", NEW_NOTIFY_SEND_HELP, print_ids=True)
    use_backends("notify-send", "gdbus", fakes={"notify-send": fake.path})
    lines = box.run("notify", "status", check=True).stdout.splitlines()
    assert lines[1] == (
        "backend: notify-send (%s; replaces a session's previous notification)"
        % os.path.join(box.root, "backends", "notify-send")
    )


@pytest.mark.skipif(not GDBUS, reason="gdbus not installed (apt-get install libglib2.0-bin)")
def test_status_falls_back_to_gdbus_without_notify_send(box, use_backends):
    use_backends("gdbus")
    lines = box.run("notify", "status", check=True).stdout.splitlines()
    assert lines[1].startswith("backend: gdbus (")


def test_status_uses_osascript_where_it_is_the_only_backend(box, use_backends):
    fake = FakeProgram(box, "osascript")
    use_backends("osascript", fakes={"osascript": fake.path})
    lines = box.run("notify", "status", check=True).stdout.splitlines()
    assert lines[1].startswith("backend: osascript (")
    assert "no replacing" in lines[1]


def test_status_without_any_backend_says_what_to_install(box, use_backends):
    use_backends()
    proc = box.run("notify", "status", check=True)
    assert proc.stdout.splitlines()[1].startswith("backend: none (")
    assert INSTALL_HINT.search(proc.stdout)
    assert "gdbus" in proc.stdout


def test_status_warns_when_there_is_no_session_bus(box, use_backends):
    use_backends("gdbus")
    del box.env["DBUS_SESSION_BUS_ADDRESS"]
    lines = box.run("notify", "status", check=True).stdout.splitlines()
    assert lines[-1] == "warning: no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset)"


def test_notify_on_without_any_backend_still_switches_on_but_warns(box, use_backends):
    use_backends()
    proc = box.run("notify", "on", check=True)
    assert proc.stdout.startswith("notifications on: ")
    assert INSTALL_HINT.search(proc.stderr)
    assert config(box) == {"notify": True}


# -- tclaude notify test ------------------------------------------------------------------------


@needs_bus
def test_notify_test_sends_a_real_notification_over_dbus(box, notifyd, use_backends):
    use_backends("gdbus")
    proc = box.run("notify", "test", check=True)
    assert proc.stdout.splitlines() == [
        "sent a test notification via gdbus (id 1)",
        "notifications are off; switch them on with: tclaude notify on",
    ]
    (call,) = notifyd.calls()
    assert call["app_name"] == "tclaude"
    assert call["summary"] == "tclaude test notification"
    assert call["body"] == "Notifications work.\nSwitch them with: tclaude notify on|off"
    assert call["hints"] == {"urgency": ["y", 1]}
    assert call["replaces_id"] == 0


def test_notify_test_without_any_backend_says_what_to_install(box, use_backends):
    use_backends()
    proc = box.run("notify", "test")
    assert_one_line_error(proc, INSTALL_HINT)
    assert "gdbus" in proc.stderr


@pytest.mark.skipif(not GDBUS, reason="gdbus not installed (apt-get install libglib2.0-bin)")
def test_notify_test_reports_a_bus_nobody_listens_on_in_one_line(box, use_backends):
    use_backends("gdbus")
    proc = box.run("notify", "test")
    assert_one_line_error(proc, r"the test notification failed: gdbus failed: ")


@needs_bus
@pytest.mark.skipif(not REAL_NOTIFY_SEND, reason="notify-send not installed (libnotify-bin)")
def test_notify_test_through_the_real_notify_send_reaches_the_bus(box, notifyd, use_backends):
    use_backends("notify-send", "gdbus")
    proc = box.run("notify", "test", check=True)
    assert proc.stdout.splitlines()[0] == "sent a test notification via notify-send (id 1)"
    (call,) = notifyd.calls()
    assert call["app_name"] == "tclaude"
    assert call["summary"] == "tclaude test notification"
    assert call["body"] == "Notifications work.\nSwitch them with: tclaude notify on|off"
    assert call["hints"]["urgency"] == ["y", 1]


def test_notify_test_through_an_old_notify_send_uses_no_id_options(box, use_backends):
    fake = FakeProgram(box, "notify-send", OLD_NOTIFY_SEND_HELP)
    use_backends("notify-send", fakes={"notify-send": fake.path})
    proc = box.run("notify", "test", check=True)
    assert proc.stdout.splitlines()[0] == "sent a test notification via notify-send"
    assert fake.calls() == [
        [
            "--urgency=normal",
            "--",
            "tclaude test notification",
            "Notifications work.\nSwitch them with: tclaude notify on|off",
        ]
    ]


# -- session new --notify / --no-notify and the <id>.notify marker -------------------------------


def marker(box, sid):
    return os.path.exists(box.state_file(sid, ".notify"))


def test_new_records_the_session_notify_flag(box):
    plain = box.new(box.work)
    on = box.new(box.work, "--notify")
    off = box.new(box.work, "--no-notify")
    assert box.read_state(plain)["notify"] is None
    assert box.read_state(on)["notify"] is True
    assert box.read_state(off)["notify"] is False


def test_new_refuses_both_notify_flags_at_once(box):
    proc = box.run("session", "new", box.work, "--notify", "--no-notify")
    assert proc.returncode == 2
    assert "not allowed with argument" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not os.path.exists(box.state_dir) or os.listdir(box.state_dir) == []


def test_only_sessions_that_notify_carry_the_marker_the_hook_tests(box):
    plain = box.new(box.work)
    on = box.new(box.work, "--notify")
    off = box.new(box.work, "--no-notify")
    assert (marker(box, plain), marker(box, on), marker(box, off)) == (False, True, False)
    box.run("notify", "on", check=True)
    assert (marker(box, plain), marker(box, on), marker(box, off)) == (True, True, False)
    later = box.new(box.work)
    assert marker(box, later)
    box.run("notify", "off", check=True)
    assert (marker(box, plain), marker(box, on), marker(box, off)) == (False, True, False)
    assert not marker(box, later)


def test_switching_reports_the_sessions_that_keep_their_own_choice(box):
    box.new(box.work, "--notify")
    box.new(box.work, "--no-notify")
    on = box.run("notify", "on", check=True).stdout.splitlines()
    assert on[1] == "1 session(s) started with --no-notify stay quiet"
    off = box.run("notify", "off", check=True).stdout.splitlines()
    assert off == ["notifications off", "1 session(s) started with --notify still notify"]
    status = box.run("notify", "status", check=True).stdout.splitlines()
    assert "sessions: 1 with --notify, 1 with --no-notify" in status


def test_kill_removes_the_marker_with_the_session(box):
    sid = box.new(box.work, "--notify")
    box.run("session", "kill", sid, check=True)
    assert not marker(box, sid)


# -- the notifier, driven by real sessions of the fake claude -----------------------------------

FAKE_REPLY = "Hello from the fake Anthropic API."
TOOL_DETAIL = "Bash: touch fixture_marker.txt"


def start(box, *args):
    """A session of the fake claude, at its first prompt (SessionStart: waiting_input)."""
    sid = box.new(*args)
    box.wait_status(sid, "waiting_input")
    return sid


def notify_last(box, sid, outcome):
    """Wait until the session's notifier recorded ``outcome`` for its last waiting period."""
    return wait_until(
        lambda: (box.read_state(sid).get("notifyLast") or {}).get("outcome") == outcome
        and box.read_state(sid)["notifyLast"],
        message="notifyLast.outcome == %r" % outcome,
    )


@needs_bus
def test_a_permission_request_sends_one_critical_notification_with_the_exact_text(
    box, notifyd, use_backends
):
    use_backends("gdbus")
    box.run("notify", "on", check=True)
    sid = start(box, box.work, "--name", "api")
    box.type(sid, "RUN_TOOL")
    box.wait_status(sid, "waiting_permission")
    (call,) = notifyd.wait_calls(1)
    assert call["summary"] == "claude needs permission · api"
    assert call["body"] == "%s\ntclaude session attach %s" % (TOOL_DETAIL, sid)
    assert call["hints"] == {"urgency": ["y", 2]}
    assert (call["app_name"], call["replaces_id"], call["expire_timeout"]) == ("tclaude", 0, -1)
    last = notify_last(box, sid, "sent")
    assert (last["status"], last["via"]) == ("waiting_permission", "gdbus")
    assert box.read_state(sid)["notifyId"] == call["id"]


@needs_bus
def test_waiting_for_input_is_a_normal_notification_named_after_the_directory(
    box, notifyd, use_backends
):
    use_backends("gdbus")
    box.run("notify", "on", check=True)
    sid = start(box, box.work)
    box.type(sid, "hello")
    (call,) = notifyd.wait_calls(1)
    assert call["summary"] == "claude is waiting · work"
    assert call["body"] == "%s\ntclaude session attach %s" % (FAKE_REPLY, sid)
    assert call["hints"] == {"urgency": ["y", 1]}


@needs_bus
def test_each_transition_sends_one_notification_and_the_next_replaces_it(
    box, notifyd, use_backends
):
    use_backends("gdbus")
    box.run("notify", "on", check=True)
    sid = start(box, box.work, "--name", "api")
    box.type(sid, "RUN_TOOL")
    box.wait_status(sid, "waiting_permission")
    first = notifyd.wait_calls(1)[0]
    box.wait_screen(sid, "Do you want to proceed?")
    box.keys(sid, "1")  # approve: PostToolUse, then Stop -> waiting_input
    box.wait_status(sid, "waiting_input")
    second = notifyd.wait_calls(2)[1]
    assert second["summary"] == "claude is waiting · api"
    assert second["replaces_id"] == first["id"] != 0
    box.type(sid, "RUN_TOOL")
    third = notifyd.wait_calls(3)[2]
    assert third["summary"] == "claude needs permission · api"
    assert third["replaces_id"] == first["id"]
    assert len(notifyd.calls()) == 3


@needs_bus
def test_a_background_agent_bouncing_between_states_sends_one_notification(
    box, notifyd, use_backends
):
    use_backends("gdbus")
    box.run("notify", "on", check=True)
    sid = start(box, box.work, "--name", "agent")
    box.type(sid, "RUN_AGENT")  # Stop, injected UserPromptSubmit, Stop within ~0.2 s
    wait_until(
        lambda: [e for e in box.hook_log() if e.get("event") == "Stop"][1:],
        message="the second Stop of the agent bounce",
    )
    notify_last(box, sid, "sent")
    # a later transition proves the notifiers of the bounce are done: a late one finds the
    # session no longer waiting for input and stays quiet
    box.type(sid, "RUN_TOOL")
    box.wait_status(sid, "waiting_permission")
    calls = notifyd.wait_calls(2)
    assert [c["summary"] for c in calls] == ["claude is waiting · agent",
                                             "claude needs permission · agent"]  # fmt: skip


def attach_client(box, sid):
    """A real tmux client on the session (from a second tmux server's pane, which gives it
    a terminal); returns a function that detaches it."""
    outer = ["tmux", "-L", "outer"]
    box.env.setdefault("TMUX_TMPDIR", box.tmux_tmpdir)
    command = "env -u TMUX tmux attach -t =tofu-claude-%s" % sid
    subprocess.run(
        [*outer, "new-session", "-d", "-x", "120", "-y", "40", command], env=box.env, check=True
    )
    wait_until(
        lambda: "tofu-claude-%s" % sid
        in box.tmux("list-clients", "-F", "#{client_session}").stdout,
        message="a client attached to the session",
    )

    def detach():
        subprocess.run([*outer, "kill-server"], env=box.env, check=False)
        wait_until(lambda: box.tmux("list-clients").stdout == "", message="the client gone")

    return detach


@needs_bus
def test_nothing_is_sent_while_a_client_shows_the_session(box, notifyd, use_backends):
    use_backends("gdbus")
    box.run("notify", "on", check=True)
    sid = start(box, box.work, "--name", "seen")
    detach = attach_client(box, sid)
    try:
        box.type(sid, "hello")
        last = notify_last(box, sid, "watched")
        assert last["status"] == "waiting_input"
        assert notifyd.calls() == []
    finally:
        detach()
    box.type(sid, "RUN_TOOL")  # nobody looking any more: this one is sent
    (call,) = notifyd.wait_calls(1)
    assert call["summary"] == "claude needs permission · seen"


@needs_bus
def test_a_client_on_another_window_of_the_session_does_not_count_as_watching(
    box, notifyd, use_backends
):
    use_backends("gdbus")
    box.run("notify", "on", check=True)
    sid = start(box, box.work, "--name", "elsewhere")
    target = "=tofu-claude-%s:" % sid
    claude_pane = box.tmux("display-message", "-p", "-t", target, "#{pane_id}").stdout.strip()
    box.tmux("new-window", "-t", target, "sleep 600")  # the user's shell, now the current window
    detach = attach_client(box, sid)
    try:
        box.tmux("send-keys", "-t", claude_pane, "-l", "hello")
        time.sleep(0.3)  # type like a person (see conftest's type)
        box.tmux("send-keys", "-t", claude_pane, "Enter")
        (call,) = notifyd.wait_calls(1)
        assert call["summary"] == "claude is waiting · elsewhere"
    finally:
        detach()


@needs_bus
def test_session_flags_override_the_global_switch(box, notifyd, use_backends):
    use_backends("gdbus")
    quiet = start(box, box.work, "--name", "quiet", "--no-notify")
    loud = start(box, box.work, "--name", "loud", "--notify")
    box.run("notify", "on", check=True)
    box.type(quiet, "hello")
    box.wait_status(quiet, "waiting_input")
    box.type(loud, "hello")
    (call,) = notifyd.wait_calls(1)
    assert call["summary"] == "claude is waiting · loud"
    assert "notifyLast" not in box.read_state(quiet)
    box.run("notify", "off", check=True)
    box.type(quiet, "RUN_TOOL")
    box.type(loud, "RUN_TOOL")
    calls = notifyd.wait_calls(2)
    assert [c["summary"] for c in calls][1:] == ["claude needs permission · loud"]


@needs_bus
def test_the_first_prompt_of_a_new_session_is_no_news(box, notifyd, use_backends):
    use_backends("gdbus")
    box.run("notify", "on", check=True)
    sid = start(box, box.work, "--name", "fresh")  # SessionStart: waiting_input, first status
    box.type(sid, "RUN_TOOL")
    (call,) = notifyd.wait_calls(1)
    assert call["summary"] == "claude needs permission · fresh"
    assert len(notifyd.calls()) == 1
