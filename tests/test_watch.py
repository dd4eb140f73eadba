"""tclaude session watch: the live dashboard, driven in real tmux panes of the sandbox's server.

Most sessions here are cheap stand-ins (a tmux session running ``sleep`` plus the state and hook
files tclaude and its hook would write); the tests marked "real" start the fake claude.
"""

import json
import os
import re
import shlex
import sys
import time

import pytest
from conftest import (
    ROOT,
    ROW,
    Pane,
    fake_sessions,
    iso,
    open_dashboard,
    process_gone,
    tmux_command_log,
    wait_until,
    watch_command,
)

sys.path.insert(0, ROOT)
import tclaude  # (the pure text helpers are tested directly)

NOW_ISO = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 120))


# -- helpers ----------------------------------------------------------------------------------


EVERY_STATUS = [
    {"sid": "a0000001", "status": "running", "created": iso(900)},
    {"sid": "a0000002", "status": "waiting_input", "created": iso(800)},
    {"sid": "a0000003", "status": "exited", "created": iso(700)},
    {"sid": "a0000004", "status": "waiting_permission", "created": iso(600)},
    {"sid": "a0000005", "status": "waiting_input", "created": iso(500)},
    {"sid": "a0000006", "status": "running", "created": iso(400)},
    {"sid": "a0000007", "status": "waiting_permission", "created": iso(300)},
]
EVERY_STATUS_ORDER = [
    "a0000004",
    "a0000007",
    "a0000002",
    "a0000005",
    "a0000001",
    "a0000006",
    "a0000003",
]


def open_shell(sandbox, name="shell", width=100, height=20):
    """A plain shell in a pane: to see what the terminal looks like after the dashboard."""
    sandbox.tmux(
        "new-session", "-d", "-s", name, "-x", str(width), "-y", str(height),
        "env PS1='$ ' sh",
    )  # fmt: skip
    pane = Pane(sandbox.tmux, "=%s:" % name)
    pane.wait_text("$")
    return pane


def sgr_states(styled):
    """For each captured line, the (bold, foreground colour, reverse) in force at its first
    visible character; tmux only emits escapes where attributes change."""
    state = {"bold": False, "fg": None, "reverse": False}
    result = []
    for line in styled.split("\n"):
        first = None
        pos = 0
        while pos < len(line):
            m = re.match(r"\x1b\[([0-9;]*)m", line[pos:])
            if m:
                apply_sgr(state, m.group(1))
                pos += m.end()
                continue
            if first is None and line[pos] != " ":
                first = dict(state)
            pos += 1
        plain = re.sub(r"\x1b\[[0-9;]*m", "", line)
        result.append((plain, first or dict(state)))
    return result


def apply_sgr(state, params):
    codes = [int(p) if p else 0 for p in params.split(";")]
    i = 0
    while i < len(codes):
        code = codes[i]
        if code == 0:
            state.update(bold=False, fg=None, reverse=False)
        elif code == 1:
            state["bold"] = True
        elif code == 22:
            state["bold"] = False
        elif code == 7:
            state["reverse"] = True
        elif code == 27:
            state["reverse"] = False
        elif 30 <= code <= 37 or 90 <= code <= 97:
            state["fg"] = code
        elif code == 39:
            state["fg"] = None
        elif code in (38, 48):
            if code == 38:
                state["fg"] = tuple(codes[i : i + 3])
            i += 2
        i += 1


def colour_codes(styled):
    """Every SGR colour parameter in a capture, ignoring the resets to default (39/49)."""
    found = set()
    for params in re.findall(r"\x1b\[([0-9;]*)m", styled):
        for p in params.split(";"):
            if p and (30 <= int(p) <= 38 or 40 <= int(p) <= 48 or 90 <= int(p) <= 107):
                found.add(int(p))
    return found


# -- --once and user errors -------------------------------------------------------------------


def test_once_prints_one_plain_frame_sorted_waiting_first(sandbox):
    fake_sessions(sandbox, EVERY_STATUS)
    proc = sandbox.run("session", "watch", "--once", check=True)
    lines = proc.stdout.splitlines()
    assert re.fullmatch(
        r"7 sessions: 2 waiting, 2 permission, 2 running, 1 exited  \d\d:\d\d:\d\d", lines[0]
    )
    assert lines[1].split() == ["ID", "STATUS", "AGE", "CPU", "RSS", "CONV", "CWD", "DETAIL"]
    assert [line[2:10] for line in lines[2:]] == EVERY_STATUS_ORDER
    statuses = [line[11:].split()[0] for line in lines[2:]]
    assert statuses == ["permission"] * 2 + ["waiting"] * 2 + ["running"] * 2 + ["exited"]
    assert "\x1b" not in proc.stdout


