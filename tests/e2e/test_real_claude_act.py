"""peek / approve / deny / answer against the REAL claude CLI, offline (tests/kit).

Run: make e2e E2E_ARGS=tests/e2e/test_real_claude_act.py.  Skipped elsewhere (real_claude.py).
"""

import json
import os
import sys
import time

from real_claude import pytestmark, screen, send, session, tclaude, tmux, view, wait, wait_status

assert pytestmark and session  # used by pytest: the module's marks, a fixture by name
KIT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "kit")


def asking(session, prompt, dialog="Do you want to proceed?"):
    sid, project = session()
    send(sid, prompt)
    wait(lambda: dialog in screen(sid), 15, repr(dialog), sid)
    wait_status(sid, "waiting_permission", timeout=5)
    return sid, project


def test_peek_prints_the_dialog_as_plain_text(session):
    sid, _ = asking(session, "RUN_TOOL=peeked.txt")
    out = tclaude("session", "peek", sid).stdout
    assert "Do you want to proceed?" in out and " touch peeked.txt" in out
    assert "\x1b" not in out and out.rstrip("\n").split("\n")[-1].strip()
    last = tclaude("session", "peek", sid, "-n", "2").stdout.rstrip("\n").split("\n")
    assert len(last) == 2 and "Esc to cancel" in last[-1]


def test_approve_runs_the_tool(session):
    sid, project = asking(session, "RUN_TOOL=approved.txt")
    out = tclaude("session", "approve", sid).stdout
    assert "-> 1. Yes: approved Bash: touch approved.txt" in out
    wait(lambda: (project / "approved.txt").exists(), 10, "the file", sid)
    wait_status(sid, "waiting_input", timeout=15)


def test_approve_always_picks_the_always_option(session):
    sid, project = asking(session, "RUN_TOOL=always.txt")
    out = tclaude("session", "approve", sid, "--always").stdout
    assert "-> 2. Yes, and always allow access to" in out
    wait(lambda: (project / "always.txt").exists(), 10, "the file", sid)


def test_approve_always_is_refused_where_the_dialog_has_no_such_option(session):
    sid, project = asking(session, "RUN_WRITE=w.txt", "Do you want to create w.txt?")
    refused = tclaude("session", "approve", sid, "--always", check=False)
    assert refused.returncode == 1 and "offers no" in refused.stderr
    assert view(sid)["status"] == "waiting_permission"
    out = tclaude("session", "approve", sid).stdout
    assert "Do you want to create w.txt? -> 1. Yes: approved Write:" in out
    wait(lambda: (project / "w.txt").exists(), 10, "the file", sid)


def test_deny_interrupts_the_tool(session):
    sid, project = asking(session, "RUN_TOOL=denied.txt")
    out = tclaude("session", "deny", sid).stdout
    assert "-> 4. No: denied Bash: touch denied.txt" in out
    assert "now waiting_input (denied: Bash: touch denied.txt)" in out
    assert not (project / "denied.txt").exists()


def test_deny_with_a_reason_rejects_and_claude_carries_on(session):
    sid, project = asking(session, "RUN_TOOL=rejected.txt")
    out = tclaude("session", "deny", sid, "--reason", "use /tmp instead").stdout
    assert "denied Bash: touch rejected.txt: use /tmp instead" in out
    wait(lambda: "Not run · rejected" in screen(sid), 10, "the rejection", sid)
    wait_status(sid, "waiting_input", timeout=15)
    assert not (project / "rejected.txt").exists()


def test_deny_of_a_fetch_dialog_presses_its_no(session):
    sid, _ = asking(session, "RUN_FETCH", "fetch this content?")
    out = tclaude("session", "deny", sid).stdout
    assert "-> 3. No, and tell Claude what to do differently (esc): denied WebFetch" in out


def test_answer_picks_an_option(session):
    sid, _ = asking(session, "RUN_ASK", "Enter to select")
    out = tclaude("session", "answer", sid, "2").stdout
    assert "Which colour should the stub use? -> 2. Blue" in out
    wait(lambda: "→ Blue" in screen(sid), 10, "the answer", sid)


