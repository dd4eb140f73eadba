"""Partial sight of tmux never declares a session dead (issue 10, section 1).

A session remembers the tmux server it was started on (``tmuxSocket``) and every command asks
that server, whatever $TMUX, TMUX_TMPDIR or PATH the caller has.  A server that cannot be asked
makes the session ``unknown`` (shown, never written); only proof makes it ``exited``.
"""

import json
import os
import signal
import subprocess
import sys
import tempfile

from conftest import (
    ROOT,
    TCLAUDE,
    assert_one_line_error,
    process_gone,
    start_pane,
    wait_until,
    write_record,
)


def ready(sandbox, *args):
    sid = sandbox.new(sandbox.work, *args)
    sandbox.wait_status(sid, "waiting_input")
    return sid


def elsewhere(tmp_path):
    """The env of a caller who sees another tmux world: its own TMUX_TMPDIR (no server)."""
    other = tempfile.mkdtemp(prefix="tco", dir="/tmp")
    return {"TMUX_TMPDIR": other}


def other_server(sandbox, name="other"):
    """A second tmux server with a session of its own; returns (socket, its $TMUX value)."""
    sock = os.path.join(sandbox.tmux_tmpdir, "other.sock")
    out = subprocess.run(
        ["tmux", "-S", sock, "new-session", "-d", "-s", name, "-P", "-F", "#{pid}", "sleep 600"],
        env=sandbox.env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return sock, "%s,%s,0" % (sock, out.strip())


def kill_other(sandbox, sock):
    subprocess.run(["tmux", "-S", sock, "kill-server"], env=sandbox.env, capture_output=True)


def ls_json(sandbox, env=None):
    proc = sandbox.run("session", "ls", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    return {v["id"]: v for v in json.loads(proc.stdout)}, proc


def record_bytes(sandbox, sid):
    with open(sandbox.state_file(sid), "rb") as fh:
        return fh.read()


def failing_tmux(tmp_path, message="protocol version mismatch (client 8, server 7)"):
    """A PATH whose tmux cannot talk to any server (as after an upgrade under a running one)."""
    shim = tmp_path / "badtmux"
    shim.mkdir(exist_ok=True)
    (shim / "tmux").write_text("#!/bin/sh\necho '%s' >&2\nexit 1\n" % message)
    (shim / "tmux").chmod(0o755)
    return str(shim)


# -- the record knows its server -------------------------------------------------------------


def test_new_records_the_socket_of_the_server_tmux_used(sandbox):
    sid = sandbox.new(sandbox.work)
    assert sandbox.read_state(sid)["tmuxSocket"] == sandbox.socket


# -- another $TMUX, another TMUX_TMPDIR, no tmux on PATH ----------------------------------------


def test_ls_from_another_tmux_tmpdir_sees_the_live_session(sandbox, tmp_path):
    sid = ready(sandbox)
    views, _ = ls_json(sandbox, env=elsewhere(tmp_path))
    assert views[sid]["status"] == "waiting_input"
    assert sandbox.read_state(sid)["status"] != "exited"


def test_ls_inside_another_tmux_server_sees_the_live_session(sandbox):
    sid = ready(sandbox)
    sock, inside = other_server(sandbox)
    try:
        views, _ = ls_json(sandbox, env={"TMUX": inside, "TMUX_PANE": "%0"})
    finally:
        kill_other(sandbox, sock)
    assert views[sid]["status"] == "waiting_input"
    assert sandbox.read_state(sid)["status"] != "exited"


def test_ls_without_tmux_on_path_shows_unknown_and_writes_nothing(sandbox, tmp_path):
    sid = ready(sandbox)
    before = record_bytes(sandbox, sid)
    empty = tmp_path / "bin"
    empty.mkdir()
    views, proc = ls_json(sandbox, env={"PATH": str(empty)})
    assert views[sid]["status"] == "unknown"
    assert views[sid]["statusDetail"].startswith("tmux server %s cannot be asked" % sandbox.socket)
    assert "cannot be asked" in proc.stderr  # one warning
    assert record_bytes(sandbox, sid) == before
    table = sandbox.run("session", "ls", env={"PATH": str(empty)})
    assert table.returncode == 0 and " unknown " in table.stdout
    assert sandbox.session(sid)["status"] == "waiting_input"  # seen again once tmux is back


def test_a_tmux_that_cannot_reach_a_live_server_is_no_proof(sandbox, tmp_path):
    sid = ready(sandbox)
    before = record_bytes(sandbox, sid)
    path = failing_tmux(tmp_path) + os.pathsep + sandbox.env["PATH"]
    views, _ = ls_json(sandbox, env={"PATH": path})
    assert views[sid]["status"] == "unknown"
    assert "protocol version mismatch" in views[sid]["statusDetail"]
    assert record_bytes(sandbox, sid) == before


def test_a_record_without_tmux_socket_is_not_killed_by_another_view(sandbox, tmp_path):
    sid = ready(sandbox)
    state = sandbox.read_state(sid)
    del state["tmuxSocket"]  # written by a tclaude that did not record the server
    with open(sandbox.state_file(sid), "w") as fh:
        json.dump(state, fh)
    views, _ = ls_json(sandbox, env=elsewhere(tmp_path))
    assert views[sid]["status"] == "unknown"
    assert sandbox.read_state(sid)["status"] != "exited"
    assert sandbox.session(sid)["status"] == "waiting_input"  # its default server has it


def test_kill_all_exited_from_another_world_removes_nothing_live(sandbox, tmp_path):
    sid = ready(sandbox)
    sock, inside = other_server(sandbox)
    try:
        for env in (elsewhere(tmp_path), {"TMUX": inside}):
            proc = sandbox.run("session", "kill", "--all-exited", env=env)
            assert proc.returncode == 0 and "no exited sessions" in proc.stdout, proc
    finally:
        kill_other(sandbox, sock)
    path = failing_tmux(tmp_path) + os.pathsep + sandbox.env["PATH"]
    assert "no exited sessions" in sandbox.run("session", "kill", "--all-exited",
                                               env={"PATH": path}).stdout  # fmt: skip
    assert os.path.exists(sandbox.state_file(sid))
    assert sandbox.session(sid)["status"] == "waiting_input"


def test_prune_from_a_blind_caller_keeps_an_unknown_session(sandbox, tmp_path):
    sid = ready(sandbox)
    path = failing_tmux(tmp_path) + os.pathsep + sandbox.env["PATH"]
    proc = sandbox.run("session", "prune", env={"PATH": path})
    assert proc.returncode == 0 and sid not in proc.stdout
    assert os.path.exists(sandbox.state_file(sid))


def test_kill_from_another_tmux_tmpdir_ends_the_right_session(sandbox, tmp_path):
    sid = ready(sandbox)
    sandbox.run("session", "kill", sid, env=elsewhere(tmp_path), check=True)
    name = "=tofu-claude-" + sid
    assert sandbox.tmux("has-session", "-t", name, check=False).returncode != 0
    assert any(r["event"] == "SessionEnd" for r in sandbox.hook_log())


def test_send_from_another_tmux_tmpdir_types_into_the_session(sandbox, tmp_path):
    sid = ready(sandbox)
    proc = sandbox.run("session", "send", sid, "hello there", env=elsewhere(tmp_path))
    assert proc.returncode == 0, proc.stderr
    wait_until(lambda: any(r["event"] == "UserPromptSubmit" for r in sandbox.hook_log()))


def test_attach_from_a_client_of_another_server_attaches_instead_of_switching(sandbox):
    sid = ready(sandbox)
    sock, _ = other_server(sandbox, name="desk")

    def outer(*args):
        return subprocess.run(["tmux", "-S", sock, *args], env=sandbox.env,
                              capture_output=True, text=True)  # fmt: skip

    try:
        outer("new-window", "-t", "=desk:", "sh")
        # a shell inside the other server: its $TMUX names that server, not the session's
        cmd = "%s %s session attach %s" % (sys.executable, TCLAUDE, sid)
        outer("send-keys", "-t", "=desk:", cmd, "Enter")
        wait_until(
            lambda: "tofu-claude-" + sid
            in sandbox.tmux("list-clients", "-F", "#{client_session}").stdout,
            message="a client of the session's own server",
        )
    finally:
        kill_other(sandbox, sock)


# -- proof still makes a session exited -----------------------------------------------------


def test_proven_deaths_are_recorded_from_any_caller(sandbox, tmp_path):
    live = ready(sandbox)
    pane_dead = ready(sandbox)
    pid_killed = ready(sandbox)
    session_killed = ready(sandbox)
    sandbox.type(pane_dead, "/exit")
    wait_until(
        lambda: "Pane is dead" in sandbox.screen(pane_dead)
        or "dead"
        in sandbox.tmux(
            "list-panes", "-t", "=tofu-claude-" + pane_dead, "-F", "#{?pane_dead,dead,}"
        ).stdout
    )
    os.kill(sandbox.read_state(pid_killed)["pid"], signal.SIGKILL)
    sandbox.tmux("kill-session", "-t", "=tofu-claude-" + session_killed)
    env = elsewhere(tmp_path)

    def settled():
        views, _ = ls_json(sandbox, env=env)
        return views if views[pid_killed]["status"] == "exited" else None

    views = wait_until(settled, message="the killed claude to be seen exited")
    assert views[live]["status"] == "waiting_input"
    dead = views[pane_dead]
    assert (dead["status"], dead.get("exitCode")) == ("exited", 0), [
        dead.get(k) for k in ("exitCause", "statusDetail", "exitReason")
    ]
    for sid in (pane_dead, pid_killed, session_killed):
        assert sandbox.read_state(sid)["status"] == "exited"
    assert sandbox.read_state(session_killed)["exitCause"] == "session-gone"


def test_a_killed_server_is_proof_from_any_caller(sandbox, tmp_path):
    sid = ready(sandbox)
    sandbox.tmux("kill-server")
    env = elsewhere(tmp_path)
    # claude takes a moment to die of the hang-up: until then it is unknown, never exited
    view = wait_until(lambda: [v for v in [ls_json(sandbox, env=env)[0][sid]]
                               if v["status"] != "unknown"], message="a verdict")[0]  # fmt: skip
    assert view["status"] == "exited"
    assert sandbox.read_state(sid)["exitCause"] == "server-gone"


# -- after a crash: resume --all -------------------------------------------------------------


def test_resume_all_after_kill_server_brings_the_sessions_back(sandbox):
    api = ready(sandbox, "--name", "api")
    web = ready(sandbox, "--name", "web")
    done = ready(sandbox, "--name", "done")
    sandbox.type(done, "/exit")
    sandbox.wait_status(done, "exited")
    convs = {sid: sandbox.read_state(sid)["convId"] for sid in (api, web)}
    pids = [sandbox.read_state(sid)["pid"] for sid in (api, web)]
    sandbox.tmux("kill-server")
    wait_until(lambda: all(process_gone(pid) for pid in pids), message="claude to die with tmux")
    proc = sandbox.run("session", "resume", "--all", check=True)
    lines = proc.stdout.splitlines()
    assert sorted(lines) == sorted(
        "resumed %s (%s) in %s" % (sid, name, sandbox.work)
        for sid, name in ((api, "api"), (web, "web"))
    ), proc.stdout
    for sid, name in ((api, "api"), (web, "web")):
        view = sandbox.wait_status(sid, "waiting_input")
        assert view["name"] == name and view["convId"] == convs[sid]
    assert sandbox.session(done)["status"] == "exited"  # ended on purpose: left alone


def test_resume_all_says_which_it_could_not_bring_back(sandbox):
    write_record(sandbox, "abcd1234", name="lost", status="exited", exitedAt="2026-01-01T00:00:00Z",
                 statusDetail="tmux server gone", exitCause="server-gone", cwd="/nonexistent/x")  # fmt: skip
    proc = sandbox.run("session", "resume", "--all", check=True)
    assert proc.stdout.strip() == "not resumed abcd1234 (lost): cannot resume abcd1234: its " \
                                  "directory /nonexistent/x is gone"  # fmt: skip


def test_resume_all_with_nothing_lost_says_so(sandbox):
    proc = sandbox.run("session", "resume", "--all", check=True)
    assert "no session was lost" in proc.stdout


# -- a half-made session ---------------------------------------------------------------------


def test_a_half_made_session_says_how_to_start_over_instead_of_resume(sandbox):
    write_record(sandbox, "abcd1234", transcript=False)  # session new killed before tmux
    proc = sandbox.run("session", "resume", "abcd1234")
    assert_one_line_error(proc, r"never started claude .*tclaude session kill abcd1234 && "
                                r"tclaude session new")  # fmt: skip
    table = sandbox.run("session", "ls", check=True).stdout
    assert "start over: tclaude session kill abcd1234" in table
    assert "session resume abcd1234" not in table


# -- unknown in wait, watch, status-line ------------------------------------------------------


def test_wait_does_not_take_unknown_for_exited(sandbox, tmp_path):
    sid = ready(sandbox)
    path = failing_tmux(tmp_path) + os.pathsep + sandbox.env["PATH"]
    proc = sandbox.run("session", "wait", sid, "--until", "exited", "--timeout", "1",
                       env={"PATH": path})  # fmt: skip
    assert proc.returncode == 124, proc.stderr
    assert "%s is unknown" % sid in proc.stderr


def test_watch_once_marks_unknown_and_sorts_it_after_waiting_ones(sandbox, tmp_path):
    waiting = ready(sandbox)
    blind = ready(sandbox)
    state = sandbox.read_state(blind)
    state["tmuxSocket"] = str(tmp_path / "not-a-socket")  # a server nobody can ask
    (tmp_path / "not-a-socket").write_text("")
    with open(sandbox.state_file(blind), "w") as fh:
        json.dump(state, fh)
    out = sandbox.run("session", "watch", "--once", env={"COLUMNS": "200"}, check=True).stdout
    rows = [line for line in out.splitlines() if waiting in line or blind in line]
    assert rows[0].startswith("? ") and waiting in rows[0]
    assert rows[1].startswith("* ") and "unknown" in rows[1]


def test_status_line_counts_a_session_only_tmux_can_judge_as_unknown(sandbox):
    write_record(sandbox, "abcd1234")  # no claude pid: status-line asks tmux nothing
    assert sandbox.run("status-line", check=True).stdout == "claude 1*\n"


def test_a_tmux_that_never_answers_is_a_server_that_cannot_be_asked(sandbox, tmp_path, monkeypatch):
    sys.path.insert(0, os.path.dirname(TCLAUDE))
    import tclaude

    shim = tmp_path / "hung"
    shim.mkdir()
    (shim / "tmux").write_text("#!/bin/sh\nexec /bin/sleep 60\n")  # a server stuck mid-answer
    (shim / "tmux").chmod(0o755)
    monkeypatch.setenv("PATH", str(shim))
    monkeypatch.setattr(tclaude, "TMUX_TIMEOUT", 0.5)
    sight = tclaude.Tmux(sandbox.socket).start_panes_query()()
    assert not sight.answered and not sight.dead
    assert sight.problem == "no answer within 0.5 s"


def test_resume_all_names_a_session_it_cannot_judge(sandbox, tmp_path):
    sid = ready(sandbox)
    state = sandbox.read_state(sid)
    state["tmuxSocket"] = str(tmp_path / "not-a-socket")  # a server nobody can ask
    (tmp_path / "not-a-socket").write_text("")
    with open(sandbox.state_file(sid), "w") as fh:
        json.dump(state, fh)
    proc = sandbox.run("session", "resume", "--all", check=True)
    assert proc.stdout.startswith("not resumed %s: cannot tell whether it is alive" % sid)
    assert sandbox.read_state(sid)["status"] != "exited"


# -- one tmux process per refresh ------------------------------------------------------------

BATCH = r"""
import json, tclaude
tmux = tclaude.Tmux()
names = ["tofu-claude-0000000a", "tofu-claude-deadbeef", "tofu-claude-0000000b"]
query = tmux.start_panes_query()
query.want(names)  # the second is gone: its capture fails
sight = query()
calls = tclaude.Tmux.calls
alone = {name: tmux.capture(name) for name in names}
print(json.dumps({"calls": calls, "panes": sorted(sight.panes), "screens": sight.screens,
                  "alone": alone}))
"""


def wait_for_text(sandbox, name, text):
    def shown():
        return text in sandbox.tmux("capture-pane", "-p", "-t", "=%s:" % name).stdout

    wait_until(shown, message="%r on %s" % (text, name))


def test_one_call_brings_every_screen_asked_even_past_a_session_gone(sandbox):
    fake_marks = "tclaude-0123456789abcdef 0\\ntclaude-0123456789abcdef -\\n"  # no nonce: text
    start_pane(sandbox, "tofu-claude-0000000a", "printf 'first\\n'; exec sleep 600")
    start_pane(sandbox, "tofu-claude-0000000b", "printf '%ssecond\\n'; exec sleep 600" % fake_marks)
    for name, text in (("0000000a", "first"), ("0000000b", "second")):
        wait_for_text(sandbox, "tofu-claude-" + name, text)
    proc = subprocess.run([sys.executable, "-c", BATCH], cwd=ROOT, env=sandbox.env,
                          capture_output=True, text=True, timeout=30)  # fmt: skip
    got = json.loads(proc.stdout)
    assert got["calls"] == 1
    assert got["panes"] == ["tofu-claude-0000000a", "tofu-claude-0000000b"]
    assert got["screens"] == got["alone"]  # each as capture-pane alone gives it
    assert got["screens"]["tofu-claude-0000000b"].startswith(fake_marks.replace("\\n", "\n"))
