"""tclaude-hook.sh: event -> status mapping, ordering, no-op cases, hostile payloads.

The hook runs as a subprocess, the way claude runs it (executable + event name, JSON on stdin),
with a temp HOME and TCLAUDE_STATE_DIR.  Payloads are the real ones recorded from claude
(tests/samples/*.jsonl) with their placeholders replaced by temp paths; where no recording exists
(compact, StopFailure, Edit, subagent tool calls) a recorded payload is minimally edited.
"""

import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections import OrderedDict

import pytest
from conftest import ROOT, SAMPLES

sys.path.insert(0, ROOT)
import tclaude  # (its HOOK_EVENTS is the list the hook must agree with)

HOOK = os.path.join(ROOT, "tclaude-hook.sh")
SID = "ab12cd34"
CLAUDE_PID = "4242"


# ---- recorded payloads ---------------------------------------------------------------------


class Samples:
    """Payloads recorded from claude, placeholders replaced with this test's paths."""

    def __init__(self, home, cwd):
        self.home = home
        self.cwd = cwd
        self.subst = (
            ("<HOME>", home),
            ("<CWD_SLUG>", re.sub(r"[^A-Za-z0-9]", "-", cwd)),
            ("<CWD>", cwd),
            ("<SCENARIO_DIR>", os.path.join(home, "scenario")),
            ("<PORT>", "4000"),
            ("<TMUX_SOCKET>", os.path.join(home, "tmux-sock")),
        )

    def records(self, scenario):
        path = os.path.join(SAMPLES, scenario + ".jsonl")
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                if rec.get("origin", "flag-settings") == "flag-settings":
                    yield rec

    def get(self, scenario, event, index=0, **match):
        """(argv event, payload as an OrderedDict in claude's key order)."""
        found = []
        for rec in self.records(scenario):
            payload = rec["stdin"]
            if rec["event"] != event:
                continue
            if any(payload.get(k) != v for k, v in match.items()):
                continue
            found.append(rec)
        if len(found) <= index:
            pytest.fail("no %s %r #%d in %s" % (event, match, index, scenario))
        return found[index]["argv"][0], self.payload(found[index])

    def payload(self, rec):
        text = json.dumps(rec["stdin"], ensure_ascii=False)
        for key, val in self.subst:
            text = text.replace(key, val)
        return json.loads(text, object_pairs_hook=OrderedDict)


def encode(payload, **dumps):
    """Compact JSON like claude sends it (non-ASCII raw, as JSON.stringify does)."""
    opts = {"separators": (",", ":"), "ensure_ascii": False}
    opts.update(dumps)
    return json.dumps(payload, **opts).encode("utf-8")


def with_key_after(payload, after, key, value):
    """Insert key: value right after `after`, keeping the recorded key order."""
    out = OrderedDict()
    for k, v in payload.items():
        out[k] = v
        if k == after:
            out[key] = value
    return out


# ---- harness ---------------------------------------------------------------------------------


class Hook:
    def __init__(self, tmp_path):
        self.root = str(tmp_path)
        self.home = os.path.join(self.root, "home")
        self.state = os.path.join(self.root, "state")
        self.cwd = os.path.join(self.root, "project dir")
        for d in (self.home, self.cwd):
            os.makedirs(d)
        os.makedirs(self.state, mode=0o700)
        with open(self.path(".json"), "w") as fh:
            fh.write('{"id": "%s"}\n' % SID)
        self.samples = Samples(self.home, self.cwd)

    def path(self, suffix=".status", sid=SID):
        return os.path.join(self.state, sid + suffix)

    def env(self, **over):
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": self.home,
            "LANG": os.environ.get("LANG", "C.UTF-8"),
            "TCLAUDE_SESSION_ID": SID,
            "TCLAUDE_STATE_DIR": self.state,
            "CLAUDE_PID": CLAUDE_PID,
        }
        for key, val in over.items():
            if val is None:
                env.pop(key, None)
            else:
                env[key] = val
        return env

    def run(self, event, data=b"", env=None, timeout=10):
        """Run the hook; it must exit 0 and print nothing."""
        if isinstance(data, (dict, OrderedDict)):
            data = encode(data)
        argv = [HOOK] if event is None else [HOOK, event]
        proc = subprocess.run(
            argv,
            input=data,
            capture_output=True,
            env=env or self.env(),
            cwd=self.cwd,
            timeout=timeout,
            check=False,
        )
        assert proc.returncode == 0
        assert proc.stdout == b""
        assert proc.stderr == b""
        return proc

    def sample(self, scenario, event, index=0, **match):
        argv_event, payload = self.samples.get(scenario, event, index, **match)
        self.run(argv_event, payload)
        return payload

    def raw(self):
        with open(self.path(), "rb") as fh:
            return fh.read()

    def status(self):
        """The status file: exactly one line of valid UTF-8 JSON."""
        raw = self.raw()
        assert raw.endswith(b"\n") and raw.count(b"\n") == 1
        data = json.loads(raw.decode("utf-8"))
        assert data["v"] == 1
        assert isinstance(data["ts"], (int, float)) and isinstance(data["since"], (int, float))
        return data

    def write_status(self, **fields):
        line = OrderedDict([("v", 1)])
        line.update(fields)
        with open(self.path(), "w") as fh:
            fh.write(json.dumps(line, separators=(",", ":")) + "\n")

    def leftovers(self):
        return sorted(n for n in os.listdir(self.state) if n.startswith("."))