def test_answer_types_free_text(session):
    sid, _ = asking(session, "RUN_ASK", "Enter to select")
    out = tclaude("session", "answer", sid, "Purple").stdout
    assert "-> Purple" in out
    wait(lambda: "→ Purple" in screen(sid), 10, "the answer", sid)


def test_answer_refuses_a_multi_select_question(session):
    sid, _ = asking(session, "RUN_ASK_MULTI", "Enter to select")
    before = screen(sid)
    refused = tclaude("session", "answer", sid, "1", check=False)
    assert refused.returncode == 1 and "multi-select" in refused.stderr
    time.sleep(0.5)
    assert screen(sid) == before


def test_approve_leaves_plan_mode_with_ask_each_time(session):
    sid, _ = session()
    for _ in range(2):  # shift+tab twice: plan mode
        tmux("send-keys", "-t", "=tofu-claude-%s:" % sid, "BTab")
        time.sleep(0.5)
    wait(lambda: "plan mode on" in screen(sid), 10, "plan mode", sid)
    send(sid, "RUN_PLAN")
    wait(lambda: "Exit plan mode?" in screen(sid), 15, "the plan dialog", sid)
    wait_status(sid, "waiting_permission", timeout=5)
    out = tclaude("session", "approve", sid).stdout
    assert "plan mode -> 1. Yes, and switch to default (ask each time)" in out
    wait(lambda: "plan mode on" not in screen(sid), 10, "plan mode to end", sid)


def mcp_session(session, tmp_path):
    """A session whose claude has tests/kit/mcp_stub.py as MCP server "stub" (--mcp-config),
    at the dialog of its tool mcp__stub__touch (the stub API's RUN_MCP)."""
    config = tmp_path / "mcp.json"
    server = {"command": sys.executable, "args": [os.path.join(KIT, "mcp_stub.py")]}
    config.write_text(json.dumps({"mcpServers": {"stub": server}}))
    sid, project = session("--", "--mcp-config", str(config))
    time.sleep(2)  # the MCP server connects after the prompt box shows; its tool must be offered
    send(sid, "RUN_MCP=mcp.txt")
    wait(lambda: "(MCP)" in screen(sid) and "Do you want to proceed?" in screen(sid), 15,
         "the MCP dialog", sid)  # fmt: skip
    wait_status(sid, "waiting_permission", timeout=5)
    assert view(sid)["statusDetail"] == "mcp__stub__touch"
    return sid, project


def test_approve_runs_an_mcp_tool(session, tmp_path):
    sid, project = mcp_session(session, tmp_path)
    out = tclaude("session", "approve", sid).stdout
    assert "Do you want to proceed? -> 1. Yes: approved mcp__stub__touch in %s" % sid in out
    wait(lambda: (project / "mcp.txt").exists(), 10, "the file", sid)
    wait_status(sid, "waiting_input", timeout=15)


def test_deny_of_an_mcp_tool_presses_its_no(session, tmp_path):
    sid, project = mcp_session(session, tmp_path)
    out = tclaude("session", "deny", sid).stdout
    assert "-> 3. No: denied mcp__stub__touch" in out
    wait_status(sid, "waiting_input", timeout=15)
    assert not (project / "mcp.txt").exists()


def test_approve_of_an_edit_changes_the_file(session):
    sid, project = session()
    (project / "e.txt").write_text("stub\n")
    send(sid, "RUN_EDIT=e.txt")  # claude reads it, then asks to edit it
    wait(lambda: "make this edit to e.txt?" in screen(sid), 15, "the edit dialog", sid)
    wait_status(sid, "waiting_permission", timeout=5)
    out = tclaude("session", "approve", sid).stdout
    assert "Do you want to make this edit to e.txt? -> 1. Yes: approved Edit: " in out
    wait(lambda: (project / "e.txt").read_text() == "edited\n", 10, "the edit", sid)
