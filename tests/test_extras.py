"""session wait / send / resume / rename / prune and status-line, through the real CLI."""

import json
import os
import re
import signal
import stat
import subprocess
import sys
import time

from conftest import TCLAUDE, assert_one_line_error, start_claude_by_hand, wait_until, write_record

CONV = "0b5e55ed-1234-4abc-8def-0123456789ab"


# -- helpers ------------------------------------------------------------------------------------


def ready(sandbox, *args):
    """A new session whose claude is up and waiting for input."""
    sid = sandbox.new(sandbox.work, *args)
    sandbox.wait_status(sid, "waiting_input")
    return sid


def busy(sandbox, *args, prompt="SLOW=400"):
    """A session in the middle of a long turn (SLOW=400 is 20 s at the test time scale)."""
    sid = ready(sandbox, *args)
    sandbox.type(sid, prompt)
    sandbox.wait_status(sid, "running")
    return sid


def at_permission_dialog(sandbox, *args):
    sid = ready(sandbox, *args)
    sandbox.type(sid, "RUN_TOOL")
    sandbox.wait_status(sid, "waiting_permission")
    sandbox.wait_screen(sid, "Do you want to proceed?")
    time.sleep(0.3)  # claude swallows keys in a dialog's first 0.15 s
    return sid


def claude_pid(sandbox, sid):
    return sandbox.read_state(sid)["pid"]


def kill_claude(sandbox, sid, sig=signal.SIGKILL):
    os.kill(claude_pid(sandbox, sid), sig)


def exited(sandbox, *args):
    """A session whose claude ended (SIGTERM: its own exit path); the dead pane stays."""
    sid = ready(sandbox, *args)
    kill_claude(sandbox, sid, signal.SIGTERM)
    sandbox.wait_status(sid, "exited")
    return sid


def background(sandbox, *args, env=None):
    """Start the CLI without waiting for it (``session wait`` blocks)."""
    return subprocess.Popen(
        [sys.executable, TCLAUDE, *args],
        env=dict(sandbox.env, **(env or {})),
        cwd=sandbox.work,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def watcher(sandbox, tmp_path, *args):
    """``session wait ...`` in the background, returned once it has looked at tmux (so it is
    past its first look and in its watch loop)."""
    env, log = tmux_counter(sandbox, tmp_path)
    proc = background(sandbox, "session", "wait", *args, env=env)
    wait_until(lambda: log.read_text(), message="the waiter's first tmux call")
    return proc


def finish(proc, timeout=15):
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def prompts(sandbox, sid):
    """The user prompts claude recorded in the session's transcript, in order."""
    conv = sandbox.session(sid)["convId"]
    folder = re.sub(r"[^A-Za-z0-9]", "-", os.path.realpath(sandbox.work))
    path = os.path.join(sandbox.home, ".claude", "projects", folder, conv + ".jsonl")
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh if line.strip()]
    return [
        r["message"]["content"]
        for r in records
        if r.get("type") == "user" and isinstance(r["message"].get("content"), str)
    ]


def tmux_counter(sandbox, tmp_path):
    """An env whose ``tmux`` logs each call before running the real one, and the log."""
    shim = tmp_path / "shim"
    shim.mkdir()
    log = tmp_path / "tmux-calls"
    log.write_text("")
    real = subprocess.check_output(["which", "tmux"], text=True).strip()
    (shim / "tmux").write_text('#!/bin/sh\necho "$*" >> %s\nexec %s "$@"\n' % (log, real))
    (shim / "tmux").chmod(0o755)
    return {"PATH": "%s:%s" % (shim, sandbox.env["PATH"])}, log


def tmux_has(sandbox, name):
    return sandbox.tmux("has-session", "-t", "=" + name, check=False).returncode == 0


def iso_ago(seconds):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - seconds))


def touch_ago(path, seconds, text=""):
    with open(path, "w") as fh:
        fh.write(text)
    stamp = time.time() - seconds
    os.utime(path, (stamp, stamp))


# -- session wait -------------------------------------------------------------------------------


def test_wait_returns_at_once_for_a_session_already_waiting(sandbox):
    sid = ready(sandbox)
    proc = sandbox.run("session", "wait", sid, timeout=10)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "%s waiting_input\n" % sid


def test_wait_blocks_until_the_turn_ends(sandbox):
    sid = busy(sandbox, prompt="SLOW=40")  # 2 s
    waiter = background(sandbox, "session", "wait", sid)
    rc, out, err = finish(waiter)
    finished = time.time()
    assert (rc, out) == (0, "%s waiting_input\n" % sid), err
    stops = [r["ts"] for r in sandbox.hook_log() if r.get("event") == "Stop"]
    assert stops and stops[-1] <= finished


