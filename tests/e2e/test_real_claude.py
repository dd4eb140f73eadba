"""Status follows the REAL claude CLI (offline: ../shared/claude-code/offline, `make e2e`).

Skipped unless the kit's env is armed (CLAUDE_OFFLINE_TMP set and `claude` on PATH being the
kit's binary), so it can never run against a real account.  The kit gives a stub API, a temp
HOME, a private TMUX_TMPDIR, and trusts every directory under its temp dir (pytest's tmp_path
lives under its TMPDIR).  Run: make e2e
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TCLAUDE = os.path.join(ROOT, "tclaude.py")

pytestmark = [
    pytest.mark.real_claude,
    pytest.mark.skipif(
        not os.environ.get("CLAUDE_OFFLINE_TMP")
        or shutil.which("claude") != os.environ.get("CLAUDE_OFFLINE_CLAUDE"),
        reason="needs the offline kit's env (make e2e)",
    ),
]


def tclaude(*args, check=True):
    proc = subprocess.run(
        [sys.executable, TCLAUDE, *args], capture_output=True, text=True, timeout=60
    )
    if check and proc.returncode != 0:
        raise AssertionError("tclaude %s: %s" % (args, proc.stderr))
    return proc


def tmux(*args):
    return subprocess.run(["tmux", *args], capture_output=True, text=True, timeout=10)


def view(sid):
    return {s["id"]: s for s in json.loads(tclaude("session", "ls", "--json").stdout)}[sid]


def screen(sid):
    return tmux("capture-pane", "-p", "-t", "=tofu-claude-%s:" % sid).stdout


def wait(predicate, timeout, what, sid=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return time.time()
        time.sleep(0.1)
    extra = ""
    if sid:
        extra = "\nstatus: %r\nscreen:\n%s" % (view(sid), screen(sid))
    raise AssertionError("timed out waiting for %s%s" % (what, extra))


def wait_status(sid, status, timeout=10):
    return wait(lambda: view(sid)["status"] == status, timeout, "status %s" % status, sid)


def prompt_ready(sid):
    text = screen(sid)
    return "❯" in text and "esc to interrupt" not in text and "Do you want" not in text


def send(sid, text):
    target = "=tofu-claude-%s:" % sid
    tmux("send-keys", "-t", target, "-l", text)
    time.sleep(0.6)
    tmux("send-keys", "-t", target, "Enter")


def answer(sid, key, dialog):
    wait(lambda: dialog in screen(sid), 15, repr(dialog), sid)
    time.sleep(0.5)  # claude drops keys sent within ~0.15 s of drawing a dialog
    tmux("send-keys", "-t", "=tofu-claude-%s:" % sid, key)


@pytest.fixture
def session(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    started = []

    def start(*args):
        sid = tclaude("session", "new", "-q", str(project), *args).stdout.strip()
        started.append(sid)
        wait(lambda: prompt_ready(sid), 30, "the prompt box", sid)
        return sid, project

    yield start
    for sid in started:
        tclaude("session", "kill", sid, check=False)


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
