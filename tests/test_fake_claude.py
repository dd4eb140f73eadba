"""Focused tests of the fake ``claude`` (tests/fakebin/claude) itself.

Every test gets its own HOME and, where tmux is used, its own tmux server (TMUX_TMPDIR points at a
fresh short directory): nothing here touches the user's default tmux server or real HOME.
Fixtures are local to this file on purpose (tests/conftest.py belongs to the tclaude tests).
"""

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pytest
from conftest import SAMPLES, wait_until

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FAKE = os.path.join(ROOT, "tests", "fakebin", "claude")
SCRUBBED = (
    "TMUX",
    "TMUX_PANE",
    "CLAUDECODE",
    "CLAUDE_CODE_ENTRYPOINT",
    "CLAUDE_CODE_SSE_PORT",
    "CLAUDE_CONFIG_DIR",
    "FAKE_CLAUDE_LOG",
    "FAKE_CLAUDE_TRUST_DIALOG",
    "FAKE_CLAUDE_NO_REGISTRY",
    "FAKE_CLAUDE_START_DELAY",
)
EVENTS = (
    "SessionStart",
    "UserPromptSubmit",
    "PreToolUse",
    "PermissionRequest",
    "Notification",
    "PostToolUse",
    "PostToolUseFailure",
    "PostToolBatch",
    "Stop",
    "SessionEnd",
)
# Key order of the recorded payloads (samples/a_plain.jsonl, b_tool_approve.jsonl).
COMMON = ["session_id", "transcript_path", "cwd"]
KEYS = {
    "SessionStart": [*COMMON, "hook_event_name", "source", "model"],
    "UserPromptSubmit": [*COMMON, "prompt_id", "permission_mode", "hook_event_name", "prompt"],
    "Stop": [
        *COMMON,
        "prompt_id",
        "permission_mode",
        "effort",
        "hook_event_name",
        "stop_hook_active",
        "last_assistant_message",
        "background_tasks",
        "session_crons",
    ],
    "SessionEnd": [*COMMON, "prompt_id", "hook_event_name", "reason"],
    "PreToolUse": [
        *COMMON,
        "prompt_id",
        "permission_mode",
        "effort",
        "hook_event_name",
        "tool_name",
        "tool_input",
        "tool_use_id",
    ],
    "PermissionRequest": [
        *COMMON,
        "prompt_id",
        "permission_mode",
        "effort",
        "hook_event_name",
        "tool_name",
        "tool_input",
        "permission_suggestions",
    ],
    "Notification": [*COMMON, "prompt_id", "hook_event_name", "message", "notification_type"],
    "PostToolUse": [
        *COMMON,
        "prompt_id",
        "permission_mode",
        "effort",
        "hook_event_name",
        "tool_name",
        "tool_input",
        "tool_response",
        "tool_use_id",
        "duration_ms",
    ],
    "PostToolBatch": [
        *COMMON,
        "prompt_id",
        "permission_mode",
        "effort",
        "hook_event_name",
        "tool_calls",
    ],
}
RECORDER = """\
import json, os, sys, time
raw = sys.stdin.read()
keep = ("CLAUDE_PID", "CLAUDE_CODE_SESSION_ID", "CLAUDE_PROJECT_DIR", "CLAUDECODE",
        "CLAUDE_CODE_ENTRYPOINT", "CLAUDE_ENV_FILE", "CLAUDE_EFFORT")
line = json.dumps({"event": sys.argv[1], "tag": sys.argv[2] if len(sys.argv) > 2 else "",
                   "ts": time.time(), "raw": raw, "cwd": os.getcwd(),
                   "env": {k: os.environ[k] for k in keep if k in os.environ}})
fd = os.open(os.environ["FAKE_TEST_RECORD"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
os.write(fd, (line + "\\n").encode("utf-8"))
"""


def slug(path):
    return re.sub(r"[^A-Za-z0-9]", "-", path)