def test_wait_until_exited_sees_a_sigkilled_claude(sandbox, tmp_path):
    sid = ready(sandbox)
    waiter = watcher(sandbox, tmp_path, sid, "--until", "exited")
    kill_claude(sandbox, sid)
    assert finish(waiter)[:2] == (0, "%s exited\n" % sid)


def test_wait_sees_a_denied_permission_which_fires_no_hook(sandbox, tmp_path):
    sid = at_permission_dialog(sandbox)
    waiter = watcher(sandbox, tmp_path, sid, "--until", "waiting_input")
    sandbox.keys(sid, "Escape")
    assert finish(waiter)[:2] == (0, "%s waiting_input\n" % sid)


def test_wait_sees_an_interrupt_even_without_claudes_registry(sandbox, tmp_path):
    sandbox.env["FAKE_CLAUDE_NO_REGISTRY"] = "1"
    sid = busy(sandbox)
    waiter = watcher(sandbox, tmp_path, sid)
    sandbox.keys(sid, "Escape")
    assert finish(waiter)[:2] == (0, "%s waiting_input\n" % sid)


def test_wait_for_several_sessions_waits_for_all_of_them(sandbox):
    quick = busy(sandbox, prompt="SLOW=20")
    slow = busy(sandbox, prompt="SLOW=60")
    rc, out, err = finish(background(sandbox, "session", "wait", quick, slow))
    assert rc == 0, err
    assert out == "%s waiting_input\n%s waiting_input\n" % (quick, slow)
    assert sandbox.session(slow)["status"] == "waiting_input"


def test_wait_any_returns_when_the_first_session_gets_there(sandbox):
    stuck = busy(sandbox)
    quick = busy(sandbox, prompt="SLOW=20")
    rc, out, err = finish(background(sandbox, "session", "wait", "--any", stuck, quick))
    assert (rc, out) == (0, "%s waiting_input\n" % quick), err
    assert sandbox.session(stuck)["status"] == "running"


def test_wait_accepts_names_and_prefixes(sandbox):
    sid = ready(sandbox, "--name", "api")
    proc = sandbox.run("session", "wait", "api", sid[:5], timeout=10)
    assert proc.stdout == "%s waiting_input\n" % sid


def test_wait_until_waiting_permission_ignores_waiting_input(sandbox, tmp_path):
    sid = ready(sandbox)
    waiter = watcher(sandbox, tmp_path, sid, "--until", "waiting_permission")
    sandbox.type(sid, "RUN_TOOL")
    assert finish(waiter)[:2] == (0, "%s waiting_permission\n" % sid)


def test_wait_times_out_with_status_124(sandbox):
    sid = busy(sandbox)
    proc = sandbox.run("session", "wait", sid, "--timeout", "0.5")
    assert_one_line_error(proc, r"timed out: %s is running" % sid, code=124)


def test_wait_for_an_unknown_session_exits_1(sandbox):
    proc = sandbox.run("session", "wait", "ffffffff")
    assert_one_line_error(proc, r"no session 'ffffffff'", code=1)


def test_wait_fails_with_3_when_the_session_exits_before_getting_there(sandbox, tmp_path):
    sid = busy(sandbox)
    waiter = watcher(sandbox, tmp_path, sid, "--until", "waiting_permission")
    kill_claude(sandbox, sid)
    rc, out, err = finish(waiter)
    assert (rc, out) == (3, "")
    assert err.strip() == "tclaude: session %s exited before reaching waiting_permission" % sid


def test_wait_rejects_a_negative_timeout(sandbox):
    sid = ready(sandbox)
    proc = sandbox.run("session", "wait", sid, "--timeout", "-1")
    assert_one_line_error(proc, r"--timeout must be 0 or more", code=2)


def test_wait_help_documents_the_exit_codes(sandbox):
    out = sandbox.run("session", "wait", "--help", check=True).stdout
    for code in ("0", "1", "3", "124"):
        assert re.search(r"^  %s\s+\S" % code, out, re.M), code


def registry_status(sandbox, sid):
    path = os.path.join(sandbox.home, ".claude", "sessions", "%d.json" % claude_pid(sandbox, sid))
    try:
        with open(path) as fh:
            return json.load(fh).get("status")
    except (OSError, ValueError):
        return None


def tmux_command(logged):
    """The tmux command of a logged call, past ``-S <socket>``."""
    words = logged.split()
    return words[2] if words[:1] == ["-S"] else words[0]