@pytest.fixture
def hook(tmp_path):
    return Hook(tmp_path)


# ---- event -> status mapping (contract table), driven by recorded payloads -------------------


def test_session_start_startup_waits_for_input_and_records_ids(hook):
    payload = hook.sample("a_plain", "SessionStart", source="startup")
    st = hook.status()
    assert st["event"] == "SessionStart"
    assert st["status"] == "waiting_input"
    assert st["convId"] == payload["session_id"]
    assert st["transcriptPath"] == payload["transcript_path"]
    assert st["claudePid"] == int(CLAUDE_PID)
    assert st["since"] == st["ts"]
    assert abs(st["ts"] - time.time()) < 30


def test_session_start_resume_waits_for_input(hook):
    payload = hook.sample("g_session_id_resume", "SessionStart", source="resume")
    st = hook.status()
    assert (st["status"], st["convId"]) == ("waiting_input", payload["session_id"])


def test_session_start_clear_waits_for_input_with_the_new_conversation(hook):
    hook.sample("g_session_id_resume", "SessionStart", source="startup")
    old_conv = hook.status()["convId"]
    payload = hook.sample("g_session_id_resume", "SessionStart", source="clear")
    st = hook.status()
    assert st["status"] == "waiting_input"
    assert st["convId"] == payload["session_id"] != old_conv


def test_session_start_compact_leaves_the_status_alone(hook):
    hook.sample("a_plain", "UserPromptSubmit")
    before = hook.raw()
    event, payload = hook.samples.get("a_plain", "SessionStart", source="startup")
    payload["source"] = "compact"  # not recorded: the startup payload with source compact
    hook.run(event, payload)
    assert hook.raw() == before


def test_user_prompt_submit_runs_with_the_prompt_as_detail(hook):
    payload = hook.sample("a_plain", "UserPromptSubmit")
    st = hook.status()
    assert (st["event"], st["status"]) == ("UserPromptSubmit", "running")
    assert st["detail"] == payload["prompt"]


def test_injected_task_notification_prompt_reads_background_task_finished(hook):
    hook.sample("i_subagent_and_question", "UserPromptSubmit", index=1)
    st = hook.status()
    assert (st["status"], st["detail"]) == ("running", "background task finished")


def test_pre_tool_use_runs_with_the_bash_command(hook):
    payload = hook.sample("b_tool_approve", "PreToolUse")
    st = hook.status()
    assert (st["event"], st["status"]) == ("PreToolUse", "running")
    assert st["detail"] == "Bash: " + payload["tool_input"]["command"]


def test_post_tool_use_runs(hook):
    hook.sample("b_tool_approve", "PermissionRequest")
    hook.sample("b_tool_approve", "PostToolUse")
    st = hook.status()
    assert (st["event"], st["status"]) == ("PostToolUse", "running")
    assert st["detail"] == "Bash: touch stub_marker.txt"


def test_post_tool_use_failure_runs(hook):
    hook.sample("i_subagent_and_question", "PostToolUseFailure")
    st = hook.status()
    assert (st["event"], st["status"]) == ("PostToolUseFailure", "running")
    assert st["detail"] == "Bash: python3 -c 'import sys; sys.exit(3)'"


def test_permission_request_waits_for_permission_with_the_command(hook):
    hook.sample("b_tool_approve", "PermissionRequest")
    st = hook.status()
    assert (st["event"], st["status"]) == ("PermissionRequest", "waiting_permission")
    assert st["detail"] == "Bash: touch stub_marker.txt"


