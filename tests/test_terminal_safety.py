"""Nothing from a payload, a name or a path reaches the terminal raw: tables, messages,
warnings and errors show control characters (C0, ESC, DEL, C1, newlines) visibly."""

import json
import os
import re
import sys
import time

from conftest import ROOT, registry_idle, write_record

sys.path.insert(0, ROOT)
import tclaude  # (the sanitiser itself is tested directly too)

# retitles and clears the terminal; the newline would forge a table row; U+009D is an OSC and
# U+009B a CSI to a terminal that honours 8-bit controls (no ESC needed)
HOSTILE_DIR = "dir \x1b]0;TITLE\x07\x1b[2J\nforged row \u009d0;T\u009c"
HOSTILE_NAME = "nm\u009b31m\x1b[2Jx\ny"
HOSTILE_DETAIL = "Bash: rm \x1b]0;PWNED\x07\u009d0;T\u009c\nsecond line\x7f"
RAW = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")  # everything but the line breaks we print


def assert_clean(text, lines=None):
    assert not RAW.search(text), repr(text)
    if lines is not None:
        assert len(text.rstrip("\n").split("\n")) == lines, text


def hostile_session(sandbox, status="waiting_input"):
    """A live session in a hostile directory, with a hostile name and hook detail."""
    cwd = os.path.join(sandbox.work, HOSTILE_DIR)
    os.makedirs(cwd)
    proc = sandbox.run("session", "new", cwd, "--name", HOSTILE_NAME, check=True)
    sid = re.search(r"started session ([0-9a-f]{8})", proc.stdout).group(1)
    sandbox.wait_status(sid, "waiting_input")
    registry_idle(sandbox, sid)  # else its late idle would outdate the hook file forged here
    hook = {"status": status, "detail": HOSTILE_DETAIL, "ts": time.time(), "since": time.time()}
    with open(sandbox.state_file(sid, ".status"), "w") as fh:
        json.dump(hook, fh)
    return sid, proc


def test_safe_text_shows_every_control_visibly():
    shown = tclaude.safe_text("a\nb\rc\td\x1be\x07f\x7fg\u009dh\u0080")
    assert shown == "a\\nb\\rc\\td^[e^Gf^?g\\x9dh\\x80"


def test_safe_text_shows_an_undecodable_byte_as_that_byte():
    assert tclaude.safe_text("x\udc9dy\udcff") == "x\\x9dy\\xff"


def test_ls_keeps_its_columns_with_an_undecodable_byte_in_a_name(sandbox):
    name = os.fsdecode(b"n\x9dm")  # argv bytes that are no UTF-8 arrive surrogate-escaped
    proc = sandbox.run("session", "new", sandbox.work, "--name", name, check=True)
    sid = re.search(r"started session ([0-9a-f]{8})", proc.stdout).group(1)
    sandbox.wait_status(sid, "waiting_input")
    header, row = sandbox.run("session", "ls", check=True).stdout.splitlines()
    assert row.index("waiting_input") == header.index("STATUS"), (header, row)
    assert "n\\x9dm" in row


def test_one_line_flattens_c1_controls():
    assert tclaude.one_line("a\u009d0;T\u009cb") == "a 0;T b"


def test_cell_text_uses_the_same_visible_forms():
    assert tclaude.cell_text("x\x1b[2J\ny\u009d") == "x^[[2J\\ny\\x9d"


def test_new_prints_a_hostile_name_and_path_visibly(sandbox):
    _, proc = hostile_session(sandbox)
    assert_clean(proc.stdout, lines=2)
    assert "^[]0;TITLE^G" in proc.stdout and "\\x9d" in proc.stdout


def test_ls_shows_hostile_cwd_name_and_detail_in_one_row(sandbox):
    hostile_session(sandbox)
    proc = sandbox.run("session", "ls", check=True)
    assert_clean(proc.stdout, lines=2)
    assert_clean(proc.stderr)
    assert "forged row" in proc.stdout.splitlines()[1]


def test_ls_all_shows_a_hostile_cwd_in_one_row(sandbox):
    hostile_session(sandbox)
    proc = sandbox.run("session", "ls", "--all", check=True)
    assert_clean(proc.stdout, lines=2)


def test_ls_of_an_exited_record_with_a_hostile_cwd_stays_one_row(sandbox):
    write_record(sandbox, "abcd1234", cwd="/x/" + HOSTILE_DIR, status="exited",
                 statusDetail=HOSTILE_DETAIL, name=HOSTILE_NAME)  # fmt: skip
    proc = sandbox.run("session", "ls", check=True)
    assert_clean(proc.stdout, lines=2)