def test_once_marks_each_status_in_the_first_column(sandbox):
    fake_sessions(sandbox, EVERY_STATUS)
    lines = sandbox.run("session", "watch", "--once", check=True).stdout.splitlines()[2:]
    marks = {line[2:10]: line[0] for line in lines}
    assert marks == {
        "a0000004": "!",
        "a0000007": "!",
        "a0000002": "?",
        "a0000005": "?",
        "a0000001": " ",
        "a0000006": " ",
        "a0000003": "-",
    }


def test_once_with_no_sessions_says_how_to_start_one(sandbox):
    lines = sandbox.run("session", "watch", "--once", check=True).stdout.splitlines()
    assert re.fullmatch(r"0 sessions  \d\d:\d\d:\d\d", lines[0])
    assert lines[-1] == "no sessions (start one with: tclaude session new [dir])"


def test_once_fits_the_width_given_by_columns(sandbox):
    fake_sessions(sandbox, EVERY_STATUS)
    proc = sandbox.run("session", "watch", "--once", env={"COLUMNS": "40"}, check=True)
    lines = proc.stdout.splitlines()
    assert all(len(line) <= 40 for line in lines), lines
    titles = lines[1].split()
    assert titles[:3] == ["ID", "STATUS", "AGE"] and titles[-1] == "DETAIL"
    assert "CWD" not in titles and "CONV" not in titles
    assert [line[2:10] for line in lines[2:]] == EVERY_STATUS_ORDER


def test_once_makes_one_tmux_call_when_no_session_is_in_a_no_hook_gap(sandbox, tmp_path):
    fake_sessions(sandbox, [dict(s, registry=True) for s in EVERY_STATUS])
    path, log = tmux_command_log(sandbox, tmp_path)
    sandbox.run("session", "watch", "--once", env={"PATH": path}, check=True)
    assert log.read_text().split() == ["list-panes"]


TRUST_SCREEN = "printf 'Is this a project you created or one you trust?\\n'; exec sleep 3600"


def test_once_makes_one_tmux_call_when_sessions_show_only_on_screen(sandbox, tmp_path):
    silent = [{"sid": "5a1e%04x" % i, "status": "running", "hook": False,
               "command": TRUST_SCREEN} for i in range(3)]  # fmt: skip
    gap = [{"sid": "9a90000%d" % i, "status": s, "detail": "Bash: make"}
           for i, s in enumerate(("running", "waiting_permission"))]  # fmt: skip
    fake_sessions(sandbox, silent + gap)  # no registry: only the screens tell
    path, log = tmux_command_log(sandbox, tmp_path)
    proc = sandbox.run("session", "watch", "--once", env={"PATH": path}, check=True)
    assert log.read_text().split() == ["list-panes"]
    assert proc.stdout.count("start-up dialog: trust this folder?") == 3  # screens were read


def test_the_preview_rides_in_the_refresh_s_one_tmux_call(sandbox, tmp_path):
    screen = "printf 'PREVIEW-ME on screen\\n'; exec sleep 3600"
    fake_sessions(sandbox, [{"sid": "b0000001", "status": "waiting_input", "command": screen,
                             "registry": True}])  # fmt: skip
    path, log = tmux_command_log(sandbox, tmp_path)
    pane = open_dashboard(sandbox, env={"PATH": path})
    pane.wait_text("b0000001")
    pane.keys("p")
    pane.wait_text("PREVIEW-ME on screen")
    time.sleep(1.0)  # the preview's first screen may be fetched alone; the refreshes after not
    log.write_text("")
    wait_until(lambda: log.read_text().split().count("list-panes") >= 4, message="4 refreshes")
    assert set(log.read_text().split()) == {"list-panes"}  # no capture-pane of its own
    assert "PREVIEW-ME on screen" in pane.text()


def test_watch_without_a_terminal_fails_with_one_line(sandbox):
    proc = sandbox.run("session", "watch")
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr == (
        "tclaude: watch needs a terminal (stdin and stdout); use --once for plain text\n"
    )


@pytest.mark.parametrize("value", ["0", "-1", "nan", "1e9"])
def test_watch_rejects_an_interval_out_of_range(sandbox, value):
    proc = sandbox.run("session", "watch", "--once", "--interval", value)
    assert proc.returncode == 1
    assert proc.stderr.startswith("tclaude: --interval must be between 0.1 and 3600 seconds")
    assert len(proc.stderr.splitlines()) == 1


def test_watch_rejects_an_interval_that_is_not_a_number(sandbox):
    proc = sandbox.run("session", "watch", "--interval", "soon")
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1] == (
        "tclaude: argument --interval: invalid float value: 'soon'"
    )


def test_once_reports_a_corrupt_state_file_on_stderr_and_shows_the_rest(sandbox):
    fake_sessions(sandbox, EVERY_STATUS[:2])
    with open(sandbox.state_file("deadbeef"), "w") as fh:
        fh.write("{not json")
    proc = sandbox.run("session", "watch", "--once", check=True)
    assert "skipping corrupt state file" in proc.stderr and "deadbeef.json" in proc.stderr
    assert proc.stdout.startswith("2 sessions: 1 waiting, 1 running")


