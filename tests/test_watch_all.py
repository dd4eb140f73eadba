"""tclaude session watch --all: claude sessions started by hand (``ext:<pid>``) on the dashboard.

A cheap external session is a ``sleep`` in a tmux pane of the sandbox's server plus the registry
file claude would write for it; the tests that attach or kill use a claude typed into a shell by
hand (the fake claude, through ``start_claude_by_hand``).
"""

import os
import re
import shlex
import subprocess
import sys
import time

from conftest import (
    ROOT,
    Pane,
    fake_sessions,
    iso,
    open_dashboard,
    process_gone,
    start_claude_by_hand,
    start_pane,
    tmux_command_log,
    wait_until,
    watch_command,
    write_registry,
)

sys.path.insert(0, ROOT)
import tclaude

ROW = re.compile(r"^([> ])([!? -]) (ext:\d+|[0-9a-f]{8}) ")
ONCE_ROW = re.compile(r"^([!? -]) (ext:\d+|[0-9a-f]{8}) ")


# -- helpers ----------------------------------------------------------------------------------


def by_hand(sandbox, session, status="idle", started_ago=60):
    """A claude started by hand as the registry shows it: (ext id, pane id, pid)."""
    pane, pid = start_pane(sandbox, session, "exec sleep 600")
    started = int((time.time() - started_ago) * 1000)
    write_registry(
        sandbox, pid, status=status, tmux="%s:@0.%s" % (session, pane), startedAt=started
    )
    return "ext:%d" % pid, pane, pid


def own_sessions(sandbox, count, **extra):
    """tclaude sessions (stand-ins): a0000001 running, created 900 s ago; a0000002 waiting,
    800 s ago; a0000003 exited, 700 s ago.  Times are taken now, not at import."""
    specs = [
        {"sid": "a0000001", "status": "running", "created": iso(900)},
        {"sid": "a0000002", "status": "waiting_input", "created": iso(800)},
        {"sid": "a0000003", "status": "exited", "created": iso(700)},
    ]
    fake_sessions(sandbox, [dict(spec, **extra) for spec in specs[:count]])


def rows(text, pattern=ROW):
    """[(marker, id)] of the session rows in a screen or a --once frame."""
    found = []
    for line in text.split("\n"):
        m = pattern.match(line)
        if m:
            found.append((m.group(pattern.groups - 1), m.group(pattern.groups)))
    return found


def ids(text, pattern=ROW):
    return [sid for _, sid in rows(text, pattern)]


def dim_rows(styled):
    """{row id: dim?} from ``capture-pane -e``; tmux emits SGR only where attributes change,
    so the state carries from line to line."""
    dim, found = False, {}
    for line in styled.split("\n"):
        first_dim, pos = None, 0
        while pos < len(line):
            m = re.match(r"\x1b\[([0-9;]*)m", line[pos:])
            if m:
                for code in [int(p) if p else 0 for p in m.group(1).split(";")]:
                    if code == 2:
                        dim = True
                    elif code in (0, 22):
                        dim = False
                pos += m.end()
                continue
            if first_dim is None and line[pos] != " ":
                first_dim = dim
            pos += 1
        plain = re.sub(r"\x1b\[[0-9;]*m", "", line)
        m = ROW.match(plain)
        if m:
            found[m.group(3)] = bool(first_dim)
    return found


def once(sandbox, *args, env=None):
    return sandbox.run("session", "watch", "--once", *args, env=env, check=True).stdout


def client_panes(sandbox):
    return sandbox.tmux("list-clients", "-F", "#{pane_id}").stdout.split()


# -- --once --all -----------------------------------------------------------------------------


def test_once_all_sorts_claudes_started_by_hand_into_the_status_groups(sandbox):
    own_sessions(sandbox, 3)
    busy, _, _ = by_hand(sandbox, "build", status="busy", started_ago=1000)
    idle, _, _ = by_hand(sandbox, "notes", status="idle", started_ago=100)
    asking, _, _ = by_hand(sandbox, "ops", status="waiting", started_ago=100)
    lines = once(sandbox, "--all").splitlines()
    assert re.fullmatch(
        r"6 sessions \(3 external\): 2 waiting, 1 permission, 2 running, 1 exited  "
        r"\d\d:\d\d:\d\d",
        lines[0],
    )
    assert rows("\n".join(lines), ONCE_ROW) == [
        ("!", asking),
        ("?", "a0000002"),  # created 800 s ago: before the claude started 100 s ago
        ("?", idle),
        (" ", busy),  # started 1000 s ago: before a0000001 (900 s)
        (" ", "a0000001"),
        ("-", "a0000003"),
    ]


