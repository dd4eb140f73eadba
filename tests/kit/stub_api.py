#!/usr/bin/env python3
"""A stub of the Anthropic Messages API, enough for the real claude CLI to run tclaude's e2e checks.

    stub_api.py --port-file FILE [--log FILE] [--exit-with-pid PID]

Listens on an ephemeral port of 127.0.0.1 only, writes the port to FILE, needs no key and opens
no connection.  Stdlib only.  The reply to a main-loop request (one that offers the Bash tool)
is picked by a magic word in the last prompt typed (first match in this order):

  RUN_TOOL[=file]   Bash `touch file` (default stub_marker.txt): needs permission, so claude
                    shows "Do you want to proceed?"
  RUN_AGENT         the Agent tool: a general-purpose subagent that runs in the background
  RUN_ASK           AskUserQuestion "Which colour should the stub use?" (Red / Blue)
  RUN_ASK_MULTI     the same question with multiSelect (Red / Blue / Green)
  RUN_WRITE[=file]  Write `file` (default stub_written.txt) with one line: a file-edit dialog
  RUN_FETCH         WebFetch https://example.com/ (the kit's claude is offline: only the dialog)
  RUN_PLAN          ExitPlanMode with a one-step plan: the plan-approval dialog
  RUN_EDIT[=file]   Read `file` (default stub_edit.txt, which must exist and hold "stub"),
                    then Edit it ("stub" -> "edited"): the edit dialog (claude refuses to edit
                    a file it has not read)
  RUN_MCP[=file]    the MCP tool mcp__stub__touch {"path": file} (default stub_mcp.txt) of
                    tests/kit/mcp_stub.py (claude --mcp-config): an MCP tool's dialog
  RUN_FAIL          Bash that exits with status 3 (allowed by seed_home.py: no dialog)
  SLOW[=n]          n seconds (default 15) of SSE pings, then "slow reply finished"
  anything else     "Hello from the fake Anthropic API."

A turn that carries only a tool result gets "done"; side requests (titles, summaries: no Bash
tool offered) get a short text at once, so a magic word never makes them call a tool.
"""

import argparse
import json
import os
import re
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HELLO = "Hello from the fake Anthropic API."
ASK = {
    "questions": [
        {
            "question": "Which colour should the stub use?",
            "header": "Colour",
            "multiSelect": False,
            "options": [
                {"label": "Red", "description": "the red one"},
                {"label": "Blue", "description": "the blue one"},
            ],
        }
    ]
}
ASK_MULTI = {
    "questions": [
        dict(
            ASK["questions"][0],
            multiSelect=True,
            options=ASK["questions"][0]["options"]
            + [{"label": "Green", "description": "the green one"}],
        )
    ]
}
AGENT = {
    "description": "Stub subagent",
    "subagent_type": "general-purpose",
    "prompt": "Answer with one short sentence.",  # no magic word: the subagent gets HELLO
}


def typed_text(message):
    """What the person typed in a user message: its text blocks minus <system-reminder>s."""
    content = message.get("content")
    if isinstance(content, str):
        text = content
    else:
        blocks = content if isinstance(content, list) else []
        text = "\n".join(
            b.get("text", "") for b in blocks if isinstance(b, dict) and b.get("type") == "text"
        )
    return re.sub(r"<system-reminder>.*?</system-reminder>", "", text, flags=re.S).strip()


def working_dir(body):
    """claude's cwd, from the environment block it sends (Write wants a full path)."""
    sent = json.dumps([body.get("system"), body.get("messages")])
    found = re.search(r"Primary working directory: (/[^\\\s\"]+)", sent)
    return found.group(1) if found else os.getcwd()


