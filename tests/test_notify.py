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
from conftest import FAKEBIN, HOOK, assert_one_line_error, process_gone, wait_until

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
            replaced = [a.split("=", 1)[1] for a in args if a.startswith("--replace-id=")]
            if %r and "--print-id" in args and replaced:
                print(replaced[0])  # a server answers a replacement with the same id
            elif %r and "--print-id" in args:
                try:
                    last = int(open(%r).read())
                except OSError:
                    last = 40
                open(%r, "w").write(str(last + 1))
                print(last + 1)
            """
            % (help_text, self.log, print_ids, print_ids, counter, counter),
        )

    def calls(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log, encoding="utf-8") as fh:
            return [json.loads(line) for line in fh.read().split("\n") if line]


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
    assert on[1] == "1 session started with --no-notify stays quiet"
    off = box.run("notify", "off", check=True).stdout.splitlines()
    assert off == ["notifications off", "1 session started with --notify still notifies"]
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
    assert call["body"] == "%s\ntclaude session approve %s (or: deny)\ntclaude session attach %s" % (
        TOOL_DETAIL, sid, sid)  # fmt: skip
    assert call["hints"] == {"urgency": ["y", 2]}
    assert (call["app_name"], call["replaces_id"], call["expire_timeout"]) == ("tclaude", 0, -1)
    last = notify_last(box, sid, "sent")
    assert (last["status"], last["via"]) == ("waiting_permission", "gdbus")
    assert box.read_state(sid)["notifyId"] == call["id"]


@needs_bus
def test_a_tmux_server_started_without_a_bus_still_notifies_on_the_users_bus(
    box, notifyd, use_backends
):
    use_backends("gdbus")
    box.run("notify", "on", check=True)
    # the server is started from an environment with no desktop bus (ssh, a login script)
    bare = {k: v for k, v in box.env.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
    subprocess.run(["tmux", "new-session", "-d", "-s", "bare", "sleep 600"], env=bare, check=True)
    sid = start(box, box.work, "--name", "api")
    box.type(sid, "RUN_TOOL")
    box.wait_status(sid, "waiting_permission")
    (call,) = notifyd.wait_calls(1)
    assert call["summary"] == "claude needs permission · api"


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


def attach_client(box, outer, sid):
    """A real tmux client on the session (from a pane of the outer tmux server, which gives
    it a terminal); returns a function that detaches it."""
    outer(
        "new-session",
        "-d",
        "-x",
        "120",
        "-y",
        "40",
        "env -u TMUX tmux attach -t =tofu-claude-" + sid,
    )
    wait_until(
        lambda: "tofu-claude-%s" % sid
        in box.tmux("list-clients", "-F", "#{client_session}").stdout,
        message="a client attached to the session",
    )

    def detach():
        outer("kill-server", check=False)
        wait_until(lambda: box.tmux("list-clients").stdout == "", message="the client gone")

    return detach


@needs_bus
def test_nothing_is_sent_while_a_client_shows_the_session(box, outer, notifyd, use_backends):
    use_backends("gdbus")
    box.run("notify", "on", check=True)
    sid = start(box, box.work, "--name", "seen")
    detach = attach_client(box, outer, sid)
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
    box, outer, notifyd, use_backends
):
    use_backends("gdbus")
    box.run("notify", "on", check=True)
    sid = start(box, box.work, "--name", "elsewhere")
    target = "=tofu-claude-%s:" % sid
    claude_pane = box.tmux("display-message", "-p", "-t", target, "#{pane_id}").stdout.strip()
    box.tmux("new-window", "-t", target, "sleep 600")  # the user's shell, now the current window
    detach = attach_client(box, outer, sid)
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


def test_notify_send_replaces_the_sessions_previous_notification_by_id(box, use_backends):
    fake = FakeProgram(box, "notify-send", NEW_NOTIFY_SEND_HELP, print_ids=True)
    use_backends("notify-send", fakes={"notify-send": fake.path})
    box.run("notify", "on", check=True)
    sid = start(box, box.work, "--name", "api")
    box.type(sid, "RUN_TOOL")
    wait_until(fake.calls, message="notify-send to be called")
    box.wait_screen(sid, "Do you want to proceed?")
    box.keys(sid, "1")
    wait_until(lambda: len(fake.calls()) == 2, message="a second notify-send call")
    attach = "tclaude session attach %s" % sid
    assert fake.calls() == [
        ["--urgency=critical", "--app-name=tclaude", "--print-id", "--",
         "claude needs permission · api",
         "%s\ntclaude session approve %s (or: deny)\n%s" % (TOOL_DETAIL, sid, attach)],
        ["--urgency=normal", "--app-name=tclaude", "--print-id", "--replace-id=41", "--",
         "claude is waiting · api", "done\n%s" % attach],
    ]  # fmt: skip
    notify_last(box, sid, "sent")
    wait_until(lambda: box.read_state(sid)["notifyLast"]["status"] == "waiting_input")
    assert box.read_state(sid)["notifyId"] == 41


OSASCRIPT_SCRIPT = [
    "on run argv",
    'if item 3 of argv is "critical" then',
    'display notification (item 2 of argv) with title (item 1 of argv) sound name "Glass"',
    "else",
    "display notification (item 2 of argv) with title (item 1 of argv)",
    "end if",
    "end run",
]
APPLESCRIPT_NAME = 'x" & (do shell script "touch pwned-as") & "'


def test_osascript_gets_a_constant_script_and_the_texts_only_as_arguments(box, use_backends):
    fake = FakeProgram(box, "osascript")
    use_backends("osascript", fakes={"osascript": fake.path})
    box.run("notify", "on", check=True)
    sid = start(box, box.work, "--name", APPLESCRIPT_NAME)
    box.type(sid, "RUN_TOOL")
    (argv,) = wait_until(fake.calls, message="osascript to be called")
    script = [argv[i + 1] for i in range(0, 2 * len(OSASCRIPT_SCRIPT), 2) if argv[i] == "-e"]
    assert script == OSASCRIPT_SCRIPT
    assert argv[2 * len(OSASCRIPT_SCRIPT) :] == [
        "claude needs permission · " + APPLESCRIPT_NAME,
        "%s\ntclaude session approve %s (or: deny)\ntclaude session attach %s"
        % (TOOL_DETAIL, sid, sid),  # fmt: skip
        "critical",
    ]
    last = wait_until(lambda: box.read_state(sid).get("notifyLast"), message="notifyLast")
    assert last["via"] == "osascript"  # recorded once the backend has returned


def pwned(box):
    """Files an injected command would have created, anywhere in the test's world."""
    return [
        os.path.join(folder, name)
        for folder, _, names in os.walk(box.root)
        for name in names
        if name.startswith("pwned")
    ]


