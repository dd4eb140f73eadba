"""Helpers of the e2e tests that drive the REAL claude CLI offline (tests/kit, `make e2e`).

`pytestmark` skips a module unless the kit's env is armed (TCLAUDE_KIT_TMP set and `claude` on
PATH being the kit's binary), so these tests can never run against a real account.  The kit
gives a stub API, a temp HOME, a private TMUX_TMPDIR, and trusts every directory under its temp
dir (pytest's tmp_path lives under its TMPDIR).
"""

import json
import os
import shutil
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TCLAUDE = os.path.join(ROOT, "tclaude.py")

pytestmark = [
    pytest.mark.real_claude,
    pytest.mark.skipif(
        not os.environ.get("TCLAUDE_KIT_TMP")
        or shutil.which("claude") != os.environ.get("TCLAUDE_KIT_CLAUDE"),
        reason="needs the offline kit's env (make e2e)",
    ),
]


def tclaude(*args, check=True):
    proc = subprocess.run(
        [sys.executable, TCLAUDE, *args], capture_output=True, text=True, timeout=60
    )
    if check and proc.returncode != 0:
        raise AssertionError("tclaude %s: %s" % (args, proc.stderr))
    return proc


def tmux(*args):
    return subprocess.run(["tmux", *args], capture_output=True, text=True, timeout=10)


def view(sid):
    return {s["id"]: s for s in json.loads(tclaude("session", "ls", "--json").stdout)}[sid]


def screen(sid):
    return tmux("capture-pane", "-p", "-t", "=tofu-claude-%s:" % sid).stdout


def wait(predicate, timeout, what, sid=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return time.time()
        time.sleep(0.1)
    extra = ""
    if sid:
        extra = "\nstatus: %r\nscreen:\n%s" % (view(sid), screen(sid))
    raise AssertionError("timed out waiting for %s%s" % (what, extra))


def wait_status(sid, status, timeout=10):
    return wait(lambda: view(sid)["status"] == status, timeout, "status %s" % status, sid)


def prompt_ready(sid):
    text = screen(sid)
    return "❯" in text and "esc to interrupt" not in text and "Do you want" not in text


def send(sid, text):
    target = "=tofu-claude-%s:" % sid
    tmux("send-keys", "-t", target, "-l", text)
    time.sleep(0.6)
    tmux("send-keys", "-t", target, "Enter")


def answer(sid, key, dialog):
    wait(lambda: dialog in screen(sid), 15, repr(dialog), sid)
    time.sleep(0.5)  # claude drops keys sent within ~0.15 s of drawing a dialog
    tmux("send-keys", "-t", "=tofu-claude-%s:" % sid, key)


@pytest.fixture
def session(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    started = []

    def start(*args):
        sid = tclaude("session", "new", "-q", str(project), *args).stdout.strip()
        started.append(sid)
        wait(lambda: prompt_ready(sid), 30, "the prompt box", sid)
        return sid, project

    yield start
    for sid in started:
        tclaude("session", "kill", sid, check=False)
