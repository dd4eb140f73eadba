#!/usr/bin/env python3
"""The recording hook of tests/kit/record.py: one JSON line per hook run, appended to LOG.

    record_hook.py LOG EVENT ORIGIN      (claude runs it with the hook's JSON payload on stdin)

Prints nothing and always exits 0.  Of the environment it keeps only CLAUDE*, TMUX*, TCLAUDE_*
(but the kit's own TCLAUDE_KIT_*), HOME, PWD, TERM and SHELL, never a name that looks like a key
or token.
"""

import json
import os
import sys
import time

KEPT_PREFIXES = ("CLAUDE", "TMUX", "TCLAUDE_")
KEPT_NAMES = ("HOME", "PWD", "TERM", "SHELL")


def kept_env():
    env = {}
    for name, value in os.environ.items():
        if "KEY" in name or "TOKEN" in name or "SECRET" in name or name.startswith("TCLAUDE_KIT_"):
            continue
        if name.startswith(KEPT_PREFIXES) or name in KEPT_NAMES:
            env[name] = value
    return dict(sorted(env.items()))


def parent_comm():
    try:
        with open("/proc/%d/comm" % os.getppid(), encoding="utf-8") as fh:
            return fh.read().strip()
    except OSError:
        return None


def main():
    log, event, origin = sys.argv[1:4]
    now = time.time()
    raw = sys.stdin.buffer.read()
    try:
        payload, is_json = json.loads(raw), True
    except ValueError:
        payload, is_json = raw.decode("utf-8", "replace"), False
    record = {
        "ts": round(now, 3),
        "time": time.strftime("%H:%M:%S", time.localtime(now)) + ".%03d" % (now % 1 * 1000),
        "event": event,
        "origin": origin,
        "argv": [event, origin],
        "stdin_is_json": is_json,
        "stdin": payload,
        "env": kept_env(),
        "cwd": os.getcwd(),
        "pid": os.getpid(),
        "ppid": os.getppid(),
        "parent_comm": parent_comm(),
    }
    line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)  # one write to an O_APPEND file: parallel hooks never interleave
    finally:
        os.close(fd)


if __name__ == "__main__":
    try:
        main()
    except Exception:
        pass
    sys.exit(0)
