#!/usr/bin/env python3
"""A tiny stdio MCP server for the offline kit: one tool, so the real claude shows an MCP tool's
permission dialog (the stub API's RUN_MCP calls it as ``mcp__stub__touch``).

    claude --mcp-config '{"mcpServers": {"stub": {"command": "python3",
                                                  "args": ["tests/kit/mcp_stub.py"]}}}'

MCP over stdio is JSON-RPC 2.0, one message per line.  Answered: initialize, ping, tools/list
and tools/call (``touch`` creates an empty file, relative to claude's cwd); notifications get
no answer; any other request gets "method not found".  Stdlib only; nothing on stderr.
"""

import json
import os
import sys

TOOLS = [
    {
        "name": "touch",
        "description": "Create an empty file",
        "inputSchema": {
            "type": "object",
            "properties": {"path": {"type": "string", "description": "the file to create"}},
            "required": ["path"],
        },
    }
]


def call_tool(params):
    name = params.get("name")
    path = (params.get("arguments") or {}).get("path")
    if name != "touch" or not isinstance(path, str) or not path:
        return {"content": [{"type": "text", "text": "unknown tool or no path"}], "isError": True}
    with open(path, "a", encoding="utf-8"):
        pass
    return {"content": [{"type": "text", "text": "touched %s" % os.path.abspath(path)}]}


def answer(message):
    method, params = message.get("method"), message.get("params") or {}
    if method == "initialize":
        return {
            "protocolVersion": params.get("protocolVersion") or "2025-06-18",
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "stub", "version": "1.0"},
        }
    if method == "ping":
        return {}
    if method == "tools/list":
        return {"tools": TOOLS}
    if method == "tools/call":
        return call_tool(params)
    return None


def main():
    for line in sys.stdin:
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if not isinstance(message, dict) or "id" not in message:
            continue  # a notification (initialized, cancelled...): nothing to answer
        result = answer(message)
        reply = {"jsonrpc": "2.0", "id": message["id"]}
        if result is None:
            reply["error"] = {"code": -32601, "message": "method not found"}
        else:
            reply["result"] = result
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