def test_wait_asks_tmux_only_once_while_nothing_changes(sandbox, tmp_path):
    sid = ready(sandbox)
    wait_until(lambda: registry_status(sandbox, sid) == "idle")  # claude's last move at start
    env, log = tmux_counter(sandbox, tmp_path)
    proc = sandbox.run("session", "wait", sid, "--until", "exited", "--timeout", "2", env=env)
    assert proc.returncode == 124
    assert len(log.read_text().splitlines()) == 1


def test_wait_without_a_registry_rechecks_only_the_screen(sandbox, tmp_path):
    sandbox.env["FAKE_CLAUDE_NO_REGISTRY"] = "1"
    sid = busy(sandbox)
    env, log = tmux_counter(sandbox, tmp_path)
    proc = sandbox.run("session", "wait", sid, "--until", "exited", "--timeout", "5", env=env)
    assert proc.returncode == 124
    calls = [tmux_command(line) for line in log.read_text().splitlines()]
    assert calls[0] == "list-panes" and "list-panes" not in calls[1:]
    assert set(calls[1:]) == {"capture-pane"}  # liveness came from the pid, for free


def test_wait_of_a_removed_session_reports_it_exited(sandbox, tmp_path):
    sid = ready(sandbox)
    waiter = watcher(sandbox, tmp_path, sid, "--until", "exited")
    sandbox.run("session", "kill", sid, check=True)
    assert finish(waiter)[:2] == (0, "%s exited\n" % sid)


# -- session send -------------------------------------------------------------------------------

HOSTILE = "first line\nsecond \"double\" and 'single' quotes\n\tindented ünïcödé ✓ $HOME `x`"
AS_CLAUDE_GOT_IT = HOSTILE.replace("\t", "    ")  # claude turns a pasted tab into 4 spaces


def test_send_submits_a_multiline_prompt_intact(sandbox):
    sid = ready(sandbox)
    proc = sandbox.run("session", "send", sid, HOSTILE, check=True)
    assert proc.stdout == "sent to %s (3 lines)\n" % sid and proc.stderr == ""
    assert wait_until(lambda: prompts(sandbox, sid)) == [AS_CLAUDE_GOT_IT]
    wait_until(lambda: any(r.get("event") == "Stop" for r in sandbox.hook_log()))
    submits = [r for r in sandbox.hook_log() if r.get("event") == "UserPromptSubmit"]
    assert len(submits) == 1  # one prompt, not one per line


def test_send_delivers_a_long_piped_prompt_in_one_piece(sandbox):
    sid = ready(sandbox)
    text = "\n".join("line %03d: %s" % (i, "ü" * 60) for i in range(300))  # ~37 KB
    sandbox.run("session", "send", sid, "-", input=text, check=True)
    assert wait_until(lambda: prompts(sandbox, sid)) == [text]


def test_send_reads_the_prompt_from_stdin_with_a_dash(sandbox):
    sid = ready(sandbox)
    sandbox.run("session", "send", sid, "-", input=HOSTILE + "\n", check=True)
    assert wait_until(lambda: prompts(sandbox, sid)) == [AS_CLAUDE_GOT_IT]


def test_send_reads_the_prompt_from_stdin_when_no_text_is_given(sandbox):
    sid = ready(sandbox)
    sandbox.run("session", "send", sid, input="from stdin\n", check=True)
    assert wait_until(lambda: prompts(sandbox, sid)) == ["from stdin"]


def test_send_joins_several_words_like_echo(sandbox):
    sid = ready(sandbox)
    sandbox.run("session", "send", sid, "say", "hi", check=True)
    assert wait_until(lambda: prompts(sandbox, sid)) == ["say hi"]


def test_send_returns_once_claude_has_started_on_the_prompt(sandbox):
    sid = ready(sandbox)
    sandbox.run("session", "send", sid, "SLOW=400", check=True)
    with open(sandbox.state_file(sid, ".status")) as fh:
        assert json.load(fh)["event"] == "UserPromptSubmit"


def test_send_runs_a_slash_command(sandbox):
    sid = ready(sandbox)
    before = sandbox.read_state(sid)["convId"]
    proc = sandbox.run("session", "send", sid, "/clear", check=True)
    assert proc.stderr == ""  # acknowledged by the SessionStart hook of the new conversation
    wait_until(lambda: sandbox.session(sid)["convId"] != before)


