"""Files are what they claim to be, and writes are all or nothing.

A short write (a nearly full disk) never commits a truncated record; a FIFO, a directory or a
symlink where a file belongs never hangs a command or turns into a traceback; temp files are
created exclusively, in Python and in the hook.  Sessions here are ``sleep`` panes with the
record tclaude would have written (start_pane + write_record), unless a test needs claude.
"""

import json
import os
import re
import subprocess
import sys
import time

import pytest
from conftest import HOOK, ROOT, assert_one_line_error, start_pane, write_record

SID = "abcd1234"
OTHER = "feed0001"


def live_session(sandbox, sid, **fields):
    """A tmux session of the sandbox server standing in for claude, with its record."""
    _, pid = start_pane(sandbox, "tofu-claude-" + sid, "sleep 600")
    return write_record(sandbox, sid, pid=pid, **fields)


def run_patched(sandbox, patch, *argv):
    """Run the CLI in a child Python whose ``os.write`` is replaced by ``patch`` (source of a
    function ``fake_write(real, fd, data)``) for the state dir's temp files only."""
    code = (
        "import os, sys\n"
        "sys.path.insert(0, %r)\n"
        "import tclaude\n"
        "%s\n"
        "real = os.write\n"
        "def patched(fd, data):\n"
        "    if os.readlink('/proc/self/fd/%%d' %% fd).endswith('.tmp'):\n"
        "        return fake_write(real, fd, data)\n"
        "    return real(fd, data)\n"
        "os.write = patched\n"
        "sys.exit(tclaude.main(sys.argv[1:]))\n" % (ROOT, patch)
    )
    return subprocess.run(
        [sys.executable, "-c", code, *argv],
        env=sandbox.env,
        cwd=sandbox.work,
        capture_output=True,
        text=True,
        timeout=30,
    )


FULL_DISK = """
calls = []
def fake_write(real, fd, data):
    calls.append(len(data))
    if len(calls) > 1:
        raise OSError(28, 'No space left on device')
    return real(fd, bytes(data[:4096]))
"""

SHORT_WRITES = """
def fake_write(real, fd, data):
    return real(fd, bytes(data[:1000]))
"""


# -- writes ---------------------------------------------------------------------------------


def test_rename_on_a_full_disk_fails_and_keeps_the_record(sandbox):
    live_session(sandbox, SID, name="old")
    with open(sandbox.state_file(SID), "rb") as fh:
        before = fh.read()
    proc = run_patched(sandbox, FULL_DISK, "session", "rename", SID, "n" * 7000)
    assert_one_line_error(proc, "cannot write .*No space left on device")
    with open(sandbox.state_file(SID), "rb") as fh:
        assert fh.read() == before
    assert [n for n in os.listdir(sandbox.state_dir) if n.endswith(".tmp")] == []


def test_short_writes_are_continued_until_the_record_is_whole(sandbox):
    live_session(sandbox, SID, name="old")
    proc = run_patched(sandbox, SHORT_WRITES, "session", "rename", SID, "n" * 7000)
    assert proc.returncode == 0, proc.stderr
    assert sandbox.read_state(SID)["name"] == "n" * 7000


@pytest.fixture
def tiny_state_dir(sandbox):
    """The state dir on a 64 KiB tmpfs (root only; skipped where mount is not permitted)."""
    os.makedirs(sandbox.state_dir)
    proc = subprocess.run(
        [
            "mount",
            "-t",
            "tmpfs",
            "-o",
            "size=64k,nr_inodes=64,mode=0700",
            "tmpfs",
            sandbox.state_dir,
        ],
        capture_output=True,
    )
    if proc.returncode != 0:
        pytest.skip("cannot mount a tmpfs here: %s" % proc.stderr.decode().strip())
    try:
        yield sandbox.state_dir
    finally:
        subprocess.run(["umount", "-l", sandbox.state_dir], capture_output=True)


def test_rename_on_a_really_full_tmpfs_keeps_the_record(sandbox, tiny_state_dir):
    live_session(sandbox, SID, name="old")
    with open(sandbox.state_file(SID), "rb") as fh:
        before = fh.read()
    with open(os.path.join(tiny_state_dir, "filler"), "wb", buffering=0) as fh:
        try:
            while True:
                fh.write(b"x" * 512)
        except OSError:
            pass  # full
    proc = sandbox.run("session", "rename", SID, "n" * 7000)
    assert_one_line_error(proc, "cannot write")
    with open(sandbox.state_file(SID), "rb") as fh:
        assert fh.read() == before


def test_a_planted_symlink_at_the_temp_name_is_not_followed(sandbox, tmp_path):
    sys.path.insert(0, ROOT)
    import tclaude

    target = tmp_path / "victim"
    target.write_text("precious\n")
    folder = tmp_path / "dir"
    folder.mkdir()
    final = folder / "rec.json"
    os.symlink(str(target), str(folder / (".rec.json.%d.tmp" % os.getpid())))
    tclaude.write_file_atomic(str(final), b'{"a": 1}\n')
    assert target.read_text() == "precious\n"
    assert final.read_bytes() == b'{"a": 1}\n'
    assert sorted(os.listdir(str(folder))) == ["rec.json"]


