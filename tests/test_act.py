"""Acting on a session without attaching: session peek / approve / deny / answer, and
attach --next, in real tmux with the fake claude (its dialogs are drawn like the recorded
real screens in tests/samples/screens)."""

import os
import re
import sys
import time

import pytest
from conftest import (
    ROOT,
    assert_one_line_error,
    fake_sessions,
    iso,
    open_dashboard,
    start_claude_by_hand,
    wait_until,
    write_record,
)

sys.path.insert(0, ROOT)
import tclaude  # (the screen parser is tested on the recorded real screens directly)

SCREENS = os.path.join(ROOT, "tests", "samples", "screens")


def recorded(name):
    with open(os.path.join(SCREENS, name + ".txt"), encoding="utf-8") as fh:
        return fh.read()


@pytest.fixture
def asking(sandbox):
    """A fake claude session showing a dialog: start(prompt) -> id, once waiting_permission."""

    def start(prompt="RUN_TOOL=act.txt", dialog="Do you want to proceed?"):
        sid = sandbox.new(sandbox.work)
        sandbox.wait_status(sid, "waiting_input")
        sandbox.type(sid, prompt)
        sandbox.wait_status(sid, "waiting_permission")
        sandbox.wait_screen(sid, dialog)
        return sid

    return start


# -- the recorded real screens ---------------------------------------------------------------


def test_the_real_bash_dialog_reads_as_four_options_with_yes_highlighted():
    dialog = tclaude.parse_dialog(recorded("bash_dialog"))
    assert [n for n, _ in dialog.options] == [1, 2, 3, 4]
    assert dialog.options[0] == (1, "Yes") and dialog.options[3] == (4, "No")
    assert dialog.cursor == 1 and dialog.question == "Do you want to proceed?"
    assert "Tab to amend" in dialog.footer and not dialog.is_question()
    assert tclaude.dialog_shows_tool(dialog, "Bash", "touch a.txt")
    assert not tclaude.dialog_shows_tool(dialog, "Bash", "touch b.txt")


def test_the_real_always_options_are_found_per_dialog_shape():
    bash = tclaude.parse_dialog(recorded("bash_dialog"))
    fetch = tclaude.parse_dialog(recorded("fetch_dialog"))
    write = tclaude.parse_dialog(recorded("write_dialog"))
    assert bash.find(tclaude.always_option) == 2
    assert fetch.find(tclaude.always_option) == 2
    assert write.find(tclaude.always_option) is None  # "switch to accept edits": not an always
    assert (fetch.find(tclaude.no_option), write.find(tclaude.no_option)) == (3, 3)


def test_the_real_write_and_fetch_dialogs_match_their_hook_details():
    write = tclaude.parse_dialog(recorded("write_dialog"))
    fetch = tclaude.parse_dialog(recorded("fetch_dialog"))
    cwd = "/tmp/tclaude-kit.XXXXXX/work"
    assert tclaude.dialog_shows_tool(write, "Write", cwd + "/w.txt", cwd)
    assert not tclaude.dialog_shows_tool(write, "Write", "/tmp/x/w.txt", cwd)
    assert not tclaude.dialog_shows_tool(write, "Write", cwd + "/w.tx", cwd)
    assert tclaude.dialog_shows_tool(fetch, "WebFetch", "https://example.com/")
    assert not tclaude.dialog_shows_tool(fetch, "WebFetch", "https://example.org/")


def test_a_path_the_hook_cut_short_matches_as_a_prefix_only():
    deep = "/tmp/tclaude-kit.XXXXXX/work/" + "d" * 60 + "/w.txt"
    screen = recorded("write_dialog").replace("\n w.txt\n", "\n %s\n" % deep)
    write = tclaude.parse_dialog(screen)
    assert deep in write.text
    assert tclaude.dialog_shows_tool(write, "Write", deep[:80], "/")
    assert not tclaude.dialog_shows_tool(write, "Write", ("/elsewhere" + deep)[:80], "/")


def test_the_real_questions_read_as_questions():
    single = tclaude.parse_dialog(recorded("ask_dialog"))
    multi = tclaude.parse_dialog(recorded("askm_dialog"))
    assert single.is_question() and not single.is_multi_select()
    assert single.question == "Which colour should the stub use?"
    assert multi.is_question() and multi.is_multi_select()


def test_a_screen_back_at_the_prompt_has_no_dialog():
    assert tclaude.parse_dialog(recorded("bash_after4")) is None
    assert tclaude.parse_dialog(recorded("ask_after2")) is None


