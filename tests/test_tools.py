"""tclaude hooks print/install/uninstall, sessions started by hand (ls --all, session adopt) and
tclaude doctor, through the real CLI in the sandbox (private tmux server, temp HOME)."""

import json
import os
import re
import shutil
import stat
import subprocess
import sys

import pytest
from conftest import (
    FAKEBIN,
    HOOK,
    TCLAUDE,
    assert_one_line_error,
    proc_start,
    process_gone,
    start_claude_by_hand,
    start_pane,
    wait_until,
    write_registry,
)

HOOK_EVENTS = (
    "SessionStart",
    "UserPromptSubmit",
    "PreToolUse",
    "PostToolUse",
    "PostToolUseFailure",
    "PermissionRequest",
    "Stop",
    "StopFailure",
    "SessionEnd",
)
USER_HOOK = {"type": "command", "command": "echo mine >/dev/null"}


def settings_path(sandbox, config_dir=None):
    return os.path.join(config_dir or os.path.join(sandbox.home, ".claude"), "settings.json")


def write_settings(sandbox, data, path=None):
    path = path or settings_path(sandbox)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(data if isinstance(data, str) else json.dumps(data, indent=4))
    return path


def read_bytes(path):
    with open(path, "rb") as fh:
        return fh.read()


def read_settings(sandbox, path=None):
    with open(path or settings_path(sandbox), encoding="utf-8") as fh:
        return json.load(fh)


def backups(sandbox, path=None):
    path = path or settings_path(sandbox)
    folder = os.path.dirname(path)
    if not os.path.isdir(folder):
        return []
    prefix = os.path.basename(path) + ".bak-"
    return sorted(os.path.join(folder, n) for n in os.listdir(folder) if n.startswith(prefix))


def tclaude_commands(settings):
    return sorted(
        (event, hook["command"])
        for event, groups in settings.get("hooks", {}).items()
        for group in groups
        for hook in group.get("hooks", [])
        if "tclaude-hook.sh" in hook.get("command", "")
    )


def printed_settings(sandbox):
    return json.loads(sandbox.run("hooks", "print", check=True).stdout)


# -- hooks print --------------------------------------------------------------------------------


def test_hooks_print_shows_the_settings_tclaude_passes_to_its_sessions(sandbox):
    sid = sandbox.new(sandbox.work)
    with open(sandbox.state_file(sid, ".settings"), encoding="utf-8") as fh:
        passed = json.load(fh)
    assert printed_settings(sandbox) == passed


def test_hooks_print_runs_the_hook_beside_tclaude_for_every_event(sandbox):
    settings = printed_settings(sandbox)
    assert sorted(settings["hooks"]) == sorted(HOOK_EVENTS)
    for event, command in tclaude_commands(settings):
        assert HOOK in command and command.endswith(" " + event)


def test_hooks_without_an_action_is_a_usage_error(sandbox):
    proc = sandbox.run("hooks")
    assert proc.returncode == 2
    assert "tclaude: " in proc.stderr and "Traceback" not in proc.stderr


# -- hooks install ------------------------------------------------------------------------------


def test_install_creates_the_user_settings_file_when_there_is_none(sandbox):
    sandbox.run("hooks", "install", check=True)
    assert read_settings(sandbox) == printed_settings(sandbox)
    assert backups(sandbox) == []  # nothing to back up


def test_install_keeps_every_other_key_and_the_users_own_hooks(sandbox):
    original = {
        "model": "opus",
        "env": {"A": "1"},
        "permissions": {"allow": ["Bash(ls)"]},
        "hooks": {
            "Stop": [{"hooks": [USER_HOOK]}],
            "PreToolUse": [{"matcher": "Bash", "hooks": [USER_HOOK]}],
            "SubagentStop": [{"hooks": [USER_HOOK]}],
        },
    }
    write_settings(sandbox, original)
    sandbox.run("hooks", "install", check=True)
    after = read_settings(sandbox)
    for key in ("model", "env", "permissions"):
        assert after[key] == original[key]
    assert after["hooks"]["SubagentStop"] == original["hooks"]["SubagentStop"]
    assert after["hooks"]["Stop"][0] == original["hooks"]["Stop"][0]
    assert after["hooks"]["PreToolUse"][0] == original["hooks"]["PreToolUse"][0]
    assert tclaude_commands(after) == tclaude_commands(printed_settings(sandbox))