def test_once_survives_hand_edited_records_with_odd_field_types(sandbox):
    fake_sessions(sandbox, EVERY_STATUS[:5])
    for sid, odd in (("a0000002", {"createdTs": "soon", "name": 7, "cwd": ["x"]}),
                     ("a0000005", {"createdTs": 1.5e9}),
                     ("a0000003", {"created": 12, "status": {"no": 1}, "convId": None})):  # fmt: skip
        record = sandbox.read_state(sid)
        record.update(odd)
        with open(sandbox.state_file(sid), "w") as fh:
            json.dump(record, fh)
    proc = sandbox.run("session", "watch", "--once", check=True)
    assert proc.stdout.startswith("5 sessions: ")
    rows = [line[2:10] for line in proc.stdout.splitlines()[2:]]
    assert rows == ["a0000004", "a0000005", "a0000002", "a0000001", "a0000003"]


# -- the live screen --------------------------------------------------------------------------


def test_dashboard_sorts_waiting_sessions_first_then_running_then_exited(sandbox):
    fake_sessions(sandbox, EVERY_STATUS)
    dash = open_dashboard(sandbox)
    dash.wait_ids(EVERY_STATUS_ORDER)
    lines = dash.lines()
    assert lines[0].startswith("7 sessions: 2 waiting, 2 permission, 2 running, 1 exited")
    assert re.search(r"\d\d:\d\d:\d\d$", lines[0].rstrip())
    assert lines[1].split() == ["ID", "STATUS", "AGE", "CPU", "RSS", "CONV", "CWD", "DETAIL"]
    statuses = [row[3].split()[0] for row in dash.rows()]
    assert statuses == ["permission"] * 2 + ["waiting"] * 2 + ["running"] * 2 + ["exited"]
    assert [row[1] for row in dash.rows()] == ["!", "!", "?", "?", " ", " ", "-"]


def test_dashboard_shows_the_key_help_on_the_bottom_line(sandbox):
    dash = open_dashboard(sandbox)
    assert dash.lines()[29].startswith("j/k move  a attach  x kill  r refresh  ? help  q quit")


def test_waiting_rows_are_bold_and_coloured_running_rows_are_plain(sandbox):
    fake_sessions(sandbox, EVERY_STATUS)
    dash = open_dashboard(sandbox)
    dash.wait_ids(EVERY_STATUS_ORDER)
    dash.keys("G")  # move the (reverse video) selection off the rows we look at
    dash.wait_selected("a0000003")
    states = {plain[3:11]: state for plain, state in sgr_states(dash.styled()) if ROW.match(plain)}
    for sid in ("a0000004", "a0000007", "a0000002", "a0000005"):
        assert states[sid]["bold"] and states[sid]["fg"] is not None, (sid, states[sid])
    assert states["a0000004"]["fg"] != states["a0000002"]["fg"]  # permission != waiting
    for sid in ("a0000001", "a0000006"):
        assert not states[sid]["bold"] and states[sid]["fg"] is None, (sid, states[sid])


def test_no_color_keeps_the_markers_and_drops_every_colour(sandbox):
    fake_sessions(sandbox, EVERY_STATUS)
    dash = open_dashboard(sandbox, env={"NO_COLOR": "1"})
    dash.wait_ids(EVERY_STATUS_ORDER)
    assert colour_codes(dash.styled()) == set()
    assert [row[1] for row in dash.rows()] == ["!", "!", "?", "?", " ", " ", "-"]
    states = {p[3:11]: s for p, s in sgr_states(dash.styled()) if ROW.match(p)}
    assert states["a0000007"]["bold"]  # still stands out, without colour


def test_selection_moves_with_arrows_and_j_k(sandbox):
    fake_sessions(sandbox, EVERY_STATUS)
    dash = open_dashboard(sandbox)
    dash.wait_ids(EVERY_STATUS_ORDER)
    assert dash.selected() == "a0000004"
    dash.keys("j", "j")
    dash.wait_selected("a0000002")
    dash.keys("Down")
    dash.wait_selected("a0000005")
    dash.keys("k")
    dash.wait_selected("a0000002")
    dash.keys("Up", "Up", "Up")  # stops at the top
    dash.wait_selected("a0000004")
    dash.keys("End")
    dash.wait_selected("a0000003")


def test_a_status_change_shows_while_the_dashboard_is_open(sandbox):
    fake_sessions(sandbox, EVERY_STATUS[:2])
    dash = open_dashboard(sandbox)
    dash.wait_ids(["a0000002", "a0000001"])
    hook_file = sandbox.state_file("a0000001", ".status")
    with open(hook_file) as fh:
        hook = json.load(fh)
    hook.update(ts=time.time(), since=time.time(), status="waiting_permission", detail="Edit: x")
    with open(hook_file + ".tmp", "w") as fh:
        fh.write(json.dumps(hook) + "\n")
    os.replace(hook_file + ".tmp", hook_file)
    dash.wait_ids(["a0000001", "a0000002"])
    assert dash.lines()[0].startswith("2 sessions: 1 waiting, 1 permission")
    assert "Edit: x" in dash.text()