def test_ls_json_escapes_hostile_text_and_keeps_it(sandbox):
    sid, _ = hostile_session(sandbox)
    proc = sandbox.run("session", "ls", "--json", check=True)
    assert_clean(proc.stdout)
    (view,) = json.loads(proc.stdout)
    assert view["id"] == sid and view["cwd"].endswith(HOSTILE_DIR)
    assert view["name"] == HOSTILE_NAME


def test_rename_prints_a_hostile_name_visibly(sandbox):
    sid, _ = hostile_session(sandbox)
    proc = sandbox.run("session", "rename", sid, "calm", check=True)
    assert_clean(proc.stdout, lines=1)
    assert "(was nm\\x9b31m^[[2Jx\\ny)" in proc.stdout


def test_kill_prints_the_resume_hint_visibly(sandbox):
    sid, _ = hostile_session(sandbox)
    proc = sandbox.run("session", "kill", sid, check=True)
    assert_clean(proc.stdout, lines=1)
    assert_clean(proc.stderr)


def test_resume_all_prints_a_hostile_path_visibly(sandbox):
    sid, _ = hostile_session(sandbox)
    sandbox.tmux("kill-server")
    proc = sandbox.run("session", "resume", "--all")
    assert proc.returncode == 0, proc.stderr
    assert "resumed %s" % sid in proc.stdout
    assert_clean(proc.stdout, lines=1)


def test_send_refusal_shows_a_hostile_detail_visibly(sandbox):
    sid, _ = hostile_session(sandbox, status="waiting_permission")
    proc = sandbox.run("session", "send", sid, "hello")
    assert proc.returncode == 1
    assert_clean(proc.stderr, lines=1)
    assert "PWNED" in proc.stderr


def test_wait_and_status_line_print_nothing_raw(sandbox):
    sid, _ = hostile_session(sandbox)
    wait = sandbox.run("session", "wait", sid, "--timeout", "5")
    assert wait.returncode == 0
    assert_clean(wait.stdout + wait.stderr)
    line = sandbox.run("status-line", check=True)
    assert_clean(line.stdout, lines=1)


def test_watch_once_shows_hostile_text_in_one_row(sandbox):
    hostile_session(sandbox)
    proc = sandbox.run("session", "watch", "--once", check=True)
    assert_clean(proc.stdout, lines=3)  # header, titles, the row


def test_an_error_naming_a_hostile_path_is_one_clean_line(sandbox):
    proc = sandbox.run("session", "new", "nope\x1b]0;T\x07\nforged\u009d")
    assert proc.returncode == 1
    assert_clean(proc.stderr, lines=1)
    assert "no such directory: nope^[]0;T^G\\nforged\\x9d" in proc.stderr


def test_a_warning_about_a_hostile_file_is_one_clean_line(sandbox):
    write_record(sandbox, "abcd1234")
    with open(sandbox.state_file("abcd1234"), "w") as fh:
        fh.write('{"id": "abcd1234", "cwd": ')  # corrupt: a warning names the file
    state_dir = os.path.join(sandbox.root, "st\x1b[2Jate\ndir")
    os.makedirs(state_dir)
    os.rename(sandbox.state_file("abcd1234"), os.path.join(state_dir, "abcd1234.json"))
    proc = sandbox.run("session", "ls", env={"TCLAUDE_STATE_DIR": state_dir}, check=True)
    assert_clean(proc.stderr, lines=1)
    assert "st^[[2Jate\\ndir" in proc.stderr


def test_doctor_prints_a_hostile_state_dir_visibly(sandbox):
    state_dir = os.path.join(sandbox.root, "st\x1b[2Jate\ndir\u009d")
    os.makedirs(state_dir, mode=0o700)
    proc = sandbox.run("doctor", env={"TCLAUDE_STATE_DIR": state_dir})
    assert_clean(proc.stdout + proc.stderr)
    assert "st [2Jate dir " in proc.stdout  # doctor flattens its one-line texts


def test_a_notification_carries_no_control_characters():
    view = {"id": "abcd1234", "status": "waiting_permission", "name": None,
            "cwd": "/w/" + HOSTILE_DIR.replace("\n", ""), "statusDetail": HOSTILE_DETAIL}  # fmt: skip
    title, body = tclaude.notification_text(view)
    assert_clean(title, lines=1)
    assert_clean(body, lines=3)  # the detail, how to answer, how to attach
    assert body.endswith("\ntclaude session attach abcd1234")