def test_install_twice_adds_nothing_and_writes_no_second_backup(sandbox):
    write_settings(sandbox, {"model": "opus"})
    sandbox.run("hooks", "install", check=True)
    first = read_bytes(settings_path(sandbox))
    proc = sandbox.run("hooks", "install", check=True)
    assert "already" in proc.stdout and "nothing changed" in proc.stdout
    assert read_bytes(settings_path(sandbox)) == first
    assert len(backups(sandbox)) == 1


def test_install_backs_up_the_previous_file_byte_for_byte(sandbox):
    path = write_settings(sandbox, '{"model":   "opus"}\n')
    proc = sandbox.run("hooks", "install", check=True)
    (backup,) = backups(sandbox)
    assert re.search(r"\.bak-\d{8}T\d{6}Z$", backup)
    assert read_bytes(backup) == b'{"model":   "opus"}\n'
    assert os.path.basename(backup) in proc.stdout
    assert read_settings(sandbox, path)["model"] == "opus"


def test_install_respects_claude_config_dir(sandbox, tmp_path):
    config = str(tmp_path / "claude-config")
    env = {"CLAUDE_CONFIG_DIR": config}
    sandbox.run("hooks", "install", env=env, check=True)
    assert tclaude_commands(read_settings(sandbox, settings_path(sandbox, config)))
    assert not os.path.exists(settings_path(sandbox))


def test_install_dry_run_prints_a_diff_and_changes_nothing(sandbox):
    path = write_settings(sandbox, {"model": "opus"})
    before = read_bytes(path)
    proc = sandbox.run("hooks", "install", "--dry-run", check=True)
    assert proc.stdout.startswith("--- ~/.claude/settings.json\n+++ ~/.claude/settings.json\n")
    assert re.search(r'^\+ +"command": "bash .*tclaude-hook.sh\'? Stop"', proc.stdout, re.M)
    assert "dry run" in proc.stdout
    assert read_bytes(path) == before
    assert backups(sandbox) == []


@pytest.mark.parametrize(
    "content, why",
    [
        ('{"model": "opus",', "not valid JSON"),
        ("[1, 2]", "not hold a JSON object"),
        ('{"hooks": []}', '"hooks" .* not an object'),
        ('{"hooks": {"Stop": {}}}', '"hooks.Stop" .* not a list'),
    ],
)
def test_install_refuses_a_corrupt_settings_file_and_changes_nothing(sandbox, content, why):
    path = write_settings(sandbox, content)
    proc = sandbox.run("hooks", "install")
    assert_one_line_error(proc, why)
    assert "nothing was changed" in proc.stderr
    assert read_bytes(path) == content.encode()
    assert backups(sandbox) == []


def test_install_edits_the_target_of_a_symlinked_settings_file(sandbox, tmp_path):
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    target = write_settings(sandbox, {"model": "opus"}, str(dotfiles / "claude.json"))
    os.makedirs(os.path.join(sandbox.home, ".claude"))
    os.symlink(target, settings_path(sandbox))
    sandbox.run("hooks", "install", check=True)
    assert os.path.islink(settings_path(sandbox))
    assert tclaude_commands(read_settings(sandbox, target))


def test_uninstall_removes_the_file_it_created_behind_a_dangling_link(sandbox, tmp_path):
    """A dotfiles link to a file not made yet: install creates the target, uninstall removes
    that file again (not the user's link, leaving the hooks in the dotfiles repo)."""
    target = str(tmp_path / "dotfiles-claude.json")
    os.makedirs(os.path.join(sandbox.home, ".claude"))
    os.symlink(target, settings_path(sandbox))
    sandbox.run("hooks", "install", check=True)
    sandbox.run("hooks", "uninstall", check=True)
    assert not os.path.exists(target)
    assert os.readlink(settings_path(sandbox)) == target


def test_install_keeps_the_file_mode(sandbox):
    path = write_settings(sandbox, {"model": "opus"})
    os.chmod(path, 0o640)
    sandbox.run("hooks", "install", check=True)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


def test_install_replaces_a_tclaude_hook_left_from_another_install_path(sandbox):
    old = {"type": "command", "command": "bash /old/place/tclaude-hook.sh Stop", "timeout": 5}
    write_settings(sandbox, {"hooks": {"Stop": [{"hooks": [USER_HOOK]}, {"hooks": [old]}]}})
    sandbox.run("hooks", "install", check=True)
    after = read_settings(sandbox)
    assert tclaude_commands(after) == tclaude_commands(printed_settings(sandbox))
    assert after["hooks"]["Stop"][0] == {"hooks": [USER_HOOK]}


