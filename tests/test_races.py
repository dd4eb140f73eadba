"""Races and half-done commands: a removed record stays removed, a resumed session is never
removed on old facts, and a command that fails has changed nothing."""

import json
import os
import shutil
import subprocess
import sys
import threading
import time

import pytest
from conftest import (
    ROOT,
    TCLAUDE,
    assert_one_line_error,
    registry_idle,
    wait_until,
    write_record,
)

sys.path.insert(0, ROOT)
import tclaude  # (the guarded store is driven in-process at its race points)

SID = "abcd1234"


@pytest.fixture
def inproc(sandbox, monkeypatch):
    """tclaude imported into the test process, pointed at the sandbox."""
    for key in list(os.environ):
        if key not in sandbox.env:
            monkeypatch.delenv(key)
    for key, value in sandbox.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(tclaude, "_memo", {})
    return tclaude


def exited_session(sandbox):
    """A session whose claude ended (its tmux session killed): status exited, on disk."""
    sid = sandbox.new(sandbox.work)
    sandbox.wait_status(sid, "waiting_input")
    sandbox.tmux("kill-session", "-t", "=tofu-claude-" + sid)
    sandbox.wait_status(sid, "exited")
    return sid


# -- a removed record stays removed ------------------------------------------------------------


def test_an_exit_recorded_while_the_session_is_killed_does_not_bring_the_record_back(
    sandbox, inproc, monkeypatch
):
    record = write_record(sandbox, SID, spawned="2026-01-01T00:00:00Z", pid=4242)
    store = inproc.StateStore(sandbox.state_dir)
    real_load = inproc.StateStore.load
    killers = []

    def load_then_kill(self, sid):
        state = real_load(self, sid)
        if not killers:  # `session kill` removes the record between ls's read and its write
            killer = threading.Thread(
                target=inproc.StateStore(sandbox.state_dir).remove, args=(sid,)
            )
            killers.append(killer)
            killer.start()
            killer.join(0.5)
        return state

    monkeypatch.setattr(inproc.StateStore, "load", load_then_kill)
    inproc.persist_exit(store, record, {"status": "exited", "statusDetail": "tmux session gone"})
    killers[0].join(5)
    assert not killers[0].is_alive()
    assert not os.path.exists(sandbox.state_file(SID))


def test_an_exit_judged_on_a_claude_since_replaced_is_not_written(sandbox, inproc):
    stale = write_record(sandbox, SID, spawned="2026-01-01T00:00:00Z", pid=4242)
    # resumed within the same second: the new claude not spawned yet (pid None)
    write_record(sandbox, SID, spawned="2026-01-01T00:00:00Z", pid=None, statusDetail="resuming")
    store = inproc.StateStore(sandbox.state_dir)
    inproc.persist_exit(store, stale, {"status": "exited", "statusDetail": "claude gone"})
    assert sandbox.read_state(SID)["status"] == "running"
    assert sandbox.read_state(SID)["statusDetail"] == "resuming"


def test_an_update_of_a_removed_record_does_not_recreate_it(sandbox, inproc):
    store = inproc.StateStore(sandbox.state_dir)
    os.makedirs(sandbox.state_dir)
    assert store.update(SID, name="ghost") is None
    assert not os.path.exists(sandbox.state_file(SID))


def test_kill_racing_ls_never_leaves_the_record_behind(sandbox):
    stop = threading.Event()

    def list_forever():
        while not stop.is_set():
            sandbox.run("session", "ls", "--json")

    listers = [threading.Thread(target=list_forever, daemon=True) for _ in range(3)]
    for t in listers:
        t.start()
    try:
        for _ in range(20):  # bounded; the old code lost ~1 kill in 10 here
            sid = sandbox.new(sandbox.work)
            sandbox.run("session", "kill", sid, check=True)
            assert not os.path.exists(sandbox.state_file(sid))
            for _ in range(3):  # a late writer would bring it back within an ls or two
                sandbox.run("session", "ls", "--json", check=True)
            assert not os.path.exists(sandbox.state_file(sid)), "killed record came back"
    finally:
        stop.set()
        for t in listers:
            t.join(30)


def test_kill_all_exited_racing_resume_keeps_the_resumed_session(sandbox, inproc, monkeypatch):
    sid = exited_session(sandbox)
    real_views = inproc.current_views
    resumes = []

    def views_then_resume(store, tmux, states=None, snap=None):
        views = real_views(store, tmux, states, snap)
        if not resumes:  # `session resume` runs between kill's verdict and its removal
            proc = subprocess.Popen(
                [sys.executable, TCLAUDE, "session", "resume", sid],
                env=sandbox.env, cwd=sandbox.work, text=True,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            )  # fmt: skip
            resumes.append(proc)
            try:
                proc.wait(4)
            except subprocess.TimeoutExpired:
                pass  # waiting for kill's lock: it must then find the session removed
        return views

    monkeypatch.setattr(inproc, "current_views", views_then_resume)
    monkeypatch.setattr(sys, "argv", ["tclaude"])
    assert inproc.main(["session", "kill", "--all-exited"]) == 0
    out, err = resumes[0].communicate(timeout=30)
    if resumes[0].returncode == 0:
        assert os.path.exists(sandbox.state_file(sid)), "the resumed session's record is gone"
        assert sandbox.tmux("has-session", "-t", "=tofu-claude-" + sid, check=False).returncode == 0
    else:  # it waited for kill's lock, then found the session gone
        assert "removed meanwhile" in err or "no session" in err, err


