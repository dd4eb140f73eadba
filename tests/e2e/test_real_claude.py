"""Status follows the REAL claude CLI, offline (tests/kit: stub API, temp HOME, private tmux).

Run: make e2e.  Skipped elsewhere (see real_claude.py), so it never reaches a real account.
"""

import os
import signal
import time

from real_claude import (
    answer,
    pytestmark,
    screen,
    send,
    session,
    tclaude,
    tmux,
    view,
    wait,
    wait_status,
)

assert pytestmark and session  # used by pytest: the module's marks, a fixture by name


def test_a_new_session_is_waiting_for_input_with_the_fixed_conversation_id(session):
    sid, _ = session()
    wait_status(sid, "waiting_input")
    v = view(sid)
    assert v["pid"] == int(
        tmux("display-message", "-p", "-t", "=tofu-claude-%s:" % sid, "#{pane_pid}").stdout
    )
    send(sid, "hello")  # claude writes its transcript with the first prompt
    wait(lambda: "Hello from" in view(sid)["statusDetail"], 15, "the reply", sid)
    transcript = view(sid)["transcriptPath"]
    assert os.path.basename(transcript) == v["convId"] + ".jsonl"
    assert os.path.exists(transcript)


def test_a_turn_is_running_then_waiting_for_input(session):
    sid, _ = session()
    send(sid, "SLOW=3")
    wait_status(sid, "running", timeout=3)
    wait_status(sid, "waiting_input", timeout=15)


def test_a_permission_dialog_is_waiting_permission_within_a_second(session):
    sid, project = session()
    send(sid, "RUN_TOOL=e2e_marker.txt")
    shown = wait(lambda: "Do you want to proceed?" in screen(sid), 15, "the dialog", sid)
    seen = wait_status(sid, "waiting_permission", timeout=5)
    assert seen - shown < 1.5
    assert view(sid)["statusDetail"].startswith("Bash:")
    answer(sid, "1", "Do you want to proceed?")
    wait_status(sid, "waiting_input", timeout=15)
    assert (project / "e2e_marker.txt").exists()


def test_denying_a_permission_is_waiting_input_within_a_second(session):
    sid, project = session()
    send(sid, "RUN_TOOL=denied.txt")
    wait_status(sid, "waiting_permission", timeout=15)
    answer(sid, "Escape", "Do you want to proceed?")
    pressed = time.time()
    seen = wait_status(sid, "waiting_input", timeout=5)
    assert seen - pressed < 1.5
    assert view(sid)["statusDetail"].startswith("denied")
    assert not (project / "denied.txt").exists()


def test_interrupting_a_turn_is_waiting_input_within_a_second(session):
    sid, _ = session()
    send(sid, "SLOW=30")
    wait(lambda: "esc to interrupt" in screen(sid), 10, "the busy footer", sid)
    wait_status(sid, "running", timeout=3)
    tmux("send-keys", "-t", "=tofu-claude-%s:" % sid, "Escape")
    pressed = time.time()
    seen = wait_status(sid, "waiting_input", timeout=5)
    assert seen - pressed < 1.5


def test_a_question_is_waiting_permission_until_answered(session):
    sid, _ = session()
    send(sid, "RUN_ASK")
    wait_status(sid, "waiting_permission", timeout=15)
    assert view(sid)["statusDetail"].startswith("AskUserQuestion")
    answer(sid, "1", "Enter to select")
    wait_status(sid, "waiting_input", timeout=15)


def test_a_background_agent_ends_waiting_for_input(session):
    sid, _ = session()
    send(sid, "RUN_AGENT")
    wait(lambda: "finished" in screen(sid), 30, "the agent to finish", sid)
    wait_status(sid, "waiting_input", timeout=10)


def test_clear_moves_to_a_new_conversation(session):
    sid, _ = session()
    wait_status(sid, "waiting_input")
    before = view(sid)["convId"]
    send(sid, "/clear")
    wait(lambda: view(sid)["convId"] != before, 10, "a new convId", sid)
    assert view(sid)["status"] == "waiting_input"


def test_kill_ends_claude_and_its_session(session):
    sid, _ = session()
    pid = view(sid)["pid"]
    tclaude("session", "kill", sid)
    assert tmux("has-session", "-t", "=tofu-claude-" + sid).returncode == 1
    wait(lambda: not os.path.exists("/proc/%d" % pid), 5, "claude to be gone")


def test_a_sigkilled_claude_is_exited(session):
    sid, _ = session()
    os.kill(view(sid)["pid"], signal.SIGKILL)
    wait_status(sid, "exited", timeout=5)
    assert view(sid)["statusDetail"] == "claude killed by signal 9"


def test_exit_is_exited_and_the_conversation_can_be_resumed(session):
    sid, _ = session()
    conv = view(sid)["convId"]
    send(sid, "hello")
    wait(lambda: "Hello from" in view(sid)["statusDetail"], 15, "the reply", sid)
    send(sid, "/exit")
    wait_status(sid, "exited", timeout=10)
    again, _ = session("--resume", conv)
    wait_status(again, "waiting_input")
    assert view(again)["convId"] == conv
    refused = tclaude("session", "new", view(again)["cwd"], "--resume", conv, check=False)
    assert refused.returncode == 1 and "already open in session %s" % again in refused.stderr