def test_once_all_describes_an_external_row_by_its_tmux_pane(sandbox):
    ext, pane, _ = by_hand(sandbox, "notes")
    lines = once(sandbox, "--all").splitlines()
    assert lines[1].split() == ["ID", "STATUS", "AGE", "CPU", "RSS", "CONV", "CWD", "DETAIL"]
    (row,) = [line for line in lines if line.startswith("? " + ext + " ")]
    assert row.split()[2] == "waiting" and row.rstrip().endswith("tmux notes:" + pane)


def test_once_without_all_leaves_claudes_started_by_hand_out(sandbox):
    own_sessions(sandbox, 1)
    ext, _, _ = by_hand(sandbox, "notes")
    assert ext in once(sandbox, "--all")  # the registry entry is there to be found
    out = once(sandbox)
    assert ids(out, ONCE_ROW) == ["a0000001"]
    assert "ext:" not in out and "external" not in out


def test_once_all_still_makes_one_tmux_call(sandbox, tmp_path):
    own_sessions(sandbox, 3, registry=True)
    ext, _, _ = by_hand(sandbox, "notes")
    path, log = tmux_command_log(sandbox, tmp_path)
    out = once(sandbox, "--all", env={"PATH": path})
    assert ext in out
    assert log.read_text().split() == ["list-panes"]


def test_once_all_with_a_claude_outside_tmux_says_not_in_tmux(sandbox):
    outside = subprocess.Popen(["sleep", "600"])
    try:
        write_registry(sandbox, outside.pid, status="busy")
        (row,) = [line for line in once(sandbox, "--all").splitlines() if "ext:" in line]
        assert row.startswith("  ext:%d " % outside.pid) and row.rstrip().endswith("not in tmux")
    finally:
        outside.kill()
        outside.wait()


# -- the dashboard ------------------------------------------------------------------------------


def test_dashboard_with_all_shows_a_claude_started_by_hand(sandbox):
    own_sessions(sandbox, 1)
    _, reg = start_claude_by_hand(sandbox)
    ext = "ext:%d" % reg["pid"]
    dash = open_dashboard(sandbox, "--all")
    dash.wait(lambda s: ids(s) == [ext, "a0000001"], "the external row above the running one")
    assert dash.lines()[0].startswith("2 sessions (1 external): 1 waiting, 1 running")
    assert rows(dash.text())[0] == ("?", ext)


def test_dashboard_without_all_leaves_a_claude_started_by_hand_out(sandbox):
    own_sessions(sandbox, 1)
    start_claude_by_hand(sandbox)
    dash = open_dashboard(sandbox)
    dash.wait(lambda s: ids(s) == ["a0000001"], "the tclaude session")  # one refresh: both
    assert "ext:" not in dash.text()
    assert dash.lines()[0].startswith("1 session: 1 running")


def test_external_rows_are_dim_and_tclaude_rows_are_not(sandbox):
    own_sessions(sandbox, 2)
    idle, _, _ = by_hand(sandbox, "notes")
    busy, _, _ = by_hand(sandbox, "build", status="busy")
    dash = open_dashboard(sandbox, "--all")
    dash.wait(lambda s: ids(s) == ["a0000002", idle, "a0000001", busy], "all four rows")
    dash.keys("G")  # move the (reverse video) selection off the rows we look at
    dash.wait(lambda s: any(line.startswith(">  " + busy) for line in s.split("\n")), "G")
    dim = dim_rows(dash.styled())
    assert (dim[idle], dim[busy]) == (True, True)
    assert (dim["a0000002"], dim["a0000001"]) == (False, False)


def test_the_help_explains_external_rows(sandbox):
    by_hand(sandbox, "notes")
    dash = open_dashboard(sandbox, "--all")
    dash.keys("?")
    dash.wait_text("ext:<pid> (dim): a claude started by hand; adopt it to kill it")