class World:
    """A private HOME, project dir, hook recorder and (on demand) tmux server."""

    def __init__(self, root):
        self.home = os.path.join(root, "home")
        self.work = os.path.realpath(os.path.join(root, "work"))
        os.makedirs(self.home)
        os.makedirs(self.work)
        self.record = os.path.join(root, "hooks.jsonl")
        self.log = os.path.join(root, "fake-claude.log")
        self.recorder = os.path.join(root, "recorder.py")
        with open(self.recorder, "w", encoding="utf-8") as fh:
            fh.write(RECORDER)
        self.tmux_tmpdir = None
        env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
        env.update(
            HOME=self.home,
            FAKE_CLAUDE_TIME_SCALE="0.05",
            FAKE_CLAUDE_LOG=self.log,
            FAKE_TEST_RECORD=self.record,
            LANG=env.get("LANG", "C.UTF-8"),
        )
        self.env = env

    def hook_command(self, event, tag=""):
        return " ".join(shlex.quote(a) for a in (sys.executable, self.recorder, event, tag) if a)

    def settings(self, events=EVENTS, tag="flag"):
        hooks = {}
        for event in events:
            group = {"hooks": [{"type": "command", "command": self.hook_command(event, tag)}]}
            if event not in ("UserPromptSubmit", "Stop"):
                group["matcher"] = "*"
            group["hooks"][0]["timeout"] = 5
            hooks[event] = [group]
        path = os.path.join(os.path.dirname(self.home), "settings.json")
        with open(path, "w", encoding="utf-8") as fh:
            json.dump({"hooks": hooks}, fh)
        return path

    def transcript(self, sid):
        return os.path.join(self.home, ".claude", "projects", slug(self.work), sid + ".jsonl")

    def hooks(self):
        if not os.path.exists(self.record):
            return []
        with open(self.record, encoding="utf-8") as fh:
            runs = [json.loads(line) for line in fh if line.strip()]
        for run in runs:
            run["payload"] = json.loads(run["raw"])
        return runs

    def events(self):
        return [run["event"] for run in self.hooks()]

    def log_entries(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log, encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]

    def claude(self, *args, env=None, timeout=10):
        return subprocess.run(
            [FAKE, *args],
            cwd=self.work,
            env=dict(self.env, **(env or {})),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    # -- tmux -----------------------------------------------------------------------------------

    def tmux(self, *args, check=True):
        if self.tmux_tmpdir is None:
            self.tmux_tmpdir = tempfile.mkdtemp(prefix="tc", dir="/tmp")
            self.env["TMUX_TMPDIR"] = self.tmux_tmpdir
        proc = subprocess.run(
            ["tmux", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=10,
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"tmux {args} failed: {proc.stderr}")
        return proc

    def launch(self, *args):
        command = "exec " + " ".join(shlex.quote(a) for a in (FAKE, *args))
        self.tmux(
            "new-session", "-d", "-s", "fk", "-x", "120", "-y", "40", "-c", self.work, command,
            ";", "set-option", "-w", "-t", "=fk:", "remain-on-exit", "on",
        )  # fmt: skip
        return int(self.tmux("list-panes", "-t", "=fk:", "-F", "#{pane_pid}").stdout.strip())

    def screen(self):
        return self.tmux("capture-pane", "-p", "-t", "=fk:", check=False).stdout

    def wait_screen(self, text, timeout=5.0):
        return wait_until(lambda: text in self.screen(), timeout, message=f"{text!r} on screen")

    def type(self, text):
        self.tmux("send-keys", "-t", "=fk:", "-l", text)
        time.sleep(0.2)
        self.tmux("send-keys", "-t", "=fk:", "Enter")

    def keys(self, *keys):
        self.tmux("send-keys", "-t", "=fk:", *keys)

    def pane_dead(self):
        out = self.tmux("list-panes", "-t", "=fk:", "-F", "#{pane_dead}", check=False).stdout
        return out.strip() == "1"

    def close(self):
        if self.tmux_tmpdir is not None:
            self.tmux("kill-server", check=False)
            shutil.rmtree(self.tmux_tmpdir, ignore_errors=True)


@pytest.fixture
def world(tmp_path):
    w = World(str(tmp_path))
    try:
        yield w
    finally:
        w.close()


needs_tmux = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")


def wait_events(world, *names, timeout=5.0):
    """Wait until the recorded events end with ``names`` (in order) and return all runs."""
    return wait_until(
        lambda: world.events()[-len(names) :] == list(names) and world.hooks(),
        timeout,
        message=f"hooks {names} (got {world.events()})",
    )


def assert_no_violations(world):
    bad = [e for e in world.log_entries() if "violation" in e or "fake_error" in e]
    assert not bad, bad


# ------------------------------------------------------------------------------------------------
# Arguments
# ------------------------------------------------------------------------------------------------


def test_version(world):
    proc = world.claude("--version")
    assert (proc.returncode, proc.stdout) == (0, "2.1.331 (Claude Code)\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bogus"], "error: unknown option '--bogus'"),
        (["--session-id", "not-a-uuid"], "Error: Invalid session ID. Must be a valid UUID."),
        (
            ["--session-id", "0b5e55ed-1234-4abc-8def-0123456789ab", "--resume", "x"],
            "Error: --session-id cannot be used with --continue or --resume.",
        ),
        (
            ["--session-id", "0b5e55ed-1234-4abc-8def-0123456789ab", "--continue"],
            "Error: --session-id cannot be used with --continue or --resume.",
        ),
        (
            ["--resume", "0b5e55ed-1234-4abc-8def-0123456789ab"],
            "No conversation found with session ID: 0b5e55ed-1234-4abc-8def-0123456789ab",
        ),
        (["--settings"], "argument missing"),
    ],
)
def test_argument_errors(world, args, message):
    proc = world.claude(*args)
    assert proc.returncode == 1
    assert message in proc.stderr
    assert not os.path.exists(world.record)