def test_a_record_that_cannot_be_json_is_never_written(sandbox):
    sys.path.insert(0, ROOT)
    import tclaude

    store = tclaude.StateStore(sandbox.state_dir)
    record = write_record(sandbox, SID)
    with pytest.raises(tclaude.UserError, match="invalid record"):
        store.save(dict(record, createdTs=float("nan")))
    assert sandbox.read_state(SID) == record


# -- readers: FIFOs, directories, links -------------------------------------------------------

COMMANDS = {
    "ls": ("session", "ls"),
    "ls --all": ("session", "ls", "--all"),
    "status-line": ("status-line",),
    "watch --once": ("session", "watch", "--once"),
    "wait": ("session", "wait", OTHER, "--timeout", "0.5"),
    "new": ("session", "new", "-q"),
    "doctor": ("doctor",),
}


def fifo_paths(sandbox, pane_pid):
    return {
        "record": sandbox.state_file(SID),
        "status": sandbox.state_file(OTHER, ".status"),
        "registry": os.path.join(sandbox.home, ".claude", "sessions", "%d.json" % pane_pid),
        "config": os.path.join(sandbox.home, ".tofu", "tclaude.json"),
        "settings": os.path.join(sandbox.home, ".claude", "settings.json"),
    }


@pytest.mark.parametrize("where", ["record", "status", "registry", "config", "settings"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_fifo_where_a_file_belongs_never_hangs(sandbox, where, command):
    other = live_session(sandbox, OTHER, status="running")
    with open(sandbox.state_file(OTHER, ".status"), "w") as fh:
        fh.write('{"v":1,"ts":%d,"status":"running","since":%d}\n' % (2e9, 2e9))
    path = fifo_paths(sandbox, other["pid"])[where]
    if os.path.exists(path):
        os.unlink(path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    os.mkfifo(path)
    try:
        proc = sandbox.run(*COMMANDS[command], timeout=20)
    except subprocess.TimeoutExpired:
        pytest.fail("%s hung on a FIFO at %s" % (command, path))
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
    if command in ("ls", "watch --once"):
        assert OTHER in proc.stdout


def test_a_fifo_record_is_skipped_with_a_warning(sandbox):
    live_session(sandbox, OTHER)
    os.mkfifo(sandbox.state_file(SID))
    proc = sandbox.run("session", "ls", timeout=20)
    assert proc.returncode == 0 and OTHER in proc.stdout
    assert "is a FIFO, not a regular file" in proc.stderr


def test_a_symlinked_record_is_not_followed(sandbox, tmp_path):
    record = write_record(sandbox, SID)
    elsewhere = tmp_path / "elsewhere.json"
    os.rename(sandbox.state_file(SID), str(elsewhere))
    os.symlink(str(elsewhere), sandbox.state_file(SID))
    proc = sandbox.run("session", "ls", "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout) == []
    assert "is a symbolic link" in proc.stderr
    assert json.loads(elsewhere.read_text()) == record


def test_a_huge_record_is_refused_not_read(sandbox):
    live_session(sandbox, OTHER)
    write_record(sandbox, SID, statusDetail="x" * (2 << 20))
    proc = sandbox.run("session", "ls")
    assert proc.returncode == 0 and OTHER in proc.stdout
    assert "too large" in proc.stderr


def test_a_directory_at_the_lock_is_a_one_line_error(sandbox):
    live_session(sandbox, SID)
    os.mkdir(os.path.join(sandbox.state_dir, ".lock"))
    proc = sandbox.run("session", "rename", SID, "x")
    assert_one_line_error(proc, r"cannot lock the state dir: .*\.lock is a directory")


def test_a_directory_at_the_status_file_is_a_warning_for_ls(sandbox):
    live_session(sandbox, SID)
    os.mkdir(sandbox.state_file(SID, ".status"))
    proc = sandbox.run("session", "ls")
    assert proc.returncode == 0 and SID in proc.stdout
    assert proc.stderr.count("\n") == 1 and "is a directory" in proc.stderr, proc.stderr


def test_kill_refuses_before_stopping_claude_when_a_file_cannot_go(sandbox):
    record = live_session(sandbox, SID)
    os.mkdir(sandbox.state_file(SID, ".status"))
    proc = sandbox.run("session", "kill", SID)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert re.search(r"^tclaude: .*\.status is a directory.*nothing was changed$", last), last
    assert sandbox.tmux("has-session", "-t", "=tofu-claude-" + SID, check=False).returncode == 0
    os.kill(record["pid"], 0)  # still running
    assert sandbox.read_state(SID)["id"] == SID


def test_a_notify_marker_that_is_a_fifo_does_not_hang_notify_on(sandbox):
    live_session(sandbox, SID)
    os.mkfifo(sandbox.state_file(SID, ".notify"))
    proc = sandbox.run("notify", "on", timeout=20)
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr


# -- the hook's temp file ------------------------------------------------------------------------


def run_hook_with_planted_link(sandbox, link_target, event="Stop"):
    """Run the hook as claude would, with a symlink planted at the temp name it will use
    (``exec`` keeps the pid, so ``$$`` is the hook's own)."""
    os.makedirs(sandbox.state_dir, exist_ok=True)
    plant = 'ln -s "$1" "$TCLAUDE_STATE_DIR/.%s.status.$$"; exec bash "$2" %s' % (SID, event)
    env = dict(sandbox.env, TCLAUDE_SESSION_ID=SID, TCLAUDE_STATE_DIR=sandbox.state_dir)
    payload = json.dumps({"hook_event_name": event, "session_id": "c0ffee00-0000-4000-8000-1"})
    return subprocess.run(
        ["bash", "-c", plant, "plant", link_target, HOOK],
        input=payload,
        env=env,
        capture_output=True,
        text=True,
        timeout=10,
    )


def test_the_hook_never_writes_through_a_planted_symlink(sandbox, tmp_path):
    write_record(sandbox, SID)
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    proc = run_hook_with_planted_link(sandbox, str(victim))
    assert proc.returncode == 0 and proc.stdout == ""
    assert victim.read_text() == "precious\n"
    with open(sandbox.state_file(SID, ".status")) as fh:
        assert json.loads(fh.read())["status"] == "waiting_input"


def test_the_hook_never_blocks_on_a_planted_link_to_a_fifo(sandbox, tmp_path):
    write_record(sandbox, SID)
    fifo = tmp_path / "fifo"
    os.mkfifo(str(fifo))
    try:
        proc = run_hook_with_planted_link(sandbox, str(fifo))
    except subprocess.TimeoutExpired:
        pytest.fail("the hook blocked opening a FIFO through a planted link")
    assert proc.returncode == 0 and proc.stdout == ""
    with open(sandbox.state_file(SID, ".status")) as fh:
        assert json.loads(fh.read())["status"] == "waiting_input"


def test_status_line_counts_around_a_record_left_by_a_killed_new(sandbox):
    live_session(sandbox, OTHER, status="waiting_input")
    write_record(sandbox, SID, pid=None)  # `session new` killed before tmux started claude
    proc = sandbox.run("status-line")
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout.strip() == "claude 1? 1*"  # no pid, no tmux call: unknown, not dead


def test_wait_does_not_take_an_unreadable_record_for_a_removed_session(sandbox):
    live_session(sandbox, SID, status="running")
    import threading

    def swap():
        time.sleep(0.8)
        os.rename(sandbox.state_file(SID), sandbox.state_file(SID) + ".away")
        os.mkfifo(sandbox.state_file(SID))

    swapper = threading.Thread(target=swap)
    swapper.start()
    try:
        proc = sandbox.run("session", "wait", SID, "--timeout", "3", timeout=20)
    finally:
        swapper.join()
    assert proc.returncode == 124, proc.stderr  # timed out, not "exited before reaching"
    assert "is a FIFO" in proc.stderr


JSON_TEXTS = [
    '{"id": "deadbeef", "pid": 42, "ok": true, "x": null, "f": -1.5e3, "l": [1, "a"]}',
    ' \n {"a": {"b": []}} \t\r\n',
    '{"a": NaN, "b": Infinity, "c": -Infinity}',
    '"\\ud800 \\u00e9 \\n"',
    '{"a": 1} {"b": 2}',  # extra data
    '{"id": "deadbeef", "status": "runn',  # cut short by a crash mid-write
    '{"a" 1}',
    "[1, 2,",
    "",
    "   ",
    "\ufeff{}",  # a BOM
    '{"a": "\x01"}',  # a raw control character in a string
    "nul",
    "1" * 5000,  # more digits than int() takes from a string (3.11+)
]


@pytest.mark.parametrize("text", JSON_TEXTS)
def test_json_loads_reads_what_json_loads_reads_and_refuses_what_it_refuses(text):
    sys.path.insert(0, ROOT)
    import json

    import tclaude

    try:
        want = json.loads(text)
    except ValueError as exc:
        with pytest.raises(type(exc)) as got:
            tclaude.json_loads(text)
        assert str(got.value) == str(exc)
    else:
        got = tclaude.json_loads(text)
        assert json.dumps(got) == json.dumps(want)  # NaN != NaN: compare the texts


def test_json_loads_says_why_in_a_run_that_never_imported_json():
    text = '{"id": "deadbeef", "status": "runn'  # the C scanner alone cannot say why
    code = "import tclaude\ntry:\n    tclaude.json_loads(%r)\nexcept ValueError as exc:\n" \
           "    print(type(exc).__name__, exc)\n" % text  # fmt: skip
    proc = subprocess.run([sys.executable, "-S", "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=30)  # fmt: skip
    with pytest.raises(json.JSONDecodeError) as want:
        json.loads(text)
    assert proc.stdout == "JSONDecodeError %s\n" % want.value
