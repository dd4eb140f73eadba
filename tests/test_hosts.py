"""Sessions on other machines (tclaude hosts, --host, host:id, ls --hosts) against real sshd
servers on 127.0.0.1 (tests/sshd.py): each host has its own HOME, state dir and tmux server."""

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import time

import pytest
from conftest import ROOT, TCLAUDE, assert_one_line_error, open_dashboard, wait_until

sys.path.insert(0, ROOT)
import tclaude  # (the remote command line is checked under each shell directly)


def config(sandbox):
    with open(os.path.join(sandbox.home, ".tofu", "tclaude.json"), encoding="utf-8") as fh:
        return json.load(fh)


# -- hosts add / ls / rm ------------------------------------------------------------------------


def test_hosts_add_keeps_the_notify_switch_and_ls_lists_it(sandbox):
    sandbox.run("notify", "on", check=True)
    proc = sandbox.run("hosts", "add", "dev", "me@dev.example.com", check=True)
    assert proc.stdout.splitlines()[0] == "added host dev (ssh me@dev.example.com)"
    assert config(sandbox) == {"notify": True, "hosts": {"dev": {"ssh": "me@dev.example.com"}}}
    assert sandbox.run("hosts", "ls", check=True).stdout.splitlines() == [
        "NAME  SSH",
        "dev   me@dev.example.com",
    ]


def test_hosts_add_without_destination_uses_the_name_as_ssh_alias(sandbox):
    sandbox.run("hosts", "add", "box", check=True)
    assert config(sandbox)["hosts"] == {"box": {"ssh": "box"}}


def test_hosts_rm_forgets_only_that_host(sandbox):
    sandbox.run("notify", "on", check=True)
    sandbox.run("hosts", "add", "a", check=True)
    sandbox.run("hosts", "add", "b", check=True)
    proc = sandbox.run("hosts", "rm", "a", check=True)
    assert "removed host a" in proc.stdout
    assert config(sandbox) == {"notify": True, "hosts": {"b": {"ssh": "b"}}}


def test_hosts_ls_without_hosts_says_how_to_add_one(sandbox):
    proc = sandbox.run("hosts", "ls", check=True)
    assert proc.stdout.startswith("no hosts (add one with: tclaude hosts add")


def test_hosts_add_refuses_an_existing_name(sandbox):
    sandbox.run("hosts", "add", "dev", "x@one", check=True)
    proc = sandbox.run("hosts", "add", "dev", "x@two")
    assert_one_line_error(proc, r"host dev exists; remove it first", code=1)
    assert config(sandbox)["hosts"] == {"dev": {"ssh": "x@one"}}


def test_hosts_rm_of_an_unknown_host_is_one_line(sandbox):
    assert_one_line_error(sandbox.run("hosts", "rm", "nope"), r"no host 'nope'", code=1)


def test_bad_host_names_are_refused(sandbox):
    for name in ("a:b", "all", "local", "ext", "a b", ".dot", "é", "x" * 65, "dev\n"):
        proc = sandbox.run("hosts", "add", name, "somewhere")
        assert_one_line_error(proc, r"bad host name", code=2)
    assert not os.path.exists(os.path.join(sandbox.home, ".tofu", "tclaude.json"))


def test_a_destination_that_is_no_plain_ssh_destination_is_refused(sandbox):
    for dest in ("a b", "host\nx", "host\n", "a;b", "$(touch x)", "`id`"):
        assert_one_line_error(sandbox.run("hosts", "add", "dev", dest), r"bad ssh destination", 2)
    # one that looks like an option never even parses as a destination
    proc = sandbox.run("hosts", "add", "dev", "-oProxyCommand=touch /tmp/x")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert not os.path.exists(os.path.join(sandbox.home, ".tofu", "tclaude.json"))


def test_a_hostile_entry_in_the_config_file_is_skipped_with_a_warning(sandbox):
    path = os.path.join(sandbox.home, ".tofu", "tclaude.json")
    os.makedirs(os.path.dirname(path))
    with open(path, "w", encoding="utf-8") as fh:
        json.dump({"hosts": {"ok": {"ssh": "ok"}, "evil": {"ssh": "-oProxyCommand=sh"},
                             "x\u001b]0;pwn\u0007": {"ssh": "y"}}}, fh)  # fmt: skip
    proc = sandbox.run("hosts", "ls", check=True)
    assert proc.stdout.splitlines() == ["NAME  SSH", "ok    ok"]
    assert "ignoring host entry 'evil'" in proc.stderr
    assert "\x1b" not in proc.stderr and "\x07" not in proc.stderr


# -- ssh: one private multiplexed connection, options no host entry can change ---------------------


def control_dir(ssh_world):
    return os.path.join(ssh_world.runtime, "tclaude-ssh")


def test_a_host_is_reached_through_one_master_connection_in_a_private_dir(
    sandbox, two_hosts, ssh_world
):
    sandbox.run("--host", "a", "session", "ls", check=True)
    folder = control_dir(ssh_world)
    assert stat.S_IMODE(os.lstat(folder).st_mode) == 0o700
    (sock,) = os.listdir(folder)
    assert stat.S_ISSOCK(os.lstat(os.path.join(folder, sock)).st_mode)
    sandbox.run("--host", "a", "session", "ls", check=True)
    assert os.listdir(folder) == [sock]  # the second run reused it