def test_install_without_the_hook_file_is_a_clear_error(sandbox, tmp_path):
    lonely = tmp_path / "lonely"
    lonely.mkdir()
    shutil.copy(TCLAUDE, str(lonely / "tclaude.py"))
    proc = subprocess.run(
        [sys.executable, str(lonely / "tclaude.py"), "hooks", "install"],
        env=sandbox.env,
        capture_output=True,
        text=True,
    )
    assert_one_line_error(proc, "tclaude-hook.sh is missing")
    assert not os.path.exists(settings_path(sandbox))


# -- hooks uninstall ----------------------------------------------------------------------------

ORIGINALS = {
    "no file": None,
    "other keys only": {"model": "opus", "env": {"A": "1"}},
    "user hooks on the same events": {
        "hooks": {
            "Stop": [{"hooks": [USER_HOOK]}],
            "PreToolUse": [{"matcher": "Bash", "hooks": [USER_HOOK]}],
        },
        "model": "opus",
    },
    "empty hooks object": {"hooks": {}},
    "empty event lists": {"hooks": {"Stop": [], "Notification": []}},
}


@pytest.mark.parametrize("case", sorted(ORIGINALS))
def test_uninstall_after_install_gives_back_the_original(sandbox, case):
    original = ORIGINALS[case]
    if original is not None:
        write_settings(sandbox, original)
    sandbox.run("hooks", "install", check=True)
    sandbox.run("hooks", "uninstall", check=True)
    if original is None:
        assert not os.path.exists(settings_path(sandbox))
    else:
        assert read_settings(sandbox) == original


def test_uninstall_finds_what_an_older_tclaude_recorded_under_hooks_install_json(sandbox):
    original = ORIGINALS["other keys only"]
    write_settings(sandbox, original)
    sandbox.run("hooks", "install", check=True)
    record = os.path.join(sandbox.state_dir, "hooks-install.record")
    os.rename(record, os.path.join(sandbox.state_dir, "hooks-install.json"))  # as it used to be
    sandbox.run("hooks", "uninstall", check=True)
    assert read_settings(sandbox) == original
    assert not os.path.exists(os.path.join(sandbox.state_dir, "hooks-install.json"))


def test_uninstall_keeps_hooks_the_user_added_after_install(sandbox):
    sandbox.run("hooks", "install", check=True)
    settings = read_settings(sandbox)
    settings["hooks"]["Stop"].append({"hooks": [USER_HOOK]})
    write_settings(sandbox, settings)
    sandbox.run("hooks", "uninstall", check=True)
    assert read_settings(sandbox) == {"hooks": {"Stop": [{"hooks": [USER_HOOK]}]}}


def test_uninstall_backs_up_the_file_it_changes(sandbox):
    sandbox.run("hooks", "install", check=True)
    installed = read_bytes(settings_path(sandbox))
    proc = sandbox.run("hooks", "uninstall", check=True)
    assert "removed %d tclaude hooks" % len(HOOK_EVENTS) in proc.stdout
    assert [read_bytes(b) for b in backups(sandbox)] == [installed]


def test_uninstall_without_tclaude_hooks_changes_nothing(sandbox):
    path = write_settings(sandbox, {"hooks": {"Stop": [{"hooks": [USER_HOOK]}]}})
    before = read_bytes(path)
    proc = sandbox.run("hooks", "uninstall", check=True)
    assert "nothing changed" in proc.stdout
    assert read_bytes(path) == before
    assert backups(sandbox) == []


def test_uninstall_dry_run_prints_a_diff_and_changes_nothing(sandbox):
    write_settings(sandbox, {"model": "opus"})
    sandbox.run("hooks", "install", check=True)
    before = read_bytes(settings_path(sandbox))
    proc = sandbox.run("hooks", "uninstall", "--dry-run", check=True)
    assert re.search(r"^- +\"command\": \"bash .*tclaude-hook.sh'? Stop\"", proc.stdout, re.M)
    assert read_bytes(settings_path(sandbox)) == before
    assert len(backups(sandbox)) == 1  # the install's


