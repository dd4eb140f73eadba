"""One bad field never takes every command down.

Each case puts one wrong-typed or out-of-range value into one file of one session (its record,
its hook file, claude's registry file for its pid, tclaude's config) and runs each command that
reads it: no internal error, no traceback, and every other session still listed.  Sessions are
``sleep`` panes with the files tclaude, its hook and claude would have written.
"""

import json
import os
import time

import pytest
from conftest import start_pane, write_record

BAD = "abcd1234"
GOOD = "feed0001"

CASES = [
    # the hook's <id>.status
    ("status", "ts", "abc"),
    ("status", "ts", 9e99),
    ("status", "since", 1e30),
    ("status", "since", "abc"),
    ("status", "detail", 5),
    ("status", "convId", ["x"]),
    ("status", "claudePid", "12"),
    ("status", "transcriptPath", {"a": 1}),
    # tclaude's <id>.json
    ("record", "name", 123),
    ("record", "name", ["x"]),
    ("record", "cwd", 123),
    ("record", "pid", None),
    ("record", "pid", "12"),
    ("record", "tmuxSession", 5),
    ("record", "status", "bogus"),
    ("record", "status", ["running"]),
    ("record", "statusDetail", 5),
    ("record", "convId", 5),
    ("record", "created", 5),
    ("record", "createdTs", "x"),
    ("record", "updated", 1e30),
    ("record", "spawned", ["x"]),
    ("record", "claudeArgs", "--bogus"),
    ("record", "notifyLast", 5),
    # claude's ~/.claude/sessions/<pid>.json
    ("registry", "status", ["idle"]),
    ("registry", "statusUpdatedAt", "abc"),
    ("registry", "updatedAt", 1e300),
    ("registry", "cwd", 5),
    ("registry", "tmux", 5),
    # ~/.tofu/tclaude.json
    ("config", "notify", "yes"),
]

COMMANDS = {
    "ls": ("session", "ls"),
    "ls --json": ("session", "ls", "--json"),
    "ls --all": ("session", "ls", "--all"),
    "watch --once": ("session", "watch", "--once"),
    "status-line": ("status-line",),
    "wait": ("session", "wait", BAD, "--timeout", "0.5"),
    "rename": ("session", "rename", BAD, "renamed"),
    "prune": ("session", "prune", "--dry-run"),
    "notify status": ("notify", "status"),
}
LISTING = ("ls", "ls --json", "ls --all", "watch --once")


def write_json(path, value):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(value, fh)


def sessions_with_one_bad_field(sandbox, where, field, value):
    """Two live stand-in sessions; BAD's ``where`` file has ``field`` set to ``value``."""
    now = time.time()
    pids = {}
    for sid in (GOOD, BAD):
        _, pids[sid] = start_pane(sandbox, "tofu-claude-" + sid, "sleep 600")
        write_record(sandbox, sid, pid=pids[sid], name="n" + sid)
    files = {
        "record": (sandbox.state_file(BAD), dict(sandbox.read_state(BAD))),
        "status": (
            sandbox.state_file(BAD, ".status"),
            {
                "v": 1,
                "ts": now - 5,
                "event": "PreToolUse",
                "status": "running",
                "since": now - 5,
                "detail": "Bash: make",
                "claudePid": pids[BAD],
            },
        ),  # fmt: skip
        "registry": (
            os.path.join(sandbox.home, ".claude", "sessions", "%d.json" % pids[BAD]),
            {
                "pid": pids[BAD],
                "sessionId": "5e551011-0000-4000-8000-000000000001",
                "cwd": sandbox.work,
                "kind": "interactive",
                "status": "idle",
                "updatedAt": now * 1000,
                "statusUpdatedAt": now * 1000,
            },
        ),  # fmt: skip
        "config": (os.path.join(sandbox.home, ".tofu", "tclaude.json"), {"notify": False}),
    }
    for name, (path, content) in files.items():
        if name == where:
            content[field] = value
        write_json(path, content)


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize(("where", "field", "value"), CASES)
def test_one_bad_field_never_crashes_a_command(sandbox, where, field, value, command):
    sessions_with_one_bad_field(sandbox, where, field, value)
    proc = sandbox.run(*COMMANDS[command])
    assert proc.returncode != 70, proc.stderr
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    if command in LISTING:
        assert proc.returncode == 0, proc.stderr
        assert GOOD in proc.stdout and BAD in proc.stdout, proc.stdout


@pytest.mark.parametrize(("where", "field", "value"), [c for c in CASES if c[0] != "config"])
def test_a_bad_field_is_dropped_with_one_warning(sandbox, where, field, value):
    sessions_with_one_bad_field(sandbox, where, field, value)
    proc = sandbox.run("session", "ls", "--json")
    assert proc.returncode == 0
    warnings = [line for line in proc.stderr.splitlines() if "warning" in line]
    if where == "record" and value is None:
        assert warnings == []  # "pid": null is a record of a session still spawning: valid
    else:
        assert len(warnings) == 1 and "ignoring field %s" % field in warnings[0], proc.stderr


def test_a_record_keeps_its_good_fields_when_one_is_bad(sandbox):
    sessions_with_one_bad_field(sandbox, "record", "cwd", 123)
    views = {v["id"]: v for v in json.loads(sandbox.run("session", "ls", "--json").stdout)}
    assert views[BAD]["name"] == "n" + BAD and "cwd" not in views[BAD]
    assert views[BAD]["status"] == "waiting_input"  # its registry file is newer than the hook


def test_rename_repairs_a_wrong_typed_name(sandbox):
    sessions_with_one_bad_field(sandbox, "record", "name", ["x"])
    proc = sandbox.run("session", "rename", BAD, "fixed")
    assert proc.returncode == 0, proc.stderr
    assert sandbox.read_state(BAD)["name"] == "fixed"


@pytest.mark.parametrize("adopted", [False, True])
def test_kill_of_a_record_naming_another_sessions_tmux_session_spares_that_session(
    sandbox, adopted
):
    """A record is only ever about its own tofu-claude-<id> (an adopted one: the user's own
    tmux session, never another tclaude session's)."""
    sessions_with_one_bad_field(sandbox, "record", "tmuxSession", "tofu-claude-" + GOOD)
    if adopted:
        state = dict(sandbox.read_state(BAD), adopted=True, status="exited", pid=None)
        write_json(sandbox.state_file(BAD), state)
    proc = sandbox.run("session", "kill", "--all-exited" if adopted else BAD)
    assert proc.returncode == 0, proc.stderr
    assert sandbox.tmux("has-session", "-t", "=tofu-claude-" + GOOD, check=False).returncode == 0
    assert sandbox.ls()[GOOD]["status"] != "exited"
    assert "ignoring field tmuxSession" in proc.stderr
