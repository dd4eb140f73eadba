"""Status truth: what `ls --json` shows while claude goes through its recorded sequences.

The fake claude (tests/fakebin/claude) fires hooks with the recorded payloads and timings of
tests/samples; FAKE_CLAUDE_TIME_SCALE=0.05 shrinks the long waits (SLOW=20 is
1 s, the 60 s idle notification 3 s).  Where real claude fires no hook (deny, interrupt,
SIGKILL) the fake fires none either, so these tests show the gap-filling works.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from conftest import TCLAUDE, wait_until


def started(sandbox, *args):
    sid = sandbox.new(sandbox.work, *args)
    sandbox.wait_status(sid, "waiting_input")
    sandbox.wait_screen(sid, "❯")
    return sid


def start_without_registry(sandbox):
    """Claude versions without ~/.claude/sessions/<pid>.json: the screen is the fallback.
    The tmux server is started by the first `new`, so it inherits the knob."""
    sandbox.env["FAKE_CLAUDE_NO_REGISTRY"] = "1"
    return started(sandbox)


# -- turns --------------------------------------------------------------------------------------


def test_a_prompt_runs_then_waits_for_input_again(sandbox, trail):
    sid = started(sandbox)
    seen = trail(sid)
    sandbox.type(sid, "SLOW=20 think about it")
    seen.wait_for("running")
    seen.wait_for("waiting_input")
    assert seen.stop()[-2:] == ["running", "waiting_input"]


def test_running_detail_shows_the_prompt(sandbox):
    sid = started(sandbox)
    sandbox.type(sid, "SLOW=60 refactor the parser")
    view = sandbox.wait_status(sid, "running")
    assert "refactor the parser" in view["statusDetail"]


def test_a_finished_turn_shows_the_start_of_the_reply(sandbox):
    sid = started(sandbox)
    sandbox.type(sid, "hello")
    wait_until(lambda: "Hello from" in sandbox.session(sid)["statusDetail"], message="reply")
    assert sandbox.session(sid)["status"] == "waiting_input"


def test_a_permission_dialog_is_waiting_permission_with_the_command(sandbox):
    sid = started(sandbox)
    sandbox.type(sid, "RUN_TOOL=approved.txt")
    view = sandbox.wait_status(sid, "waiting_permission")
    assert view["statusDetail"].startswith("Bash: touch approved.txt")


def test_approving_the_tool_runs_it_and_ends_waiting_for_input(sandbox, trail):
    sid = started(sandbox)
    seen = trail(sid)
    sandbox.type(sid, "RUN_TOOL=approved.txt")
    seen.wait_for("waiting_permission")
    sandbox.answer(sid, "1")
    seen.wait_for("waiting_input")
    assert os.path.exists(os.path.join(sandbox.work, "approved.txt"))
    statuses = seen.stop()
    assert statuses[statuses.index("waiting_permission") :][-1] == "waiting_input"


def test_an_approved_long_tool_shows_running_although_no_hook_fired(sandbox):
    sid = started(sandbox)
    sandbox.type(sid, "RUN_TOOL=slow.txt TOOL_SLEEP=200")
    sandbox.wait_status(sid, "waiting_permission")
    sandbox.answer(sid, "1")
    view = sandbox.wait_status(sid, "running", timeout=5)
    assert view["statusDetail"].startswith("approved")


def test_a_question_is_waiting_permission_until_answered(sandbox):
    sid = started(sandbox)
    sandbox.type(sid, "RUN_ASK")
    view = sandbox.wait_status(sid, "waiting_permission")
    assert view["statusDetail"].startswith("AskUserQuestion")
    sandbox.answer(sid, "1", dialog="Enter to select")
    sandbox.wait_status(sid, "waiting_input")


def test_a_failing_tool_still_ends_waiting_for_input(sandbox, trail):
    sid = started(sandbox)
    seen = trail(sid)
    sandbox.type(sid, "RUN_FAIL")
    wait_until(
        lambda: any(r.get("event") == "PostToolUseFailure" for r in sandbox.hook_log()),
        message="PostToolUseFailure",
    )
    seen.wait_for("waiting_input")
    assert "exited" not in seen.stop()


def test_a_background_agent_ends_waiting_for_input_after_its_second_stop(sandbox, trail):
    sid = started(sandbox)
    seen = trail(sid)
    sandbox.type(sid, "RUN_AGENT")
    wait_until(
        lambda: len([r for r in sandbox.hook_log() if r.get("event") == "Stop"]) >= 2,
        message="two Stop hooks",
    )
    seen.wait_for("waiting_input")
    assert set(seen.stop()) <= {"waiting_input", "running"}


# -- no hook fires: deny and interrupt ----------------------------------------------------------


def test_denying_with_esc_is_waiting_input_within_a_second(sandbox):
    sid = started(sandbox)
    sandbox.type(sid, "RUN_TOOL=denied.txt")
    sandbox.wait_status(sid, "waiting_permission")
    sandbox.answer(sid, "Escape")
    view = sandbox.wait_status(sid, "waiting_input", timeout=2)
    assert view["statusDetail"].startswith("denied")
    assert not os.path.exists(os.path.join(sandbox.work, "denied.txt"))


def test_denying_with_no_is_waiting_input(sandbox):
    sid = started(sandbox)
    sandbox.type(sid, "RUN_TOOL=denied.txt")
    sandbox.wait_status(sid, "waiting_permission")
    sandbox.answer(sid, "4")
    sandbox.wait_status(sid, "waiting_input", timeout=2)


def test_interrupting_a_turn_is_waiting_input_within_a_second(sandbox):
    sid = started(sandbox)
    sandbox.type(sid, "SLOW=400")
    sandbox.wait_status(sid, "running")
    sandbox.wait_screen(sid, "esc to interrupt")
    sandbox.keys(sid, "Escape")
    view = sandbox.wait_status(sid, "waiting_input", timeout=2)
    assert view["statusDetail"] == "interrupted"


def test_without_claudes_registry_a_denial_is_read_from_the_screen(sandbox):
    sid = start_without_registry(sandbox)
    assert not os.path.isdir(os.path.join(sandbox.home, ".claude", "sessions")) or not os.listdir(
        os.path.join(sandbox.home, ".claude", "sessions")
    )
    sandbox.type(sid, "RUN_TOOL=denied.txt")
    sandbox.wait_status(sid, "waiting_permission")
    sandbox.answer(sid, "Escape")
    view = sandbox.wait_status(sid, "waiting_input", timeout=3)
    assert view["statusDetail"].startswith("denied")


def test_without_claudes_registry_an_interrupt_is_read_from_the_screen(sandbox):
    sid = start_without_registry(sandbox)
    sandbox.type(sid, "SLOW=400")
    sandbox.wait_screen(sid, "esc to interrupt")
    sandbox.wait_status(sid, "running")
    sandbox.keys(sid, "Escape")
    sandbox.wait_status(sid, "waiting_input", timeout=3)


def test_without_claudes_registry_a_long_turn_stays_running(sandbox):
    sid = start_without_registry(sandbox)
    sandbox.type(sid, "SLOW=400")
    sandbox.wait_screen(sid, "esc to interrupt")
    sandbox.wait_status(sid, "running")
    for _ in range(6):  # well past the screen check's grace period
        assert sandbox.session(sid)["status"] == "running"
        time.sleep(0.3)


# -- conversations ------------------------------------------------------------------------------


def test_clear_moves_the_session_to_a_new_conversation(sandbox):
    sid = started(sandbox)
    before = sandbox.session(sid)["convId"]
    sandbox.type(sid, "/clear")
    wait_until(lambda: sandbox.session(sid)["convId"] != before, message="a new convId")
    view = sandbox.session(sid)
    assert view["status"] == "waiting_input"
    assert len(view["convId"]) == 36


def test_resume_continues_the_conversation_in_a_new_session(sandbox):
    first = started(sandbox)
    conv = sandbox.session(first)["convId"]
    sandbox.type(first, "/exit")
    sandbox.wait_status(first, "exited")
    second = started(sandbox, "--resume", conv)
    assert sandbox.session(second)["convId"] == conv
    starts = [r["payload"] for r in sandbox.hook_log() if r.get("event") == "SessionStart"]
    assert starts[-1]["source"] == "resume" and starts[-1]["session_id"] == conv


def test_a_second_live_session_on_one_conversation_is_refused(sandbox):
    first = started(sandbox)
    conv = sandbox.session(first)["convId"]
    proc = sandbox.run("session", "new", sandbox.work, "--resume", conv)
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        "tclaude: conversation %s is already open in session %s (waiting_input); "
        "attach with: tclaude session attach %s" % (conv, first, first)
    )
    assert len(sandbox.ls()) == 1


def test_an_exited_holder_does_not_block_a_resume(sandbox):
    first = started(sandbox)
    conv = sandbox.session(first)["convId"]
    pid = sandbox.session(first)["pid"]
    os.kill(pid, signal.SIGKILL)
    sandbox.wait_status(first, "exited")
    second = started(sandbox, "--resume", conv)
    assert sandbox.session(second)["status"] == "waiting_input"


def test_two_simultaneous_resumes_of_one_conversation_yield_one_session(sandbox):
    first = started(sandbox)
    conv = sandbox.session(first)["convId"]
    sandbox.type(first, "/exit")
    sandbox.wait_status(first, "exited")
    barrier = threading.Barrier(4)
    results = []

    def resume():
        barrier.wait()
        results.append(
            subprocess.run(
                [sys.executable, TCLAUDE, "session", "new", "-q", sandbox.work, "--resume", conv],
                env=sandbox.env,
                cwd=sandbox.work,
                capture_output=True,
                text=True,
                timeout=30,
            )
        )

    threads = [threading.Thread(target=resume) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ok = [r for r in results if r.returncode == 0]
    refused = [r for r in results if r.returncode != 0]
    assert len(ok) == 1
    assert all("already open in session" in r.stderr for r in refused)
    live = [s for s in sandbox.ls().values() if s["status"] != "exited"]
    assert [s["id"] for s in live] == [ok[0].stdout.strip()]


# -- exits --------------------------------------------------------------------------------------


def test_slash_exit_is_exited_with_the_reason(sandbox, trail):
    sid = started(sandbox)
    seen = trail(sid)
    sandbox.type(sid, "/exit")
    seen.wait_for("exited")
    view = sandbox.session(sid)
    assert "prompt_input_exit" in view["statusDetail"] or "status 0" in view["statusDetail"]
    assert seen.stop()[-2:] == ["waiting_input", "exited"]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_a_signalled_claude_is_exited(sandbox, sig):
    sid = started(sandbox)
    os.kill(sandbox.session(sid)["pid"], sig)
    sandbox.wait_status(sid, "exited")


def test_a_sigkilled_claude_is_exited_although_no_hook_fired(sandbox):
    sid = started(sandbox)
    sandbox.type(sid, "SLOW=400")
    sandbox.wait_status(sid, "running")
    os.kill(sandbox.session(sid)["pid"], signal.SIGKILL)
    view = sandbox.wait_status(sid, "exited")
    assert view["statusDetail"] == "claude killed by signal 9"


def test_a_killed_tmux_session_is_exited(sandbox):
    sid = started(sandbox)
    sandbox.tmux("kill-session", "-t", "=tofu-claude-" + sid)
    sandbox.wait_status(sid, "exited")


def test_an_immediate_claude_failure_is_exited_with_its_status(sandbox):
    sid = sandbox.new(sandbox.work, "--", "--no-such-flag")
    view = sandbox.wait_status(sid, "exited")
    assert "status 1" in view["statusDetail"]


# -- start-up -----------------------------------------------------------------------------------


def test_a_start_up_dialog_shows_as_waiting_for_the_user(sandbox):
    sandbox.env["FAKE_CLAUDE_TRUST_DIALOG"] = "1"
    sid = sandbox.new(sandbox.work)
    sandbox.wait_screen(sid, "trust")
    view = sandbox.wait_status(sid, "waiting_input", timeout=8)
    assert "start-up dialog" in view["statusDetail"]


def test_the_users_own_hooks_keep_running_beside_tclaudes(sandbox):
    claude_dir = os.path.join(sandbox.home, ".claude")
    os.makedirs(claude_dir)
    marker = os.path.join(sandbox.root, "user-hook-ran")
    settings = {
        "hooks": {"Stop": [{"hooks": [{"type": "command", "command": "touch %s" % marker}]}]}
    }
    with open(os.path.join(claude_dir, "settings.json"), "w") as fh:
        json.dump(settings, fh)
    sid = started(sandbox)
    sandbox.type(sid, "hello")
    wait_until(lambda: os.path.exists(marker), message="the user's Stop hook")
    assert "Hello" in sandbox.session(sid)["statusDetail"]
    with open(os.path.join(claude_dir, "settings.json")) as fh:
        assert json.load(fh)["hooks"] == settings["hooks"]


def test_no_hook_breaks_claudes_rules(sandbox):
    sid = started(sandbox)
    sandbox.type(sid, "RUN_TOOL=x.txt")
    sandbox.wait_status(sid, "waiting_permission")
    sandbox.answer(sid, "1")
    sandbox.wait_status(sid, "waiting_input")
    sandbox.type(sid, "/exit")
    sandbox.wait_status(sid, "exited")
    runs = sandbox.hook_log()
    assert runs, "the fake claude logs every hook run"
    assert [r for r in runs if r.get("violation")] == []