def test_uninstall_refuses_a_corrupt_settings_file_and_changes_nothing(sandbox):
    path = write_settings(sandbox, '{"hooks": {"Stop": [}')
    proc = sandbox.run("hooks", "uninstall")
    assert_one_line_error(proc, "not valid JSON")
    assert read_bytes(path) == b'{"hooks": {"Stop": [}'


# -- what the hook does in claude sessions tclaude did not start -------------------------------


def test_the_hook_is_a_no_op_without_tclaude_session_id(sandbox):
    os.makedirs(sandbox.state_dir)
    with open(sandbox.state_file("0123abcd"), "w") as fh:
        json.dump({"id": "0123abcd"}, fh)
    payload = json.dumps({"session_id": "x", "hook_event_name": "Stop", "source": "startup"})
    for event in ("SessionStart", "Stop", "UserPromptSubmit"):
        proc = subprocess.run(
            ["bash", HOOK, event],
            input=payload,
            env=dict(sandbox.env, TCLAUDE_STATE_DIR=sandbox.state_dir, CLAUDE_PID="1"),
            capture_output=True,
            text=True,
            timeout=10,
        )
        assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    assert sorted(os.listdir(sandbox.state_dir)) == ["0123abcd.json"]


def test_installed_hooks_run_silently_in_a_claude_started_by_hand(sandbox):
    sandbox.run("hooks", "install", check=True)
    start_claude_by_hand(sandbox)
    runs = wait_until(
        lambda: [r for r in sandbox.hook_log() if r["event"] == "SessionStart"],
        message="the installed SessionStart hook to run",
    )
    assert all(r["exit_code"] == 0 and not r["stdout"] and not r["stderr"] for r in runs), runs
    assert not os.path.exists(sandbox.state_dir) or not [
        n for n in os.listdir(sandbox.state_dir) if n.endswith(".status")
    ]


def test_installed_hooks_do_not_double_the_hook_runs_of_tclaude_sessions(sandbox):
    sandbox.run("hooks", "install", check=True)
    sid = sandbox.new(sandbox.work)
    sandbox.wait_status(sid, "waiting_input")
    starts = [r for r in sandbox.hook_log() if r["event"] == "SessionStart"]
    assert len(starts) == 1, starts


# -- sessions started by hand: session ls --all ------------------------------------------------


def ls_all(sandbox):
    return json.loads(sandbox.run("session", "ls", "--all", "--json", check=True).stdout)


def external(sandbox):
    return [v for v in ls_all(sandbox) if v["external"]]


def test_ls_all_lists_a_claude_started_by_hand_in_tmux(sandbox):
    pane, reg = start_claude_by_hand(sandbox)
    wait_until(lambda: external(sandbox), message="the external session")
    table = sandbox.run("session", "ls", "--all", check=True).stdout
    row = [line for line in table.splitlines() if line.startswith("ext:%d " % reg["pid"])]
    assert row and "waiting_input" in row[0] and "tmux work:%s" % pane in row[0], table


def test_ls_without_all_leaves_claude_started_by_hand_out(sandbox):
    start_claude_by_hand(sandbox)
    wait_until(lambda: external(sandbox), message="the external session")
    assert sandbox.run("session", "ls", "--json", check=True).stdout.strip() == "[]"
    assert "no sessions" in sandbox.run("session", "ls", check=True).stdout


def test_ls_all_json_describes_an_external_session_from_claudes_registry(sandbox):
    pane, reg = start_claude_by_hand(sandbox)
    (view,) = wait_until(lambda: external(sandbox), message="the external session")
    assert view["id"] == "ext:%d" % reg["pid"]
    assert view["external"] is True
    assert view["pid"] == reg["pid"]
    assert view["convId"] == reg["sessionId"]
    assert view["cwd"] == reg["cwd"]
    assert (view["tmuxSession"], view["tmuxPane"]) == ("work", pane)


@pytest.mark.parametrize(
    "registry_status, status",
    [("idle", "waiting_input"), ("busy", "running"), ("waiting", "waiting_permission")],
)
def test_an_external_sessions_status_is_its_registry_status(sandbox, registry_status, status):
    pane, pid = start_pane(sandbox, "work", "exec sleep 600")
    write_registry(sandbox, pid, status=registry_status, tmux="work:@0.%s" % pane)
    (view,) = external(sandbox)
    assert view["status"] == status