def test_selection_follows_the_session_when_others_appear_and_vanish(sandbox):
    fake_sessions(sandbox, [EVERY_STATUS[1], EVERY_STATUS[4], EVERY_STATUS[0]])
    dash = open_dashboard(sandbox)
    dash.wait_ids(["a0000002", "a0000005", "a0000001"])
    dash.keys("j")
    dash.wait_selected("a0000005")
    fake_sessions(sandbox, [EVERY_STATUS[3]])  # a permission request now sorts first
    dash.wait_ids(["a0000004", "a0000002", "a0000005", "a0000001"])
    assert dash.selected() == "a0000005"
    for suffix in (".json", ".status"):
        os.unlink(sandbox.state_file("a0000002", suffix))
    dash.wait_ids(["a0000004", "a0000005", "a0000001"])
    assert dash.selected() == "a0000005"
    for suffix in (".json", ".status"):
        os.unlink(sandbox.state_file("a0000005", suffix))  # the selected one goes
    dash.wait_ids(["a0000004", "a0000001"])
    assert dash.selected() == "a0000001"  # its neighbour, at the same height


def test_an_empty_state_dir_shows_no_sessions(sandbox):
    dash = open_dashboard(sandbox)
    lines = dash.lines()
    assert lines[0].startswith("0 sessions ")
    assert "no sessions (start one with: tclaude session new [dir])" in dash.text()
    assert dash.rows() == []
    dash.keys("j", "Enter", "x")  # nothing to move to, attach or kill: no crash, no prompt
    dash.keys("r")
    time.sleep(0.5)  # give a crash the chance to happen; the screen must still be ours
    assert dash.lines()[0].startswith("0 sessions ")
    assert "y/n" not in dash.text()


def test_a_corrupt_state_file_is_reported_in_the_footer_not_over_the_screen(sandbox):
    fake_sessions(sandbox, EVERY_STATUS[:2])
    os.makedirs(sandbox.state_dir, exist_ok=True)
    with open(sandbox.state_file("deadbeef"), "w") as fh:
        fh.write("{not json")
    dash = open_dashboard(sandbox)
    dash.wait_text("skipping corrupt state file")
    lines = dash.lines()
    assert lines[0].startswith("2 sessions: 1 waiting, 1 running")
    assert lines[1].split()[0] == "ID"
    assert dash.ids() == ["a0000002", "a0000001"]
    assert "deadbeef.json" in lines[28] and lines[28].startswith("warning: skipping corrupt")
    assert lines[29].startswith("j/k move")
    assert "tclaude: warning" not in dash.text()
    os.unlink(sandbox.state_file("deadbeef"))  # fixed: the warning goes away
    dash.wait(lambda s: "corrupt" not in s, "the warning to go")


def test_hostile_names_and_details_do_not_break_the_layout(sandbox):
    fake_sessions(
        sandbox,
        [
            {"sid": "b0000001", "status": "waiting_input", "name": "\x1b[31mred\x07\r\nx",
             "detail": "Bash: \x1b]0;title\x07echo \x9b2J hi\u202e!", "created": iso(50)},
            {"sid": "b0000002", "status": "waiting_input", "name": "日本語プロジェクト名前🚀",
             "detail": "説明" * 80, "created": iso(40), "cwd": "/tmp/" + "深" * 60},
            {"sid": "b0000003", "status": "waiting_input", "name": "n" * 300,
             "detail": "d" * 5000, "created": iso(30)},
            {"sid": "b0000004", "status": "waiting_input", "name": "e\u0301\u200d\ud800",
             "detail": "tab\there", "created": iso(20)},
            # found dead, so its record is rewritten: a lone surrogate must not crash that
            {"sid": "b0000005", "status": "exited", "name": "\udcff\ud800", "created": iso(10)},
        ],
    )  # fmt: skip
    dash = open_dashboard(sandbox, width=100, height=12)
    dash.wait_ids(["b0000001", "b0000002", "b0000003", "b0000004", "b0000005"])
    lines = dash.lines()
    assert lines[0].startswith("5 sessions: 4 waiting, 1 exited")
    assert lines[11].startswith("j/k move")
    assert "[31mred" in dash.text()  # the escape was defused, not obeyed
    rows = [line for line in lines if ROW.match(line)]
    status_at = {
        tclaude.text_width(line[: re.search(" (waiting|exited) ", line).start()]) for line in rows
    }
    assert len(status_at) == 1, rows  # STATUS lines up on every row
    assert all(tclaude.text_width(line) <= 100 for line in lines)
    assert "…" in rows[2]  # the long name was cut, not wrapped


