"""The real claude on another "machine": an sshd on 127.0.0.1 whose sessions live in the
offline kit's world (its HOME, PATH with the kit's claude, stub API, TMUX_TMPDIR), driven from
a client with a HOME of its own through `tclaude --host` and `host:id` (tests/sshd.py)."""

import json
import os
import subprocess
import sys
import tempfile
import time

import pytest
from real_claude import TCLAUDE, pytestmark  # noqa: F401  (the kit's skip and marker)
from sshd import SshWorld, find_sshd

# the kit's world as the remote sessions must see it (sshd starts them with SetEnv)
KIT_VARS = (
    "HOME", "PATH", "TMUX_TMPDIR", "TMPDIR", "LANG", "ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY",
    "DISABLE_AUTOUPDATER", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "DISABLE_TELEMETRY",
    "DISABLE_ERROR_REPORTING", "CLAUDE_CODE_DISABLE_FEEDBACK_SURVEY", "NO_PROXY", "no_proxy",
)  # fmt: skip


class Client:
    def __init__(self, root):
        home = os.path.join(root, "client-home")
        os.makedirs(home)
        self.env = dict(os.environ, HOME=home)


@pytest.fixture
def remote(tmp_path):
    if find_sshd() is None:
        pytest.skip("no sshd: install openssh-server (.ci/run does)")
    client = Client(str(tmp_path))
    world = SshWorld(str(tmp_path / "ssh"), client)
    env = {k: os.environ[k] for k in KIT_VARS if os.environ.get(k)}
    world.add("kitbox", env=env)

    def run(*args, check=True):
        proc = subprocess.run([sys.executable, TCLAUDE, *args], env=client.env,
                              capture_output=True, text=True, timeout=90)  # fmt: skip
        if check and proc.returncode != 0:
            raise AssertionError("tclaude %s: %s" % (args, proc.stderr))
        return proc

    run("hosts", "add", "kit", "kitbox")
    run("hosts", "install", "kit")
    try:
        yield run
    finally:
        world.close()


def test_the_real_claude_on_a_host_new_wait_approve_ls_kill(remote, tmp_path):
    project = tempfile.mkdtemp(dir=str(tmp_path))  # under the kit's TMPDIR: trusted there
    sid = remote("--host", "kit", "session", "new", "-q", project).stdout.strip()
    assert remote("session", "wait", "kit:" + sid, "--timeout", "60").stdout == (
        "kit:%s waiting_input\n" % sid
    )
    time.sleep(1)  # the prompt box takes keys a moment after claude reports idle
    remote("session", "send", "kit:" + sid, "RUN_TOOL=remote_marker.txt")
    proc = remote("session", "wait", "kit:" + sid, "--until", "waiting_permission",
                  "--timeout", "60")  # fmt: skip
    assert proc.stdout == "kit:%s waiting_permission\n" % sid
    proc = remote("session", "approve", "kit:" + sid)
    assert "approved Bash: touch remote_marker.txt" in proc.stdout
    remote("session", "wait", "kit:" + sid, "--until", "waiting_input", "--timeout", "60")
    assert os.path.exists(os.path.join(project, "remote_marker.txt"))
    (row,) = json.loads(remote("session", "ls", "--hosts", "all", "--json").stdout)
    assert row["id"] == "kit:" + sid and row["host"] == "kit"
    assert row["status"] == "waiting_input"
    proc = remote("session", "kill", "kit:" + sid)
    assert proc.stdout.startswith("killed %s; resume the conversation with: tclaude --host kit"
                                  % sid)  # fmt: skip