def test_kill_on_an_external_row_is_refused_and_claude_keeps_running(sandbox):
    pane, reg = start_claude_by_hand(sandbox)
    ext = "ext:%d" % reg["pid"]
    dash = open_dashboard(sandbox, "--all")
    dash.wait(lambda s: ids(s) == [ext], "the external row")
    dash.keys("x")
    dash.wait_text(
        "%s is not a tclaude session; adopt it first: tclaude session adopt %s" % (ext, ext)
    )
    assert "y/n" not in dash.text()
    dash.keys("y")  # nothing was asked, so nothing is confirmed
    dash.keys("r")
    dash.wait(lambda s: ids(s) == [ext], "the external row after a refresh")
    assert not process_gone(reg["pid"])
    assert sandbox.tmux("display-message", "-p", "-t", pane, "#{pane_dead}").stdout.strip() == "0"
    assert not os.path.exists(sandbox.state_dir) or os.listdir(sandbox.state_dir) == []


def test_attach_on_an_external_row_hands_the_terminal_to_its_pane(sandbox, outer):
    pane, reg = start_claude_by_hand(sandbox)
    ext = "ext:%d" % reg["pid"]
    sandbox.tmux("new-window", "-t", "=work:", "bash --norc --noprofile")  # user looks elsewhere
    command = "env -u TMUX " + watch_command(sandbox, "--interval", "0.3", "--all")
    outer("new-session", "-d", "-s", "term", "-x", "120", "-y", "30", command)
    term = Pane(outer, "=term:")
    term.wait(lambda s: ids(s) == [ext], "the dashboard")
    term.keys("a")
    wait_until(lambda: client_panes(sandbox) == [pane], message="the client on claude's pane")
    term.wait_text("? for shortcuts")  # claude's screen, in the terminal the dashboard had
    term.keys("C-b", "d")  # the user detaches
    wait_until(lambda: client_panes(sandbox) == [], message="the client to detach")
    term.wait(lambda s: ids(s) == [ext], "the dashboard again")
    assert not process_gone(reg["pid"])


def test_attach_on_an_external_row_from_inside_tmux_switches_to_its_pane(sandbox, outer):
    pane, reg = start_claude_by_hand(sandbox)
    ext = "ext:%d" % reg["pid"]
    sandbox.tmux("new-window", "-t", "=work:", "bash --norc --noprofile")
    dash = open_dashboard(sandbox, "--all")
    dash.wait(lambda s: ids(s) == [ext], "the external row")
    client = "env -u TMUX TMUX_TMPDIR=%s tmux attach -t =dash" % shlex.quote(sandbox.tmux_tmpdir)
    outer("new-session", "-d", "-s", "term", "-x", "120", "-y", "30", client)
    sessions = lambda: sandbox.tmux("list-clients", "-F", "#{client_session}").stdout.split()  # noqa: E731
    wait_until(lambda: sessions() == ["dash"], message="a client on the dashboard")
    dash.keys("Enter")
    wait_until(lambda: client_panes(sandbox) == [pane], message="the switch to claude's pane")
    dash.wait_text("switched to %s" % ext)


def test_attach_on_an_external_claude_outside_tmux_says_there_is_no_pane(sandbox):
    outside = subprocess.Popen(["sleep", "600"])
    try:
        ext = "ext:%d" % outside.pid
        write_registry(sandbox, outside.pid)
        dash = open_dashboard(sandbox, "--all")
        dash.wait(lambda s: ids(s) == [ext], "the external row")
        dash.keys("a")
        dash.wait_text("%s does not run in tmux: there is no pane to attach to" % ext)
    finally:
        outside.kill()
        outside.wait()


# -- pure helpers -----------------------------------------------------------------------------


def test_the_summary_counts_external_sessions_inside_the_status_groups():
    views = [
        {"id": "a0000001", "status": "running"},
        {"id": "ext:42", "status": "waiting_input", "external": True},
    ]
    assert tclaude.watch_summary(views) == "2 sessions (1 external): 1 waiting, 1 running"


def test_an_ext_id_fits_the_id_column_uncut():
    cells = tclaude.watch_cells(
        {"id": "ext:4194304", "status": "running", "created": iso(5)}, {}, time.time()
    )
    layout = dict(tclaude.watch_layout([cells], 200, 2))
    assert layout["id"] == len("ext:4194304")