def test_an_external_session_follows_claude_from_idle_to_busy(sandbox):
    _, reg = start_claude_by_hand(sandbox)
    wait_until(lambda: [v for v in external(sandbox) if v["status"] == "waiting_input"])
    sandbox.tmux("send-keys", "-t", "=work:", "-l", "SLOW=400 think hard")
    sandbox.tmux("send-keys", "-t", "=work:", "Enter")
    wait_until(
        lambda: [v for v in external(sandbox) if v["status"] == "running"],
        message="the external session to be running",
    )


def test_ls_all_leaves_out_registry_files_of_dead_processes(sandbox):
    dead = subprocess.Popen(["true"])
    dead.wait()
    write_registry(sandbox, dead.pid, status="idle", procStart="1")
    assert external(sandbox) == []


def test_ls_all_leaves_out_a_registry_file_whose_pid_was_reused(sandbox):
    _, pid = start_pane(sandbox, "work", "exec sleep 600")
    write_registry(sandbox, pid, status="idle", procStart=str(int(proc_start(pid)) - 1))
    assert external(sandbox) == []


def test_ls_all_lists_a_tclaude_session_once_and_not_as_external(sandbox):
    sid = sandbox.new(sandbox.work)
    sandbox.wait_status(sid, "waiting_input")
    wait_until(lambda: os.listdir(os.path.join(sandbox.home, ".claude", "sessions")))
    views = ls_all(sandbox)
    assert [(v["id"], v["external"]) for v in views] == [(sid, False)]


def test_ls_all_with_nothing_running_says_so(sandbox):
    assert "no sessions" in sandbox.run("session", "ls", "--all", check=True).stdout


# -- session adopt ------------------------------------------------------------------------------


def adopt(sandbox, *args):
    proc = sandbox.run("session", "adopt", *args, check=True)
    return re.search(r"as session ([0-9a-f]{8})", proc.stdout).group(1), proc


def test_adopt_turns_a_claude_started_by_hand_into_a_session(sandbox):
    pane, reg = start_claude_by_hand(sandbox)
    sid, proc = adopt(sandbox, pane, "--name", "mine")
    assert "runs no tclaude hook" in proc.stdout
    state = sandbox.read_state(sid)
    assert state["adopted"] is True
    assert (state["pid"], state["convId"], state["cwd"]) == (
        reg["pid"],
        reg["sessionId"],
        reg["cwd"],
    )
    assert (state["tmuxSession"], state["tmuxPane"], state["name"]) == ("work", pane, "mine")


def test_adopt_accepts_a_tmux_target(sandbox):
    pane, _ = start_claude_by_hand(sandbox)
    sid, _ = adopt(sandbox, "work:0.0")
    assert sandbox.read_state(sid)["tmuxPane"] == pane


def test_adopt_accepts_the_ext_id_that_ls_all_shows(sandbox):
    pane, reg = start_claude_by_hand(sandbox)
    sid, _ = adopt(sandbox, "ext:%d" % reg["pid"])
    assert sandbox.read_state(sid)["tmuxPane"] == pane


def test_adopt_refuses_a_claude_that_is_not_in_tmux(sandbox):
    outside = subprocess.Popen(["sleep", "600"])
    try:
        write_registry(sandbox, outside.pid)
        proc = sandbox.run("session", "adopt", "ext:%d" % outside.pid)
        assert_one_line_error(proc, "does not run in tmux")
    finally:
        outside.kill()
        outside.wait()


def test_adopt_of_an_unknown_ext_id_is_a_clear_error(sandbox):
    proc = sandbox.run("session", "adopt", "ext:999999999")
    assert_one_line_error(proc, r"no claude ext:999999999 is running \(see: tclaude session ls")


def test_an_adopted_session_is_listed_once_with_its_registry_status(sandbox):
    pane, _ = start_claude_by_hand(sandbox)
    sid, _ = adopt(sandbox, pane)
    sandbox.wait_status(sid, "waiting_input")
    assert [(v["id"], v["external"]) for v in ls_all(sandbox)] == [(sid, False)]
    sandbox.tmux("send-keys", "-t", pane, "-l", "SLOW=400 think hard")
    sandbox.tmux("send-keys", "-t", pane, "Enter")
    sandbox.wait_status(sid, "running")