def test_send_warns_when_nothing_shows_claude_took_the_prompt(sandbox):
    os.makedirs(os.path.join(sandbox.work, ".claude"))
    with open(os.path.join(sandbox.work, ".claude", "settings.local.json"), "w") as fh:
        json.dump({"disableAllHooks": True}, fh)  # as a policy may do
    sandbox.env["FAKE_CLAUDE_NO_REGISTRY"] = "1"  # and an older claude: no registry either
    sid = sandbox.new(sandbox.work)
    sandbox.wait_screen(sid, "? for shortcuts")
    proc = sandbox.run("session", "send", "--force", sid, "hello")  # its status is unknown
    assert (proc.returncode, proc.stdout) == (0, "sent to %s (1 line)\n" % sid)
    assert proc.stderr.startswith("tclaude: warning: claude in %s has not picked" % sid)
    assert wait_until(lambda: prompts(sandbox, sid)) == ["hello"]  # typed all the same


def test_send_without_hooks_takes_claudes_registry_as_pickup(sandbox):
    os.makedirs(os.path.join(sandbox.work, ".claude"))
    with open(os.path.join(sandbox.work, ".claude", "settings.local.json"), "w") as fh:
        json.dump({"disableAllHooks": True}, fh)
    sid = ready(sandbox)  # known from claude's registry alone
    proc = sandbox.run("session", "send", sid, "hello", check=True)
    assert proc.stderr == ""


def test_send_then_wait_waits_for_the_reply(sandbox):
    sid = ready(sandbox)
    sandbox.run("session", "send", sid, "SLOW=20", check=True)
    proc = sandbox.run("session", "wait", sid, "--timeout", "10")
    assert proc.stdout == "%s waiting_input\n" % sid
    assert sum(r.get("event") == "Stop" for r in sandbox.hook_log()) == 1


def test_send_refuses_a_running_session_and_types_nothing(sandbox):
    sid = busy(sandbox)
    proc = sandbox.run("session", "send", sid, "UNSENT-TEXT")
    assert_one_line_error(
        proc, r"%s is running .*not waiting for input; nothing sent.*--force" % sid
    )
    assert "UNSENT-TEXT" not in sandbox.screen(sid)


def test_send_refuses_a_session_at_a_permission_dialog(sandbox):
    sid = at_permission_dialog(sandbox)
    proc = sandbox.run("session", "send", sid, "4")
    assert_one_line_error(proc, r"is waiting_permission \(Bash: touch .*\), not waiting for input")
    assert sandbox.session(sid)["status"] == "waiting_permission"


def test_send_force_types_into_a_busy_session(sandbox):
    sid = busy(sandbox)
    sandbox.run("session", "send", "--force", sid, "FORCED-TEXT", check=True)
    sandbox.wait_screen(sid, "FORCED-TEXT")  # claude keeps it in the box until the turn ends


def test_send_refuses_an_exited_session(sandbox):
    sid = exited(sandbox)
    proc = sandbox.run("session", "send", "--force", sid, "hello")
    assert_one_line_error(
        proc, r"%s has exited; nothing sent.*tclaude session resume %s" % (sid, sid)
    )


def test_send_refuses_an_empty_prompt(sandbox):
    sid = ready(sandbox)
    proc = sandbox.run("session", "send", sid, input="\n\n")
    assert_one_line_error(proc, r"nothing to send: the prompt is empty")
    assert prompts(sandbox, sid) == []


def test_send_to_an_unknown_session_is_a_clear_error(sandbox):
    proc = sandbox.run("session", "send", "ffffffff", "hello")
    assert_one_line_error(proc, r"no session 'ffffffff'")


def test_send_to_an_adopted_claude_types_into_its_own_pane(sandbox):
    pane, _ = start_claude_by_hand(sandbox)
    sandbox.tmux("split-window", "-t", pane, "sleep 600")  # the user's other pane is active now
    proc = sandbox.run("session", "adopt", pane, check=True)
    sid = re.search(r"as session ([0-9a-f]{8})", proc.stdout).group(1)
    proc = sandbox.run("session", "send", sid, "ADOPTED-PROMPT", check=True)
    assert proc.stderr == ""  # claude's registry showed it took the prompt (it runs no hook)
    screen = sandbox.tmux("capture-pane", "-p", "-t", pane).stdout
    assert "ADOPTED-PROMPT" in screen


def test_send_strips_escape_sequences_that_could_end_the_paste_early(sandbox):
    sid = ready(sandbox)
    sandbox.run("session", "send", sid, "before\x1b[201~after", check=True)
    assert wait_until(lambda: prompts(sandbox, sid)) == ["before[201~after"]


