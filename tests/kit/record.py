#!/usr/bin/env python3
"""Re-record tests/samples/*.jsonl from the real claude, offline, inside the kit's env.

    bash -c 'source tests/kit/env.sh && python3 tests/kit/record.py tests/samples [SCENARIO...]; kit_stop'

Each scenario starts the real claude in a tmux session of the kit's private server with
``--settings`` registering tests/kit/record_hook.py for every hook event, types what a person
would (prompts, keys, /exit), waits for the hooks that should follow, and writes
``<out>/<scenario>.jsonl``: one line per hook run, paths replaced by the placeholders the tests
substitute back (see tests/samples/README.md).  The scenarios run in parallel; e_idle waits for
claude's 60 s idle notification, so a full run takes about 80 s.
"""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid

KIT = os.path.dirname(os.path.abspath(__file__))
RECORDER = os.path.join(KIT, "record_hook.py")
# Every event claude 2.1.331 accepts, but the worktree ones (their hooks replace claude's own
# worktree handling) and FileChanged (it needs a matcher naming files).
EVENTS = (
    "PreToolUse PostToolUse PostToolUseFailure PostToolBatch Notification UserPromptSubmit "
    "UserPromptExpansion SessionStart SessionEnd Stop StopFailure SubagentStart SubagentStop "
    "PreCompact PostCompact PreModelSwitch PostModelSwitch PermissionRequest PermissionDenied "
    "Setup TeammateIdle TaskCreated TaskCompleted Elicitation ElicitationResult ConfigChange "
    "InstructionsLoaded CwdChanged DirectoryAdded MessageDisplay"
).split()
TOOL_EVENTS = (
    "PreToolUse",
    "PostToolUse",
    "PostToolUseFailure",
    "PermissionRequest",
    "PermissionDenied",
)
DIALOG = "Do you want to proceed?"
QUESTION = "Which colour should the stub use?"


def recorder_settings(log):
    hooks = {}
    for event in EVENTS:
        command = "python3 %s %s %s flag-settings" % (RECORDER, log, event)
        group = {"hooks": [{"type": "command", "command": command, "timeout": 10}]}
        if event in TOOL_EVENTS:
            group["matcher"] = "*"
        hooks[event] = [group]
    return json.dumps({"hooks": hooks})


class Run:
    """One scenario: its dir (project, log, TMPDIR), its claude launches and what they did."""

    def __init__(self, root, name):
        self.name = name
        self.dir = os.path.join(root, name)
        self.project = os.path.join(self.dir, "project")
        self.log = os.path.join(self.dir, "hooks.jsonl")
        os.makedirs(os.path.join(self.dir, "tmp"))
        os.makedirs(self.project)
        self.target = None
        self.launches = 0

    # -- claude in tmux ------------------------------------------------------------------------

    def tmux(self, *args):
        return subprocess.run(["tmux", *args], capture_output=True, text=True, timeout=10)

    def launch(self, *args):
        self.launches += 1
        session = "%s-%d" % (self.name, self.launches)
        words = ["claude", *args, "--settings", recorder_settings(self.log)]
        command = " ".join("'%s'" % w.replace("'", "'\\''") for w in words)
        self.tmux(
            "new-session", "-d", "-s", session, "-x", "160", "-y", "45", "-c", self.project,
            "-e", "TMPDIR=%s/tmp" % self.dir, "-e", "CLAUDE_CODE_TMPDIR=%s/tmp" % self.dir,
            "-e", "TCLAUDE_SESSION_ID=tc-%s" % self.name, command,
        )  # fmt: skip
        self.target = "=%s:" % session
        self.wait_screen(lambda s: "? for shortcuts" in s, 30, "the prompt box")

    def pid(self):
        return int(self.tmux("display-message", "-p", "-t", self.target, "#{pane_pid}").stdout)

    def screen(self):
        return self.tmux("capture-pane", "-p", "-t", self.target).stdout

    def wait_screen(self, predicate, timeout, what):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if predicate(self.screen()):
                return
            time.sleep(0.1)
        raise RuntimeError("%s: no %s on screen:\n%s" % (self.name, what, self.screen()))

    def send(self, text):
        self.tmux("send-keys", "-t", self.target, "-l", text)
        time.sleep(0.5)  # claude drops an Enter that follows the text too closely
        self.tmux("send-keys", "-t", self.target, "Enter")

    def key(self, key, after_dialog):
        self.wait_screen(lambda s: after_dialog in s, 20, repr(after_dialog))
        time.sleep(0.5)  # keys within ~0.15 s of a dialog being drawn are swallowed
        self.tmux("send-keys", "-t", self.target, key)

    # -- hooks ---------------------------------------------------------------------------------

    def records(self):
        try:
            with open(self.log, encoding="utf-8") as fh:
                return [json.loads(line) for line in fh if line.strip()]
        except FileNotFoundError:
            return []

    def wait_hook(self, event, count=1, timeout=20, **match):
        """Until the count-th run of `event` whose payload has the `match` fields."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            found = [
                r
                for r in self.records()
                if r["event"] == event and all(r["stdin"].get(k) == v for k, v in match.items())
            ]
            if len(found) >= count:
                return found[count - 1]
            time.sleep(0.1)
        raise RuntimeError(
            "%s: no %s #%d %r within %d s" % (self.name, event, count, match, timeout)
        )

    def turn(self, prompt, stops):
        """Type a prompt and wait for the turn's Stop (the `stops`-th of this scenario)."""
        self.send(prompt)
        self.wait_hook("Stop", stops, timeout=60)

    def exit(self, ends):
        self.send("/exit")
        self.wait_hook("SessionEnd", ends)


# -- scenarios (what the README's table says) ---------------------------------------------------