def test_a_control_dir_left_open_to_others_is_made_private(sandbox, two_hosts, ssh_world):
    os.mkdir(control_dir(ssh_world), 0o755)
    os.chmod(control_dir(ssh_world), 0o777)
    sandbox.run("--host", "a", "session", "ls", check=True)
    assert stat.S_IMODE(os.lstat(control_dir(ssh_world)).st_mode) == 0o700


def test_a_control_dir_that_is_a_symlink_is_refused(sandbox, two_hosts, ssh_world, tmp_path):
    os.symlink(str(tmp_path), control_dir(ssh_world))
    proc = sandbox.run("--host", "a", "session", "ls")
    assert_one_line_error(proc, r"tclaude-ssh is not a directory of yours; remove it", code=1)


def test_a_hostile_ssh_config_entry_cannot_change_the_fixed_options(sandbox, ssh_world, tmp_path):
    marker = tmp_path / "pwned"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    hostile = (
        "Host alpha\n  ControlMaster no\n  ControlPath %s/%%C\n  BatchMode no\n"
        "  PermitLocalCommand yes\n  LocalCommand touch %s\n  RemoteCommand touch %s\n"
    ) % (elsewhere, marker, marker)
    ssh_world.add("alpha", extra=hostile).install()
    sandbox.run("hosts", "add", "a", "alpha", check=True)
    proc = sandbox.run("--host", "a", "session", "ls", check=True)
    assert proc.stdout.startswith("no sessions")
    assert not marker.exists()
    assert os.listdir(str(elsewhere)) == []
    assert len(os.listdir(control_dir(ssh_world))) == 1


def test_a_host_that_is_down_is_one_line(sandbox, two_hosts):
    two_hosts["a"].stop()
    proc = sandbox.run("--host", "a", "session", "ls")
    assert_one_line_error(proc, r"^tclaude: host a: ssh: connect to host .* Connection refused", 1)


def test_a_host_without_tclaude_says_to_install_it(sandbox, ssh_world):
    ssh_world.add("alpha")
    sandbox.run("hosts", "add", "a", "alpha", check=True)
    proc = sandbox.run("--host", "a", "session", "ls")
    assert_one_line_error(
        proc, r"host a: tclaude is not installed there .*tclaude hosts install a$", 1
    )


def test_an_unknown_host_is_one_line(sandbox):
    assert_one_line_error(sandbox.run("--host", "nope", "session", "ls"), r"no host 'nope'", 1)
    assert_one_line_error(sandbox.run("--host"), r"--host needs a host name", 2)


def test_host_runs_only_session_commands(sandbox, two_hosts):
    proc = sandbox.run("--host", "a", "notify", "on")
    assert_one_line_error(proc, r"--host runs only: session new\|ls", 2)


# -- --host NAME session ...: run there -------------------------------------------------------


def new_on(sandbox, host, *args):
    proc = sandbox.run("--host", host, "session", "new", "-q", *args, check=True)
    return proc.stdout.strip()


def remote_ls(host):
    return {s["id"]: s for s in json.loads(host.run("session", "ls", "--json").stdout)}


def wait_remote_status(sandbox, host, sid, status):
    def seen():
        proc = sandbox.run("--host", host, "session", "ls", "--json", check=True)
        views = {v["id"]: v for v in json.loads(proc.stdout)}
        return views.get(sid) if views.get(sid, {}).get("status") == status else None

    return wait_until(seen, timeout=15, message="%s:%s %s" % (host, sid, status))


def test_new_on_a_host_starts_the_session_there_only(sandbox, two_hosts):
    a, b = two_hosts["a"], two_hosts["b"]
    proc = sandbox.run("--host", "a", "session", "new", a.work, "--name", "api", check=True)
    sid = proc.stdout.split()[2]
    assert proc.stdout.splitlines() == [
        "started session %s (api) in %s" % (sid, a.work),
        "attach with: tclaude --host a session attach %s" % sid,
    ]
    assert list(remote_ls(a)) == [sid]
    assert remote_ls(b) == {}
    assert json.loads(sandbox.run("session", "ls", "--json", check=True).stdout) == []
    assert os.path.exists(os.path.join(a.state_dir, sid + ".json"))


def test_ls_kill_and_wait_on_a_host(sandbox, two_hosts):
    a = two_hosts["a"]
    sid = new_on(sandbox, "a", a.work)
    proc = sandbox.run("--host", "a", "session", "wait", sid, "--timeout", "20", check=True)
    assert proc.stdout == "a:%s waiting_input\n" % sid
    table = sandbox.run("--host", "a", "session", "ls", check=True).stdout
    assert table.splitlines()[1].startswith(sid + "  -     waiting_input")
    proc = sandbox.run("--host", "a", "session", "kill", sid, check=True)
    assert proc.stdout.startswith("killed %s; resume the conversation with:" % sid)
    assert remote_ls(a) == {}


