"""resolve(): hook state x claude's registry x screen x pane -> the status users see.

In-process and table-driven: one row per rule of README "How status works" (the hooks, then
where no hook fires: liveness, the registry, the screen, start-up), and every snapshot kind
(Snapshot over tmux, PidSnapshot with and without tmux) behind the same interface.  tmux and
the registry are stand-ins here; the end-to-end behaviour is covered by the other test files.
"""

import os
import subprocess
import sys
import time

import pytest
from conftest import ROOT

sys.path.insert(0, ROOT)
import tclaude

NOW = time.time()
SID = "abcd1234"
NAME = "tofu-claude-" + SID
LIVE_PID = os.getpid()
SOCKET = "/tmp/tmux-test/default"


def dead_pid():
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


DEAD_PID = dead_pid()


class FakeTmux:
    """What tclaude's Tmux answers, from dicts: panes {name: Pane}, screens {name: text}; one
    server, which always answers."""

    def __init__(self, panes=None, screens=None):
        self.panes = panes or {}
        self.screens = screens or {}
        self.captured = []

    def at(self, socket):
        return self

    def start_panes_query(self):
        return lambda: tclaude.ServerSight(SOCKET, dict(self.panes))

    def capture(self, name):
        self.captured.append(name)
        return self.screens.get(name, "")

    def has_session(self, name):
        return name in self.panes


def record(**fields):
    state = {
        "id": SID,
        "name": None,
        "tmuxSession": NAME,
        "tmuxSocket": SOCKET,
        "pid": LIVE_PID,
        "cwd": "/work",
        "convId": "0b5e55ed-1234-4abc-8def-0123456789ab",
        "status": "running",
        "statusDetail": "starting",
        "created": tclaude.utc_iso(NOW - 60),
        "spawned": tclaude.utc_iso(NOW - 60),
        "updated": tclaude.utc_iso(NOW - 60),
    }
    state.update(fields)
    return state


def hook(status, age=10.0, detail="", **fields):
    data = {"v": 1, "ts": NOW - age, "status": status, "since": NOW - age, "detail": detail}
    data.update(fields)
    return data


def registry(status, age):
    return {"pid": LIVE_PID, "status": status, "statusUpdatedAt": (NOW - age) * 1000}


PANES = {
    "alive": tclaude.Pane(NAME, LIVE_PID, False, None),
    "dead:1": tclaude.Pane(NAME, LIVE_PID, True, 1),
    "pid-gone": tclaude.Pane(NAME, DEAD_PID, False, None),
    "gone": None,
}
BUSY = "✻ Working… (esc to interrupt)\n"
IDLE = "────\n❯ \n────\n"
DIALOG = "Bash command\n  npm test\nDo you want to proceed?\n❯ 1. Yes\n  2. No\n"
TRUST = "Is this a project you created or one you trust?\n❯ 1. Yes, proceed\n"

# (rule, record fields, hook, registry, screen, pane) -> (status, detail or None, changed?)
RULES = [
    ("the hook's status stands when nothing contradicts it",
     {}, hook("running", detail="Bash: make"), None, BUSY, "alive",
     ("running", "Bash: make", False)),
    ("a hook from an earlier run of the id is ignored",
     {"status": "waiting_input", "statusDetail": "kept"}, hook("running", age=600), None, "",
     "alive", ("waiting_input", "kept", False)),
    ("a dead pane is exited, with its exit status",
     {}, hook("running"), None, "", "dead:1", ("exited", "claude exited (status 1)", True)),
    ("a vanished tmux session is exited",
     {}, hook("waiting_input"), None, "", "gone", ("exited", "tmux session gone", True)),
    ("a vanished claude process is exited",
     {}, hook("running"), None, "", "pid-gone", ("exited", "claude process gone", True)),
    ("claude's own SessionEnd reason is kept as the detail of its death",
     {}, hook("exited", detail="exit: logout"), None, "", "dead:1",
     ("exited", "exit: logout", True)),
    ("a recorded death is final, whatever the hook says",
     {"status": "exited", "statusDetail": "claude exited", "exitedAt": tclaude.utc_iso(NOW - 5)},
     hook("running", age=1), None, "", "alive", ("exited", "claude exited", False)),
    ("a record still spawning (no pid, young) is not dead",
     {"pid": None, "spawned": tclaude.utc_iso(NOW - 1)}, None, None, "", "gone",
     ("running", "starting", False)),
    ("registry idle after a permission request: denied",
     {}, hook("waiting_permission", detail="Bash: rm"), registry("idle", 1), "", "alive",
     ("waiting_input", "denied: Bash: rm", False)),
    ("registry idle during a turn: interrupted",
     {}, hook("running", detail="Bash: make"), registry("idle", 1), "", "alive",
     ("waiting_input", "interrupted", False)),
    ("registry busy after a permission request: approved",
     {}, hook("waiting_permission", detail="Bash: make"), registry("busy", 1), "", "alive",
     ("running", "approved: Bash: make", False)),
    ("registry waiting during a turn: a permission dialog",
     {}, hook("running", detail="Bash: make"), registry("waiting", 1), "", "alive",
     ("waiting_permission", "Bash: make", False)),
    ("a registry older than the hook changes nothing",
     {}, hook("running", detail="Bash: make"), registry("idle", 20), IDLE, "alive",
     ("running", "Bash: make", False)),
    ("a waiting_input hook is not second-guessed",
     {}, hook("waiting_input", detail="done"), registry("busy", 1), BUSY, "alive",
     ("waiting_input", "done", False)),
    ("no registry: the spinner on screen means running",
     {}, hook("waiting_permission", detail="Bash: make"), None, BUSY, "alive",
     ("running", "approved: Bash: make", False)),
    ("no registry: an idle prompt on screen after a turn began means interrupted",
     {}, hook("running", detail="Bash: make"), None, IDLE, "alive",
     ("waiting_input", "interrupted", False)),
    ("no registry: an idle prompt at a permission request means denied",
     {}, hook("waiting_permission", detail="Bash: rm"), None, IDLE, "alive",
     ("waiting_input", "denied: Bash: rm", False)),
    ("no registry: a dialog on screen during a turn means waiting for permission",
     {}, hook("running", detail="Bash: npm test"), None, DIALOG, "alive",
     ("waiting_permission", "Bash: npm test", False)),
    ("no registry: the screen is not read in the hook's first 0.6 s",
     {}, hook("running", age=0.1, detail="Bash: make"), None, IDLE, "alive",
     ("running", "Bash: make", False)),
    ("no hook 3 s after the start: a start-up dialog waits for the user",
     {}, None, None, TRUST, "alive", ("waiting_input", "start-up dialog: trust this folder?", False)),
    ("no hook 3 s after the start but claude is up: hooks disabled?",
     {}, None, registry("idle", 1), "", "alive",
     ("waiting_input", "no hook has reported (hooks disabled?)", False)),
]  # fmt: skip