def test_an_adopted_session_exits_when_its_claude_does(sandbox):
    pane, reg = start_claude_by_hand(sandbox)
    sid, _ = adopt(sandbox, pane)
    os.kill(reg["pid"], 9)
    view = sandbox.wait_status(sid, "exited")
    assert view["statusDetail"] == "claude process gone"
    assert sandbox.read_state(sid)["status"] == "exited"  # recorded, like tclaude's own


def test_kill_of_an_adopted_session_ends_claude_and_keeps_the_users_tmux_session(sandbox):
    pane, reg = start_claude_by_hand(sandbox)
    sid, _ = adopt(sandbox, pane)
    proc = sandbox.run("session", "kill", sid, check=True)
    assert "killed %s" % sid in proc.stdout
    wait_until(lambda: process_gone(reg["pid"]), message="claude to end")
    assert sandbox.tmux("has-session", "-t", "=work", check=False).returncode == 0
    assert not os.path.exists(sandbox.state_file(sid))


def test_kill_all_exited_leaves_the_tmux_session_of_an_adopted_claude_alone(sandbox):
    pane, reg = start_claude_by_hand(sandbox)
    sid, _ = adopt(sandbox, pane)
    os.kill(reg["pid"], 9)
    sandbox.wait_status(sid, "exited")
    proc = sandbox.run("session", "kill", "--all-exited", check=True)
    assert "removed %s" % sid in proc.stdout
    assert sandbox.tmux("has-session", "-t", "=work", check=False).returncode == 0


def test_attach_to_an_adopted_session_lands_on_claudes_pane(sandbox, outer):
    pane, _ = start_claude_by_hand(sandbox)
    sid, _ = adopt(sandbox, pane)
    sandbox.tmux("new-window", "-t", "=work:", "bash --norc --noprofile")  # user looks elsewhere
    # the user's terminal, attached to the "work" session of the sandbox's server
    outer("new-session", "-d", "-x", "120", "-y", "40", "env -u TMUX tmux attach -t =work")
    wait_until(lambda: sandbox.tmux("list-clients").stdout.strip(), message="a client")
    cmd = "%s %s session attach %s" % (sys.executable, TCLAUDE, sid)
    sandbox.tmux("send-keys", "-t", "=work:1", cmd, "Enter")
    wait_until(
        lambda: sandbox.tmux("list-clients", "-F", "#{pane_id}").stdout.strip() == pane,
        message="the client to show claude's pane",
    )


def test_adopt_refuses_a_pane_without_claude(sandbox):
    pane, _ = start_pane(sandbox, "work", "exec sleep 600")
    proc = sandbox.run("session", "adopt", pane)
    assert_one_line_error(proc, "no running claude found in pane %s" % pane)
    assert sandbox.ls() == {}


def test_adopt_refuses_a_pane_that_does_not_exist(sandbox):
    start_pane(sandbox, "work", "exec sleep 600")
    proc = sandbox.run("session", "adopt", "%99")
    assert_one_line_error(proc, "no tmux pane '%99'")


def test_adopt_refuses_the_pane_of_a_tclaude_session(sandbox):
    sid = sandbox.new(sandbox.work)
    proc = sandbox.run("session", "adopt", "tofu-claude-%s:" % sid)
    assert_one_line_error(proc, "is tclaude session %s already" % sid)


def test_adopting_the_same_claude_twice_is_refused(sandbox):
    pane, _ = start_claude_by_hand(sandbox)
    sid, _ = adopt(sandbox, pane)
    proc = sandbox.run("session", "adopt", pane)
    assert_one_line_error(proc, "is session %s already" % sid)
    assert list(sandbox.ls()) == [sid]


def test_adopt_rejects_a_name_that_looks_like_an_id(sandbox):
    pane, _ = start_claude_by_hand(sandbox)
    proc = sandbox.run("session", "adopt", pane, "--name", "deadbeef")
    assert_one_line_error(proc, "invalid name")


# -- doctor -------------------------------------------------------------------------------------


def bin_dir(tmp_path, *names, **scripts):
    """A PATH of chosen tools (real ones, the fake claude) and small scripts, nothing else."""
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    for name in names:
        if name == "claude":
            real = os.path.join(FAKEBIN, "claude")
        elif name == "python3":  # the interpreter itself: a pyenv shim would need pyenv
            real = os.path.realpath(sys.executable)
        else:
            real = shutil.which(name)
        os.symlink(real, str(folder / name))
    for name, body in scripts.items():
        path = folder / name
        path.write_text("#!/bin/sh\n" + body + "\n")
        path.chmod(0o755)
    return str(folder)