def test_session_id_already_in_use(world):
    sid = "0b5e55ed-1234-4abc-8def-0123456789ab"
    os.makedirs(os.path.dirname(world.transcript(sid)))
    open(world.transcript(sid), "w").close()
    proc = world.claude("--session-id", sid)
    assert proc.returncode == 1
    assert f"Error: Session ID {sid} is already in use." in proc.stderr


def test_refuses_to_run_inside_claude_code(world):
    proc = world.claude("--settings", world.settings(), env={"CLAUDECODE": "1"})
    assert proc.returncode == 1
    assert "unset the CLAUDECODE environment variable" in proc.stderr
    assert not os.path.exists(world.record)


# ------------------------------------------------------------------------------------------------
# Settings merge (no tty needed: SessionStart fires at start, SIGTERM gives SessionEnd(other))
# ------------------------------------------------------------------------------------------------


def run_until_session_start(world, *args, env=None, expect_hooks=True):
    screen = os.path.join(os.path.dirname(world.home), "screen.out")
    with open(screen, "wb") as out:
        proc = subprocess.Popen(
            [FAKE, *args],
            cwd=world.work,
            env=dict(world.env, **(env or {})),
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            if expect_hooks:
                wait_until(lambda: "SessionStart" in world.events(), message="SessionStart")
            else:  # no hook to wait for: the registry file appears when SessionStart would fire
                registry = os.path.join(world.home, ".claude", "sessions", "%d.json" % proc.pid)
                wait_until(lambda: os.path.exists(registry), message="the prompt box")
            time.sleep(0.3)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=5) == 128 + signal.SIGTERM
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return proc


def write_json(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh)