def test_send_types_the_prompt_there_and_wait_sees_it_done(sandbox, two_hosts):
    a = two_hosts["a"]
    sid = new_on(sandbox, "a", a.work)
    sandbox.run("--host", "a", "session", "wait", sid, "--timeout", "20", check=True)
    proc = sandbox.run("--host", "a", "session", "send", sid, "hello there", check=True)
    assert proc.stdout == "sent to %s (1 line)\n" % sid
    sandbox.run("--host", "a", "session", "wait", sid, "--timeout", "20", check=True)
    assert "hello there" in remote_ls(a)[sid]["statusDetail"] or "hello there" in a.run(
        "session", "peek", sid).stdout  # fmt: skip


def test_send_reads_the_prompt_from_stdin_through_ssh(sandbox, two_hosts):
    a = two_hosts["a"]
    sid = new_on(sandbox, "a", a.work)
    sandbox.run("--host", "a", "session", "wait", sid, "--timeout", "20", check=True)
    proc = sandbox.run("--host", "a", "session", "send", sid, "-", input="line one\nline two\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "sent to %s (2 lines)\n" % sid


def test_arguments_reach_the_host_as_they_were_given(sandbox, two_hosts, tmp_path):
    """ssh hands the remote shell one string: every word is quoted, nothing is run."""
    a = two_hosts["a"]
    marker = tmp_path / "pwned"
    name = "n$(cd;touch pwned)`cd;touch pwned`;cd;touch pwned 'q\" * #"  # (cd: the host's HOME)
    sid = new_on(sandbox, "a", a.work, "--name", name)
    assert remote_ls(a)[sid]["name"] == name
    sandbox.run("--host", "a", "session", "wait", name, "--timeout", "20", check=True)
    sandbox.run("--host", "a", "session", "send", sid, "$(touch %s) & echo" % marker, check=True)
    assert not marker.exists()
    assert not os.path.exists(os.path.join(a.home, "pwned"))


def test_peek_approve_and_deny_on_a_host(sandbox, two_hosts):
    a = two_hosts["a"]
    sid = new_on(sandbox, "a", a.work)
    sandbox.run("--host", "a", "session", "wait", sid, "--timeout", "20", check=True)
    for prompt, verb, expect in (
        ("RUN_TOOL=one.txt", "approve", "approved Bash: touch one.txt"),
        ("RUN_TOOL=two.txt", "deny", "denied Bash: touch two.txt"),
    ):
        sandbox.run("--host", "a", "session", "send", sid, prompt, check=True)
        sandbox.run("--host", "a", "session", "wait", sid, "--timeout", "20", check=True)
        peek = sandbox.run("--host", "a", "session", "peek", sid, check=True).stdout
        assert "Do you want to proceed?" in peek
        proc = sandbox.run("--host", "a", "session", verb, sid, check=True)
        assert expect in proc.stdout
    wait_until(lambda: os.path.exists(os.path.join(a.work, "one.txt")))
    assert not os.path.exists(os.path.join(a.work, "two.txt"))


def test_a_remote_error_is_one_line_naming_the_host(sandbox, two_hosts):
    proc = sandbox.run("--host", "a", "session", "kill", "feedbeef")
    assert_one_line_error(
        proc, r"^tclaude: host a: no session 'feedbeef' \(see: tclaude --host a session ls\)$", 1
    )


def test_host_colon_id_works_where_an_id_does(sandbox, two_hosts):
    a, b = two_hosts["a"], two_hosts["b"]
    sid_a = new_on(sandbox, "a", a.work)
    sid_b = new_on(sandbox, "b", b.work)
    proc = sandbox.run("session", "wait", "a:" + sid_a[:4], "--timeout", "20", check=True)
    assert proc.stdout == "a:%s waiting_input\n" % sid_a
    sandbox.run("session", "kill", "b:" + sid_b, check=True)
    assert remote_ls(b) == {}
    assert list(remote_ls(a)) == [sid_a]


def test_a_host_id_whose_id_looks_like_an_option_is_refused_before_reaching_the_host(
    sandbox, two_hosts
):
    a = two_hosts["a"]
    sid = new_on(sandbox, "a", a.work)
    for ref in ("a:--all-exited", "a:--all", "a:-h", "a:"):
        proc = sandbox.run("session", "kill", ref)
        assert_one_line_error(proc, r"bad session id '%s': host:id takes an id" % ref, code=2)
    proc = sandbox.run("session", "wait", "a:" + sid, "b:--any", "--timeout", "1")
    assert_one_line_error(proc, r"bad session id 'b:--any'", code=2)
    assert list(remote_ls(a)) == [sid]


def test_a_colon_in_a_local_name_is_refused_and_unknown_host_prefixes_stay_local(sandbox):
    assert_one_line_error(sandbox.run("session", "new", "--name", "x:y"), r"invalid name", 1)
    proc = sandbox.run("session", "kill", "nohost:1234")
    assert_one_line_error(proc, r"no session 'nohost:1234'", 1)


def test_attach_on_a_host_shows_its_claude_in_this_terminal(sandbox, two_hosts):
    a = two_hosts["a"]
    sid = new_on(sandbox, "a", a.work)
    sandbox.run("--host", "a", "session", "wait", sid, "--timeout", "20", check=True)
    command = "python3 %s --host a session attach %s" % (TCLAUDE, sid)
    sandbox.tmux("new-session", "-d", "-s", "here", "-x", "120", "-y", "30", command)
    # the remote tmux server gets a client: the one ssh -t started from the local pane
    clients = wait_until(lambda: a_tmux(a, "list-clients", "-F", "#{client_session}").stdout.split(),
                         timeout=15, message="a client of the remote tmux server")  # fmt: skip
    assert clients == ["tofu-claude-" + sid]
    remote = a_tmux(a, "capture-pane", "-p", "-t", "=tofu-claude-%s:" % sid).stdout
    line = max(remote.splitlines(), key=lambda ln: len(ln.strip())).strip()
    assert len(line) > 10
    wait_until(lambda: line in sandbox.tmux("capture-pane", "-p", "-t", "=here:").stdout,
               message="the remote claude's screen in the local pane")  # fmt: skip


def a_tmux(host, *args):
    env = dict(os.environ, **host.env)
    env.pop("TMUX", None)
    return subprocess.run(["tmux", *args], env=env, capture_output=True, text=True, timeout=10)


# -- session ls --hosts: every host at once -------------------------------------------------------


def silent_listener():
    """A port that accepts connections and never says a word (a hung host)."""
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    return sock


def test_ls_hosts_all_is_one_table_with_a_host_column_and_host_ids(sandbox, two_hosts):
    a, b = two_hosts["a"], two_hosts["b"]
    here = sandbox.new(sandbox.work)
    sid_a = new_on(sandbox, "a", a.work, "--name", "api")
    sid_b = new_on(sandbox, "b", b.work)
    lines = sandbox.run("session", "ls", "--hosts", "all", check=True).stdout.splitlines()
    assert lines[0].split() == ["HOST", "ID", "NAME", "STATUS", "AGE", "CWD", "CONV", "DETAIL"]
    rows = [line.split() for line in lines[1:]]
    assert [(r[0], r[1]) for r in rows] == [
        ("local", here),
        ("a", "a:" + sid_a),
        ("b", "b:" + sid_b),
    ]
    assert rows[1][2] == "api"
    assert rows[2][5] == b.work


def test_ls_hosts_json_gives_host_ids_and_the_host(sandbox, two_hosts):
    sid_a = new_on(sandbox, "a", two_hosts["a"].work)
    proc = sandbox.run("session", "ls", "--hosts", "a", "--json", check=True)
    (view,) = json.loads(proc.stdout)
    assert view["id"] == "a:" + sid_a and view["host"] == "a"
    assert view["status"] in ("running", "waiting_input")
    assert view["cwd"] == two_hosts["a"].work


def test_a_host_that_is_down_is_one_row_and_the_others_still_show(sandbox, two_hosts):
    sid_a = new_on(sandbox, "a", two_hosts["a"].work)
    two_hosts["b"].stop()
    proc = sandbox.run("session", "ls", "--hosts", "all", check=True)
    lines = proc.stdout.splitlines()
    assert lines[1].split()[:2] == ["a", "a:" + sid_a]
    assert re.match(r"^b     host unreachable \(ssh: connect to host 127\.0\.0\.1 port \d+: "
                    r"Connection refused\)$", lines[2]), lines  # fmt: skip
    assert len(lines) == 3


def test_a_slow_host_costs_its_timeout_and_only_its_own_row(sandbox, two_hosts, ssh_world):
    listener = silent_listener()
    try:
        ssh_world.add_alias("hung", listener.getsockname()[1])
        sandbox.run("hosts", "add", "slow", "hung", check=True)
        sid_a = new_on(sandbox, "a", two_hosts["a"].work)
        proc = sandbox.run("session", "ls", "--hosts", "all", env={"TCLAUDE_HOST_TIMEOUT": "2"},
                           check=True)  # fmt: skip
    finally:
        listener.close()
    lines = proc.stdout.splitlines()
    assert [line.split()[0] for line in lines[1:]] == ["a", "slow"]
    assert lines[1].split()[1] == "a:" + sid_a
    assert lines[2].split(None, 1)[1] == "host unreachable (timed out after 2s)"


def test_json_with_a_host_down_warns_and_lists_the_rest(sandbox, two_hosts):
    sid_a = new_on(sandbox, "a", two_hosts["a"].work)
    two_hosts["b"].stop()
    proc = sandbox.run("session", "ls", "--hosts", "all", "--json", check=True)
    assert [v["id"] for v in json.loads(proc.stdout)] == ["a:" + sid_a]
    assert re.search(r"warning: host b unreachable \(ssh: connect to host", proc.stderr)


def test_ls_hosts_with_an_unknown_name_is_one_line(sandbox, two_hosts):
    assert_one_line_error(sandbox.run("session", "ls", "--hosts", "a,zz"), r"no host 'zz'", 1)


HOSTILE = [
    {"id": "0badc0de", "name": "\x1b]0;owned\x07\x1b[2J", "status": "waiting_input",
     "cwd": "/x\x9b31m", "convId": "\x1b[31mred", "statusDetail": "ok\r\nFAKE ROW",
     "statusSince": "2026-01-01T00:00:00Z"},
    {"id": "../../etc", "name": "bad id", "status": "running"},
    {"id": "00c0ffee", "name": 42, "status": "pwned", "cwd": ["no"]},
    "not an object",
]  # fmt: skip


def fake_remote_tclaude(host, payload, err="", code=0):
    """A tclaude on the host that answers every command with ``payload`` on stdout."""
    bin_dir = os.path.join(host.home, ".tofu", "bin")
    os.makedirs(bin_dir, exist_ok=True)
    with open(os.path.join(bin_dir, "tclaude.py"), "w", encoding="utf-8") as fh:
        fh.write("import sys\n\ndef main(argv):\n    sys.stdout.write(%r)\n    sys.stderr.write(%r)\n"
                 "    return %d\n" % (payload, err, code))  # fmt: skip


def test_hostile_strings_from_a_remote_ls_are_checked_and_sanitised(sandbox, two_hosts):
    fake_remote_tclaude(two_hosts["b"], json.dumps(HOSTILE))
    proc = sandbox.run("session", "ls", "--hosts", "b", check=True)
    out = proc.stdout
    assert not [c for c in out if (ord(c) < 32 and c != "\n") or 0x7F <= ord(c) < 0xA0]
    lines = out.splitlines()
    assert len(lines) == 3  # header, 0badc0de, 00c0ffee: no row forged, the bad id dropped
    # as for local sessions: names and details flattened to one line, the rest made visible
    assert lines[1].startswith("b     b:0badc0de  ]0;owned [2J  waiting_input")
    assert lines[1].endswith("/x\\x9b31m  ^[[31mred  ok FAKE ROW")
    assert lines[2].split()[:4] == ["b", "b:00c0ffee", "-", "unknown"]
    assert "host b: ignoring a session with id '../../etc'" in proc.stderr
    assert "ignoring field status = 'pwned'" in proc.stderr
    assert "\x1b" not in proc.stderr


def test_hostile_json_from_a_host_stays_escaped_in_json(sandbox, two_hosts):
    fake_remote_tclaude(two_hosts["b"], json.dumps(HOSTILE))
    proc = sandbox.run("session", "ls", "--hosts", "b", "--json", check=True)
    assert proc.stdout.isascii() and "\x1b" not in proc.stdout
    views = json.loads(proc.stdout)
    assert [v["id"] for v in views] == ["b:0badc0de", "b:00c0ffee"]
    assert views[0]["name"] == HOSTILE[0]["name"]  # data kept, as data
    assert "name" not in views[1] and "cwd" not in views[1]


def test_a_remote_worktree_status_is_shown_and_its_wrong_types_ignored(sandbox, two_hosts):
    sessions = [
        {"id": "0badc0de", "status": "running", "worktreeStatus": {
            "branch": "fix\x1b[2J", "state": "dirty", "changed": 2, "unmerged": 1}},
        {"id": "00c0ffee", "status": "running", "worktreeStatus": {
            "branch": ["x"], "state": "dirty", "changed": "9; rm", "unmerged": True}},
        {"id": "0000beef", "status": "running", "worktreeStatus": "not an object"},
    ]  # fmt: skip
    fake_remote_tclaude(two_hosts["b"], json.dumps(sessions))
    proc = sandbox.run("session", "ls", "--hosts", "b", check=True)
    lines = proc.stdout.splitlines()
    assert lines[0].split()[:7] == ["HOST", "ID", "NAME", "STATUS", "AGE", "CWD", "WORKTREE"]
    assert "fix [2J: 2 changed, 1 unmerged" in lines[1]  # one_line: ESC is a space
    assert "?: clean" in lines[2]
    assert "ignoring field worktreeStatus" in proc.stderr
    assert "\x1b" not in proc.stdout


def test_a_host_answering_garbage_is_one_unreachable_row(sandbox, two_hosts):
    fake_remote_tclaude(two_hosts["b"], "\x1b[2J not json")
    proc = sandbox.run("session", "ls", "--hosts", "b", check=True)
    assert re.match(
        r"^b\s+host unreachable \(its ls --json is unreadable: ", proc.stdout.splitlines()[1]
    )
    assert "\x1b" not in proc.stdout


def test_what_a_host_prints_for_a_command_is_sanitised_line_by_line(sandbox, two_hosts):
    fake_remote_tclaude(two_hosts["b"], "\x1b]0;title\x07line\x9b2J\r\nnext\n",
                        err="tclaude: \x1b[2Jbad\n", code=1)  # fmt: skip
    proc = sandbox.run("--host", "b", "session", "peek", "1234")
    assert proc.returncode == 1
    assert proc.stdout == "^[]0;title^Gline\\x9b2J\\r\nnext\n"
    assert proc.stderr == "tclaude: host b: ^[[2Jbad\n"


# -- hosts install ------------------------------------------------------------------------------


def test_hosts_install_copies_this_tclaude_and_it_runs_there(sandbox, ssh_world):
    host = ssh_world.add("alpha")
    sandbox.run("hosts", "add", "a", "alpha", check=True)
    proc = sandbox.run("hosts", "install", "a", check=True)
    lines = proc.stdout.splitlines()
    assert lines[0] == "installed tclaude 0.1.0 on a in ~/.tofu/bin (tclaude.py, tclaude-hook.sh)"
    assert re.match(r"^a: python3 3\.\d+, tmux \S+; try: tclaude --host a session ls$", lines[1])
    for name in ("tclaude.py", "tclaude-hook.sh"):
        installed = os.path.join(host.home, ".tofu", "bin", name)
        with open(installed, "rb") as fh, open(os.path.join(ROOT, name), "rb") as mine:
            assert fh.read() == mine.read()
        assert os.stat(installed).st_mode & 0o111
    assert [n for n in os.listdir(os.path.join(host.home, ".tofu", "bin")) if ".tmp." in n] == []
    sid = new_on(sandbox, "a", host.work)
    assert list(remote_ls(host)) == [sid]


def tool_dir(tmp_path, *tools):
    """A PATH of only these tools (as links), for a host that lacks the rest."""
    folder = tmp_path / ("tools-" + "-".join(tools))
    folder.mkdir()
    for tool in tools:
        os.symlink(shutil.which(tool), str(folder / tool))
    return str(folder)


BASICS = ("mkdir", "cat", "chmod", "mv", "sed")


def test_hosts_install_says_tmux_is_missing_there(sandbox, ssh_world, tmp_path):
    ssh_world.add("alpha", path=tool_dir(tmp_path, "python3", *BASICS))
    sandbox.run("hosts", "add", "a", "alpha", check=True)
    proc = sandbox.run("hosts", "install", "a")
    assert proc.returncode == 1
    assert proc.stdout.startswith("installed tclaude 0.1.0 on a")
    assert proc.stderr == (
        "tclaude: host a lacks tmux: install it there (tmux and python3 3.8+ are needed)\n"
    )


def test_hosts_install_says_python3_and_tmux_are_missing_there(sandbox, ssh_world, tmp_path):
    ssh_world.add("alpha", path=tool_dir(tmp_path, *BASICS))
    sandbox.run("hosts", "add", "a", "alpha", check=True)
    proc = sandbox.run("hosts", "install", "a")
    assert "tclaude: host a lacks python3 and tmux: install it there" in proc.stderr
    assert proc.returncode == 1


def test_hosts_install_where_a_tool_it_needs_is_missing_names_it(sandbox, ssh_world, tmp_path):
    ssh_world.add("alpha", path=tool_dir(tmp_path, "python3", "tmux"))  # no mkdir, cat...
    sandbox.run("hosts", "add", "a", "alpha", check=True)
    proc = sandbox.run("hosts", "install", "a")
    assert_one_line_error(proc, r"^tclaude: host a: cannot install tclaude.py: .*mkdir.*$", 1)
    assert "hosts install a" not in proc.stderr  # (what it would say of a missing tclaude)


def test_hosts_install_to_a_host_that_never_answers_gives_up(sandbox, ssh_world, tmp_path):
    path = tool_dir(tmp_path, "python3", "tmux", "cat", "chmod", "mv", "sed")
    with open(os.path.join(path, "mkdir"), "w", encoding="utf-8") as fh:
        fh.write("#!/bin/sh\nexec %s 20\n" % shutil.which("sleep"))  # e.g. a hung NFS home
    os.chmod(os.path.join(path, "mkdir"), 0o755)
    ssh_world.add("alpha", path=path)
    sandbox.run("hosts", "add", "a", "alpha", check=True)
    proc = sandbox.run("hosts", "install", "a", env={"TCLAUDE_HOST_TIMEOUT": "1"}, timeout=15)
    assert_one_line_error(
        proc, r"^tclaude: host a: cannot install tclaude.py: timed out after 6s$", 1
    )


def test_hosts_install_to_a_host_that_is_down_is_one_line(sandbox, ssh_world):
    ssh_world.add("alpha").stop()
    sandbox.run("hosts", "add", "a", "alpha", check=True)
    proc = sandbox.run("hosts", "install", "a")
    assert_one_line_error(proc, r"^tclaude: host a: cannot install tclaude.py: ssh: connect", 1)


# -- wait across hosts ------------------------------------------------------------------------------


def test_wait_over_sessions_of_two_hosts_and_this_one(sandbox, two_hosts):
    here = sandbox.new(sandbox.work)
    sid_a = new_on(sandbox, "a", two_hosts["a"].work)
    sid_b = new_on(sandbox, "b", two_hosts["b"].work)
    proc = sandbox.run("session", "wait", here, "a:" + sid_a, "b:" + sid_b, "--timeout", "30")
    assert proc.returncode == 0, proc.stderr
    assert sorted(proc.stdout.splitlines()) == sorted(
        ["%s waiting_input" % here, "a:%s waiting_input" % sid_a, "b:%s waiting_input" % sid_b]
    )


def test_wait_any_across_hosts_returns_with_the_first_one_there(sandbox, two_hosts):
    sid_a = new_on(sandbox, "a", two_hosts["a"].work)
    sid_b = new_on(sandbox, "b", two_hosts["b"].work)
    sandbox.run("session", "wait", "b:" + sid_b, "--timeout", "30", check=True)
    sandbox.run("--host", "b", "session", "send", sid_b, "SLOW=2000 think", check=True)
    proc = sandbox.run("session", "wait", "a:" + sid_a, "b:" + sid_b, "--any", "--timeout", "30")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "a:%s waiting_input\n" % sid_a


def test_wait_across_hosts_times_out_with_the_host_named(sandbox, two_hosts):
    sid_a = new_on(sandbox, "a", two_hosts["a"].work)
    sid_b = new_on(sandbox, "b", two_hosts["b"].work)
    sandbox.run("session", "wait", "b:" + sid_b, "--timeout", "30", check=True)
    sandbox.run("--host", "b", "session", "send", sid_b, "SLOW=2000 think", check=True)
    proc = sandbox.run("session", "wait", "a:" + sid_a, "b:" + sid_b, "--timeout", "3")
    assert_one_line_error(proc, r"^tclaude: host b: timed out: %s is running$" % sid_b, 124)


def test_wait_across_hosts_with_one_host_down_is_one_line(sandbox, two_hosts):
    sid_a = new_on(sandbox, "a", two_hosts["a"].work)
    two_hosts["b"].stop()
    proc = sandbox.run("session", "wait", "a:" + sid_a, "b:12345678", "--timeout", "30")
    assert_one_line_error(proc, r"^tclaude: host b: ssh: connect to host .*refused", 1)


# -- watch --hosts, and notifications of remote sessions ----------------------------------------------


def test_watch_once_with_hosts_has_a_host_column_and_host_ids(sandbox, two_hosts):
    here = sandbox.new(sandbox.work)
    sid_a = new_on(sandbox, "a", two_hosts["a"].work)
    two_hosts["b"].stop()
    proc = sandbox.run("session", "watch", "--once", "--hosts", "all", check=True)
    lines = proc.stdout.splitlines()
    assert lines[1].split()[:2] == ["HOST", "ID"]
    rows = sorted(line.split()[:2] if line[0] == " " else line.split()[1:3] for line in lines[2:])
    assert rows == [["a", "a:" + sid_a], ["local", here]]
    assert re.search(r"warning: host b unreachable \(ssh: connect to host .*refused\)", proc.stderr)


def dashboard_env(ssh_world, **more):
    return dict({"XDG_RUNTIME_DIR": ssh_world.runtime}, **more)


def dashboard_with_a_session_on(sandbox, name, host, ssh_world):
    """A session on host ``name`` waiting for input, and a dashboard of every host showing it."""
    sid = new_on(sandbox, name, host.work)
    sandbox.run("session", "wait", "%s:%s" % (name, sid), "--timeout", "30", check=True)
    pane = open_dashboard(sandbox, "--hosts", "all", env=dashboard_env(ssh_world))
    pane.wait_text("%s:%s" % (name, sid), timeout=15)
    return sid, pane


def test_the_dashboard_shows_remote_rows_and_attaches_to_one_over_ssh(
    sandbox, two_hosts, ssh_world
):
    a = two_hosts["a"]
    sid_a, pane = dashboard_with_a_session_on(sandbox, "a", a, ssh_world)
    pane.keys("a")
    clients = wait_until(lambda: a_tmux(a, "list-clients", "-F", "#{client_session}").stdout.split(),
                         timeout=15, message="a client of host a's tmux server")  # fmt: skip
    assert clients == ["tofu-claude-" + sid_a]


def test_the_dashboard_sends_approves_and_kills_on_a_host(sandbox, two_hosts, ssh_world):
    a = two_hosts["a"]
    sid_a, pane = dashboard_with_a_session_on(sandbox, "a", a, ssh_world)
    pane.keys("s")
    pane.keys("-l", "RUN_TOOL=dash.txt")
    pane.keys("Enter")
    pane.wait_text("sent to %s (1 line)" % sid_a, timeout=20)
    pane.wait(lambda text: "permission" in text.split("a:" + sid_a)[-1].split("\n")[0],
              "the remote row waiting for permission", timeout=20)  # fmt: skip
    pane.keys("y")
    pane.wait_text("approved Bash: touch dash.txt", timeout=20)
    wait_until(lambda: os.path.exists(os.path.join(a.work, "dash.txt")))
    pane.keys("x")
    pane.keys("y")
    pane.wait_text("killed %s" % sid_a, timeout=20)
    assert remote_ls(a) == {}


def test_a_remote_session_that_starts_waiting_is_a_local_notification(
    sandbox, two_hosts, ssh_world, tmp_path
):
    from test_notify import Bus, NotifyServer

    bus = Bus(str(tmp_path))
    server = NotifyServer(bus.address, str(tmp_path))
    try:
        sandbox.env["DBUS_SESSION_BUS_ADDRESS"] = bus.address
        sandbox.run("notify", "on", check=True)
        sid_a = new_on(sandbox, "a", two_hosts["a"].work, "--name", "api")
        sandbox.run("session", "wait", "a:" + sid_a, "--timeout", "30", check=True)
        env = dashboard_env(ssh_world, DBUS_SESSION_BUS_ADDRESS=bus.address)
        pane = open_dashboard(sandbox, "--hosts", "a", env=env)
        pane.wait_text("a:" + sid_a, timeout=15)
        time.sleep(2.5)  # the poller has seen it waiting for input: no change, no notification
        assert server.calls() == []
        sandbox.run("--host", "a", "session", "send", sid_a, "RUN_TOOL=n.txt", check=True)
        (call,) = server.wait_calls(1, timeout=20)
        assert call["summary"] == "a: claude needs permission · api"
        assert "tclaude session approve a:%s (or: deny)" % sid_a in call["body"]
    finally:
        server.stop()
        bus.stop()


def test_a_host_that_floods_its_answer_is_one_unreachable_row(sandbox, two_hosts):
    bin_dir = os.path.join(two_hosts["b"].home, ".tofu", "bin")
    with open(os.path.join(bin_dir, "tclaude.py"), "w", encoding="utf-8") as fh:
        fh.write(
            "import sys\n\ndef main(argv):\n    while True:\n        sys.stdout.write('[' * 65536)\n"
        )
    proc = sandbox.run("session", "ls", "--hosts", "all", check=True)
    assert proc.stdout.splitlines()[-1] == "b     host unreachable (it sent more than 16 MiB)"


def remote_waits(sid):
    """The pids of ``tclaude session wait`` processes (on any host: they all run here) that
    wait on ``sid``."""
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as fh:
                argv = fh.read().split(b"\0")
        except OSError:
            continue
        if b"wait" in argv and sid.encode() in argv and b"python3" in argv[0]:
            pids.append(pid)
    return pids


def test_a_wait_across_hosts_that_is_over_leaves_no_wait_running_on_a_host(sandbox, two_hosts):
    here = sandbox.new(sandbox.work)
    sid_a = new_on(sandbox, "a", two_hosts["a"].work)
    sandbox.run("session", "wait", here, "a:" + sid_a, "--timeout", "30", check=True)
    sandbox.run("--host", "a", "session", "send", sid_a, "SLOW=60000 think", check=True)
    proc = sandbox.run("session", "wait", here, "a:" + sid_a, "--any", "--timeout", "30")
    assert proc.stdout == "%s waiting_input\n" % here, proc.stderr
    # the host's own `session wait` (which would wait for ever) ends with its ssh channel
    wait_until(lambda: not remote_waits(sid_a), timeout=10, message="no wait left on a")


def test_a_host_whose_wait_answers_too_much_is_cut_off_as_one_line(sandbox, two_hosts):
    here = sandbox.new(sandbox.work)
    bin_dir = os.path.join(two_hosts["b"].home, ".tofu", "bin")
    with open(os.path.join(bin_dir, "tclaude.py"), "w", encoding="utf-8") as fh:
        fh.write(  # 2 MiB of plausible lines, then it never ends
            "import sys, time\n\ndef main(argv):\n"
            "    sys.stdout.write('12345678 waiting_input\\n' * 100000)\n"
            "    sys.stdout.flush()\n    time.sleep(60)\n"
        )
    proc = sandbox.run("session", "wait", here, "b:12345678", "--timeout", "30", timeout=20)
    assert_one_line_error(proc, r"^tclaude: host b: it sent more than 1024 KiB$", 1)
    assert proc.stdout == ""


# -- the remote command line, whatever the login shell ------------------------------------------

ODD_WORDS = ["a\\", "\\\\x", "two\nlines", "bang!1", "$HOME", "'\"", "", "-x", "é\u2603"]


@pytest.mark.parametrize("shell", ["sh", "bash", "dash", "zsh", "fish", "tcsh", "csh"])
def test_the_remote_command_line_gives_tclaude_its_words_under_any_login_shell(shell, tmp_path):
    """sshd runs the command line as ``$SHELL -c LINE`` with the user's login shell, which
    need not be a POSIX one (fish's quotes read backslashes; tcsh has no ``for ... done``)."""
    path = shutil.which(shell)
    if path is None:
        pytest.skip("%s is not installed here" % shell)
    bin_dir = tmp_path / ".tofu" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "tclaude.py").write_text(
        "import json, sys\n\ndef main(argv):\n    sys.stdout.write(json.dumps(argv))\n"
    )
    line = tclaude.any_shell(tclaude.SshHost.tclaude_script(ODD_WORDS))
    env = dict(os.environ, HOME=str(tmp_path))
    proc = subprocess.run([path, "-c", line], env=env, capture_output=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == ODD_WORDS
    probe = subprocess.run([path, "-c", tclaude.any_shell(tclaude.REMOTE_PROBE)], env=env,
                           capture_output=True, text=True, timeout=30)  # fmt: skip
    assert "have python3" in probe.stdout.splitlines(), probe.stderr