@pytest.fixture
def registry_files(monkeypatch):
    entries = {}
    monkeypatch.setattr(tclaude, "read_registry", lambda pid: entries.get(pid))
    return entries


@pytest.mark.parametrize(
    ("fields", "hook_state", "reg", "screen", "pane", "expected"),
    [row[1:] for row in RULES],
    ids=[row[0] for row in RULES],
)
def test_resolve_rule(registry_files, fields, hook_state, reg, screen, pane, expected):
    if reg:
        registry_files[reg["pid"]] = reg
    panes = {NAME: PANES[pane]} if PANES[pane] else {}
    snap = tclaude.Snapshot(FakeTmux(panes, {NAME: screen}))
    view, changed = tclaude.resolve(record(**fields), hook_state, snap, NOW)
    status, detail, death = expected
    assert (view["status"], view["statusDetail"]) == (status, detail)
    assert bool(changed) == death
    if changed:
        assert changed["status"] == "exited" and changed["exitedAt"]


# -- every snapshot kind, one interface ----------------------------------------------------------


def snapshot_kinds(state, hook_state, live):
    """Each kind of snapshot over the same world: the session's pane alive or gone."""
    pane = tclaude.Pane(NAME, state.get("pid") or LIVE_PID, False, None)
    panes = {NAME: pane} if live else {}
    return {
        "Snapshot": tclaude.Snapshot(FakeTmux(panes)),
        "PidSnapshot": tclaude.PidSnapshot([state], {SID: hook_state}),
        "PidSnapshot+tmux": tclaude.PidSnapshot([state], {SID: hook_state}, FakeTmux(panes)),
    }


KINDS = ("Snapshot", "PidSnapshot", "PidSnapshot+tmux")


@pytest.mark.parametrize("kind", KINDS)
def test_every_snapshot_has_the_same_interface(kind):
    snap = snapshot_kinds(record(), None, True)[kind]
    assert isinstance(snap, tclaude.BaseSnapshot)
    assert snap.started <= time.time()
    assert isinstance(snap.panes, dict)
    assert isinstance(snap.screen(NAME), str)
    pane, server = snap.sight(record())
    assert pane is None or isinstance(pane, tclaude.Pane)
    assert server is None or isinstance(server, tclaude.ServerSight)


@pytest.mark.parametrize("kind", KINDS)
def test_a_record_without_a_pid_resolves_on_every_snapshot(registry_files, kind):
    state = record(pid=None, spawned=tclaude.utc_iso(NOW - 600))
    snap = snapshot_kinds(state, None, False)[kind]
    view, _ = tclaude.resolve(state, None, snap, NOW)
    assert view["status"] in tclaude.VIEW_STATUSES


@pytest.mark.parametrize("kind", KINDS)
def test_a_live_claude_is_alive_on_every_snapshot(registry_files, kind):
    state = record()
    snap = snapshot_kinds(state, hook("waiting_input"), True)[kind]
    view, changed = tclaude.resolve(state, hook("waiting_input"), snap, NOW)
    assert (view["status"], changed) == ("waiting_input", None)


@pytest.mark.parametrize("kind", KINDS)
def test_a_gone_claude_is_exited_on_every_snapshot(registry_files, kind):
    state = record(pid=DEAD_PID)
    snap = snapshot_kinds(state, hook("running"), False)[kind]
    view, changed = tclaude.resolve(state, hook("running"), snap, NOW)
    assert view["status"] == "exited" and changed["status"] == "exited"


def test_a_pid_snapshot_without_tmux_never_calls_a_spawning_session_dead(registry_files):
    state = record(pid=None, spawned=tclaude.utc_iso(NOW - 0.5))
    snap = tclaude.PidSnapshot([state], {})
    view, changed = tclaude.resolve(state, None, snap, NOW)
    assert changed is None and view["status"] == "running"