def test_settings_are_merged_deduplicated_and_matched(world):
    shared = world.hook_command("SessionStart", "shared")

    def start_hooks(*pairs):
        return {
            "SessionStart": [
                {"matcher": m, "hooks": [{"type": "command", "command": c}]} for m, c in pairs
            ]
        }

    flag = {
        "hooks": {
            **start_hooks(("startup", shared)),
            "SessionEnd": [
                {"matcher": "clear", "hooks": [{"type": "command", "command": world.hook_command("SessionEnd", "no")}]},
                {"matcher": "other|logout", "hooks": [{"type": "command", "command": world.hook_command("SessionEnd", "flag")}]},
            ],
        }
    }  # fmt: skip
    write_json(
        os.path.join(world.home, ".claude", "settings.json"),
        {"hooks": start_hooks(("*", shared), ("", world.hook_command("SessionStart", "user")))},
    )
    write_json(
        os.path.join(world.work, ".claude", "settings.json"),
        {"hooks": start_hooks(("resume", world.hook_command("SessionStart", "no")))},
    )
    write_json(
        os.path.join(world.work, ".claude", "settings.local.json"),
        {"hooks": start_hooks(("st.*up", world.hook_command("SessionStart", "local")))},
    )
    run_until_session_start(world, "--settings", json.dumps(flag))
    tags = sorted((run["event"], run["tag"]) for run in world.hooks())
    assert tags == [
        ("SessionEnd", "flag"),
        ("SessionStart", "local"),
        ("SessionStart", "shared"),
        ("SessionStart", "user"),
    ]
    for run in world.hooks():
        assert run["cwd"] == world.work
        assert run["env"]["CLAUDECODE"] == "1"
        assert run["env"]["CLAUDE_CODE_ENTRYPOINT"] == "cli"
        assert ("CLAUDE_ENV_FILE" in run["env"]) == (run["event"] == "SessionStart")
    assert_no_violations(world)


def test_disable_all_hooks(world):
    write_json(
        os.path.join(world.work, ".claude", "settings.local.json"), {"disableAllHooks": True}
    )
    run_until_session_start(world, "--settings", world.settings(), expect_hooks=False)
    assert world.hooks() == []
    assert world.log_entries() == []


# ------------------------------------------------------------------------------------------------
# Real runs in a private tmux server
# ------------------------------------------------------------------------------------------------


@needs_tmux
def test_plain_turn_payloads_registry_and_exit(world):
    pid = world.launch("--settings", world.settings())
    runs = wait_events(world, "SessionStart")
    world.wait_screen("? for shortcuts")
    start = runs[-1]
    sid = start["payload"]["session_id"]
    assert list(start["payload"]) == KEYS["SessionStart"]
    assert start["payload"]["source"] == "startup"
    assert start["payload"]["cwd"] == world.work
    assert start["payload"]["transcript_path"] == world.transcript(sid)
    assert os.path.isfile(world.transcript(sid))
    assert start["env"]["CLAUDE_PID"] == str(pid)
    assert start["env"]["CLAUDE_CODE_SESSION_ID"] == sid
    assert start["env"]["CLAUDE_PROJECT_DIR"] == world.work
    # the payload arrives as one compact JSON object
    assert start["raw"] == json.dumps(start["payload"], ensure_ascii=False, separators=(",", ":"))

    registry = os.path.join(world.home, ".claude", "sessions", f"{pid}.json")

    def registry_status():
        try:
            with open(registry, encoding="utf-8") as fh:
                return json.load(fh).get("status")
        except (OSError, ValueError):
            return None

    wait_until(lambda: registry_status() == "idle", message="registry idle")
    with open(registry, encoding="utf-8") as fh:
        reg = json.load(fh)
    assert (reg["pid"], reg["sessionId"], reg["cwd"]) == (pid, sid, world.work)
    assert (reg["kind"], reg["entrypoint"], reg["version"]) == ("interactive", "cli", "2.1.331")

    world.type('hello "quoted" ❯ text')
    wait_until(lambda: registry_status() == "busy", message="registry busy")
    runs = wait_events(world, "UserPromptSubmit", "Stop")
    submit, stop = runs[-2]["payload"], runs[-1]["payload"]
    assert list(submit) == KEYS["UserPromptSubmit"]
    assert list(stop) == KEYS["Stop"]
    assert submit["prompt"] == 'hello "quoted" ❯ text'
    assert submit["prompt_id"] == stop["prompt_id"]
    assert stop["last_assistant_message"] == "Hello from the fake Anthropic API."
    assert runs[-1]["env"]["CLAUDE_EFFORT"] == "medium"
    assert "CLAUDE_ENV_FILE" not in runs[-2]["env"]
    world.wait_screen("Hello from the fake Anthropic API.")
    wait_until(lambda: registry_status() == "idle", message="registry idle after Stop")

    # Notification(idle_prompt) once, 60 s * 0.05 after Stop, with the turn's prompt_id
    runs = wait_events(world, "Notification", timeout=6)
    note = runs[-1]["payload"]
    assert list(note) == KEYS["Notification"]
    assert (note["notification_type"], note["prompt_id"]) == ("idle_prompt", stop["prompt_id"])

    world.type("/exit")
    runs = wait_events(world, "SessionEnd")
    end = runs[-1]["payload"]
    assert list(end) == KEYS["SessionEnd"]
    assert end["reason"] == "prompt_input_exit"
    assert end["prompt_id"] not in (stop["prompt_id"], submit["prompt_id"])
    wait_until(world.pane_dead, message="claude exited")
    assert "claude --resume " + sid in world.screen()
    assert not os.path.exists(registry)
    assert world.events().count("Notification") == 1
    assert_no_violations(world)

    with open(os.path.join(SAMPLES, "a_plain.jsonl"), encoding="utf-8") as fh:
        golden = {}  # key order from the recording itself
        for line in fh:
            rec = json.loads(line)
            golden.setdefault(rec["event"], list(rec["stdin"]))
    for event in ("SessionStart", "UserPromptSubmit", "Stop", "SessionEnd"):
        assert KEYS[event] == golden[event]