def test_a_small_40x10_pane_still_shows_the_header_and_rows(sandbox):
    fake_sessions(sandbox, EVERY_STATUS)
    dash = open_dashboard(sandbox, width=40, height=10)
    dash.wait(lambda _: len(dash.ids()) == 7, "seven rows")
    lines = dash.lines()
    assert lines[0].startswith("7 sessions: 2 waiting, 2")
    assert lines[1].split() == ["ID", "STATUS", "AGE", "DETAIL"]
    assert dash.ids() == EVERY_STATUS_ORDER
    assert lines[9].startswith("j/k move")
    assert all(len(line) <= 40 for line in lines)


def test_resizing_the_terminal_redraws_to_the_new_size(sandbox):
    fake_sessions(sandbox, EVERY_STATUS)
    dash = open_dashboard(sandbox)
    dash.wait_ids(EVERY_STATUS_ORDER)
    sandbox.tmux("resize-window", "-t", "=dash:", "-x", "40", "-y", "10")
    dash.wait(lambda s: s.split("\n")[1].split() == ["ID", "STATUS", "AGE", "DETAIL"], "narrow")
    assert dash.lines()[9].startswith("j/k move")
    assert dash.ids() == EVERY_STATUS_ORDER
    sandbox.tmux("resize-window", "-t", "=dash:", "-x", "150", "-y", "30")
    dash.wait(lambda s: "CWD" in s.split("\n")[1], "the wide layout again")
    dash.wait_ids(EVERY_STATUS_ORDER)


def test_two_hundred_sessions_scroll_and_the_selection_stays_visible(sandbox):
    specs = [
        {"sid": "c%07x" % i, "status": "waiting_input", "created": iso(1000 - i)}
        for i in range(200)
    ]
    fake_sessions(sandbox, specs)
    order = [s["sid"] for s in specs]
    dash = open_dashboard(sandbox)
    dash.wait(lambda s: s.startswith("200 sessions: 200 waiting"), "all 200 counted")
    assert dash.ids() == order[:27]  # 30 lines: header, titles, 27 rows, keys
    assert "1-27 of 200" in dash.lines()[29]
    dash.keys(*["j"] * 40)
    dash.wait_selected(order[40])
    assert dash.ids()[-1] == order[40]  # scrolled just enough
    dash.keys("End")
    dash.wait_selected(order[199])
    assert dash.ids() == order[173:]
    assert "174-200 of 200" in dash.lines()[29]
    dash.keys("PPage")
    dash.wait(lambda _: dash.selected() == order[172], "a page up")
    assert order[172] in dash.ids()
    dash.keys("Home")
    dash.wait_selected(order[0])
    assert dash.ids() == order[:27]


def test_help_overlay_opens_with_question_mark_and_any_key_closes_it(sandbox):
    fake_sessions(sandbox, EVERY_STATUS[:2])
    dash = open_dashboard(sandbox)
    dash.keys("?")
    dash.wait_text("any key closes this help")
    assert "kill the session (asks y/n first)" in dash.text()
    dash.keys("j")
    dash.wait(lambda s: "any key closes" not in s, "the help to close")
    assert dash.selected() == "a0000002"  # the key only closed the help


def test_cpu_and_memory_include_the_child_processes(sandbox):
    busy = "timeout 20 sh -c 'while :; do :; done' & wait"
    fake_sessions(
        sandbox,
        [
            {"sid": "d0000001", "status": "running", "command": busy},
            {"sid": "d0000002", "status": "waiting_input"},
            {"sid": "d0000003", "status": "exited"},
        ],
    )
    dash = open_dashboard(sandbox)

    def cpu_of(sid):
        for row in dash.rows():
            if row[2] == sid:
                return row[3].split()[2]
        return None

    wait_until(
        lambda: re.fullmatch(r"\d+%", cpu_of("d0000001") or "") and int(cpu_of("d0000001")[:-1]) >= 10,
        message="the busy child's CPU on its session",
    )  # fmt: skip
    idle = next(r[3].split() for r in dash.rows() if r[2] == "d0000002")
    assert re.fullmatch(r"\d+\.\d%", idle[2]) and float(idle[2][:-1]) < 5
    assert re.fullmatch(r"\d+(\.\d)?[KMG]", idle[3])  # RSS
    gone = next(r[3].split() for r in dash.rows() if r[2] == "d0000003")
    assert gone[2:4] == ["-", "-"]


# -- keys that act: kill, attach, quit ---------------------------------------------------------


def test_kill_asks_first_and_y_kills_the_session(sandbox):
    fake_sessions(sandbox, EVERY_STATUS[:2])
    dash = open_dashboard(sandbox)
    dash.wait_ids(["a0000002", "a0000001"])
    dash.keys("x")
    dash.wait(lambda s: s.split("\n")[29].startswith("kill a0000002? y/n"), "the question")
    assert sandbox.tmux("has-session", "-t", "=tofu-claude-a0000002", check=False).returncode == 0
    dash.keys("y")
    dash.wait_text("killed a0000002; resume with: tclaude session new --resume 0b5e55ed-")
    dash.wait_ids(["a0000001"])
    assert sandbox.tmux("has-session", "-t", "=tofu-claude-a0000002", check=False).returncode
    assert not os.path.exists(sandbox.state_file("a0000002"))
    assert not os.path.exists(sandbox.state_file("a0000002", ".status"))