def test_ask_user_question_waits_for_permission_with_the_question(hook):
    hook.sample("i_subagent_and_question", "PermissionRequest", tool_name="AskUserQuestion")
    st = hook.status()
    assert st["status"] == "waiting_permission"
    assert st["detail"] == "AskUserQuestion: Which colour should the stub use?"


def test_edit_permission_shows_the_file_path(hook):
    event, payload = hook.samples.get("b_tool_approve", "PermissionRequest")
    payload["tool_name"] = "Edit"  # not recorded: the Bash request as an Edit
    payload["tool_input"] = OrderedDict(
        [("file_path", hook.cwd + "/src/app.py"), ("old_string", "a"), ("new_string", "b")]
    )
    hook.run(event, payload)
    assert hook.status()["detail"] == "Edit: " + (hook.cwd + "/src/app.py")[:80]


@pytest.mark.parametrize(
    "notification", ["permission_prompt", "idle_prompt"], ids=["permission", "idle"]
)
def test_notification_never_moves_the_status(hook, notification):
    hook.sample("b_tool_approve", "PermissionRequest")
    before = hook.raw()
    scenario = "b_tool_approve" if notification == "permission_prompt" else "e_idle"
    hook.sample(scenario, "Notification", notification_type=notification)
    assert hook.raw() == before


def test_post_tool_batch_is_not_an_event_of_the_hook(hook):
    hook.sample("a_plain", "Stop")
    before = hook.raw()
    hook.sample("b_tool_approve", "PostToolBatch")
    assert hook.raw() == before


def hook_handled_events():
    """The event names of the hook's first `case $hook_event in` arm (what it records)."""
    with open(HOOK, encoding="utf-8") as fh:
        text = fh.read()
    arm = text.split("case $hook_event in", 1)[1].split(") ;;", 1)[0]
    code = "\n".join(line.split("#", 1)[0] for line in arm.splitlines())
    return sorted(re.findall(r"[A-Z][A-Za-z]+", code))


def test_the_hook_handles_exactly_the_events_tclaude_registers():
    assert hook_handled_events() == sorted(tclaude.HOOK_EVENTS)


def test_notification_alone_writes_nothing(hook):
    hook.sample("e_idle", "Notification", notification_type="idle_prompt")
    assert not os.path.exists(hook.path())


def test_stop_waits_for_input_with_the_last_message(hook):
    payload = hook.sample("a_plain", "Stop")
    st = hook.status()
    assert (st["event"], st["status"]) == ("Stop", "waiting_input")
    assert st["detail"] == payload["last_assistant_message"]


def test_stop_failure_waits_for_input_with_the_error(hook):
    _, payload = hook.samples.get("a_plain", "Stop")
    payload["hook_event_name"] = "StopFailure"  # not recorded: Stop's payload plus "error"
    payload = with_key_after(payload, "hook_event_name", "error", "rate_limit")
    hook.run("StopFailure", payload)
    st = hook.status()
    assert (st["event"], st["status"], st["detail"]) == (
        "StopFailure",
        "waiting_input",
        "error: rate_limit",
    )


@pytest.mark.parametrize(
    "scenario, reason",
    [("f_exit_slash_exit", "prompt_input_exit"), ("f_exit_sigterm", "other")],
    ids=["exit", "other"],
)
def test_session_end_exits_with_the_reason(hook, scenario, reason):
    hook.sample(scenario, "SessionEnd", reason=reason)
    st = hook.status()
    assert (st["event"], st["status"]) == ("SessionEnd", "exited")
    assert (st["detail"], st["reason"]) == ("exit: " + reason, reason)


def test_session_end_clear_leaves_the_status_alone(hook):
    hook.sample("g_session_id_resume", "Stop")
    before = hook.raw()
    hook.sample("g_session_id_resume", "SessionEnd", reason="clear")
    assert hook.raw() == before


def test_session_end_resume_leaves_the_status_alone(hook):
    hook.sample("a_plain", "Stop")
    before = hook.raw()
    event, payload = hook.samples.get("g_session_id_resume", "SessionEnd", reason="clear")
    payload["reason"] = "resume"  # not recorded: interactive /resume switching
    hook.run(event, payload)
    assert hook.raw() == before