@needs_tmux
def test_permission_approved_after_notification(world):
    world.launch("--settings", world.settings())
    wait_events(world, "SessionStart")
    world.wait_screen("? for shortcuts")
    world.type("please RUN_TOOL=marker.txt now")
    world.wait_screen("Do you want to proceed?")
    # dialog left open: Notification(permission_prompt) 6.4 s * 0.05 after PermissionRequest
    runs = wait_events(world, "PermissionRequest", "Notification")
    request, note = runs[-2], runs[-1]
    assert note["payload"]["notification_type"] == "permission_prompt"
    assert note["ts"] - request["ts"] == pytest.approx(0.32, abs=0.15)
    assert list(request["payload"]) == KEYS["PermissionRequest"]
    assert list(runs[-3]["payload"]) == KEYS["PreToolUse"]
    assert request["payload"]["tool_input"]["command"] == "touch marker.txt"
    world.keys("1")
    runs = wait_events(world, "PostToolUse", "PostToolBatch", "Stop")
    assert list(runs[-3]["payload"]) == KEYS["PostToolUse"]
    assert list(runs[-2]["payload"]) == KEYS["PostToolBatch"]
    assert runs[-1]["payload"]["last_assistant_message"] == "done"
    assert len({run["payload"].get("prompt_id") for run in runs[-7:]}) == 1
    assert os.path.exists(os.path.join(world.work, "marker.txt"))
    assert_no_violations(world)


@needs_tmux
def test_deny_and_interrupt_fire_no_hook(world):
    # 0.16 puts the permission Notification 1 s after PermissionRequest: an Esc that failed to
    # close the dialog would show up as a Notification within the quiet window below.
    world.env["FAKE_CLAUDE_TIME_SCALE"] = "0.16"
    world.launch("--settings", world.settings())
    wait_events(world, "SessionStart")
    world.wait_screen("? for shortcuts")

    world.type("RUN_TOOL=denied.txt")
    world.wait_screen("Do you want to proceed?")
    time.sleep(0.25)  # keys within 0.15 s of the dialog are swallowed, as by the real claude
    count = len(world.hooks())
    assert world.events()[-2:] == ["PreToolUse", "PermissionRequest"]
    world.keys("Escape")
    world.wait_screen("Interrupted · What should Claude do instead?")
    time.sleep(1.2)
    assert len(world.hooks()) == count
    assert not os.path.exists(os.path.join(world.work, "denied.txt"))
    assert "esc to interrupt" not in world.screen()

    world.type("SLOW=100 take your time")
    wait_events(world, "UserPromptSubmit")
    world.wait_screen("esc to interrupt")
    count = len(world.hooks())
    world.keys("Escape")
    world.wait_screen("❯\u00a0SLOW=100 take your time")  # nothing streamed: prompt back in the box
    time.sleep(0.5)
    assert len(world.hooks()) == count
    assert "esc to interrupt" not in world.screen()
    with open(world.transcript(world.hooks()[0]["payload"]["session_id"]), encoding="utf-8") as fh:
        assert "[Request interrupted by user" in fh.read()
    assert_no_violations(world)