# -- a command that fails changes nothing ------------------------------------------------------


def claude_pid(sandbox, sid):
    return wait_until(lambda: sandbox.read_state(sid).get("pid"), message="claude's pid")


def test_kill_that_cannot_remove_the_record_leaves_claude_running(sandbox):
    sid = sandbox.new(sandbox.work)
    sandbox.wait_status(sid, "waiting_input")
    pid = claude_pid(sandbox, sid)
    os.unlink(sandbox.state_file(sid, ".status"))
    os.mkdir(sandbox.state_file(sid, ".status"))  # unremovable
    proc = sandbox.run("session", "kill", sid)
    assert_one_line_error(proc, r"\.status is a directory.*nothing was changed")
    os.kill(pid, 0)  # still running
    assert sandbox.read_state(sid)["id"] == sid
    assert sandbox.tmux("has-session", "-t", "=tofu-claude-" + sid, check=False).returncode == 0


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only directory")
def test_kill_on_a_read_only_state_dir_leaves_claude_running(sandbox):
    sid = sandbox.new(sandbox.work)
    pid = claude_pid(sandbox, sid)
    os.chmod(sandbox.state_dir, 0o500)
    try:
        proc = sandbox.run("session", "kill", sid)
    finally:
        os.chmod(sandbox.state_dir, 0o700)
    assert_one_line_error(proc, r"not writable; nothing was changed")
    os.kill(pid, 0)


def ended_by_exit(sandbox):
    """A session whose claude quit by itself: exited, its dead pane kept by tmux."""
    sid = sandbox.new(sandbox.work)
    sandbox.wait_status(sid, "waiting_input")
    sandbox.run("session", "send", sid, "/exit", check=True)
    sandbox.wait_status(sid, "exited")
    return sid


def has_tmux_session(sandbox, sid):
    return sandbox.tmux("has-session", "-t", "=tofu-claude-" + sid, check=False).returncode == 0


def test_kill_all_exited_that_cannot_remove_a_record_keeps_its_tmux_session(sandbox):
    sid = ended_by_exit(sandbox)
    os.mkdir(sandbox.state_file(sid, ".notify"))
    proc = sandbox.run("session", "kill", "--all-exited")
    assert_one_line_error(proc, r"\.notify is a directory")
    assert os.path.exists(sandbox.state_file(sid)) and has_tmux_session(sandbox, sid)


def test_prune_that_cannot_remove_a_record_keeps_its_tmux_session(sandbox):
    sid = ended_by_exit(sandbox)
    os.mkdir(sandbox.state_file(sid, ".notify"))
    proc = sandbox.run("session", "prune")
    assert_one_line_error(proc, r"\.notify is a directory")
    assert os.path.exists(sandbox.state_file(sid)) and has_tmux_session(sandbox, sid)


def test_resume_that_cannot_clear_the_hook_file_leaves_the_dead_pane(sandbox):
    sid = ended_by_exit(sandbox)
    os.unlink(sandbox.state_file(sid, ".status"))
    os.mkdir(sandbox.state_file(sid, ".status"))
    proc = sandbox.run("session", "resume", sid)
    assert_one_line_error(proc, r"\.status is a directory")
    assert has_tmux_session(sandbox, sid)
    assert sandbox.read_state(sid)["status"] == "exited"


def test_notify_on_that_cannot_set_a_marker_does_not_switch(sandbox):
    write_record(sandbox, SID)
    os.mkdir(sandbox.state_file(SID, ".notify"))  # notify on would fail to create the marker
    proc = sandbox.run("notify", "on")
    assert_one_line_error(proc, r"\.notify is a directory")
    assert not os.path.exists(os.path.join(sandbox.home, ".tofu", "tclaude.json"))


# -- names that look like ids ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["8cb", "a", "CAFE", "12345678"])
def test_new_refuses_a_name_that_looks_like_an_id_prefix(sandbox, name):
    proc = sandbox.run("session", "new", sandbox.work, "--name", name)
    assert_one_line_error(proc, r"invalid name .*1-8 hex digits")
    assert not os.path.isdir(sandbox.state_dir) or os.listdir(sandbox.state_dir) in ([], [".lock"])


def test_rename_refuses_a_name_that_looks_like_an_id_prefix(sandbox):
    write_record(sandbox, SID, status="exited")
    proc = sandbox.run("session", "rename", SID, "8cb")
    assert_one_line_error(proc, r"invalid name '8cb'")
    assert sandbox.read_state(SID)["name"] is None