def test_send_leaves_no_tmux_paste_buffer_behind(sandbox):
    sid = ready(sandbox)
    sandbox.run("session", "send", sid, "hello", check=True)
    assert sandbox.tmux("list-buffers").stdout == ""


# -- session resume -----------------------------------------------------------------------------


def test_resume_restarts_an_exited_session_with_its_id_name_and_conversation(sandbox):
    sid = ready(sandbox, "--name", "api")
    sandbox.run("session", "send", sid, "remember me", check=True)
    sandbox.wait_status(sid, "waiting_input")
    before = sandbox.read_state(sid)
    kill_claude(sandbox, sid, signal.SIGTERM)
    sandbox.wait_status(sid, "exited")
    time.sleep(1.1)  # stamps have one-second resolution; let "spawned" visibly move on
    proc = sandbox.run("session", "resume", "api", check=True)
    assert proc.stdout.splitlines()[0].startswith("resumed session %s (api) in " % sid)
    view = sandbox.wait_status(sid, "waiting_input")
    assert (view["id"], view["name"], view["convId"]) == (sid, "api", before["convId"])
    after = sandbox.read_state(sid)
    assert after["created"] == before["created"] and after["spawned"] > before["spawned"]
    assert "exitedAt" not in after and after["pid"] != before["pid"]
    cmd = sandbox.tmux("list-panes", "-t", "=tofu-claude-%s:" % sid, "-F", "#{pane_start_command}")
    assert "--resume %s" % before["convId"] in cmd.stdout
    assert "remember me" in sandbox.screen(sid)  # claude redrew the conversation


def test_resume_starts_from_a_fresh_hook_status(sandbox):
    sid = exited(sandbox)
    with open(sandbox.state_file(sid, ".status")) as fh:
        assert json.load(fh)["status"] == "exited"
    sandbox.run("session", "resume", sid, check=True)
    sandbox.wait_status(sid, "waiting_input")
    with open(sandbox.state_file(sid, ".status")) as fh:
        assert json.load(fh)["event"] == "SessionStart"


def test_resume_keeps_the_claude_arguments(sandbox):
    sid = sandbox.new(sandbox.work, "--", "--model", "opus")
    sandbox.wait_status(sid, "waiting_input")
    kill_claude(sandbox, sid, signal.SIGTERM)
    sandbox.wait_status(sid, "exited")
    sandbox.run("session", "resume", sid, check=True)
    cmd = sandbox.tmux("list-panes", "-t", "=tofu-claude-%s:" % sid, "-F", "#{pane_start_command}")
    assert "--model opus" in cmd.stdout


def test_resume_refuses_a_live_session(sandbox):
    sid = ready(sandbox)
    before = sandbox.read_state(sid)
    proc = sandbox.run("session", "resume", sid)
    assert_one_line_error(proc, r"%s is alive \(waiting_input\); attach with" % sid)
    assert sandbox.read_state(sid) == before


def test_resume_refuses_a_conversation_open_in_another_live_session(sandbox):
    sid = exited(sandbox)
    conv = sandbox.read_state(sid)["convId"]
    other = sandbox.new(sandbox.work, "--resume", conv)
    proc = sandbox.run("session", "resume", sid)
    assert_one_line_error(
        proc,
        r"conversation %s is already open in session %s \(\w+\); attach with: "
        r"tclaude session attach %s" % (conv, other, other),
    )
    assert sandbox.session(sid)["status"] == "exited"


def test_resume_refuses_when_a_live_session_took_the_name(sandbox):
    sid = exited(sandbox, "--name", "api")
    sandbox.new(sandbox.work, "--name", "api")
    proc = sandbox.run("session", "resume", sid)
    assert_one_line_error(proc, r"a live session is already named 'api'")


def test_resume_without_a_conversation_id_says_how_to_start_afresh(sandbox):
    write_record(sandbox, "abcd1234", convId=None)
    proc = sandbox.run("session", "resume", "abcd1234")
    assert_one_line_error(proc, r"abcd1234 has no conversation id to resume; .*session new")


def test_resume_never_kills_a_live_pane_whose_record_says_exited(sandbox):
    sandbox.tmux("new-session", "-d", "-s", "tofu-claude-abcd1234", "sleep 600")
    write_record(sandbox, "abcd1234", status="exited", exitedAt=iso_ago(60))
    proc = sandbox.run("session", "resume", "abcd1234")
    assert_one_line_error(proc, r"marked exited but tmux session tofu-claude-abcd1234 is alive")
    assert tmux_has(sandbox, "tofu-claude-abcd1234")