def plan_reply(body):
    """(content blocks, stop reason, seconds to wait before answering) for one request."""
    tools = [t.get("name") for t in body.get("tools") or [] if isinstance(t, dict)]
    users = [m for m in body.get("messages") or [] if m.get("role") == "user"]
    if "Bash" not in tools or not users:
        return [text_block("Stub side reply")], "end_turn", 0
    prompt = typed_text(users[-1])
    if not prompt:  # only the result of the tool the last reply asked for
        edit = edit_after_read(body, users)
        if edit:
            return [tool_block("Edit", edit)], "tool_use", 0
        return [text_block("done")], "end_turn", 0
    tool = re.search(r"RUN_TOOL(?:=([A-Za-z0-9_.-]+))?", prompt)
    if tool:
        name = tool.group(1) or "stub_marker.txt"
        return (
            [tool_block("Bash", {"command": "touch " + name, "description": "Touch " + name})],
            "tool_use",
            0,
        )
    write = re.search(r"RUN_WRITE(?:=([A-Za-z0-9_.-]+))?", prompt)
    if write:
        path = os.path.join(working_dir(body), write.group(1) or "stub_written.txt")
        return [tool_block("Write", {"file_path": path, "content": "stub\n"})], "tool_use", 0
    edit = EDIT_RE.search(prompt)
    if edit:
        path = os.path.join(working_dir(body), edit.group(1) or "stub_edit.txt")
        return [tool_block("Read", {"file_path": path})], "tool_use", 0
    mcp = re.search(r"RUN_MCP(?:=([A-Za-z0-9_.-]+))?", prompt)
    if mcp:
        return [tool_block("mcp__stub__touch", {"path": mcp.group(1) or "stub_mcp.txt"})], \
            "tool_use", 0  # fmt: skip
    if "RUN_FETCH" in prompt:
        fetch = {"url": "https://example.com/", "prompt": "Summarise the page"}
        return [tool_block("WebFetch", fetch)], "tool_use", 0
    if "RUN_PLAN" in prompt:
        plan = {"plan": "1. Touch stub_plan.txt"}
        return [tool_block("ExitPlanMode", plan)], "tool_use", 0
    if "RUN_AGENT" in prompt:
        return [tool_block("Agent", AGENT)], "tool_use", 0
    if "RUN_ASK_MULTI" in prompt:
        return [tool_block("AskUserQuestion", ASK_MULTI)], "tool_use", 0
    if "RUN_ASK" in prompt:
        return [tool_block("AskUserQuestion", ASK)], "tool_use", 0
    if "RUN_FAIL" in prompt:
        fail = {"command": "python3 -c 'import sys; sys.exit(3)'", "description": "Exit with 3"}
        return [tool_block("Bash", fail)], "tool_use", 0
    slow = re.search(r"SLOW(?:=(\d+(?:\.\d+)?))?", prompt)
    if slow:
        return [text_block("slow reply finished")], "end_turn", float(slow.group(1) or 15)
    return [text_block(HELLO)], "end_turn", 0


EDIT_RE = re.compile(r"RUN_EDIT(?:=([A-Za-z0-9_.-]+))?")


def edit_after_read(body, users):
    """RUN_EDIT's second step: after the Read it asked for, the Edit of the same file (the
    input of Edit), else None."""
    typed = [typed_text(m) for m in users if typed_text(m)]
    if not typed or not EDIT_RE.search(typed[-1]):
        return None
    replies = [m for m in body.get("messages") or [] if m.get("role") == "assistant"]
    blocks = replies[-1].get("content") if replies else None
    calls = [b for b in blocks or [] if isinstance(b, dict) and b.get("type") == "tool_use"]
    if not calls or calls[-1].get("name") != "Read":
        return None
    path = (calls[-1].get("input") or {}).get("file_path")
    return {"file_path": path, "old_string": "stub", "new_string": "edited"}


def text_block(text):
    return {"type": "text", "text": text}


def tool_block(name, tool_input):
    return {
        "type": "tool_use",
        "id": "toolu_stub_" + uuid.uuid4().hex[:20],
        "name": name,
        "input": tool_input,
    }


def usage():
    return {
        "input_tokens": 10,
        "output_tokens": 5,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
    }


def message(model, content, stop):
    return {
        "id": "msg_stub_" + uuid.uuid4().hex[:20],
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": usage(),
    }