@pytest.mark.parametrize("event", ["PreToolUse", "PostToolUse", "PostToolUseFailure"])
def test_subagent_tool_events_leave_the_status_alone(hook, event):
    hook.sample("a_plain", "Stop")
    before = hook.raw()
    scenario = "i_subagent_and_question"
    argv_event, payload = hook.samples.get(scenario, event)
    # hooks fired inside a subagent carry agent_id/agent_type among claude's own keys (as on
    # the recorded SubagentStop); no such tool call was recorded
    payload = with_key_after(payload, "permission_mode", "agent_id", "a97a3630d8e35b9a5")
    payload = with_key_after(payload, "agent_id", "agent_type", "general-purpose")
    hook.run(argv_event, payload)
    assert hook.raw() == before


def test_agent_id_inside_the_tool_input_is_not_a_subagent(hook):
    event, payload = hook.samples.get("b_tool_approve", "PreToolUse")
    payload["tool_input"] = OrderedDict([("command", "ls"), ("agent_id", "x1")])
    hook.run(event, payload)
    assert hook.status()["status"] == "running"


@pytest.mark.parametrize("event", ["SubagentStart", "SubagentStop"])
def test_subagent_start_and_stop_leave_the_status_alone(hook, event):
    hook.sample("i_subagent_and_question", "PreToolUse", tool_name="Agent")
    before = hook.raw()
    hook.sample("i_subagent_and_question", event)
    assert hook.raw() == before


def test_event_falls_back_to_the_payload_without_argv(hook):
    _, payload = hook.samples.get("a_plain", "Stop")
    hook.run(None, payload)
    assert (hook.status()["event"], hook.status()["status"]) == ("Stop", "waiting_input")


def test_whitespace_around_colons_is_tolerated(hook):
    _, payload = hook.samples.get("b_tool_approve", "PermissionRequest")
    hook.run("PermissionRequest", encode(payload, indent=2, separators=(" ,", " : ")))
    st = hook.status()
    assert (st["status"], st["detail"]) == ("waiting_permission", "Bash: touch stub_marker.txt")
    assert st["convId"] == payload["session_id"]


def test_a_whole_recorded_session_ends_exited(hook):
    for rec in hook.samples.records("b_tool_approve"):
        hook.run(rec["argv"][0], hook.samples.payload(rec))
    st = hook.status()
    assert (st["status"], st["reason"]) == ("exited", "prompt_input_exit")


def test_status_file_is_private_and_no_temp_file_is_left(hook):
    hook.sample("a_plain", "Stop")
    assert stat.S_IMODE(os.stat(hook.path()).st_mode) == 0o600
    assert hook.leftovers() == []


# ---- ordering guard and "since" ----------------------------------------------------------------


def test_an_older_event_does_not_overwrite_a_newer_one(hook):
    future = round(time.time() + 3600, 6)
    hook.write_status(ts=future, event="Stop", status="waiting_input", since=future)
    before = hook.raw()
    hook.sample("a_plain", "UserPromptSubmit")
    assert hook.raw() == before


def test_a_newer_event_overwrites_an_older_one(hook):
    hook.write_status(ts=1000.5, event="Stop", status="waiting_input", since=1000.5)
    hook.sample("a_plain", "UserPromptSubmit")
    st = hook.status()
    assert st["status"] == "running" and st["ts"] > 1000.5


def test_since_is_kept_while_the_status_is_unchanged(hook):
    hook.write_status(ts=1000.25, event="PreToolUse", status="running", since=999.125)
    hook.sample("b_tool_approve", "PostToolUse")
    st = hook.status()
    assert st["status"] == "running"
    assert st["since"] == 999.125
    assert st["ts"] > 1000.25


def test_since_restarts_when_the_status_changes(hook):
    hook.write_status(ts=1000.25, event="PreToolUse", status="running", since=999.125)
    hook.sample("b_tool_approve", "Stop")
    st = hook.status()
    assert st["status"] == "waiting_input" and st["since"] == st["ts"]


def test_conv_id_is_kept_when_a_payload_lacks_it(hook):
    payload = hook.sample("a_plain", "SessionStart", source="startup")
    hook.run("Stop", b"")
    st = hook.status()
    assert (st["status"], st["convId"]) == ("waiting_input", payload["session_id"])
    assert st["transcriptPath"] == payload["transcript_path"]


# ---- no-op cases -----------------------------------------------------------------------------