def test_the_fake_dialog_lines_are_the_real_ones(asking, sandbox):
    sid = asking()
    fake = tclaude.parse_dialog(sandbox.screen(sid))
    real = tclaude.parse_dialog(recorded("bash_dialog"))
    assert [label.split(" /")[0] for _, label in fake.options] == [
        label.split(" /")[0] for _, label in real.options
    ]
    assert (fake.question, fake.footer, fake.cursor) == (real.question, real.footer, real.cursor)


# -- peek -------------------------------------------------------------------------------------


def test_peek_prints_the_visible_screen_without_trailing_blank_lines(asking, sandbox):
    sid = asking()
    proc = sandbox.run("session", "peek", sid, check=True)
    assert "Do you want to proceed?" in proc.stdout and " touch act.txt" in proc.stdout
    assert proc.stdout.endswith("\n") and not proc.stdout.endswith("\n\n")
    assert proc.stdout.rstrip("\n").split("\n")[-1].strip()


def test_peek_n_prints_the_last_lines(asking, sandbox):
    sid = asking()
    proc = sandbox.run("session", "peek", sid, "-n", "3", check=True)
    lines = proc.stdout.rstrip("\n").split("\n")
    assert len(lines) == 3 and lines[-1].strip() == "Esc to cancel · Tab to amend"


def test_peek_shows_control_characters_instead_of_obeying_them(sandbox):
    sandbox.tmux("new-session", "-d", "-s", "tofu-claude-c0ffee01", "-x", "80", "-y", "10",
                 "printf 'safe\\033]0;evil\\007 \\302\\233x\\n'; sleep 60")  # fmt: skip
    write_record(sandbox, "c0ffee01", tmuxSession="tofu-claude-c0ffee01", pid=None)
    wait_until(lambda: "safe" in sandbox.run("session", "peek", "c0ffee01").stdout)
    out = sandbox.run("session", "peek", "c0ffee01", check=True).stdout
    assert "\x1b" not in out and "\x9b" not in out and "\x07" not in out


def test_peek_of_an_unknown_session_is_one_line_error(sandbox):
    assert_one_line_error(sandbox.run("session", "peek", "nosuch"), "no session 'nosuch'", 1)


def test_peek_reads_the_pane_of_an_adopted_claude(sandbox):
    pane, _ = start_claude_by_hand(sandbox)
    sandbox.tmux("split-window", "-t", pane, "-d", "sh -c 'echo OTHER PANE; sleep 60'")
    proc = sandbox.run("session", "adopt", pane, check=True)
    sid = re.search(r"as session ([0-9a-f]{8})", proc.stdout).group(1)
    out = sandbox.run("session", "peek", sid, check=True).stdout
    assert "? for shortcuts" in out and "OTHER PANE" not in out


def test_peek_of_a_session_whose_tmux_session_is_gone_is_one_line_error(sandbox):
    write_record(sandbox, "c0ffee02", tmuxSession="tofu-claude-c0ffee02", pid=None)
    sandbox.tmux("new-session", "-d", "-s", "keepalive", "sleep 60")
    proc = sandbox.run("session", "peek", "c0ffee02")
    assert_one_line_error(proc, "cannot read the screen of", 1)