HEALTHY_TOOLS = ("tmux", "bash", "sh", "env", "python3", "claude")
NOTIFY_SEND = {"notify-send": "exit 0"}


def healthy_path(tmp_path, leave_out=None, **scripts):
    tools = [t for t in HEALTHY_TOOLS if t != leave_out]
    return bin_dir(tmp_path, *tools, **dict(NOTIFY_SEND, **scripts))


def doctor(sandbox, env=None, tclaude=TCLAUDE):
    proc = subprocess.run(
        [sys.executable, tclaude, "doctor"],
        env=dict(sandbox.env, **(env or {})),
        capture_output=True,
        text=True,
        timeout=60,
    )
    checks = {}
    for line in proc.stdout.splitlines()[:-1]:
        level, label, text = re.match(r"^(ok|warn|FAIL) +(\S+(?: \S+)?) {2,}(.*)$", line).groups()
        checks[label] = (level, text)
    return proc, checks


def test_doctor_on_a_healthy_setup_passes_with_one_line_per_check(sandbox, tmp_path):
    proc, checks = doctor(sandbox, {"PATH": healthy_path(tmp_path)})
    assert proc.returncode == 0, proc.stdout
    assert [label for label in checks] == [
        "python",
        "tmux",
        "claude",
        "hook",
        "bash",
        "state dir",
        "state files",
        "hook writes",
        "notify",
        "settings",
        "user hooks",
        "environment",
    ]
    assert all(level == "ok" for level, _ in checks.values()), proc.stdout
    assert proc.stdout.splitlines()[-1] == "12 ok, 0 warn, 0 FAIL"


def test_doctor_fails_without_claude_and_says_how_to_install_it(sandbox, tmp_path):
    path = healthy_path(tmp_path, leave_out="claude")
    proc, checks = doctor(sandbox, {"PATH": path})
    assert proc.returncode == 1
    assert checks["claude"][0] == "FAIL" and "npm install" in checks["claude"][1]


def test_doctor_fails_when_claude_version_fails(sandbox, tmp_path):
    path = healthy_path(tmp_path, "claude", claude="echo 'cannot load' >&2; exit 3")
    proc, checks = doctor(sandbox, {"PATH": path})
    assert proc.returncode == 1
    assert checks["claude"] == ("FAIL", "%s/claude --version failed: cannot load" % path)


def test_doctor_reports_the_claude_version(sandbox, tmp_path):
    path = healthy_path(tmp_path, "claude", claude='echo "9.8.7 (Claude Code)"')
    _, checks = doctor(sandbox, {"PATH": path})
    assert checks["claude"] == ("ok", "9.8.7 (Claude Code) (%s/claude)" % path)


def test_doctor_fails_without_tmux(sandbox, tmp_path):
    path = healthy_path(tmp_path, leave_out="tmux")
    proc, checks = doctor(sandbox, {"PATH": path})
    assert proc.returncode == 1
    assert checks["tmux"][0] == "FAIL" and "install" in checks["tmux"][1]


def test_doctor_fails_with_a_tmux_older_than_2_6(sandbox, tmp_path):
    path = healthy_path(tmp_path, "tmux", tmux='echo "tmux 2.5"')
    proc, checks = doctor(sandbox, {"PATH": path})
    assert proc.returncode == 1
    assert checks["tmux"] == ("FAIL", "tmux 2.5 is too old: tclaude needs tmux 2.6+; upgrade it")


def test_doctor_fails_without_bash(sandbox, tmp_path):
    path = healthy_path(tmp_path, leave_out="bash")
    proc, checks = doctor(sandbox, {"PATH": path})
    assert proc.returncode == 1
    assert checks["bash"][0] == "FAIL"


def test_doctor_fails_when_the_hook_is_not_beside_tclaude(sandbox, tmp_path):
    lonely = tmp_path / "lonely"
    lonely.mkdir()
    shutil.copy(TCLAUDE, str(lonely / "tclaude.py"))
    proc, checks = doctor(sandbox, tclaude=str(lonely / "tclaude.py"))
    assert proc.returncode == 1
    assert checks["hook"] == (
        "FAIL",
        "%s/tclaude-hook.sh is missing; reinstall tclaude (./install.sh)" % lonely,
    )