def test_kill_answered_with_anything_but_y_keeps_the_session(sandbox):
    fake_sessions(sandbox, EVERY_STATUS[:2])
    dash = open_dashboard(sandbox)
    dash.wait_ids(["a0000002", "a0000001"])
    dash.keys("j", "K")
    dash.wait_text("kill a0000001? y/n")
    dash.keys("n")
    dash.wait_text("kill cancelled")
    assert dash.lines()[29].startswith("j/k move")
    assert dash.ids() == ["a0000002", "a0000001"]
    assert os.path.exists(sandbox.state_file("a0000001"))
    assert sandbox.tmux("has-session", "-t", "=tofu-claude-a0000001", check=False).returncode == 0


def test_kill_prompt_names_the_session(sandbox):
    fake_sessions(sandbox, [dict(EVERY_STATUS[1], name="api")])
    dash = open_dashboard(sandbox)
    dash.keys("x")
    dash.wait_text("kill a0000002 (api)? y/n")
    dash.keys("Escape")
    dash.wait_text("kill cancelled")


def test_attaching_an_exited_session_explains_how_to_resume(sandbox):
    fake_sessions(sandbox, [EVERY_STATUS[2]])
    dash = open_dashboard(sandbox)
    dash.wait_ids(["a0000003"])
    dash.keys("Enter")
    dash.wait_text("a0000003 has exited; resume with: tclaude session new --resume 0b5e55ed-")


def test_attach_hands_the_terminal_to_claude_and_detaching_comes_back(sandbox, outer):
    fake_sessions(sandbox, [EVERY_STATUS[0]])
    sid = sandbox.new(sandbox.work)
    sandbox.wait_status(sid, "waiting_input")
    command = "env -u TMUX " + watch_command(sandbox, "--interval", "0.3")
    outer("new-session", "-d", "-s", "term", "-x", "120", "-y", "30", command)
    term = Pane(outer, "=term:")
    term.wait(lambda _: term.ids() == [sid, "a0000001"], "the dashboard")
    term.keys("a")
    clients = lambda: sandbox.tmux("list-clients", "-F", "#{client_session}").stdout.split()  # noqa: E731
    wait_until(lambda: clients() == ["tofu-claude-" + sid], message="a client on the session")
    term.wait_text("? for shortcuts")  # claude's screen, in the terminal the dashboard had
    assert "j/k move" not in term.text()
    term.keys("C-b", "d")  # the user detaches
    wait_until(lambda: clients() == [], message="the client to detach")
    term.wait(lambda _: term.ids() == [sid, "a0000001"], "the dashboard again")
    assert term.selected() == sid
    assert term.lines()[29].startswith("j/k move")


def test_attach_from_inside_tmux_switches_the_client(sandbox, outer):
    fake_sessions(sandbox, EVERY_STATUS[:2])
    dash = open_dashboard(sandbox)
    dash.wait_ids(["a0000002", "a0000001"])
    client = "env -u TMUX TMUX_TMPDIR=%s tmux attach -t =dash" % shlex.quote(sandbox.tmux_tmpdir)
    outer("new-session", "-d", "-s", "term", "-x", "120", "-y", "30", client)
    clients = lambda: sandbox.tmux("list-clients", "-F", "#{client_session}").stdout.split()  # noqa: E731
    wait_until(lambda: clients() == ["dash"], message="a client on the dashboard")
    dash.keys("Enter")
    wait_until(lambda: clients() == ["tofu-claude-a0000002"], message="the switch")
    dash.wait_text("switched to a0000002")


@pytest.mark.parametrize("key", ["q", "Escape"])
def test_quitting_restores_the_terminal(sandbox, key):
    fake_sessions(sandbox, EVERY_STATUS[:2])
    shell = open_shell(sandbox)
    shell.keys("-l", watch_command(sandbox, "--interval", "0.3") + "; echo rc=$?")
    shell.keys("Enter")
    shell.wait(lambda _: shell.ids() == ["a0000002", "a0000001"], "the dashboard")
    shell.keys(key)
    shell.wait_text("rc=0")
    assert "j/k move" not in shell.text()  # the alternate screen is gone
    assert shell.text().rstrip().endswith("$")  # the prompt is back
    alternate = sandbox.tmux("display-message", "-p", "-t", "=shell:", "#{alternate_on}")
    assert alternate.stdout.strip() == "0"