def test_peek_follow_redraws_until_ctrl_c(asking, sandbox):
    import signal
    import subprocess

    sid = asking()
    proc = subprocess.Popen(
        [sys.executable, tclaude.__file__, "session", "peek", sid, "--follow"],
        env=sandbox.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    time.sleep(2.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0 and err == ""
    assert out.count("\x1b[H\x1b[2J") >= 2 and "Do you want to proceed?" in out


# -- approve / deny ---------------------------------------------------------------------------


def test_approve_presses_yes_and_says_what_the_status_became(asking, sandbox):
    sid = asking()
    proc = sandbox.run("session", "approve", sid, check=True)
    assert "Do you want to proceed? -> 1. Yes: approved Bash: touch act.txt" in proc.stdout
    assert re.search(r"now (running|waiting_input)", proc.stdout)
    wait_until(lambda: os.path.exists(os.path.join(sandbox.work, "act.txt")))


def test_approve_always_presses_the_always_option(asking, sandbox):
    sid = asking()
    proc = sandbox.run("session", "approve", sid, "--always", check=True)
    assert "-> 2. Yes, and always allow access to" in proc.stdout
    wait_until(lambda: os.path.exists(os.path.join(sandbox.work, "act.txt")))


def test_deny_presses_no(asking, sandbox):
    sid = asking()
    proc = sandbox.run("session", "deny", sid, check=True)
    assert "-> 4. No: denied Bash: touch act.txt" in proc.stdout
    assert "now waiting_input (denied: Bash: touch act.txt)" in proc.stdout
    assert not os.path.exists(os.path.join(sandbox.work, "act.txt"))


def test_deny_with_a_reason_amends_no_and_types_it(asking, sandbox):
    sid = asking()
    proc = sandbox.run("session", "deny", sid, "--reason", "use /tmp instead", check=True)
    assert "denied Bash: touch act.txt" in proc.stdout and "use /tmp instead" in proc.stdout
    sandbox.wait_screen(sid, "Not run · rejected")
    assert not os.path.exists(os.path.join(sandbox.work, "act.txt"))


def test_approve_refuses_a_session_not_waiting_permission(sandbox):
    sid = sandbox.new(sandbox.work)
    sandbox.wait_status(sid, "waiting_input")
    before = sandbox.screen(sid)
    proc = sandbox.run("session", "approve", sid)
    assert_one_line_error(proc, "not waiting_permission; nothing typed", 1)
    assert sandbox.screen(sid) == before


def test_approve_refuses_when_the_dialog_is_not_on_screen(asking, sandbox):
    sid = asking()
    state = sandbox.read_state(sid)
    sandbox.tmux("new-window", "-t", "=tofu-claude-%s:" % sid, "sleep 60")  # hides the dialog
    proc = sandbox.run("session", "approve", sid)
    assert_one_line_error(proc, "no dialog is on screen", 1)
    assert state["status"] == sandbox.read_state(sid)["status"]
    sandbox.tmux("kill-window", "-t", "=tofu-claude-%s:1" % sid)
    sandbox.wait_screen(sid, "Do you want to proceed?")


def test_approve_refuses_a_dialog_of_another_command(asking, sandbox):
    sid = asking()
    with open(sandbox.state_file(sid, ".status"), encoding="utf-8") as fh:
        hook = fh.read()
    with open(sandbox.state_file(sid, ".status"), "w", encoding="utf-8") as fh:
        fh.write(hook.replace("touch act.txt", "rm -rf build"))
    proc = sandbox.run("session", "approve", sid)
    assert_one_line_error(proc, "does not show Bash: rm -rf build; nothing typed", 1)
    assert "Do you want to proceed?" in sandbox.screen(sid)
    assert not os.path.exists(os.path.join(sandbox.work, "act.txt"))


def test_approve_refuses_a_question(asking, sandbox):
    sid = asking("RUN_ASK", "Enter to select")
    proc = sandbox.run("session", "approve", sid)
    assert_one_line_error(proc, "use: tclaude session answer", 1)
    assert "Enter to select" in sandbox.screen(sid)


def test_approve_says_so_when_nothing_changed(asking, sandbox):
    sid = asking()
    sandbox.answer(sid, "Tab")  # the user began amending
    sandbox.wait_screen(sid, "tell Claude what to do next")
    proc = sandbox.run("session", "approve", sid, "--always")  # its 2 goes into the text
    assert_one_line_error(proc, "still waits on Bash: touch act.txt after 5 s", 1)
    assert sandbox.session(sid)["status"] == "waiting_permission"


def test_plain_approve_refuses_an_amended_dialog_that_offers_no_plain_yes(asking, sandbox):
    sid = asking()
    sandbox.answer(sid, "Tab")
    sandbox.wait_screen(sid, "tell Claude what to do next")
    proc = sandbox.run("session", "approve", sid)
    assert_one_line_error(proc, "the dialog offers no 'Yes' option", 1)


# -- answer -----------------------------------------------------------------------------------


def test_answer_picks_an_option_by_number(asking, sandbox):
    sid = asking("RUN_ASK", "Enter to select")
    proc = sandbox.run("session", "answer", sid, "2", check=True)
    assert "Which colour should the fixture use? -> 2. Blue" in proc.stdout
    sandbox.wait_screen(sid, "→ Blue")


def test_answer_types_text_into_type_something(asking, sandbox):
    sid = asking("RUN_ASK", "Enter to select")
    proc = sandbox.run("session", "answer", sid, "purple", "please", check=True)
    assert "-> purple please" in proc.stdout
    sandbox.wait_screen(sid, "→ purple please")


def test_answer_refuses_a_number_that_is_no_option(asking, sandbox):
    sid = asking("RUN_ASK", "Enter to select")
    proc = sandbox.run("session", "answer", sid, "7")
    assert_one_line_error(proc, r"no option 7 \(it offers: 1. Red; 2. Blue\)", 1)
    assert "Enter to select" in sandbox.screen(sid)


def test_answer_refuses_a_permission_dialog(asking, sandbox):
    sid = asking()
    proc = sandbox.run("session", "answer", sid, "1")
    assert_one_line_error(proc, "use: tclaude session approve or deny", 1)
    assert not os.path.exists(os.path.join(sandbox.work, "act.txt"))


# -- attach --next ----------------------------------------------------------------------------


def test_attach_next_with_an_id_is_refused(sandbox):
    proc = sandbox.run("session", "attach", "--next", "abc")
    assert_one_line_error(proc, "give a session id or --next, not both", 1)


def test_attach_next_without_waiting_sessions_is_refused(sandbox):
    proc = sandbox.run("session", "attach", "--next")
    assert_one_line_error(proc, "no session is waiting for you", 1)


def test_next_needing_takes_a_dialog_first_then_the_longest_waiting():
    views = [
        {"id": "a", "status": "waiting_input", "statusSince": "2026-01-01T00:00:00Z"},
        {"id": "b", "status": "waiting_permission", "statusSince": "2026-01-01T00:05:00Z"},
        {"id": "c", "status": "waiting_permission", "statusSince": "2026-01-01T00:01:00Z"},
        {"id": "d", "status": "running", "statusSince": "2025-01-01T00:00:00Z"},
    ]
    assert tclaude.next_needing(views)["id"] == "c"
    assert tclaude.next_needing(views[:1] + views[3:])["id"] == "a"
    assert tclaude.next_needing(views[3:]) is None


# -- the dashboard (session watch): keys typed into a real tmux pane --------------------------


@pytest.fixture
def dash_asking(asking, sandbox):
    """A session showing the Bash dialog and a dashboard on it (its row selected, first)."""
    sid = asking()
    pane = open_dashboard(sandbox, width=120, height=40)
    pane.wait_text(sid)
    return sid, pane


def test_dashboard_p_shows_the_selected_session_screen(dash_asking):
    sid, pane = dash_asking
    assert "Do you want to proceed?" not in pane.text()
    pane.keys("p")
    pane.wait_text("Do you want to proceed?")
    assert "preview" in pane.text()
    pane.keys("p")
    pane.wait(lambda text: "Do you want to proceed?" not in text, "the preview closed")


def test_dashboard_preview_takes_the_right_half_of_a_wide_terminal(asking, sandbox):
    sid = asking()
    pane = open_dashboard(sandbox, width=200, height=40)
    pane.wait_text(sid)
    pane.keys("p")
    pane.wait_text("Do you want to proceed?")
    line = next(li for li in pane.lines() if "Do you want to proceed?" in li)
    assert line.index("Do you want") > 100 and "│" in line


def test_dashboard_y_approves_and_says_so_in_the_status_line(dash_asking, sandbox):
    sid, pane = dash_asking
    pane.keys("y")
    pane.wait_text("approved Bash: touch act.txt in %s" % sid, timeout=15)
    wait_until(lambda: os.path.exists(os.path.join(sandbox.work, "act.txt")))


def test_dashboard_capital_y_approves_always(dash_asking, sandbox):
    sid, pane = dash_asking
    pane.keys("Y")
    pane.wait_text("2. Yes, and always allow", timeout=15)
    wait_until(lambda: os.path.exists(os.path.join(sandbox.work, "act.txt")))


def test_dashboard_n_asks_a_reason_and_denies_with_it(dash_asking, sandbox):
    sid, pane = dash_asking
    pane.keys("n")
    pane.wait_text("reason (Enter: none)")
    pane.keys("-l", "not here")
    pane.wait_text("not here_")
    pane.keys("Enter")
    pane.wait_text("denied Bash: touch act.txt: not here", timeout=15)
    sandbox.wait_screen(sid, "Not run · rejected")


def test_dashboard_n_then_enter_denies_without_a_reason(dash_asking, sandbox):
    sid, pane = dash_asking
    pane.keys("n")
    pane.wait_text("reason (Enter: none)")
    pane.keys("Enter")
    pane.wait_text("4. No: denied Bash: touch act.txt", timeout=15)
    assert not os.path.exists(os.path.join(sandbox.work, "act.txt"))


def test_dashboard_a_refused_key_says_why_and_types_nothing(dash_asking, sandbox):
    sid, pane = dash_asking
    pane.keys("1")  # a digit answers a question; this dialog is a permission
    pane.wait_text("use: tclaude session approve or deny")
    assert "Do you want to proceed?" in sandbox.screen(sid)
    assert sandbox.session(sid)["status"] == "waiting_permission"


def test_dashboard_a_digit_answers_a_question(asking, sandbox):
    sid = asking("RUN_ASK", "Enter to select")
    pane = open_dashboard(sandbox, width=120, height=40)
    pane.wait_text(sid)
    pane.keys("2")
    pane.wait_text("-> 2. Blue in %s" % sid, timeout=15)
    sandbox.wait_screen(sid, "→ Blue")


def test_dashboard_s_sends_a_prompt(sandbox):
    sid = sandbox.new(sandbox.work)
    sandbox.wait_status(sid, "waiting_input")
    pane = open_dashboard(sandbox, width=120, height=40)
    pane.wait_text(sid)
    pane.keys("s")
    pane.wait_text("send to %s:" % sid)
    pane.keys("-l", "hello there")
    pane.keys("Enter")
    pane.wait_text("sent to %s" % sid, timeout=15)
    sandbox.wait_screen(sid, "❯ hello there")


def test_dashboard_s_is_refused_while_a_dialog_waits(dash_asking, sandbox):
    sid, pane = dash_asking
    pane.keys("s")
    pane.keys("-l", "hello")
    pane.keys("Enter")
    pane.wait_text("not waiting for input; nothing sent")


def test_dashboard_slash_filters_rows_and_tab_jumps_to_the_next_waiting(sandbox):
    fake_sessions(sandbox, [
        {"sid": "b0000001", "status": "running", "name": "alpha", "created": iso(900)},
        {"sid": "b0000002", "status": "waiting_input", "name": "beta", "created": iso(800)},
        {"sid": "b0000003", "status": "running", "name": "gamma", "created": iso(700)},
        {"sid": "b0000004", "status": "waiting_input", "name": "delta", "created": iso(600)},
    ])  # fmt: skip
    pane = open_dashboard(sandbox, width=120, height=30)
    pane.wait_ids(["b0000002", "b0000004", "b0000001", "b0000003"])
    pane.keys("G")  # the last row: b0000003, running
    pane.wait(lambda _: pane.selected() == "b0000003", "the last row selected")
    pane.keys("Tab")
    pane.wait(lambda _: pane.selected() == "b0000002", "the first waiting one (wrapped)")
    pane.keys("N")
    pane.wait(lambda _: pane.selected() == "b0000004", "the next waiting one")
    pane.keys("/")
    pane.keys("-l", "gam")
    pane.keys("Enter")
    pane.wait_ids(["b0000003"])
    pane.keys("/")
    pane.keys("C-u")
    pane.keys("Enter")
    pane.wait_ids(["b0000002", "b0000004", "b0000001", "b0000003"])


# -- notifications say how to answer ------------------------------------------------------------


def test_a_permission_notification_says_how_to_approve():
    view = {"id": "abcd1234", "status": "waiting_permission", "name": "api", "cwd": "/w",
            "statusDetail": "Bash: touch x"}  # fmt: skip
    title, body = tclaude.notification_text(view)
    assert title == "claude needs permission · api"
    assert body.split("\n") == [
        "Bash: touch x",
        "tclaude session approve abcd1234 (or: deny)",
        "tclaude session attach abcd1234",
    ]


def test_a_question_notification_says_how_to_answer():
    view = {"id": "abcd1234", "status": "waiting_permission", "name": None, "cwd": "/w",
            "statusDetail": "AskUserQuestion: Which colour?"}  # fmt: skip
    _, body = tclaude.notification_text(view)
    assert body.split("\n")[1] == "tclaude session answer abcd1234 <N|TEXT>"


def test_a_waiting_notification_only_says_how_to_attach():
    view = {"id": "abcd1234", "status": "waiting_input", "name": None, "cwd": "/w",
            "statusDetail": "done"}  # fmt: skip
    assert tclaude.notification_text(view)[1] == "done\ntclaude session attach abcd1234"


def test_the_real_plan_dialog_is_approved_with_its_ask_each_time_yes():
    plan = tclaude.parse_dialog(recorded("plan_dialog"))
    assert tclaude.dialog_shows_tool(plan, "ExitPlanMode", "")
    assert not tclaude.dialog_shows_tool(tclaude.parse_dialog(recorded("bash_dialog")),
                                         "ExitPlanMode", "")  # fmt: skip
    assert plan.find(tclaude.yes_option) is None
    assert plan.find(tclaude.plan_yes_option) == 1 and plan.find(tclaude.no_option) == 2


def test_a_bash_command_is_matched_in_its_frame_not_in_the_description():
    screen = recorded("bash_dialog").replace(" Touch a.txt\n", " rm -rf build\n")
    dialog = tclaude.parse_dialog(screen)
    assert "rm -rf build" in dialog.text and dialog.framed().strip() == "touch a.txt"
    assert not tclaude.dialog_shows_tool(dialog, "Bash", "rm -rf build")
    assert tclaude.dialog_shows_tool(dialog, "Bash", "touch a.txt")


# -- the Write dialog (fake claude's RUN_WRITE, drawn like write_dialog.txt) --------------------


def test_the_fake_write_dialog_lines_are_the_real_ones(asking, sandbox):
    sid = asking("RUN_WRITE=w.txt", "Do you want to create w.txt?")
    fake = tclaude.parse_dialog(sandbox.screen(sid))
    real = tclaude.parse_dialog(recorded("write_dialog"))
    assert (fake.options, fake.question, fake.footer) == (real.options, real.question, real.footer)
    assert fake.framed() == real.framed().replace("stub", "fixture")


def test_approve_of_a_write_creates_the_file(asking, sandbox):
    sid = asking("RUN_WRITE=w.txt", "Do you want to create w.txt?")
    out = sandbox.run("session", "approve", sid, check=True).stdout
    assert "Do you want to create w.txt? -> 1. Yes: approved Write: %s/w.txt" % sandbox.work in out
    wait_until(lambda: os.path.exists(os.path.join(sandbox.work, "w.txt")))


def test_approve_always_of_a_write_is_refused_it_has_no_such_option(asking, sandbox):
    sid = asking("RUN_WRITE=w.txt", "Do you want to create w.txt?")
    proc = sandbox.run("session", "approve", sid, "--always")
    assert_one_line_error(proc, 'offers no "Yes, and don\'t ask again" option', 1)
    assert not os.path.exists(os.path.join(sandbox.work, "w.txt"))


def test_deny_of_a_write_presses_its_no(asking, sandbox):
    sid = asking("RUN_WRITE=w.txt", "Do you want to create w.txt?")
    out = sandbox.run("session", "deny", sid, check=True).stdout
    assert "-> 3. No: denied Write:" in out and "now waiting_input" in out
    assert not os.path.exists(os.path.join(sandbox.work, "w.txt"))


# -- an MCP tool's dialog (fake claude's RUN_MCP, drawn like mcp_dialog.txt) -------------------


def test_the_real_mcp_dialog_matches_only_the_mcp_tool_the_hooks_recorded():
    dialog = tclaude.parse_dialog(recorded("mcp_dialog"))
    assert [n for n, _ in dialog.options] == [1, 2, 3] and dialog.cursor == 1
    assert (dialog.question, dialog.footer) == ("Do you want to proceed?",
                                                "Esc to cancel · Tab to amend")  # fmt: skip
    assert (dialog.find(tclaude.always_option), dialog.find(tclaude.no_option)) == (2, 3)
    assert tclaude.dialog_shows_tool(dialog, "mcp__stub__touch", "")
    for other in ("mcp__stub__tou", "mcp__stub__touch_all", "mcp__other__touch", "Bash"):
        assert not tclaude.dialog_shows_tool(dialog, other, ""), other


def test_the_fake_mcp_dialog_lines_are_the_real_ones(asking, sandbox):
    sid = asking("RUN_MCP=m.txt")
    fake = tclaude.parse_dialog(sandbox.screen(sid))
    real = tclaude.parse_dialog(recorded("mcp_dialog"))
    cwd = "/tmp/tclaude-kit.XXXXXX/work"
    assert [label.replace(sandbox.work, cwd) for _, label in fake.options] == [
        label for _, label in real.options
    ]
    assert (fake.question, fake.footer, fake.cursor) == (real.question, real.footer, real.cursor)
    assert fake.framed() == real.framed().replace("mcp.txt", "m.txt")
    assert sandbox.session(sid)["statusDetail"] == "mcp__stub__touch"


def test_approve_of_an_mcp_tool_runs_it(asking, sandbox):
    sid = asking("RUN_MCP=m.txt")
    out = sandbox.run("session", "approve", sid, check=True).stdout
    assert "Do you want to proceed? -> 1. Yes: approved mcp__stub__touch in %s" % sid in out
    wait_until(lambda: os.path.exists(os.path.join(sandbox.work, "m.txt")))


def test_approve_always_of_an_mcp_tool_picks_dont_ask_again(asking, sandbox):
    sid = asking("RUN_MCP=m.txt")
    out = sandbox.run("session", "approve", sid, "--always", check=True).stdout
    assert "-> 2. Yes, and don't ask again for stub — Touch commands in" in out
    wait_until(lambda: os.path.exists(os.path.join(sandbox.work, "m.txt")))


def test_deny_of_an_mcp_tool_presses_its_no(asking, sandbox):
    sid = asking("RUN_MCP=m.txt")
    out = sandbox.run("session", "deny", sid, check=True).stdout
    assert "-> 3. No: denied mcp__stub__touch" in out and "now waiting_input" in out
    assert not os.path.exists(os.path.join(sandbox.work, "m.txt"))


def test_approve_refuses_an_mcp_dialog_of_another_tool_than_the_hooks_recorded(asking, sandbox):
    sid = asking("RUN_MCP=m.txt")
    with open(sandbox.state_file(sid, ".status"), encoding="utf-8") as fh:
        hook = fh.read()
    with open(sandbox.state_file(sid, ".status"), "w", encoding="utf-8") as fh:
        fh.write(hook.replace("mcp__stub__touch", "mcp__stub__remove"))
    before = sandbox.screen(sid)
    for command in ("approve", "deny"):
        proc = sandbox.run("session", command, sid)
        assert_one_line_error(proc, "does not show mcp__stub__remove; nothing typed", 1)
    assert sandbox.screen(sid) == before
    assert not os.path.exists(os.path.join(sandbox.work, "m.txt"))


# -- the Edit dialog (fake claude's RUN_EDIT, drawn like edit_dialog.txt) ----------------------


def test_the_real_edit_dialog_matches_its_file_only():
    dialog = tclaude.parse_dialog(recorded("edit_dialog"))
    cwd = "/tmp/tclaude-kit.XXXXXX/work"
    assert dialog.question == "Do you want to make this edit to e.txt?"
    assert [n for n, _ in dialog.options] == [1, 2, 3] and dialog.cursor == 1
    assert (dialog.find(tclaude.always_option), dialog.find(tclaude.no_option)) == (None, 3)
    assert tclaude.dialog_shows_tool(dialog, "Edit", cwd + "/e.txt", cwd)
    assert not tclaude.dialog_shows_tool(dialog, "Edit", cwd + "/f.txt", cwd)
    assert not tclaude.dialog_shows_tool(dialog, "Edit", "/elsewhere/e.txt", cwd)


def text_of(path):
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def edit_asking(asking, sandbox):
    with open(os.path.join(sandbox.work, "e.txt"), "w", encoding="utf-8") as fh:
        fh.write("fixture\n")
    return asking("RUN_EDIT=e.txt", "Do you want to make this edit to e.txt?")


def test_the_fake_edit_dialog_lines_are_the_real_ones(asking, sandbox):
    sid = edit_asking(asking, sandbox)
    fake = tclaude.parse_dialog(sandbox.screen(sid))
    real = tclaude.parse_dialog(recorded("edit_dialog"))
    assert (fake.options, fake.question, fake.footer) == (real.options, real.question, real.footer)
    assert fake.framed() == real.framed().replace("stub", "fixture")
    assert sandbox.session(sid)["statusDetail"] == "Edit: %s/e.txt" % sandbox.work


def test_approve_of_an_edit_changes_the_file(asking, sandbox):
    sid = edit_asking(asking, sandbox)
    out = sandbox.run("session", "approve", sid, check=True).stdout
    assert "-> 1. Yes: approved Edit: %s/e.txt in %s" % (sandbox.work, sid) in out
    wait_until(lambda: text_of(os.path.join(sandbox.work, "e.txt")) == "edited\n")


def test_deny_of_an_edit_leaves_the_file(asking, sandbox):
    sid = edit_asking(asking, sandbox)
    out = sandbox.run("session", "deny", sid, check=True).stdout
    assert "-> 3. No: denied Edit: %s/e.txt" % sandbox.work in out
    assert text_of(os.path.join(sandbox.work, "e.txt")) == "fixture\n"


def test_approve_refuses_an_edit_of_another_file_than_the_hooks_recorded(asking, sandbox):
    sid = edit_asking(asking, sandbox)
    with open(sandbox.state_file(sid, ".status"), encoding="utf-8") as fh:
        hook = fh.read()
    with open(sandbox.state_file(sid, ".status"), "w", encoding="utf-8") as fh:
        fh.write(hook.replace("/e.txt", "/other.txt"))
    proc = sandbox.run("session", "approve", sid)
    assert_one_line_error(proc, "does not show Edit: .*/other.txt; nothing typed", 1)
    assert text_of(os.path.join(sandbox.work, "e.txt")) == "fixture\n"


# -- WebFetch, plan approval and a multi-select question, drawn by the fake like the real ones -


def test_the_fake_fetch_dialog_lines_are_the_real_ones(asking, sandbox):
    sid = asking("RUN_FETCH", "fetch this content?")
    fake = tclaude.parse_dialog(sandbox.screen(sid))
    real = tclaude.parse_dialog(recorded("fetch_dialog"))
    assert (fake.options, fake.question, fake.footer, fake.cursor) == (
        real.options, real.question, real.footer, real.cursor)  # fmt: skip
    assert fake.framed() == real.framed()
    assert sandbox.session(sid)["statusDetail"] == "WebFetch: https://example.com/"


def test_approve_always_of_a_fetch_picks_dont_ask_again_for_its_host(asking, sandbox):
    sid = asking("RUN_FETCH", "fetch this content?")
    out = sandbox.run("session", "approve", sid, "--always", check=True).stdout
    assert "-> 2. Yes, and don't ask again for example.com: approved WebFetch" in out
    sandbox.wait_status(sid, "waiting_input")


def test_deny_of_a_fetch_presses_its_no_which_interrupts(asking, sandbox):
    sid = asking("RUN_FETCH", "fetch this content?")
    out = sandbox.run("session", "deny", sid, check=True).stdout
    assert "-> 3. No, and tell Claude what to do differently (esc): denied WebFetch" in out
    assert "now waiting_input (denied: WebFetch: https://example.com/)" in out


def test_deny_with_a_reason_is_refused_where_the_dialog_cannot_be_amended(asking, sandbox):
    sid = asking("RUN_FETCH", "fetch this content?")
    before = sandbox.screen(sid)
    proc = sandbox.run("session", "deny", sid, "--reason", "not now")
    assert_one_line_error(proc, "takes no reason .*deny without --reason", 1)
    assert sandbox.screen(sid) == before


def test_the_fake_plan_dialog_lines_are_the_real_ones_and_approve_leaves_plan_mode(sandbox):
    sid = sandbox.new(sandbox.work, "--", "--permission-mode", "plan")
    sandbox.wait_status(sid, "waiting_input")
    sandbox.wait_screen(sid, "plan mode on")
    sandbox.type(sid, "RUN_PLAN")
    sandbox.wait_status(sid, "waiting_permission")
    sandbox.wait_screen(sid, "Exit plan mode?")
    fake = tclaude.parse_dialog(sandbox.screen(sid))
    real = tclaude.parse_dialog(recorded("plan_dialog"))
    assert (fake.options, fake.question, fake.footer) == (real.options, real.question, real.footer)
    assert sandbox.session(sid)["statusDetail"] == "ExitPlanMode"
    out = sandbox.run("session", "approve", sid, check=True).stdout
    assert "Claude wants to exit plan mode -> 1. Yes, and switch to default (ask each time)" in out
    sandbox.wait_screen(sid, "manual mode on")


def test_answer_refuses_a_multi_select_question_and_types_nothing(asking, sandbox):
    sid = asking("RUN_ASK_MULTI", "Enter to select")
    screen = sandbox.screen(sid)
    fake = tclaude.parse_dialog(screen)
    real = tclaude.parse_dialog(recorded("askm_dialog"))
    assert fake.options == real.options and fake.is_multi_select()
    proc = sandbox.run("session", "answer", sid, "1")
    assert_one_line_error(proc, "a multi-select question cannot be answered from outside", 1)
    time.sleep(0.5)
    assert sandbox.screen(sid) == screen
