"""session send / wait / resume against the REAL claude CLI (offline kit: `make e2e`).

Same rules as test_real_claude.py (helpers in real_claude.py): skipped unless the kit's env is
armed, so it never runs against a real account.
"""

import json
import os

from real_claude import answer, pytestmark, screen, session, tclaude, view, wait, wait_status

assert pytestmark and session  # used by pytest: the module's marks, a fixture by name


def user_prompts(sid):
    """The prompts claude recorded in its transcript, in order."""
    path = view(sid).get("transcriptPath")
    if not path or not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh if line.strip()]
    return [
        r["message"]["content"]
        for r in records
        if r.get("type") == "user" and isinstance(r["message"].get("content"), str)
    ]


def settle(sid, timeout=30):
    proc = tclaude("session", "wait", sid, "--timeout", str(timeout), check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_send_delivers_a_multiline_prompt_as_one(session):
    sid, _ = session()
    wait_status(sid, "waiting_input")
    text = 'first line\nsecond "quoted" line\nthird ünïcödé ✓'
    tclaude("session", "send", sid, text)
    assert settle(sid) == "%s waiting_input\n" % sid
    wait(lambda: user_prompts(sid), 10, "the prompt in the transcript", sid)
    assert user_prompts(sid) == [text]


def test_send_delivers_a_long_prompt_inside_claudes_paste_wrapper(session):
    sid, _ = session()
    wait_status(sid, "waiting_input")
    text = "\n".join("line %02d of a long prompt" % i for i in range(50))
    tclaude("session", "send", sid, text)
    settle(sid)
    wait(lambda: user_prompts(sid), 10, "the prompt in the transcript", sid)
    (prompt,) = user_prompts(sid)
    assert prompt.lstrip().startswith("<pasted_content") and text in prompt


def test_wait_sees_a_denied_permission(session):
    sid, project = session()
    wait_status(sid, "waiting_input")
    tclaude("session", "send", sid, "RUN_TOOL=denied_e2e.txt")
    proc = tclaude("session", "wait", sid, "--until", "waiting_permission", "--timeout", "30")
    assert proc.stdout == "%s waiting_permission\n" % sid
    answer(sid, "Escape", "Do you want to proceed?")
    proc = tclaude("session", "wait", sid, "--until", "waiting_input", "--timeout", "10")
    assert proc.stdout == "%s waiting_input\n" % sid
    assert not (project / "denied_e2e.txt").exists()


def test_exit_by_send_then_resume_continues_the_conversation_in_place(session):
    sid, _ = session("--name", "e2e-resume")
    wait_status(sid, "waiting_input")
    conv = view(sid)["convId"]
    tclaude("session", "send", sid, "remember the word pineapple")
    settle(sid)
    tclaude("session", "send", sid, "/exit")
    assert tclaude("session", "wait", sid, "--until", "exited", "--timeout", "15").stdout
    tclaude("session", "resume", "e2e-resume")
    assert settle(sid) == "%s waiting_input\n" % sid
    v = view(sid)
    assert (v["id"], v["name"], v["convId"]) == (sid, "e2e-resume", conv)
    wait(lambda: "pineapple" in screen(sid), 10, "the old conversation redrawn", sid)