def test_resume_refuses_an_adopted_session_and_says_how_to_continue(sandbox):
    pane, reg = start_claude_by_hand(sandbox)
    proc = sandbox.run("session", "adopt", pane, check=True)
    sid = re.search(r"as session ([0-9a-f]{8})", proc.stdout).group(1)
    os.kill(reg["pid"], signal.SIGKILL)
    sandbox.wait_status(sid, "exited")
    proc = sandbox.run("session", "resume", sid)
    assert_one_line_error(
        proc,
        r"%s was adopted, not started by tclaude; continue it with: tclaude session new "
        r".* --resume %s" % (sid, reg["sessionId"]),
    )
    assert sandbox.tmux("has-session", "-t", "=work", check=False).returncode == 0


def test_resume_of_an_unknown_session_is_a_clear_error(sandbox):
    proc = sandbox.run("session", "resume", "ffffffff")
    assert_one_line_error(proc, r"no session 'ffffffff'")


def test_ls_tells_how_to_resume_an_exited_session(sandbox):
    sid = exited(sandbox)
    row = next(r for r in sandbox.run("session", "ls").stdout.splitlines() if r.startswith(sid))
    assert row.split()[2] == "exited"
    assert row.endswith("· resume: tclaude session resume %s" % sid)


# -- session rename -----------------------------------------------------------------------------


def test_rename_gives_a_name_usable_wherever_an_id_is(sandbox):
    sid = ready(sandbox, "--name", "old")
    proc = sandbox.run("session", "rename", "old", "new", check=True)
    assert proc.stdout == "renamed %s (was old) to new\n" % sid
    assert sandbox.read_state(sid)["name"] == "new"
    assert sandbox.run("session", "wait", "new", check=True).stdout.startswith(sid)


def test_rename_refuses_a_name_a_live_session_holds(sandbox):
    sandbox.new(sandbox.work, "--name", "api")
    sid = sandbox.new(sandbox.work)
    proc = sandbox.run("session", "rename", sid, "api")
    assert_one_line_error(proc, r"a live session is already named 'api'")
    assert sandbox.read_state(sid)["name"] is None


def test_rename_may_take_the_name_of_an_exited_session(sandbox):
    exited(sandbox, "--name", "api")
    sid = sandbox.new(sandbox.work)
    sandbox.run("session", "rename", sid, "api", check=True)
    proc = sandbox.run("session", "wait", "api", "--until", "waiting_input", "--timeout", "10")
    assert proc.stdout == "%s waiting_input\n" % sid


def test_rename_rejects_a_name_that_looks_like_an_id(sandbox):
    sid = sandbox.new(sandbox.work)
    proc = sandbox.run("session", "rename", sid, "deadbeef")
    assert_one_line_error(proc, r"invalid name 'deadbeef'")


def test_rename_of_an_unknown_session_is_a_clear_error(sandbox):
    sandbox.new(sandbox.work)
    proc = sandbox.run("session", "rename", "ffffffff", "api")
    assert_one_line_error(proc, r"no session 'ffffffff'")


# -- session prune ------------------------------------------------------------------------------


def test_prune_removes_exited_sessions_and_their_dead_tmux_sessions(sandbox):
    live = ready(sandbox)
    gone = exited(sandbox)
    assert tmux_has(sandbox, "tofu-claude-" + gone)  # remain-on-exit kept the dead pane
    proc = sandbox.run("session", "prune", check=True)
    assert re.match(r"removed session %s \(exited \d+s ago: .*\)\n$" % gone, proc.stdout)
    assert not os.path.exists(sandbox.state_file(gone))
    assert not tmux_has(sandbox, "tofu-claude-" + gone)
    assert sandbox.session(live)["status"] == "waiting_input"


def test_prune_never_touches_live_sessions(sandbox):
    sids = [ready(sandbox), busy(sandbox), at_permission_dialog(sandbox)]
    before = sorted(os.listdir(sandbox.state_dir))
    proc = sandbox.run("session", "prune", check=True)
    assert proc.stdout == "nothing to prune\n"
    assert sorted(os.listdir(sandbox.state_dir)) == before
    assert all(tmux_has(sandbox, "tofu-claude-" + sid) for sid in sids)


def test_prune_older_than_keeps_sessions_that_exited_recently(sandbox):
    write_record(sandbox, "01d00001", status="exited", exitedAt=iso_ago(3 * 86400))
    write_record(sandbox, "01d00002", status="exited", exitedAt=iso_ago(3600))
    proc = sandbox.run("session", "prune", "--older-than", "2d", check=True)
    assert proc.stdout.startswith("removed session 01d00001 (exited 3d ago")
    assert not os.path.exists(sandbox.state_file("01d00001"))
    assert os.path.exists(sandbox.state_file("01d00002"))