def test_ctrl_c_quits_cleanly_with_exit_status_0(sandbox):
    shell = open_shell(sandbox)
    shell.keys("-l", watch_command(sandbox, "--interval", "0.3") + "; echo rc=$?")
    shell.keys("Enter")
    shell.wait_text("j/k move")
    shell.keys("C-c")
    shell.wait_text("rc=0")
    assert "Traceback" not in shell.text() and "interrupted" not in shell.text()
    alternate = sandbox.tmux("display-message", "-p", "-t", "=shell:", "#{alternate_on}")
    assert alternate.stdout.strip() == "0"


def child_pid(pid):
    with open("/proc/%d/task/%d/children" % (pid, pid)) as fh:
        kids = fh.read().split()
    return int(kids[0]) if kids else None


@pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="finds the pid through /proc")
def test_sigterm_restores_the_terminal_too(sandbox):
    shell = open_shell(sandbox)
    shell.keys("-l", watch_command(sandbox, "--interval", "0.3") + "; echo rc=$?")
    shell.keys("Enter")
    shell.wait_text("j/k move")
    shell_pid = int(sandbox.tmux("display-message", "-p", "-t", "=shell:", "#{pane_pid}").stdout)
    os.kill(wait_until(lambda: child_pid(shell_pid), message="the dashboard's pid"), 15)
    shell.wait_text("rc=143")
    assert "j/k move" not in shell.text()
    alternate = sandbox.tmux("display-message", "-p", "-t", "=shell:", "#{alternate_on}")
    assert alternate.stdout.strip() == "0"


def test_an_unknown_terminal_type_fails_with_one_line(sandbox):
    shell = open_shell(sandbox)
    command = watch_command(sandbox, env={"TERM": "no-such-terminal"})
    shell.keys("-l", command + "; echo rc=$?")
    shell.keys("Enter")
    shell.wait_text("rc=1")
    assert (
        "tclaude: cannot start the dashboard on this terminal (TERM=no-such-terminal): "
        in shell.text()
    )
    assert "Traceback" not in shell.text()


def test_a_state_dir_that_cannot_be_read_is_reported_and_survived(sandbox):
    fake_sessions(sandbox, EVERY_STATUS[:2])
    dash = open_dashboard(sandbox)
    dash.wait_ids(["a0000002", "a0000001"])
    aside = sandbox.state_dir + ".aside"
    os.rename(sandbox.state_dir, aside)
    with open(sandbox.state_dir, "w") as fh:
        fh.write("not a directory")
    dash.wait_text("cannot read state dir")
    assert dash.ids() == ["a0000002", "a0000001"]  # the last rows stay
    os.unlink(sandbox.state_dir)
    os.rename(aside, sandbox.state_dir)
    dash.wait(lambda s: "cannot read" not in s, "the dashboard to recover")
    assert dash.ids() == ["a0000002", "a0000001"]


# -- real sessions (the fake claude) ----------------------------------------------------------

SLOW_FOREVER = "SLOW=5000 keep going"  # scaled by FAKE_CLAUDE_TIME_SCALE: minutes, not hours


def start_real(sandbox, prompt=None):
    sid = sandbox.new(sandbox.work)
    sandbox.wait_screen(sid, "? for shortcuts")
    if prompt:
        sandbox.type(sid, prompt)
    return sid


def test_real_sessions_in_every_status_are_sorted_and_marked(sandbox):
    waiting = start_real(sandbox)
    running = start_real(sandbox, SLOW_FOREVER)
    permission = start_real(sandbox, "RUN_TOOL=marker.txt")
    quit_ = start_real(sandbox, "/exit")
    killed = start_real(sandbox)
    sandbox.tmux("kill-session", "-t", "=tofu-claude-" + killed)
    for sid, status in ((waiting, "waiting_input"), (running, "running"),
                        (permission, "waiting_permission"), (quit_, "exited"),
                        (killed, "exited")):  # fmt: skip
        sandbox.wait_status(sid, status)
    exited = sorted([quit_, killed], key=lambda s: (sandbox.read_state(s)["createdTs"], s))
    dash = open_dashboard(sandbox)
    dash.wait_ids([permission, waiting, running, *exited])
    assert [row[1] for row in dash.rows()] == ["!", "?", " ", "-", "-"]
    assert dash.lines()[0].startswith("5 sessions: 1 waiting, 1 permission, 1 running, 2 exited")
    states = {p[3:11]: st for p, st in sgr_states(dash.styled()) if ROW.match(p)}
    assert states[waiting]["bold"] and states[waiting]["fg"] is not None


def test_a_denied_permission_shows_as_waiting_without_any_hook(sandbox):
    permission = start_real(sandbox, "RUN_TOOL=denied.txt")
    waiting = start_real(sandbox)
    sandbox.wait_status(permission, "waiting_permission")
    dash = open_dashboard(sandbox)
    dash.wait_ids([permission, waiting])
    sandbox.wait_screen(permission, "Do you want to proceed?")
    time.sleep(0.3)  # keys within 0.15 s of a dialog are swallowed, as by the real claude
    sandbox.keys(permission, "Escape")  # deny: claude fires no hook for this
    dash.wait(lambda s: s.split("\n")[0].startswith("2 sessions: 2 waiting"), "the denial")
    assert all(row[1] == "?" for row in dash.rows())