def a_plain(run):
    run.launch()
    run.turn("hello", 1)
    run.exit(1)


def b_tool_approve(run):
    run.launch()
    run.send("RUN_TOOL")
    run.wait_hook("Notification", notification_type="permission_prompt", timeout=20)
    run.key("1", DIALOG)
    run.wait_hook("Stop", 1)
    run.send("RUN_TOOL=second_marker.txt")
    run.wait_hook("PermissionRequest", 2)
    run.wait_screen(lambda s: DIALOG in s, 20, "the dialog")
    time.sleep(1)
    run.tmux("send-keys", "-t", run.target, "Enter")
    run.wait_hook("Stop", 2)
    run.exit(1)


def e_idle(run):
    run.launch()
    run.turn("hello", 1)
    run.wait_hook("Notification", notification_type="idle_prompt", timeout=75)
    run.exit(1)


def f_exit_slash_exit(run):
    run.launch()
    run.turn("hello", 1)
    run.exit(1)


def f_exit_sigterm(run):
    run.launch()
    run.turn("hello", 1)
    os.kill(run.pid(), signal.SIGTERM)
    run.wait_hook("SessionEnd", 1)


def g_session_id_resume(run):
    conv = str(uuid.UUID("0b5e55ed-0000-4000-8000-000000000000"))
    run.launch("--session-id", conv)
    run.turn("hello", 1)
    run.exit(1)
    run.launch("--resume", conv)
    run.wait_hook("SessionStart", source="resume")
    run.turn("hello again", 2)
    run.send("/clear")
    run.wait_hook("SessionStart", source="clear")
    run.turn("hello after clear", 3)
    run.exit(3)  # SessionEnd: prompt_input_exit, clear, prompt_input_exit
    run.launch("--continue")
    run.wait_hook("SessionStart", 3)
    run.exit(4)


def i_subagent_and_question(run):
    with open(os.path.join(run.project, "CLAUDE.md"), "w") as fh:
        fh.write("This project is a recording fixture.\n")
    run.launch()
    run.send("RUN_AGENT")
    run.wait_hook("Stop", 2, timeout=90)  # the turn's, then the injected <task-notification>'s
    run.send("RUN_ASK")
    run.wait_hook("PermissionRequest", tool_name="AskUserQuestion")
    run.wait_hook("Notification", notification_type="permission_prompt", timeout=20)
    run.key("1", "Enter to select")
    run.wait_hook("Stop", 3)
    run.send("RUN_FAIL")
    run.wait_hook("PostToolUseFailure")
    run.wait_hook("Stop", 4)
    run.exit(1)


SCENARIOS = {
    f.__name__: f
    for f in (
        a_plain,
        b_tool_approve,
        e_idle,
        f_exit_slash_exit,
        f_exit_sigterm,
        g_session_id_resume,
        i_subagent_and_question,
    )
}


# -- placeholders ----------------------------------------------------------------------------


def placeholders(run):
    """(text, placeholder) pairs, most specific first."""
    home = os.path.realpath(os.environ["HOME"])
    project = os.path.realpath(run.project)
    port = os.environ["ANTHROPIC_BASE_URL"].rsplit(":", 1)[1]
    sockets = os.path.join(os.path.realpath(os.environ["TMUX_TMPDIR"]), "tmux-%d" % os.getuid())
    return [
        (re.sub(r"[^A-Za-z0-9]", "-", project), "<CWD_SLUG>"),
        (project, "<CWD>"),
        (os.path.realpath(run.dir), "<SCENARIO_DIR>"),
        (os.path.join(sockets, "default"), "<TMUX_SOCKET>"),
        (home, "<HOME>"),
        (os.path.realpath(os.environ["TCLAUDE_KIT_TMP"]), "<KIT_TMP>"),
        ("127.0.0.1:" + port, "127.0.0.1:<PORT>"),
    ]


def with_placeholders(value, pairs):
    if isinstance(value, str):
        for text, placeholder in pairs:
            value = value.replace(text, placeholder)
        return value
    if isinstance(value, list):
        return [with_placeholders(v, pairs) for v in value]
    if isinstance(value, dict):
        return {k: with_placeholders(v, pairs) for k, v in value.items()}
    return value


def write_sample(run, out):
    pairs = placeholders(run)
    lines = []
    for rec in run.records():
        rec = with_placeholders(rec, pairs)
        if "CLAUDE_CODE_SETTINGS" in rec["env"]:  # nothing of ours, just long
            rec["env"]["CLAUDE_CODE_SETTINGS"] = "<%d chars>" % len(
                rec["env"]["CLAUDE_CODE_SETTINGS"]
            )
        lines.append(json.dumps(rec, ensure_ascii=False))
    with open(os.path.join(out, run.name + ".jsonl"), "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


def main():
    if not os.environ.get("TCLAUDE_KIT_TMP"):
        sys.exit("record.py: run it inside the kit's env: source tests/kit/env.sh")
    out = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "tests/samples")
    names = sys.argv[2:] or list(SCENARIOS)
    root = os.path.join(os.environ["TCLAUDE_KIT_TMP"], "record")
    errors = []

    def record(name):
        run = Run(root, name)
        try:
            SCENARIOS[name](run)
            time.sleep(1)  # SessionEnd hooks still writing
            write_sample(run, out)
            print("recorded %s: %d hook runs" % (name, len(run.records())), flush=True)
        except Exception as exc:
            errors.append("%s: %s" % (name, exc))

    threads = [threading.Thread(target=record, args=(n,)) for n in names]
    for t in threads:
        t.start()
        time.sleep(1)  # stagger the start-ups: the 400 MB binary is slow to load many at once
    for t in threads:
        t.join()
    for e in errors:
        print("record.py: " + e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