def test_prune_dry_run_says_what_would_go_and_changes_nothing(sandbox):
    gone = exited(sandbox)
    touch_ago(os.path.join(sandbox.state_dir, "0badf00d.status"), 0)
    before = sorted(os.listdir(sandbox.state_dir))
    proc = sandbox.run("session", "prune", "--dry-run", check=True)
    assert "would remove session %s" % gone in proc.stdout
    assert "would remove orphan file 0badf00d.status" in proc.stdout
    assert sorted(os.listdir(sandbox.state_dir)) == before
    assert tmux_has(sandbox, "tofu-claude-" + gone)


def test_prune_removes_orphan_hook_and_settings_files(sandbox):
    live = ready(sandbox)
    os.makedirs(sandbox.state_dir, exist_ok=True)
    for name in ("0badf00d.status", "0badf00d.settings"):
        touch_ago(os.path.join(sandbox.state_dir, name), 0)
    proc = sandbox.run("session", "prune", check=True)
    assert proc.stdout == (
        "removed orphan file 0badf00d.settings\nremoved orphan file 0badf00d.status\n"
    )
    assert sorted(os.listdir(sandbox.state_dir)) == sorted(
        [".lock", live + ".json", live + ".status", live + ".settings"]
    )


# -- the state dir's *.json are session records only ------------------------------------------


def json_files(sandbox):
    return sorted(n for n in os.listdir(sandbox.state_dir) if n.endswith(".json"))


def test_the_state_dir_json_files_are_only_session_records(sandbox):
    sid = ready(sandbox)
    sandbox.run("hooks", "install", check=True)
    assert json_files(sandbox) == [sid + ".json"]
    assert os.path.exists(sandbox.state_file(sid, ".settings"))
    assert os.path.exists(os.path.join(sandbox.state_dir, "hooks-install.record"))


def test_files_an_older_tclaude_named_json_are_renamed_on_first_run(sandbox):
    sid = ready(sandbox)
    sandbox.run("hooks", "install", check=True)
    moves = [
        (sid + ".settings", sid + ".settings.json"),
        ("hooks-install.record", "hooks-install.json"),
    ]
    contents = {}
    for new, old in moves:  # put the state dir back the way an older tclaude left it
        os.rename(os.path.join(sandbox.state_dir, new), os.path.join(sandbox.state_dir, old))
        with open(os.path.join(sandbox.state_dir, old), "rb") as fh:
            contents[new] = fh.read()
    assert sandbox.session(sid)["status"] == "waiting_input"  # any run migrates
    assert json_files(sandbox) == [sid + ".json"]
    for new, _ in moves:
        path = os.path.join(sandbox.state_dir, new)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        with open(path, "rb") as fh:
            assert fh.read() == contents[new]
    assert sandbox.run("session", "prune", "--dry-run", check=True).stdout == "nothing to prune\n"


def test_a_legacy_settings_file_beside_a_new_one_is_dropped(sandbox):
    sid = ready(sandbox)
    legacy = sandbox.state_file(sid, ".settings.json")
    touch_ago(legacy, 0, "{}")
    sandbox.session(sid)
    assert not os.path.exists(legacy)
    with open(sandbox.state_file(sid, ".settings"), encoding="utf-8") as fh:
        assert "hooks" in json.load(fh)  # the current file, not the stale copy


def test_prune_removes_temp_files_whose_writer_died_but_not_those_being_written(sandbox):
    os.makedirs(sandbox.state_dir)
    dead = subprocess.Popen(["true"])
    dead.wait()  # its pid is free now: a writer that died mid-write
    stale = (".abcd1234.json.%d.tmp" % dead.pid, ".abcd1234.status.%d" % dead.pid)
    fresh = (".abcd1234.json.%d.tmp" % os.getpid(), ".abcd1234.status.%d" % os.getpid())
    for name in stale + fresh:
        touch_ago(os.path.join(sandbox.state_dir, name), 0)
    proc = sandbox.run("session", "prune", check=True)
    assert sorted(proc.stdout.splitlines()) == sorted("removed stale temp file " + n for n in stale)
    assert sorted(os.listdir(sandbox.state_dir)) == sorted([".lock", *fresh])