HOSTILE = "$(touch pwned-1) `touch pwned-2` \"dq\" 'sq' \\ ; & | < > %s {} [1] @as ${HOME}"


@needs_bus
def test_a_hostile_session_name_arrives_verbatim_and_runs_nothing(box, notifyd, use_backends):
    use_backends("gdbus")
    box.run("notify", "on", check=True)
    sid = start(box, box.work, "--name", HOSTILE)
    box.type(sid, "RUN_TOOL")
    (call,) = notifyd.wait_calls(1)
    assert call["summary"] == "claude needs permission · " + HOSTILE
    assert pwned(box) == []


@needs_bus
def test_a_hostile_directory_name_arrives_verbatim_and_runs_nothing(box, notifyd, use_backends):
    use_backends("gdbus")
    folder = os.path.join(box.work, "$(touch pwned-3) `touch pwned-4` 'it''s' \"q\"; \\ x")
    os.makedirs(folder)
    box.run("notify", "on", check=True)
    sid = start(box, folder)
    box.type(sid, "hello")
    (call,) = notifyd.wait_calls(1)
    assert call["summary"] == "claude is waiting · " + os.path.basename(folder)
    assert pwned(box) == []


def write_hook_status(box, sid, status, detail):
    """What tclaude-hook.sh would write for an event whose payload carried ``detail``."""
    now = time.time()
    line = json.dumps({"v": 1, "ts": now, "event": "Stop", "status": status, "since": now,
                       "detail": detail})  # fmt: skip
    tmp = box.state_file(sid, ".status.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(line + "\n")
    os.replace(tmp, box.state_file(sid, ".status"))


HOSTILE_DETAIL = (
    'echo "$(touch pwned-5)" `touch pwned-6` \'q\' \\ & <b>bold</b> <a href="x">x</a>'
    '\nsecond line " & (do shell script "touch pwned-7") & " ✓'
)
HOSTILE_DETAIL_SHOWN = HOSTILE_DETAIL.replace("\n", " ")  # as session ls shows it


@needs_bus
def test_hostile_payload_text_arrives_verbatim_and_runs_nothing(box, notifyd, use_backends):
    use_backends("gdbus")
    sid = start(box, box.work, "--notify")
    write_hook_status(box, sid, "waiting_input", HOSTILE_DETAIL)
    proc = box.run("_notify", sid, "waiting_input")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    (call,) = notifyd.calls()
    assert call["body"] == "%s\ntclaude session attach %s" % (HOSTILE_DETAIL_SHOWN, sid)
    assert pwned(box) == []


@needs_bus
def test_a_server_that_reads_markup_gets_the_text_escaped(box, bus, tmp_path, use_backends):
    server = NotifyServer(bus.address, str(tmp_path), capabilities="body,body-markup")
    try:
        use_backends("gdbus")
        sid = start(box, box.work, "--notify")
        write_hook_status(box, sid, "waiting_input", "a < b && <b>c</b>")
        box.run("_notify", sid, "waiting_input", check=True)
        (call,) = server.calls()
        assert call["body"].split("\n")[0] == "a &lt; b &amp;&amp; &lt;b&gt;c&lt;/b&gt;"
    finally:
        server.stop()


@needs_bus
def test_the_same_waiting_period_is_notified_once(box, notifyd, use_backends):
    use_backends("gdbus")
    sid = start(box, box.work, "--notify")
    write_hook_status(box, sid, "waiting_input", "first")
    box.run("_notify", sid, "waiting_input", check=True)
    box.run("_notify", sid, "waiting_input", check=True)
    assert len(notifyd.calls()) == 1


@needs_bus
def test_a_notifier_that_comes_too_late_sends_nothing(box, notifyd, use_backends):
    use_backends("gdbus")
    sid = start(box, box.work, "--notify")
    proc = box.run("_notify", sid, "waiting_permission")  # it is waiting for input by now
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    assert notifyd.calls() == []
    assert "notifyLast" not in box.read_state(sid)


def test_the_hidden_notifier_ignores_bad_arguments_silently(box):
    for args in (("nosuchid", "waiting_input"), ("0123abcd", "waiting_input"),
                 ("0123abcd", "running"), ("../../x", "waiting_input")):  # fmt: skip
        proc = box.run("_notify", *args)
        assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", ""), args


def test_without_a_backend_the_session_just_records_why_nothing_was_sent(box, use_backends):
    use_backends()
    box.run("notify", "on", check=True)
    sid = start(box, box.work)
    box.type(sid, "hello")
    last = notify_last(box, sid, "no-backend")
    assert last["status"] == "waiting_input"
    assert [e for e in box.hook_log() if e.get("violation")] == []


@pytest.mark.skipif(not GDBUS, reason="gdbus not installed (apt-get install libglib2.0-bin)")
def test_a_failing_backend_is_recorded_and_claude_never_notices(box, use_backends):
    use_backends("gdbus")  # and the bus address leads nowhere
    box.run("notify", "on", check=True)
    sid = start(box, box.work)
    box.type(sid, "hello")
    last = notify_last(box, sid, "failed")
    assert last["error"].startswith("gdbus failed: ")
    assert [e for e in box.hook_log() if e.get("violation")] == []
    assert box.session(sid)["status"] == "waiting_input"


# -- the hook's side: one file test when off, a detached notifier when on -----------------------

CONV = "0b5e55ed-1234-4abc-8def-0123456789ab"


def fake_notifier(box):
    """A stand-in for tclaude (TCLAUDE_BIN) that logs how it was started, then lingers 5 s."""
    log = os.path.join(box.root, "notifier.log")
    done = os.path.join(box.root, "notifier.done")
    path = write_fake(
        box,
        "fake-tclaude",
        """
        import json, os, sys, time
        fds = [os.readlink("/proc/self/fd/%%d" %% n) if os.path.isdir("/proc/self/fd") else None
               for n in range(3)]
        with open(%r, "a") as fh:
            fh.write(json.dumps({"argv": sys.argv[1:], "fds": fds}) + "\\n")
        time.sleep(5)
        open(%r, "w").close()
        """
        % (log, done),
    )

    def started():
        if not os.path.exists(log):
            return []
        with open(log) as fh:
            return [json.loads(line) for line in fh if line.strip()]

    return path, started, done


def hook_session(box, sid, status=None, notify=True):
    """A session as the hook sees it: a record, maybe a status file, maybe the marker."""
    os.makedirs(box.state_dir, exist_ok=True)
    with open(box.state_file(sid), "w") as fh:
        json.dump({"id": sid, "tmuxSession": "tofu-claude-" + sid, "notify": notify}, fh)
    if status:
        with open(box.state_file(sid, ".status"), "w") as fh:
            then = time.time() - 10
            fh.write('{"v":1,"ts":%.6f,"event":"Stop","status":"%s","since":%.6f}\n'
                     % (then, status, then))  # fmt: skip
    if notify:
        open(box.state_file(sid, ".notify"), "w").close()


def run_hook(box, sid, event, tclaude_bin, **fields):
    payload = {"session_id": CONV, "transcript_path": "/dev/null", "cwd": box.work,
               "hook_event_name": event}  # fmt: skip
    payload.update(fields)
    env = dict(box.env, TCLAUDE_SESSION_ID=sid, TCLAUDE_STATE_DIR=box.state_dir,
               TCLAUDE_BIN=tclaude_bin, CLAUDE_PID=str(os.getpid()))  # fmt: skip
    proc = subprocess.run(
        ["bash", HOOK, event], input=json.dumps(payload), env=env, capture_output=True,
        text=True, timeout=30,
    )  # fmt: skip
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    return proc


PERMISSION = {"tool_name": "Bash", "tool_input": {"command": "npm test"}}


def test_the_hook_starts_the_notifier_detached_and_returns_at_once(box):
    fake, started, done = fake_notifier(box)
    hook_session(box, "0123abcd", status="running")
    run_hook(box, "0123abcd", "Stop", fake, last_assistant_message="all done")
    assert not os.path.exists(done)  # the hook did not wait for the notifier (it lingers 5 s)
    (entry,) = wait_until(started, message="the notifier to start")
    assert entry["argv"] == ["_notify", "0123abcd", "waiting_input"]
    if entry["fds"][0] is not None:
        assert entry["fds"] == ["/dev/null"] * 3  # none of claude's pipes held open


def test_the_hook_starts_nothing_for_a_session_without_the_marker(box):
    fake, started, _ = fake_notifier(box)
    hook_session(box, "0123abcd", status="running", notify=False)
    run_hook(box, "0123abcd", "Stop", fake, last_assistant_message="all done")
    open(box.state_file("0123abcd", ".notify"), "w").close()
    run_hook(box, "0123abcd", "PermissionRequest", fake, **PERMISSION)
    entries = wait_until(started, message="the notifier to start")
    assert [e["argv"][2] for e in entries] == ["waiting_permission"]


def test_the_hook_starts_nothing_for_the_first_status_of_a_session(box):
    fake, started, _ = fake_notifier(box)
    hook_session(box, "0123abcd")  # no status file yet
    run_hook(box, "0123abcd", "SessionStart", fake, source="startup")
    run_hook(box, "0123abcd", "PermissionRequest", fake, **PERMISSION)
    entries = wait_until(started, message="the notifier to start")
    assert [e["argv"][2] for e in entries] == ["waiting_permission"]


# -- tclaude doctor ------------------------------------------------------------------------------


def doctor_line(box, check):
    proc = box.run("doctor")
    label = re.compile(r"^\S+ +%s  " % re.escape(check))
    lines = [line for line in proc.stdout.splitlines() if label.match(line)]
    assert len(lines) == 1, proc.stdout
    return lines[0]


def test_doctor_names_the_backend_and_the_switch(box, use_backends):
    use_backends("gdbus")
    box.run("notify", "on", check=True)
    line = doctor_line(box, "notify")
    assert line.split()[0] == "ok"
    assert line.endswith("(%s); notifications on" % os.path.join(box.root, "backends", "gdbus"))


def test_doctor_does_not_count_dbus_send_as_a_backend(box, use_backends):
    use_backends()
    fake = write_fake(box, "dbus-send", "import sys\n")
    box.env["PATH"] = os.pathsep.join([os.path.dirname(fake), box.env["PATH"]])
    line = doctor_line(box, "notify")
    assert line.split()[0] == "warn"
    assert INSTALL_HINT.search(line)


def test_doctor_reports_a_marker_left_without_its_session(box):
    os.makedirs(box.state_dir, mode=0o700)
    open(box.state_file("0123abcd", ".notify"), "w").close()
    line = doctor_line(box, "state files")
    assert "1 stray (~/.tofu/claude-sessions/0123abcd.notify)" in line


# -- buttons: Approve / Deny / Open where the server has the `actions` capability --------------
# Real notify-send (libnotify 0.8 has --action) on the private bus; notifyd sends ActionInvoked
# and NotificationClosed only to the connection that sent the notification, as dunst does, and
# emits them when a test asks (InvokeAction / Dismiss), as a click would.

needs_actions = pytest.mark.skipif(
    not REAL_NOTIFY_SEND
    or "--action"
    not in subprocess.run(
        [REAL_NOTIFY_SEND, "--help"], capture_output=True, text=True
    ).stdout,  # fmt: skip
    reason="needs notify-send with --action (libnotify-bin 0.8)",
)
BUTTONS = ["approve", "Approve", "deny", "Deny"]


@pytest.fixture
def buttons_server(bus, tmp_path):
    server = NotifyServer(bus.address, str(tmp_path), capabilities="body,actions,persistence")
    try:
        yield server
    finally:
        server.stop()


def click(box, nid, button):
    """What a user's click makes the server do: ActionInvoked, then NotificationClosed."""
    gdbus_test_call(box, "InvokeAction", "uint32 %d" % nid, "'%s'" % button)


def gdbus_test_call(box, method, *args):
    subprocess.run(
        [GDBUS, "call", "--session", "--dest", "org.freedesktop.Notifications",
         "--object-path", "/org/freedesktop/Notifications",
         "--method", "org.tclaude.TestNotifications." + method, *args],
        env=box.env, check=True, capture_output=True, timeout=10,
    )  # fmt: skip


def listener_of(box, sid):
    last = notify_last(box, sid, "sent")
    assert last.get("listener"), last
    return last["listener"]["pid"]


def permission_with_buttons(box, server, *args):
    """A session of the fake claude at its Bash dialog, notified with buttons."""
    box.run("notify", "on", check=True)
    sid = start(box, box.work, "--name", "api", *args)
    box.type(sid, "RUN_TOOL")
    box.wait_status(sid, "waiting_permission")
    (call,) = server.wait_calls(1)
    box.wait_screen(sid, "Do you want to proceed?")
    return sid, call


@needs_bus
@needs_actions
def test_a_permission_notification_offers_approve_and_deny_where_the_server_has_actions(
    box, buttons_server, use_backends
):
    use_backends("notify-send", "gdbus")
    sid, call = permission_with_buttons(box, buttons_server)
    assert call["actions"] == BUTTONS  # no Open: no tmux client to switch
    assert call["summary"] == "claude needs permission · api"
    assert call["hints"]["urgency"] == ["y", 2]
    last = notify_last(box, sid, "sent")
    assert (last["via"], last["buttons"], box.read_state(sid)["notifyId"]) == (
        "notify-send", ["approve", "deny"], call["id"])  # fmt: skip
    assert not process_gone(last["listener"]["pid"])


@needs_bus
@needs_actions
def test_a_listener_holds_no_file_of_the_notifier_and_keeps_no_folder_busy(
    box, buttons_server, use_backends
):
    """It may live 30 minutes: no lock or state file of the notifier stays open in it, and its
    working folder is / (the session's folder could not be unmounted otherwise)."""
    use_backends("notify-send", "gdbus")
    sid, _ = permission_with_buttons(box, buttons_server)
    pid = listener_of(box, sid)
    assert os.readlink("/proc/%d/cwd" % pid) == "/"
    held = [os.readlink("/proc/%d/fd/%s" % (pid, fd)) for fd in os.listdir("/proc/%d/fd" % pid)]
    assert held.count(os.devnull) == 3 and len(held) == 4, held  # stdio, notify-send's pty
    assert [path for path in held if path.startswith(box.home)] == []


@needs_bus
@needs_actions
def test_approve_button_approves_the_dialog_and_says_so(box, buttons_server, use_backends):
    use_backends("notify-send", "gdbus")
    sid, call = permission_with_buttons(box, buttons_server)
    listener = listener_of(box, sid)
    time.sleep(0.5)  # like a person: claude drops keys sent within ~0.15 s of drawing a dialog
    click(box, call["id"], "approve")
    wait_until(lambda: os.path.exists(os.path.join(box.work, "fixture_marker.txt")),
               message="the approved tool to run")  # fmt: skip
    follow_up = buttons_server.wait_calls(2)[1]
    assert follow_up["summary"] == "approved · api"
    assert follow_up["body"].startswith("Do you want to proceed? -> 1. Yes: approved %s in %s; now "
                                        % (TOOL_DETAIL, sid))  # fmt: skip
    assert (follow_up["actions"], follow_up["replaces_id"]) == ([], call["id"])
    wait_until(lambda: process_gone(listener), message="the listener to exit")
    assert box.session(sid)["status"] != "waiting_permission"


@needs_bus
@needs_actions
def test_deny_button_denies_the_dialog(box, buttons_server, use_backends):
    use_backends("notify-send", "gdbus")
    sid, call = permission_with_buttons(box, buttons_server)
    listener = listener_of(box, sid)
    time.sleep(0.5)
    click(box, call["id"], "deny")
    follow_up = buttons_server.wait_calls(2)[1]
    assert follow_up["summary"] == "denied · api"
    assert "denied %s in %s" % (TOOL_DETAIL, sid) in follow_up["body"]
    wait_until(lambda: process_gone(listener), message="the listener to exit")
    assert not os.path.exists(os.path.join(box.work, "fixture_marker.txt"))
    box.wait_status(sid, "waiting_input")


@needs_bus
@needs_actions
def test_a_button_of_a_notification_whose_dialog_is_not_on_screen_refuses_and_types_nothing(
    box, buttons_server, use_backends
):
    use_backends("notify-send", "gdbus")
    sid, first = permission_with_buttons(box, buttons_server)
    old_listener = listener_of(box, sid)
    # the hooks record another dialog than the one on screen; its notification replaces the first
    time.sleep(3.1)  # (the same status again within 3 s is a bounce, never notified twice)
    write_hook_status(box, sid, "waiting_permission", "Bash: rm -rf build")
    box.run("_notify", sid, "waiting_permission", check=True)
    second = buttons_server.wait_calls(2)[1]
    assert (second["replaces_id"], second["actions"]) == (first["id"], BUTTONS)
    assert process_gone(old_listener)  # one listener per notification id
    listener = listener_of(box, sid)
    screen = box.screen(sid)
    click(box, second["id"], "approve")
    follow_up = buttons_server.wait_calls(3)[2]
    assert follow_up["summary"] == "not approved · api"
    assert follow_up["body"] == ("session %s: the dialog on screen does not show Bash: rm -rf "
                                 "build; nothing typed" % sid)  # fmt: skip
    wait_until(lambda: process_gone(listener), message="the listener to exit")
    assert box.screen(sid) == screen
    assert not os.path.exists(os.path.join(box.work, "fixture_marker.txt"))


@needs_bus
@needs_actions
def test_a_button_refuses_once_the_session_waits_on_another_dialog(
    box, buttons_server, use_backends
):
    use_backends("notify-send", "gdbus")
    sid, call = permission_with_buttons(box, buttons_server)
    listener = listener_of(box, sid)
    with open(box.state_file(sid, ".status"), encoding="utf-8") as fh:
        hook = json.load(fh)
    # the same waiting period (same start), another tool: not what the notification showed
    hook["detail"] = "Bash: rm -rf build"
    with open(box.state_file(sid, ".status.tmp"), "w", encoding="utf-8") as fh:
        fh.write(json.dumps(hook) + "\n")
    os.replace(box.state_file(sid, ".status.tmp"), box.state_file(sid, ".status"))
    click(box, call["id"], "deny")
    follow_up = buttons_server.wait_calls(2)[1]
    assert follow_up["summary"] == "not denied · api"
    assert follow_up["body"] == (
        "session %s: it no longer waits on the notified %s (now: waiting_permission (Bash: rm "
        "-rf build)); nothing typed" % (sid, TOOL_DETAIL))  # fmt: skip
    wait_until(lambda: process_gone(listener), message="the listener to exit")
    assert "Do you want to proceed?" in box.screen(sid)


@needs_bus
@needs_actions
def test_a_question_gets_no_approve_or_deny_button(box, buttons_server, use_backends):
    use_backends("notify-send", "gdbus")
    box.run("notify", "on", check=True)
    sid = start(box, box.work, "--name", "ask")
    box.type(sid, "RUN_ASK")
    box.wait_status(sid, "waiting_permission")
    (call,) = buttons_server.wait_calls(1)
    assert call["actions"] == []  # and no Open: no tmux client to switch
    assert "listener" not in notify_last(box, sid, "sent")


@needs_bus
@needs_actions
def test_open_button_switches_the_users_tmux_client_to_the_session(
    box, outer, buttons_server, use_backends
):
    use_backends("notify-send", "gdbus")
    box.tmux("new-session", "-d", "-s", "desk", "sleep 600")  # where the user works
    outer("new-session", "-d", "-x", "120", "-y", "40", "env -u TMUX tmux attach -t =desk")
    wait_until(lambda: box.tmux("list-clients", "-F", "#{client_session}").stdout == "desk\n",
               message="a client on the desk session")  # fmt: skip
    try:
        sid, call = permission_with_buttons(box, buttons_server)
        assert call["actions"] == [*BUTTONS, "open", "Open"]
        listener = listener_of(box, sid)
        click(box, call["id"], "open")
        wait_until(lambda: box.tmux("list-clients", "-F", "#{client_session}").stdout
                   == "tofu-claude-%s\n" % sid, message="the client switched")  # fmt: skip
        wait_until(lambda: process_gone(listener), message="the listener to exit")
        assert len(buttons_server.calls()) == 1  # an opened session needs no follow-up
        assert box.session(sid)["status"] == "waiting_permission"  # nothing typed
    finally:
        outer("kill-server", check=False)


@needs_bus
@needs_actions
def test_a_dismissed_notification_ends_its_listener_and_types_nothing(
    box, buttons_server, use_backends
):
    use_backends("notify-send", "gdbus")
    sid, call = permission_with_buttons(box, buttons_server)
    listener = listener_of(box, sid)
    gdbus_test_call(box, "Dismiss", "uint32 %d" % call["id"])
    wait_until(lambda: process_gone(listener), message="the listener to exit")
    assert len(buttons_server.calls()) == 1
    assert box.session(sid)["status"] == "waiting_permission"


@needs_bus
@needs_actions
def test_a_session_answered_elsewhere_has_its_buttons_closed(box, buttons_server, use_backends):
    use_backends("notify-send", "gdbus")
    sid, call = permission_with_buttons(box, buttons_server)
    listener = listener_of(box, sid)
    box.run("notify", "off", check=True)  # so no next notification replaces this one
    box.answer(sid, "1")  # in the terminal
    wait_until(lambda: process_gone(listener), message="the listener to exit")
    closed = wait_until(lambda: buttons_server.calls("CloseNotification"), message="a close")
    assert [c["id"] for c in closed] == [call["id"]]
    assert len(buttons_server.calls()) == 1


@needs_bus
@needs_actions
def test_no_buttons_where_the_server_lacks_the_actions_capability(box, notifyd, use_backends):
    use_backends("notify-send", "gdbus")
    sid, call = permission_with_buttons(box, notifyd)
    assert call["actions"] == []
    assert "listener" not in notify_last(box, sid, "sent")


@needs_bus
def test_no_buttons_through_gdbus_which_cannot_wait_for_the_click(
    box, buttons_server, use_backends
):
    use_backends("gdbus")
    sid, call = permission_with_buttons(box, buttons_server)
    assert call["actions"] == []
    assert "listener" not in notify_last(box, sid, "sent")


@needs_bus
@needs_actions
def test_status_says_notifications_get_buttons_where_the_server_has_actions(
    box, buttons_server, use_backends
):
    use_backends("notify-send", "gdbus")
    lines = box.run("notify", "status", check=True).stdout.splitlines()
    assert lines[2] == "buttons: Approve, Deny and Open on a permission dialog's notification"


@needs_bus
@needs_actions
def test_status_says_why_there_are_no_buttons(box, notifyd, use_backends):
    use_backends("notify-send", "gdbus")
    lines = box.run("notify", "status", check=True).stdout.splitlines()
    assert lines[2] == "buttons: none (the notification server has no actions capability)"
    use_backends("gdbus")
    lines = box.run("notify", "status", check=True).stdout.splitlines()
    assert lines[2] == "buttons: none (gdbus cannot wait for a click; notify-send 0.8+ can)"
    use_backends("notify-send")  # nothing to ask the server with
    lines = box.run("notify", "status", check=True).stdout.splitlines()
    assert (
        lines[2] == "buttons: unknown (no answer to GetCapabilities; it needs gdbus and a server)"
    )


@needs_bus
@needs_actions
def test_buttons_are_taken_off_once_their_lifetime_is_over(box, buttons_server, use_backends):
    use_backends("notify-send", "gdbus")
    box.env["TCLAUDE_NOTIFY_BUTTONS_MAX"] = "2"  # instead of 30 minutes
    sid, call = permission_with_buttons(box, buttons_server)
    listener = listener_of(box, sid)
    wait_until(lambda: process_gone(listener), message="the listener to exit")
    again = buttons_server.wait_calls(2)[1]
    assert (again["replaces_id"], again["actions"]) == (call["id"], [])
    assert (again["summary"], again["body"]) == (call["summary"], call["body"])
    assert box.session(sid)["status"] == "waiting_permission"