def test_doctor_warns_about_a_state_dir_others_can_read(sandbox):
    os.makedirs(sandbox.state_dir, mode=0o755)
    os.chmod(sandbox.state_dir, 0o755)
    proc, checks = doctor(sandbox)
    assert checks["state dir"][0] == "warn"
    assert "mode 0755" in checks["state dir"][1]
    assert "chmod 700 %s" % sandbox.state_dir in checks["state dir"][1]


def test_doctor_fails_when_the_state_dir_is_a_file(sandbox):
    os.makedirs(os.path.dirname(sandbox.state_dir))
    open(sandbox.state_dir, "w").close()
    proc, checks = doctor(sandbox)
    assert proc.returncode == 1
    assert checks["state dir"][0] == "FAIL" and "not a directory" in checks["state dir"][1]
    assert "crashed" not in proc.stdout, proc.stdout


@pytest.mark.parametrize("target", ["missing", "loop"])
def test_doctor_fails_when_the_state_dir_is_a_broken_link(sandbox, target):
    os.makedirs(os.path.dirname(sandbox.state_dir))
    link = sandbox.state_dir if target == "loop" else os.path.join(sandbox.root, "missing")
    os.symlink(link, sandbox.state_dir)
    proc, checks = doctor(sandbox)
    assert proc.returncode == 1
    assert checks["state dir"][0] == "FAIL", checks["state dir"]
    assert "crashed" not in proc.stdout, proc.stdout


def test_doctor_warns_about_a_corrupt_state_file_and_leaves_it(sandbox):
    os.makedirs(sandbox.state_dir, mode=0o700)
    with open(sandbox.state_file("0123abcd"), "w") as fh:
        fh.write("{not json")
    _, checks = doctor(sandbox)
    assert checks["state files"][0] == "warn"
    assert "1 corrupt (~/.tofu/claude-sessions/0123abcd.json)" in checks["state files"][1]
    assert read_bytes(sandbox.state_file("0123abcd")) == b"{not json"


def test_doctor_warns_about_a_status_file_no_session_owns(sandbox):
    os.makedirs(sandbox.state_dir, mode=0o700)
    with open(sandbox.state_file("0123abcd", ".status"), "w") as fh:
        fh.write("{}\n")
    _, checks = doctor(sandbox)
    assert checks["state files"][0] == "warn"
    assert "1 stray (~/.tofu/claude-sessions/0123abcd.status)" in checks["state files"][1]


def test_doctor_fails_when_claude_settings_disable_all_hooks(sandbox, tmp_path):
    config = str(tmp_path / "config")
    write_settings(sandbox, {"disableAllHooks": True}, settings_path(sandbox, config))
    proc, checks = doctor(sandbox, {"CLAUDE_CONFIG_DIR": config})
    assert proc.returncode == 1
    assert checks["settings"][0] == "FAIL"
    assert "disableAllHooks is true in %s/settings.json" % config in checks["settings"][1]


def test_doctor_warns_when_run_inside_claude_code(sandbox):
    _, checks = doctor(sandbox, {"CLAUDECODE": "1"})
    assert checks["environment"][0] == "warn" and "unset CLAUDECODE" in checks["environment"][1]


def test_doctor_warns_when_no_notification_tool_is_found(sandbox, tmp_path):
    path = bin_dir(tmp_path, *HEALTHY_TOOLS)
    proc, checks = doctor(sandbox, {"PATH": path})
    assert proc.returncode == 0
    assert checks["notify"][0] == "warn"


def test_doctor_shows_installed_hooks_and_warns_when_they_point_elsewhere(sandbox):
    sandbox.run("hooks", "install", check=True)
    assert doctor(sandbox)[1]["user hooks"][0] == "ok"
    settings = read_settings(sandbox)
    for group in settings["hooks"]["Stop"]:
        for hook in group["hooks"]:
            hook["command"] = "bash /old/tclaude-hook.sh Stop"
    write_settings(sandbox, settings)
    level, text = doctor(sandbox)[1]["user hooks"]
    assert level == "warn" and "tclaude hooks install" in text


# -- help ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ("hooks",),
        ("hooks", "print"),
        ("hooks", "install"),
        ("hooks", "uninstall"),
        ("session", "adopt"),
        ("doctor",),
    ],
)
def test_every_tools_command_explains_itself_with_help(sandbox, command):
    proc = sandbox.run(*command, "--help", check=True)
    assert proc.stdout.startswith("usage: tclaude %s" % " ".join(command))