def test_prune_reports_a_tmux_session_with_no_record(sandbox):
    sandbox.tmux("new-session", "-d", "-s", "tofu-claude-0123abcd", "sleep 600")
    proc = sandbox.run("session", "prune", check=True)
    assert proc.stdout == (
        "tmux session tofu-claude-0123abcd (alive) has no record; adopt it with: "
        "tclaude session prune --adopt\n"
    )
    assert tmux_has(sandbox, "tofu-claude-0123abcd")
    assert sandbox.ls() == {}


def test_prune_adopt_creates_a_record_for_a_stray_tmux_session(sandbox):
    sandbox.tmux("new-session", "-d", "-s", "tofu-claude-0123abcd", "-c", sandbox.root, "sleep 600")
    proc = sandbox.run("session", "prune", "--adopt", check=True)
    assert proc.stdout == "adopted tmux session tofu-claude-0123abcd as 0123abcd (alive)\n"
    state = sandbox.read_state("0123abcd")
    pane_pid = sandbox.tmux("display-message", "-p", "-t", "=tofu-claude-0123abcd:", "#{pane_pid}")
    assert state["pid"] == int(pane_pid.stdout)
    assert state["cwd"] == os.path.realpath(sandbox.root)
    assert state["convId"] is None
    assert sandbox.session("0123abcd")["status"] == "running"


def test_prune_adopt_gives_back_a_claude_its_lost_record(sandbox):
    sid = ready(sandbox)
    conv = sandbox.read_state(sid)["convId"]
    os.unlink(sandbox.state_file(sid))
    proc = sandbox.run("session", "prune", "--adopt", check=True)
    assert proc.stdout == "adopted tmux session tofu-claude-%s as %s (alive)\n" % (sid, sid)
    assert sandbox.read_state(sid)["convId"] == conv  # from claude's --session-id
    sandbox.type(sid, "SLOW=400")
    wait_until(lambda: "SLOW=400" in sandbox.session(sid)["statusDetail"])  # its hooks report


def test_prune_does_not_adopt_a_tmux_session_with_a_foreign_name(sandbox):
    sandbox.tmux("new-session", "-d", "-s", "tofu-claude-mine", "sleep 600")
    proc = sandbox.run("session", "prune", "--adopt", check=True)
    assert "tofu-claude-mine (alive) has no record and cannot be adopted" in proc.stdout
    assert sandbox.ls() == {}


def test_prune_rejects_a_bad_duration(sandbox):
    gone = exited(sandbox)
    proc = sandbox.run("session", "prune", "--older-than", "soon")
    assert_one_line_error(proc, r"invalid duration 'soon': .*30m, 2h, 7d", code=2)
    assert os.path.exists(sandbox.state_file(gone))


def test_prune_with_no_state_dir_has_nothing_to_do(sandbox):
    assert sandbox.run("session", "prune", check=True).stdout.startswith("nothing to prune")


# -- status-line --------------------------------------------------------------------------------


def test_status_line_is_empty_without_sessions(sandbox):
    proc = sandbox.run("status-line", check=True)
    assert proc.stdout == "\n" and proc.stderr == ""


def test_status_line_counts_permission_input_and_running(sandbox):
    at_permission_dialog(sandbox)
    ready(sandbox)
    ready(sandbox)
    busy(sandbox)
    assert sandbox.run("status-line", check=True).stdout == "claude 1! 2? 1~\n"


def test_status_line_leaves_out_zero_counts(sandbox):
    ready(sandbox)
    assert sandbox.run("status-line", check=True).stdout == "claude 1?\n"


def test_status_line_does_not_count_a_claude_that_died_silently(sandbox):
    ready(sandbox)
    dead = ready(sandbox)
    kill_claude(sandbox, dead)  # SIGKILL: no hook, and nobody ran ls since
    wait_until(lambda: sandbox.run("status-line").stdout == "claude 1?\n")


def test_status_line_sees_a_denied_permission_through_claudes_registry(sandbox):
    sid = at_permission_dialog(sandbox)
    sandbox.keys(sid, "Escape")
    wait_until(lambda: sandbox.run("status-line").stdout == "claude 1?\n")


def test_status_line_never_runs_tmux(sandbox, tmp_path):
    ready(sandbox)
    exited(sandbox)
    env, log = tmux_counter(sandbox, tmp_path)
    assert sandbox.run("status-line", env=env, check=True).stdout == "claude 1?\n"
    assert log.read_text() == ""


def test_status_line_help_shows_the_tmux_conf_snippet(sandbox):
    out = sandbox.run("status-line", "--help", check=True).stdout
    assert "set -g status-right '#(tclaude status-line)" in out