def test_an_approved_tool_and_a_new_session_show_while_the_dashboard_is_open(sandbox):
    permission = start_real(sandbox, "RUN_TOOL=approved.txt THEN_SLOW=5000")
    sandbox.wait_status(permission, "waiting_permission")
    dash = open_dashboard(sandbox)
    dash.wait_ids([permission])
    sandbox.wait_screen(permission, "Do you want to proceed?")
    time.sleep(0.3)
    sandbox.keys(permission, "1")
    dash.wait(lambda _: [r[3].split()[0] for r in dash.rows()] == ["running"], "running")
    fresh = start_real(sandbox)
    dash.wait_ids([fresh, permission])  # waiting for input sorts above running


def test_kill_from_the_dashboard_ends_claude_like_session_kill(sandbox):
    sid = start_real(sandbox)
    pid = sandbox.wait_status(sid, "waiting_input")["pid"]
    conv = sandbox.read_state(sid)["convId"]
    dash = open_dashboard(sandbox)
    dash.wait_ids([sid])
    dash.keys("x")
    dash.wait_text("kill %s? y/n" % sid)
    dash.keys("y")
    dash.wait_text("killed %s; resume with: tclaude session new --resume %s " % (sid, conv))
    wait_until(lambda: process_gone(pid), message="claude to exit")
    assert not os.path.exists(sandbox.state_file(sid))
    dash.wait_ids([])
    assert "0 sessions" in dash.lines()[0]


# -- pure text helpers ------------------------------------------------------------------------


def test_cell_text_defuses_control_format_and_surrogate_characters():
    assert tclaude.cell_text("a\x1b[31mb\x07c") == "a^[[31mb^Gc"  # shown, as by safe_text
    assert tclaude.cell_text("x\x9by") == "x\\x9by"  # C1 control (CSI on some terminals)
    assert tclaude.cell_text("ab\u202ecd\u200b") == "abcd"  # bidi override, zero width space
    assert tclaude.cell_text("a\ud800b") == "a\\ud800b"  # shown, as by safe_text
    assert tclaude.cell_text(None) == "" and tclaude.cell_text(42) == "42"


def test_fit_counts_wide_characters_as_two_columns():
    assert tclaude.fit("日本語", 6) == "日本語"
    assert tclaude.fit("日本語", 5) == "日本…"
    assert tclaude.text_width(tclaude.fit("日本語です", 4)) == 4
    assert tclaude.fit("abc", 5, right=True) == "  abc"


def test_fit_left_keeps_the_end_of_a_path():
    assert tclaude.fit_left("~/src/project/api", 10) == "…oject/api"
    assert tclaude.fit_left("~/api", 10) == "~/api     "


def test_parse_ps_builds_the_process_table_of_macos():
    table, kids = tclaude.parse_ps("  1     0   0.0  1024\n 50     1  12,5  2048\nbogus\n")
    assert table == {1: (0.0, 1024 * 1024), 50: (12.5, 2048 * 1024)}
    assert kids == {0: [1], 1: [50]}
    assert sorted(tclaude.process_tree(1, kids)) == [1, 50]


def test_a_refresh_reads_again_only_the_state_files_that_changed(sandbox, monkeypatch):
    fake_sessions(sandbox, [dict(s, registry=True) for s in EVERY_STATUS])
    read = []
    real = tclaude.read_json_file

    def counting(path, *args, **kwargs):
        if os.path.dirname(path) == sandbox.state_dir:
            read.append(os.path.basename(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(tclaude, "read_json_file", counting)
    model = tclaude.WatchModel(tclaude.StateStore(sandbox.state_dir), tclaude.Tmux())
    model.refresh()  # reads every file, and records the exit of a0000003 (a changed record)
    model.refresh()
    assert {"a0000001.json", "a0000001.status"} <= set(read)
    first = [(v["id"], v["status"]) for v in model.views]
    del read[:]
    model.refresh()
    assert read == [] and [(v["id"], v["status"]) for v in model.views] == first
    sid = EVERY_STATUS[0]["sid"]
    with open(sandbox.state_file(sid, ".status")) as fh:
        hook = json.load(fh)
    hook.update(status="waiting_permission", detail="Bash: rm -rf build", ts=time.time())
    tmp = sandbox.state_file(sid, ".status") + ".tmp"
    with open(tmp, "w") as fh:  # replaced as the hook replaces it
        fh.write(json.dumps(hook) + "\n")
    os.replace(tmp, sandbox.state_file(sid, ".status"))
    model.refresh()
    assert read == [sid + ".status"]
    assert {v["id"]: v["status"] for v in model.views}[sid] == "waiting_permission"