def stream_events(model, content, stop):
    """The SSE events of one streamed reply, as (event, data) pairs after message_start."""
    for i, block in enumerate(content):
        if block["type"] == "text":
            yield (
                "content_block_start",
                {"type": "content_block_start", "index": i, "content_block": text_block("")},
            )
            delta = {"type": "text_delta", "text": block["text"]}
        else:
            start = dict(block, input={})
            yield (
                "content_block_start",
                {"type": "content_block_start", "index": i, "content_block": start},
            )
            delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
        yield "content_block_delta", {"type": "content_block_delta", "index": i, "delta": delta}
        yield "content_block_stop", {"type": "content_block_stop", "index": i}
    yield (
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": stop, "stop_sequence": None},
            "usage": {"output_tokens": 5},
        },
    )
    yield "message_stop", {"type": "message_stop"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    log_path = None
    log_lock = threading.Lock()

    def log_message(self, *args):
        pass  # stderr stays quiet; requests go to --log

    def log_request_line(self, **fields):
        if not self.log_path:
            return
        line = json.dumps(
            dict(ts=round(time.time(), 3), method=self.command, path=self.path, **fields)
        )
        with self.log_lock, open(self.log_path, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")

    def read_json(self):
        size = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(size) or b"{}")
        except ValueError:
            body = {}
        return body if isinstance(body, dict) else {}

    def send_json(self, obj):
        data = json.dumps(obj).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def sse(self, event, data):
        self.wfile.write(("event: %s\ndata: %s\n\n" % (event, json.dumps(data))).encode())
        self.wfile.flush()

    def do_GET(self):
        self.log_request_line()
        if self.path.startswith("/v1/models"):
            model = {
                "type": "model",
                "id": "claude-stub",
                "display_name": "Claude Stub",
                "created_at": "2025-01-01T00:00:00Z",
            }
            self.send_json(
                {
                    "data": [model],
                    "has_more": False,
                    "first_id": "claude-stub",
                    "last_id": "claude-stub",
                }
            )
        else:
            self.send_json({})

    def do_HEAD(self):
        self.log_request_line()
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        body = self.read_json()
        path = self.path.split("?", 1)[0]
        if path == "/v1/messages/count_tokens":
            self.log_request_line()
            return self.send_json({"input_tokens": 10})
        if path != "/v1/messages":
            self.log_request_line()
            return self.send_json({})
        content, stop, delay = plan_reply(body)
        self.log_request_line(reply=[b.get("name") or b.get("text") for b in content], delay=delay)
        model = body.get("model") or "claude-stub"
        if not body.get("stream"):
            time.sleep(delay)
            return self.send_json(message(model, content, stop))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        try:
            self.sse(
                "message_start", {"type": "message_start", "message": message(model, [], None)}
            )
            deadline = time.time() + delay
            while time.time() < deadline:  # pings show a hung-up client (an interrupt) at once
                self.sse("ping", {"type": "ping"})
                time.sleep(min(0.5, max(0.0, deadline - time.time())))
            for event, data in stream_events(model, content, stop):
                self.sse(event, data)
        except (BrokenPipeError, ConnectionResetError):
            self.log_request_line(aborted_by_client=True)


def exit_when_gone(pid, server):
    """Stop serving once the shell that started the stub is gone (no stub outlives its kit)."""
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        except PermissionError:
            pass
        time.sleep(1.0)
    server.shutdown()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port-file", required=True, help="write the chosen port here")
    ap.add_argument("--log", help="append one JSON line per request here")
    ap.add_argument("--exit-with-pid", type=int, help="exit once this process is gone")
    args = ap.parse_args()
    Handler.log_path = args.log
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if args.exit_with_pid:
        threading.Thread(
            target=exit_when_gone, args=(args.exit_with_pid, server), daemon=True
        ).start()
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as fh:
        fh.write(str(server.server_address[1]))
    os.replace(tmp, args.port_file)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