def test_a_name_that_is_another_sessions_id_prefix_is_ambiguous(sandbox):
    write_record(sandbox, "8cb9203b", status="exited")
    write_record(sandbox, "11112222", status="exited", name="8cb")  # made before the rule
    proc = sandbox.run("session", "kill", "8cb")
    assert_one_line_error(proc, r"'8cb' is ambiguous: it matches 11112222, 8cb9203b")
    assert os.path.exists(sandbox.state_file("8cb9203b"))
    assert os.path.exists(sandbox.state_file("11112222"))


# -- a hook that cannot write ------------------------------------------------------------------


def freeze_hook(sandbox, sid, lag=120):
    """claude's registry says busy now; the hook's file is ``lag`` seconds older."""
    entry = registry_idle(sandbox, sid)
    pid = entry["pid"]
    path = os.path.join(sandbox.home, ".claude", "sessions", "%d.json" % pid)
    now_ms = int(time.time() * 1000)
    entry.update(status="busy", statusUpdatedAt=now_ms, updatedAt=now_ms)
    with open(path, "w") as fh:
        json.dump(entry, fh)
    status = sandbox.state_file(sid, ".status")
    old = os.stat(status).st_mtime - lag
    os.utime(status, (old, old))


def test_ls_warns_when_the_hook_status_is_far_older_than_claudes_registry(sandbox):
    sid = sandbox.new(sandbox.work)
    sandbox.wait_status(sid, "waiting_input")
    freeze_hook(sandbox, sid)
    proc = sandbox.run("session", "ls")
    assert proc.returncode == 0
    assert "warning: session %s: its hook status is" % sid in proc.stderr
    assert "may be full or unwritable" in proc.stderr


def test_ls_does_not_warn_while_the_hook_keeps_up(sandbox):
    sid = sandbox.new(sandbox.work)
    sandbox.wait_status(sid, "waiting_input")
    freeze_hook(sandbox, sid, lag=-5)  # written after the registry: all is well
    proc = sandbox.run("session", "ls")
    assert proc.returncode == 0 and "warning" not in proc.stderr


def test_doctor_fails_when_the_hook_status_is_frozen(sandbox):
    sid = sandbox.new(sandbox.work)
    sandbox.wait_status(sid, "waiting_input")
    freeze_hook(sandbox, sid)
    proc = sandbox.run("doctor")
    assert proc.returncode == 1
    line = [ln for ln in proc.stdout.splitlines() if "hook writes" in ln]
    assert line and line[0].startswith("FAIL") and sid in line[0]


def test_new_whose_notify_marker_fails_leaves_no_record(sandbox, inproc, monkeypatch, capsys):
    def cannot_mark(store, state, global_on=None):
        raise inproc.UserError("cannot update %s: No space left on device" % state["id"])

    monkeypatch.setattr(inproc, "sync_notify_marker", cannot_mark)
    assert inproc.main(["session", "new", sandbox.work]) == 1
    assert "No space left" in capsys.readouterr().err
    assert [n for n in os.listdir(sandbox.state_dir) if n.endswith(".json")] == []


def test_ls_warns_when_the_state_dir_has_no_free_space(sandbox, inproc, monkeypatch, capsys):
    write_record(sandbox, SID, status="exited", statusDetail="gone")
    real = os.statvfs

    def full(path):
        info = real(path)
        return os.statvfs_result((*info[:4], 0, *info[5:]))  # f_bavail = 0

    monkeypatch.setattr(os, "statvfs", full)
    assert inproc.main(["session", "ls"]) == 0
    err = capsys.readouterr().err
    assert "warning: state dir %s is full: hooks cannot record status" % sandbox.state_dir in err


# -- a lock held by another tclaude: said, and waited for only so long -------------------------


def hold_state_lock(sandbox, seconds):
    """Another process holding the state dir lock (flock(1)), as a busy tclaude would."""
    os.makedirs(sandbox.state_dir, mode=0o700, exist_ok=True)
    lock = os.path.join(sandbox.state_dir, ".lock")
    holder = subprocess.Popen(["flock", lock, "sleep", str(seconds)])
    wait_until(lambda: subprocess.run(["flock", "-n", lock, "true"]).returncode != 0,
               message="the lock to be held")  # fmt: skip
    return holder


@pytest.mark.skipif(not shutil.which("flock"), reason="needs flock(1) (util-linux)")
def test_a_command_waiting_for_the_lock_says_so_and_goes_on_once_it_is_free(sandbox):
    record = write_record(sandbox, SID)
    holder = hold_state_lock(sandbox, 1.5)
    proc = sandbox.run("session", "rename", SID, "after-wait")
    holder.wait()
    assert proc.returncode == 0, proc.stderr
    assert "waiting for another tclaude command" in proc.stderr
    assert sandbox.read_state(SID)["name"] == "after-wait" != record.get("name")


@pytest.mark.skipif(not shutil.which("flock"), reason="needs flock(1) (util-linux)")
def test_a_lock_held_too_long_is_a_clear_error_not_a_hang(sandbox, inproc, monkeypatch):
    holder = hold_state_lock(sandbox, 30)
    monkeypatch.setattr(inproc, "LOCK_PATIENCE", 0.3)
    try:
        with pytest.raises(inproc.UserError, match="another tclaude command has held .* for"):
            inproc.StateStore().lock()
    finally:
        holder.kill()
        holder.wait()