def tree(root):
    out = []
    for base, dirs, files in os.walk(root):
        out.extend(os.path.join(base, n) for n in dirs + files)
    return sorted(out)


def test_unset_session_id_is_a_no_op(hook):
    _, payload = hook.samples.get("a_plain", "Stop")
    before = tree(hook.root)
    hook.run("Stop", payload, env=hook.env(TCLAUDE_SESSION_ID=None))
    assert tree(hook.root) == before


@pytest.mark.parametrize(
    "sid",
    ["", "../" + SID, SID + "/x", "..", ".", "-" + SID, "AB12CD34", "ab cd", "a" * 65, "x\n"],
    ids=["empty", "traversal", "slash", "dotdot", "dot", "dash", "upper", "space", "long", "nl"],
)
def test_invalid_session_id_is_a_no_op(hook, sid):
    os.makedirs(os.path.join(hook.state, "sub"))
    with open(os.path.join(hook.state, "sub", SID + ".json"), "w") as fh:
        fh.write("{}")
    _, payload = hook.samples.get("a_plain", "Stop")
    before = tree(hook.root)
    hook.run("Stop", payload, env=hook.env(TCLAUDE_SESSION_ID=sid))
    assert tree(hook.root) == before


def test_missing_session_json_is_a_no_op(hook):
    os.unlink(hook.path(".json"))
    hook.sample("a_plain", "Stop")
    assert os.listdir(hook.state) == []


def test_missing_state_dir_is_not_created(hook):
    shutil.rmtree(hook.state)
    hook.sample("a_plain", "Stop")
    assert not os.path.exists(hook.state)


