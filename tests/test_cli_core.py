"""session new / ls / attach / kill through the real CLI, on a private tmux server."""

import json
import os
import re
import stat
import subprocess
import sys
import time

import pytest
from conftest import ROOT, TCLAUDE, assert_one_line_error, fake_sessions, wait_until, write_record

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
CONTRACT_FIELDS = (
    "id",
    "tmuxSession",
    "pid",
    "cwd",
    "convId",
    "status",
    "statusDetail",
    "created",
    "updated",
)


# -- new ----------------------------------------------------------------------------------------


def test_new_prints_the_id_and_how_to_attach(sandbox):
    proc = sandbox.run("session", "new", sandbox.work, check=True)
    first, second = proc.stdout.strip().splitlines()
    sid = re.search(r"started session ([0-9a-f]{8}) in ", first).group(1)
    assert second == "attach with: tclaude session attach %s" % sid


def test_new_quiet_prints_only_the_id(sandbox):
    proc = sandbox.run("session", "new", "-q", sandbox.work, check=True)
    assert re.fullmatch(r"[0-9a-f]{8}\n", proc.stdout)


def test_new_writes_the_state_contract(sandbox):
    sid = sandbox.new(sandbox.work)
    state = sandbox.read_state(sid)
    for field in CONTRACT_FIELDS:
        assert field in state, field
    assert state["id"] == sid
    assert state["tmuxSession"] == "tofu-claude-" + sid
    assert state["cwd"] == os.path.realpath(sandbox.work)
    assert UUID4.match(state["convId"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", state["created"])
    pane_pid = sandbox.tmux("display-message", "-p", "-t", "=tofu-claude-%s:" % sid, "#{pane_pid}")
    assert state["pid"] == int(pane_pid.stdout)


def test_state_dir_is_private_and_files_are_0600(sandbox):
    sid = sandbox.new(sandbox.work)
    assert stat.S_IMODE(os.stat(sandbox.state_dir).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(sandbox.state_file(sid)).st_mode) == 0o600


def test_new_fixes_the_conversation_id_before_claude_starts(sandbox):
    sid = sandbox.new(sandbox.work)
    conv = sandbox.read_state(sid)["convId"]
    assert sandbox.wait_status(sid, "waiting_input")["convId"] == conv
    with open(sandbox.state_file(sid, ".status")) as fh:
        assert json.load(fh)["convId"] == conv  # claude's SessionStart carried our id


def test_new_defaults_to_the_current_directory(sandbox):
    sid = sandbox.new()
    assert sandbox.read_state(sid)["cwd"] == os.path.realpath(sandbox.work)


def test_new_stores_the_real_path_of_the_directory(sandbox):
    link = os.path.join(sandbox.root, "link")
    os.symlink(sandbox.work, link)
    sid = sandbox.new(link)
    assert sandbox.read_state(sid)["cwd"] == os.path.realpath(sandbox.work)


def test_new_in_a_directory_whose_name_ends_in_a_semicolon(sandbox):
    """tmux reads an argument ending in ";" as the end of a command unless it is escaped."""
    cwd = os.path.join(sandbox.work, "a;")
    os.makedirs(cwd)
    sid = sandbox.new(cwd)
    assert sandbox.read_state(sid)["cwd"] == os.path.realpath(cwd)
    path = sandbox.tmux("display-message", "-p", "-t", "=tofu-claude-%s:" % sid,
                        "#{pane_start_path}").stdout  # fmt: skip
    assert path.strip() == os.path.realpath(cwd)


def test_new_with_a_missing_directory_fails_and_writes_nothing(sandbox):
    proc = sandbox.run("session", "new", os.path.join(sandbox.root, "nope"))
    assert_one_line_error(proc, r"no such directory: .*nope")
    assert not os.path.exists(sandbox.state_dir) or os.listdir(sandbox.state_dir) in ([], [".lock"])


def test_new_passes_arguments_after_double_dash_to_claude(sandbox):
    sid = sandbox.new(sandbox.work, "--", "--model", "opus")
    assert sandbox.read_state(sid)["claudeArgs"] == ["--model", "opus"]
    cmd = sandbox.tmux("list-panes", "-t", "=tofu-claude-%s:" % sid, "-F", "#{pane_start_command}")
    assert "--model opus" in cmd.stdout


def test_new_without_tmux_says_how_to_install_it(sandbox):
    proc = sandbox.run("session", "new", sandbox.work, env={"PATH": os.path.join(ROOT, "tests")})
    assert_one_line_error(proc, r"tmux is not installed.*apt-get install tmux.*brew install tmux")


def test_new_without_claude_says_how_to_install_it(sandbox, tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    os.symlink(subprocess.check_output(["which", "tmux"], text=True).strip(), str(bindir / "tmux"))
    proc = sandbox.run("session", "new", sandbox.work, env={"PATH": str(bindir)})
    assert_one_line_error(proc, r"claude .* is not on PATH.*npm install")


def test_new_with_an_unwritable_state_dir_fails_cleanly(sandbox):
    if os.geteuid() == 0:
        # root writes anywhere: make the state dir path a file instead
        os.makedirs(os.path.dirname(sandbox.state_dir), exist_ok=True)
        with open(sandbox.state_dir, "w") as fh:
            fh.write("not a dir")
        proc = sandbox.run("session", "new", sandbox.work)
        assert_one_line_error(proc, r"state dir")
        return
    os.makedirs(sandbox.state_dir, mode=0o500)
    proc = sandbox.run("session", "new", sandbox.work)
    assert_one_line_error(proc, r"state dir .* not writable")


def test_new_rejects_a_resume_value_that_is_not_a_uuid(sandbox):
    proc = sandbox.run("session", "new", sandbox.work, "--resume", "yesterday")
    assert_one_line_error(proc, r"--resume needs a conversation id \(a UUID\)")


def test_new_rejects_resuming_a_conversation_that_does_not_exist(sandbox):
    proc = sandbox.run(
        "session", "new", sandbox.work, "--resume", "0b5e55ed-1234-4abc-8def-0123456789ab"
    )
    assert_one_line_error(proc, r"no conversation 0b5e55ed-.* found for ")


# -- ls -----------------------------------------------------------------------------------------


def test_ls_with_no_sessions_says_so_and_succeeds(sandbox):
    proc = sandbox.run("session", "ls", check=True)
    assert proc.stdout.strip() == "no sessions (start one with: tclaude session new [dir])"


def test_ls_json_with_no_sessions_is_an_empty_array(sandbox):
    assert json.loads(sandbox.run("session", "ls", "--json", check=True).stdout) == []


def test_ls_shows_a_started_session_waiting_for_input(sandbox):
    sid = sandbox.new(sandbox.work, "--name", "api")
    sandbox.wait_status(sid, "waiting_input")
    out = sandbox.run("session", "ls", check=True).stdout.splitlines()
    assert out[0].split() == ["ID", "NAME", "STATUS", "AGE", "CWD", "CONV", "DETAIL"]
    row = next(line for line in out if line.startswith(sid))
    assert row.split()[1:3] == ["api", "waiting_input"]


def test_ls_json_has_the_contract_fields(sandbox):
    sid = sandbox.new(sandbox.work)
    view = sandbox.wait_status(sid, "waiting_input")
    for field in CONTRACT_FIELDS:
        assert field in view


def test_ls_shows_cwd_with_a_tilde(sandbox):
    sandbox.new(sandbox.home)
    assert re.search(r"\s~\s", sandbox.run("session", "ls", check=True).stdout)


def test_ls_marks_a_session_whose_tmux_session_died_as_exited_and_records_it(sandbox):
    sid = sandbox.new(sandbox.work)
    sandbox.wait_status(sid, "waiting_input")
    sandbox.tmux("kill-session", "-t", "=tofu-claude-" + sid)
    view = sandbox.wait_status(sid, "exited")
    assert view["status"] == "exited"
    assert sandbox.read_state(sid)["status"] == "exited"


def test_ls_marks_every_session_exited_when_the_tmux_server_is_gone(sandbox):
    sid = sandbox.new(sandbox.work)
    sandbox.tmux("kill-server")
    assert sandbox.session(sid)["status"] == "exited"


def test_ls_skips_a_corrupt_state_file_with_a_warning_and_keeps_it(sandbox):
    good = sandbox.new(sandbox.work)
    bad = os.path.join(sandbox.state_dir, "deadbeef.json")
    with open(bad, "w") as fh:
        fh.write('{"id": "deadbeef", "status": "runn')  # truncated mid-write by some other tool
    proc = sandbox.run("session", "ls")
    assert proc.returncode == 0
    assert good in proc.stdout
    assert "deadbeef" not in proc.stdout
    assert "skipping corrupt state file" in proc.stderr and "deadbeef.json" in proc.stderr
    with open(bad) as fh:
        assert fh.read() == '{"id": "deadbeef", "status": "runn'


def test_ls_skips_a_state_file_that_is_not_an_object(sandbox):
    os.makedirs(sandbox.state_dir)
    with open(os.path.join(sandbox.state_dir, "0badf00d.json"), "w") as fh:
        fh.write("[1, 2, 3]")
    proc = sandbox.run("session", "ls", "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout) == []
    assert "0badf00d.json" in proc.stderr


def test_ls_asks_tmux_once_however_many_sessions(sandbox, tmp_path):
    for _ in range(3):
        sandbox.new(sandbox.work)
    shim = tmp_path / "shim"
    shim.mkdir()
    log = tmp_path / "tmux-calls"
    real = subprocess.check_output(["which", "tmux"], text=True).strip()
    (shim / "tmux").write_text('#!/bin/sh\necho "$*" >> %s\nexec %s "$@"\n' % (log, real))
    (shim / "tmux").chmod(0o755)
    sandbox.run("session", "ls", env={"PATH": "%s:%s" % (shim, sandbox.env["PATH"])}, check=True)
    calls = log.read_text().splitlines()
    assert len(calls) == 1 and "list-panes" in calls[0].split()  # screens come in that call


def test_ls_asks_tmux_once_when_only_the_screens_can_tell(sandbox, tmp_path):
    screen = "printf 'Is this a project you created or one you trust?\\n'; exec sleep 3600"
    specs = [{"sid": "5a1e%04x" % i, "status": "running", "hook": False, "command": screen}
             for i in range(4)]  # fmt: skip
    fake_sessions(sandbox, specs)  # no hook ever fired, no claude registry
    shim = tmp_path / "shim"
    shim.mkdir()
    log = tmp_path / "tmux-calls"
    real = subprocess.check_output(["which", "tmux"], text=True).strip()
    (shim / "tmux").write_text('#!/bin/sh\necho "$*" >> %s\nexec %s "$@"\n' % (log, real))
    (shim / "tmux").chmod(0o755)
    env = {"PATH": "%s:%s" % (shim, sandbox.env["PATH"])}
    views = json.loads(sandbox.run("session", "ls", "--json", env=env, check=True).stdout)
    assert [v["statusDetail"] for v in views] == ["start-up dialog: trust this folder?"] * 4
    assert len(log.read_text().splitlines()) == 1


# -- ids, names and prefixes --------------------------------------------------------------------


def test_a_unique_prefix_selects_a_session(sandbox):
    write_record(sandbox, "abcd1234")
    write_record(sandbox, "ef001234")
    proc = sandbox.run("session", "attach", "abc")
    assert "abcd1234 has exited" in proc.stderr


def test_an_ambiguous_prefix_lists_the_candidates(sandbox):
    write_record(sandbox, "abcd1234")
    write_record(sandbox, "abce5678")
    proc = sandbox.run("session", "kill", "ab")
    assert_one_line_error(proc, r"'ab' is ambiguous: it matches abcd1234, abce5678")
    assert os.path.exists(sandbox.state_file("abcd1234"))
    assert os.path.exists(sandbox.state_file("abce5678"))


def test_an_unknown_id_is_a_clear_error(sandbox):
    proc = sandbox.run("session", "attach", "12345678")
    assert_one_line_error(proc, r"no session '12345678'")


def test_a_name_selects_a_session(sandbox):
    sid = sandbox.new(sandbox.work, "--name", "web")
    sandbox.run("session", "kill", "web", check=True)
    assert not os.path.exists(sandbox.state_file(sid))


def test_two_live_sessions_cannot_share_a_name(sandbox):
    sandbox.new(sandbox.work, "--name", "web")
    proc = sandbox.run("session", "new", sandbox.work, "--name", "web")
    assert_one_line_error(proc, r"already named 'web'")


# -- attach -------------------------------------------------------------------------------------


def test_attach_to_an_exited_session_says_how_to_resume(sandbox):
    write_record(sandbox, "abcd1234")
    proc = sandbox.run("session", "attach", "abcd1234")
    assert_one_line_error(
        proc,
        r"abcd1234 has exited \(tmux server gone\); resume it with: tclaude session resume abcd1234$",
    )


def test_attach_without_a_terminal_is_a_clear_error(sandbox):
    sid = sandbox.new(sandbox.work)
    proc = sandbox.run("session", "attach", sid)
    assert_one_line_error(proc, r"attach needs a terminal")


def open_terminal(outer):
    """The user's terminal: a shell in a pane of the outer tmux server (session "outer")."""
    outer("new-session", "-d", "-s", "outer", "-x", "120", "-y", "40", "sh")


def test_attach_shows_the_session_and_detaching_returns_to_the_shell(sandbox, outer):
    sid = sandbox.new(sandbox.work)
    sandbox.wait_status(sid, "waiting_input")
    open_terminal(outer)
    cmd = "env -u TMUX %s %s session attach %s; echo attach-returned-$?" % (
        sys.executable,
        TCLAUDE,
        sid,
    )
    outer("send-keys", "-t", "=outer:", cmd, "Enter")

    def screen():
        return outer("capture-pane", "-p", "-t", "=outer:").stdout

    wait_until(lambda: "❯" in screen(), message="claude's prompt through attach")
    assert sandbox.tmux("list-clients", "-t", "=tofu-claude-" + sid).stdout.strip()
    outer("send-keys", "-t", "=outer:", "C-b", "d")
    wait_until(lambda: "attach-returned-0" in screen(), message="attach to return after detach")


def test_attach_from_inside_tmux_switches_the_client_instead_of_nesting(sandbox, outer):
    sid = sandbox.new(sandbox.work)
    sandbox.tmux("new-session", "-d", "-s", "home", "-x", "120", "-y", "40", "sh")
    open_terminal(outer)
    # the user's terminal shows the "home" session of the tclaude server
    outer("send-keys", "-t", "=outer:", "env -u TMUX tmux attach -t =home", "Enter")
    wait_until(lambda: sandbox.tmux("list-clients").stdout.strip(), message="a client")
    cmd = "%s %s session attach %s" % (sys.executable, TCLAUDE, sid)
    sandbox.tmux("send-keys", "-t", "=home:", cmd, "Enter")
    wait_until(
        lambda: "tofu-claude-" + sid
        in sandbox.tmux("list-clients", "-F", "#{client_session}").stdout,
        message="the client to switch to the claude session",
    )


# -- kill ---------------------------------------------------------------------------------------


def test_kill_ends_claude_through_its_own_exit_path(sandbox):
    sid = sandbox.new(sandbox.work)
    sandbox.wait_status(sid, "waiting_input")
    proc = sandbox.run("session", "kill", sid, check=True)
    assert "killed %s" % sid in proc.stdout and "--resume" in proc.stdout
    ends = [r for r in sandbox.hook_log() if r["event"] == "SessionEnd"]
    assert ends, "claude's SessionEnd hook should have run"
    assert sandbox.tmux("has-session", "-t", "=tofu-claude-" + sid, check=False).returncode == 1
    assert not os.path.exists(sandbox.state_file(sid))
    assert not os.path.exists(sandbox.state_file(sid, ".status"))


def test_kill_leaves_other_sessions_alone(sandbox):
    keep = sandbox.new(sandbox.work)
    gone = sandbox.new(sandbox.work)
    sandbox.run("session", "kill", gone, check=True)
    assert sandbox.wait_status(keep, "waiting_input")
    assert sandbox.tmux("has-session", "-t", "=tofu-claude-" + keep, check=False).returncode == 0


def test_kill_of_an_unknown_session_changes_nothing(sandbox):
    sid = sandbox.new(sandbox.work)
    before = sandbox.read_state(sid)
    proc = sandbox.run("session", "kill", "ffffffff")
    assert_one_line_error(proc, r"no session 'ffffffff'")
    assert sandbox.read_state(sid) == before


def test_kill_all_exited_removes_only_exited_sessions(sandbox):
    live = sandbox.new(sandbox.work)
    write_record(sandbox, "abcd1234")
    proc = sandbox.run("session", "kill", "--all-exited", check=True)
    assert "removed abcd1234" in proc.stdout
    assert not os.path.exists(sandbox.state_file("abcd1234"))
    assert os.path.exists(sandbox.state_file(live))


# -- the CLI itself -----------------------------------------------------------------------------


def test_version(sandbox):
    proc = sandbox.run("--version", check=True)
    assert re.fullmatch(r"tclaude \d+\.\d+\.\d+\n", proc.stdout)


@pytest.mark.parametrize("args", [["--help"], ["session", "--help"]])
def test_help_has_examples(sandbox, args):
    proc = sandbox.run(*args, check=True)
    assert "examples:" in proc.stdout and "tclaude session new" in proc.stdout


def test_an_unknown_command_is_a_usage_error(sandbox):
    proc = sandbox.run("session", "frobnicate")
    assert proc.returncode == 2
    assert "invalid choice" in proc.stderr and "Traceback" not in proc.stderr


def test_double_dash_is_only_for_new(sandbox):
    proc = sandbox.run("session", "ls", "--", "x")
    assert proc.returncode == 2 and "only 'session new'" in proc.stderr


def test_an_internal_error_is_one_line_unless_debugging(sandbox, monkeypatch, capsys):
    sys.path.insert(0, ROOT)
    import tclaude

    def boom(args):
        raise RuntimeError("kaput")

    monkeypatch.setattr(tclaude, "cmd_ls", boom)
    monkeypatch.delenv("TCLAUDE_DEBUG", raising=False)
    assert tclaude.main(["session", "ls"]) == 70
    err = capsys.readouterr().err
    assert err.startswith("tclaude: internal error: RuntimeError: kaput") and "TCLAUDE_DEBUG" in err
    monkeypatch.setenv("TCLAUDE_DEBUG", "1")
    with pytest.raises(RuntimeError):
        tclaude.main(["session", "ls"])


def test_state_timestamps_move_forward(sandbox):
    sid = sandbox.new(sandbox.work)
    created = sandbox.read_state(sid)["created"]
    time.sleep(1.1)
    sandbox.tmux("kill-session", "-t", "=tofu-claude-" + sid)
    sandbox.wait_status(sid, "exited")
    state = sandbox.read_state(sid)
    assert state["created"] == created and state["updated"] > created


def test_ls_survives_a_name_that_is_not_utf8(sandbox):
    record = write_record(sandbox, "abcd1234")
    with open(sandbox.state_file("abcd1234"), "w", encoding="utf-8") as fh:
        fh.write(json.dumps(dict(record, name="bad\udcffname")))  # JSON escape of a lone surrogate
    table = sandbox.run("session", "ls")
    assert table.returncode == 0 and "abcd1234" in table.stdout
    as_json = sandbox.run("session", "ls", "--json")
    assert as_json.returncode == 0 and "abcd1234" in as_json.stdout