def test_no_state_dir_in_the_environment_is_a_no_op(hook):
    # tclaude's pane command always passes TCLAUDE_STATE_DIR: without it the hook guesses nothing
    default = os.path.join(hook.home, ".tofu", "claude-sessions")
    os.makedirs(default, mode=0o700)
    shutil.copy(hook.path(".json"), default)
    _, payload = hook.samples.get("a_plain", "Stop")
    hook.run("Stop", payload, env=hook.env(TCLAUDE_STATE_DIR=None))
    assert os.listdir(default) == [SID + ".json"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_read_only_state_dir_is_a_quiet_no_op(hook):
    os.chmod(hook.state, 0o500)
    try:
        hook.sample("a_plain", "Stop")
        assert sorted(os.listdir(hook.state)) == [SID + ".json"]
    finally:
        os.chmod(hook.state, 0o700)


def test_unwritable_status_path_is_a_quiet_no_op(hook):
    os.makedirs(hook.path())  # a directory where the status file should be (works as root too)
    hook.sample("a_plain", "Stop")
    assert os.listdir(hook.path()) == []
    assert hook.leftovers() == []


def test_unknown_event_is_a_no_op(hook):
    _, payload = hook.samples.get("a_plain", "Stop")
    for event in ("FileChanged", "Bogus", "stop", "$(touch x)", "Stop;x"):
        hook.run(event, payload)
    assert not os.path.exists(hook.path())


# ---- hostile payloads ------------------------------------------------------------------------

MARKERS = ("pwned", "pwned2", "pwned3")

HOSTILE_PROMPTS = [
    'say "hi" and \\"bye\\"',
    "back\\slash\\\\ and trailing \\",
    "line one\nline two\r\n\ttabbed",
    "unicode: caf\u00e9 \u65e5\u672c\u8a9e \U0001f600 e\u0301 \u202e rtl",
    "$(touch pwned) `touch pwned2` ${IFS} $((1+1)) ; touch pwned3 #",
    "\x00\x01\x07\x1b[31m control \x7f",
    '","status":"exited","x":"',
    "\\u0000 literal escapes \\n \\ud83d",
    "\u2028\u2029 separators",
    "\udcff lone surrogate",
]


def check_clean(hook):
    st = hook.status()
    for name in MARKERS:
        for d in (hook.cwd, hook.home, hook.state, ROOT):
            assert not os.path.exists(os.path.join(d, name))
    assert hook.leftovers() == []
    return st


@pytest.mark.parametrize("ascii_only", [False, True], ids=["utf8", "escaped"])
@pytest.mark.parametrize("text", HOSTILE_PROMPTS, ids=[str(i) for i in range(len(HOSTILE_PROMPTS))])
def test_hostile_prompt_gives_valid_json_and_a_faithful_prefix(hook, text, ascii_only):
    _, payload = hook.samples.get("a_plain", "UserPromptSubmit")
    payload["prompt"] = text
    data = json.dumps(payload, separators=(",", ":"), ensure_ascii=ascii_only)
    hook.run("UserPromptSubmit", data.encode("utf-8", "surrogatepass"))
    st = check_clean(hook)
    assert st["status"] == "running"
    detail = st.get("detail", "")
    assert text.startswith(detail)
    # the status line itself is strict JSON: no raw control characters, valid UTF-8
    assert all(b >= 0x20 for b in hook.raw()[:-1])


@pytest.mark.parametrize("ascii_only", [False, True], ids=["utf8", "escaped"])
def test_truncation_never_splits_an_escape_or_a_character(hook, ascii_only):
    _, payload = hook.samples.get("a_plain", "Stop")
    pieces = ["\\", '"', "\u00e9", "\u65e5", "\U0001f600", "\n", "a"]
    for shift in range(len(pieces) * 3):
        text = "x" * (shift % 7) + "".join(pieces[(shift + i) % len(pieces)] for i in range(60))
        payload["last_assistant_message"] = text
        hook.run("Stop", encode(payload, ensure_ascii=ascii_only))
        detail = hook.status()["detail"]
        assert text.startswith(detail)
        # what the hook copied: the payload's own escaped bytes, at most 80, and at most one
        # escaped surrogate pair (12 bytes) short of that
        copied = json.dumps(detail, ensure_ascii=ascii_only)[1:-1].encode("utf-8")
        assert 68 <= len(copied) <= 80


def test_long_prompt_is_cut_to_about_80_bytes(hook):
    _, payload = hook.samples.get("a_plain", "UserPromptSubmit")
    payload["prompt"] = "word " * 1000
    hook.run("UserPromptSubmit", payload)
    assert hook.status()["detail"] == ("word " * 16)[:80]


def test_two_megabyte_prompt(hook):
    _, payload = hook.samples.get("a_plain", "UserPromptSubmit")
    payload["prompt"] = "$(touch pwned) " + '\u00e9\\"' * (2 * 1024 * 1024 // 4)
    started = time.monotonic()
    hook.run("UserPromptSubmit", payload)
    assert time.monotonic() - started < 5
    st = check_clean(hook)
    assert st["detail"].startswith('$(touch pwned) \u00e9\\"')


def test_large_payload_is_drained_so_claude_never_sees_epipe(hook):
    _, payload = hook.samples.get("b_tool_approve", "PostToolUse")
    payload["tool_response"]["stdout"] = "y" * (4 * 1024 * 1024)
    data = encode(payload)
    proc = subprocess.Popen(
        [HOOK, "PostToolUse"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=hook.env(),
        cwd=hook.cwd,
    )
    # raw writes: communicate() would swallow a BrokenPipeError
    view = memoryview(data)
    while view:
        view = view[os.write(proc.stdin.fileno(), view[:65536]) :]
    proc.stdin.close()
    assert proc.wait(timeout=10) == 0
    assert proc.stdout.read() == b"" and proc.stderr.read() == b""
    proc.stdout.close()
    proc.stderr.close()
    assert hook.status()["detail"] == "Bash: touch stub_marker.txt"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not json at all",
        b'{"session_id": "x", "last_assistant_message": "unterminated \\',
        b"{" * 5000,
        b'{"hook_event_name":"Stop","last_assistant_message":' + b'"' * 3000,
        b"\xff\xfe\x00garbage\xc3(\xed\xa0\x80",
        b'{"last_assistant_message":"\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6' + b'"}',
        b'{"last_assistant_message":"ok\\u00"}',
        bytes(range(256)) * 40,
    ],
    ids=["empty", "text", "unterminated", "braces", "quotes", "binary", "bad-utf8", "bad-u", "all"],
)
def test_malformed_stdin_still_gives_valid_json(hook, data):
    hook.run("Stop", data)
    st = check_clean(hook)
    assert (st["event"], st["status"]) == ("Stop", "waiting_input")


@pytest.mark.parametrize(
    "pad, size",
    [(0, 100), (900, 500), (0, 100000)],
    ids=["short", "second-read", "large"],
)
def test_stdin_never_closed_returns_within_two_seconds(hook, pad, size):
    _, payload = hook.samples.get("a_plain", "Stop")
    payload["cwd"] += "/d" * (pad // 2)  # pushes the message past the first KiB
    payload["last_assistant_message"] = "z" * size
    data = encode(payload)[:-20]  # incomplete, and the pipe stays open
    proc = subprocess.Popen(
        [HOOK, "Stop"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=hook.env(),
        cwd=hook.cwd,
    )
    try:
        started = time.monotonic()
        writer = data[:60000]  # fits the pipe buffer: the write itself never blocks
        os.write(proc.stdin.fileno(), writer)
        assert proc.wait(timeout=5) == 0
        assert time.monotonic() - started < 2.6
        st = hook.status()
        assert (st["status"], st["detail"]) == ("waiting_input", "z" * 80)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.stdin.close()
        proc.wait()


# ---- bash < 4.1 code paths (macOS /bin/bash is 3.2), taken on this bash -------------------


def test_fallback_paths_map_a_recorded_session(hook):
    env = hook.env(TCLAUDE_HOOK_FALLBACKS="1")
    event, payload = hook.samples.get("b_tool_approve", "PermissionRequest")
    hook.run(event, payload, env=env)
    st = hook.status()
    assert (st["status"], st["detail"]) == ("waiting_permission", "Bash: touch stub_marker.txt")
    assert isinstance(st["ts"], int)  # date +%s: whole seconds
    assert st["convId"] == payload["session_id"]
    event, payload = hook.samples.get("b_tool_approve", "PostToolUse")
    hook.run(event, payload, env=env)  # same second: an equal ts may overwrite
    assert hook.status()["status"] == "running"


def test_fallback_paths_survive_a_hostile_two_megabyte_prompt(hook):
    _, payload = hook.samples.get("a_plain", "UserPromptSubmit")
    payload["prompt"] = '\u00e9 "$(touch pwned)" \\ ' + "\u00e9" * (1024 * 1024)
    hook.run("UserPromptSubmit", payload, env=hook.env(TCLAUDE_HOOK_FALLBACKS="1"))
    st = check_clean(hook)
    assert payload["prompt"].startswith(st["detail"]) and st["detail"]


def test_fallback_paths_do_not_hang_on_an_open_stdin(hook):
    _, payload = hook.samples.get("a_plain", "Stop")
    proc = subprocess.Popen(
        [HOOK, "Stop"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=hook.env(TCLAUDE_HOOK_FALLBACKS="1"),
        cwd=hook.cwd,
    )
    try:
        started = time.monotonic()
        os.write(proc.stdin.fileno(), encode(payload)[:-5])
        assert proc.wait(timeout=5) == 0
        assert time.monotonic() - started < 2.6
        assert hook.status()["status"] == "waiting_input"
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.stdin.close()
        proc.wait()


# ---- concurrency -----------------------------------------------------------------------------


def test_concurrent_runs_leave_one_valid_file_and_no_temp_files(hook):
    events = []
    for event in ("UserPromptSubmit", "PreToolUse", "PermissionRequest", "PostToolUse", "Stop"):
        scenario = "a_plain" if event in ("UserPromptSubmit", "Stop") else "b_tool_approve"
        events.append(hook.samples.get(scenario, event))
    procs = []
    for i in range(100):
        event, payload = events[i % len(events)]
        proc = subprocess.Popen(
            [HOOK, event],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=hook.env(),
            cwd=hook.cwd,
        )
        proc.stdin.write(encode(payload))  # small: fits the pipe buffer
        proc.stdin.close()
        procs.append(proc)
    for proc in procs:
        assert proc.wait(timeout=30) == 0
        assert (proc.stdout.read(), proc.stderr.read()) == (b"", b"")
        proc.stdout.close()
        proc.stderr.close()
    st = hook.status()
    assert st["status"] in ("running", "waiting_permission", "waiting_input")
    assert sorted(os.listdir(hook.state)) == [SID + ".json", SID + ".status"]


# ---- lint ------------------------------------------------------------------------------------


def find_shellcheck():
    local = os.path.join(ROOT, ".venv", "bin", "shellcheck")
    if os.access(local, os.X_OK):
        return local
    return shutil.which("shellcheck")


@pytest.mark.skipif(find_shellcheck() is None, reason="no shellcheck binary")
def test_shellcheck_is_clean():
    proc = subprocess.run(
        [find_shellcheck(), "tclaude-hook.sh"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout.decode()


def test_hook_is_executable_bash():
    assert os.access(HOOK, os.X_OK)
    with open(HOOK, "rb") as fh:
        assert fh.readline().rstrip().endswith(b"bash")
