#!/usr/bin/env python3
"""A tiny org.freedesktop.Notifications server for the tests, speaking D-Bus itself.

Why not gdbus or dbus-send: both are clients only (neither can own a name and answer calls),
and dbus-monitor only watches; a Notify call with nobody owning the name fails with
ServiceUnknown, so something has to answer.  python3-dbus/python3-gi would do, but they belong
to the system Python, not the test venv.  So this is the D-Bus wire protocol in ~200 lines of
stdlib: SASL EXTERNAL auth, Hello, RequestName, then a loop that answers Notify with increasing
ids (or the replaces_id it was given), plus GetCapabilities, GetServerInformation,
CloseNotification and Introspect, as a real notification daemon does.

Signals go, as dunst sends them, only to the connection that sent the notification's last
Notify (a listener on another connection never sees them): NotificationClosed (reason 3) after
CloseNotification, and on a test's request, through two methods of a test-only interface
org.tclaude.TestNotifications at the same path:
  InvokeAction(u id, s action_key)  ActionInvoked(id, key), then NotificationClosed(id, 2),
                                    as a server does when a button is clicked
  Dismiss(u id)                     NotificationClosed(id, 2): the user closed it
Each emitted signal is logged too: {"member": "signal", "signal": ..., "id": ..., "to": ...}.

Every call is appended to --log as one JSON line:
  {"member": "Notify", "sender": ":1.7", "app_name": ..., "replaces_id": 0, "app_icon": ...,
   "summary": ..., "body": ..., "actions": [...], "hints": {"urgency": ["y", 2]},
   "expire_timeout": -1, "id": 1}
Usage: notifyd.py --address <bus address> --log <file> [--capabilities body,body-markup,...];
prints "ready" once it owns the name.
"""

import argparse
import json
import os
import socket
import struct
import sys

BUS_NAME = "org.freedesktop.Notifications"
OBJECT_PATH = "/org/freedesktop/Notifications"
NOTIFY_SIGNATURE = "susssasa{sv}i"
INTROSPECTION = """<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
<node>
  <interface name="org.freedesktop.Notifications">
    <method name="Notify">
      <arg type="s" direction="in"/><arg type="u" direction="in"/><arg type="s" direction="in"/>
      <arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="as" direction="in"/>
      <arg type="a{sv}" direction="in"/><arg type="i" direction="in"/>
      <arg type="u" direction="out"/>
    </method>
    <method name="CloseNotification"><arg type="u" direction="in"/></method>
    <method name="GetCapabilities"><arg type="as" direction="out"/></method>
    <method name="GetServerInformation">
      <arg type="s" direction="out"/><arg type="s" direction="out"/>
      <arg type="s" direction="out"/><arg type="s" direction="out"/>
    </method>
  </interface>
  <interface name="org.tclaude.TestNotifications">
    <method name="InvokeAction"><arg type="u" direction="in"/><arg type="s" direction="in"/></method>
    <method name="Dismiss"><arg type="u" direction="in"/></method>
  </interface>
</node>
"""

METHOD_CALL, METHOD_RETURN, ERROR, SIGNAL = 1, 2, 3, 4
NO_REPLY_EXPECTED = 0x1
FIELDS = {1: "path", 2: "interface", 3: "member", 4: "error_name", 5: "reply_serial",
          6: "destination", 7: "sender", 8: "signature"}  # fmt: skip
ALIGN = {"y": 1, "b": 4, "n": 2, "q": 2, "i": 4, "u": 4, "x": 8, "t": 8, "d": 8, "h": 4,
         "s": 4, "o": 4, "g": 1, "v": 1, "a": 4, "(": 8, "{": 8}  # fmt: skip
FIXED = {"y": "B", "b": "I", "n": "h", "q": "H", "i": "i", "u": "I", "x": "q", "t": "Q",
         "d": "d", "h": "I"}  # fmt: skip


def split_signature(sig):
    """'susssasa{sv}i' -> ['s', 'u', 's', 's', 's', 'as', 'a{sv}', 'i']"""
    types, i = [], 0
    while i < len(sig):
        j = end_of_type(sig, i)
        types.append(sig[i:j])
        i = j
    return types


def end_of_type(sig, i):
    if sig[i] == "a":
        return end_of_type(sig, i + 1)
    if sig[i] in "({":
        depth = 0
        for j in range(i, len(sig)):
            depth += sig[j] in "({"
            depth -= sig[j] in ")}"
            if depth == 0:
                return j + 1
        raise ValueError("unbalanced signature %r" % sig)
    return i + 1


class Reader:
    def __init__(self, buf, endian):
        self.buf, self.pos, self.endian = buf, 0, endian

    def align(self, n):
        self.pos += -self.pos % n

    def read(self, t):
        code = t[0]
        self.align(ALIGN[code])
        if code in FIXED:
            fmt = self.endian + FIXED[code]
            (value,) = struct.unpack_from(fmt, self.buf, self.pos)
            self.pos += struct.calcsize(fmt)
            return bool(value) if code == "b" else value
        if code in "so":
            n = self.read("u")
            text = self.buf[self.pos : self.pos + n].decode("utf-8")
            self.pos += n + 1
            return text
        if code == "g":
            n = self.buf[self.pos]
            text = self.buf[self.pos + 1 : self.pos + 1 + n].decode("ascii")
            self.pos += n + 2
            return text
        if code == "v":
            sig = self.read("g")
            return [sig, self.read(sig)]
        if code == "a":
            n = self.read("u")
            elem = t[1:]
            self.align(ALIGN[elem[0]])
            end, items = self.pos + n, []
            while self.pos < end:
                items.append(self.read(elem))
            return dict(items) if elem[0] == "{" else items
        if code in "({":
            return tuple(self.read(x) for x in split_signature(t[1:-1]))
        raise ValueError("unsupported type %r" % t)


class Writer:
    def __init__(self):
        self.buf = bytearray()

    def align(self, n):
        self.buf += b"\0" * (-len(self.buf) % n)

    def write(self, t, value):
        code = t[0]
        self.align(ALIGN[code])
        if code in FIXED:
            self.buf += struct.pack("<" + FIXED[code], value)
        elif code in "so":
            raw = value.encode("utf-8")
            self.write("u", len(raw))
            self.buf += raw + b"\0"
        elif code == "g":
            self.buf += bytes([len(value)]) + value.encode("ascii") + b"\0"
        elif code == "v":
            sig, inner = value
            self.write("g", sig)
            self.write(sig, inner)
        elif code == "a":
            self.write("u", 0)
            at = len(self.buf) - 4
            elem = t[1:]
            self.align(ALIGN[elem[0]])
            start = len(self.buf)
            for item in value.items() if isinstance(value, dict) else value:
                self.write(elem, item)
            struct.pack_into("<I", self.buf, at, len(self.buf) - start)
        elif code in "({":
            for sub, item in zip(split_signature(t[1:-1]), value):
                self.write(sub, item)
        else:
            raise ValueError("unsupported type %r" % t)


def encode_message(kind, serial, fields, signature="", args=(), flags=0):
    body = Writer()
    for t, value in zip(split_signature(signature), args):
        body.write(t, value)
    header_fields = []
    codes = {v: k for k, v in FIELDS.items()}
    field_types = {"path": "o", "reply_serial": "u", "signature": "g"}
    for name, value in fields.items():
        header_fields.append((codes[name], [field_types.get(name, "s"), value]))
    if signature:
        header_fields.append((8, ["g", signature]))
    head = Writer()
    head.buf += struct.pack("<cBBBII", b"l", kind, flags, 1, len(body.buf), serial)
    head.write("a(yv)", header_fields)
    head.align(8)
    return bytes(head.buf + body.buf)


class Connection:
    def __init__(self, address):
        self.sock = connect(address)
        self.serial = 0
        self.pending = b""
        authenticate(self.sock)

    def recv_exact(self, n):
        while len(self.pending) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("bus closed the connection")
            self.pending += chunk
        data, self.pending = self.pending[:n], self.pending[n:]
        return data

    def receive(self):
        fixed = self.recv_exact(16)
        endian = "<" if fixed[0:1] == b"l" else ">"
        kind, flags = fixed[1], fixed[2]
        body_len, serial, fields_len = struct.unpack(endian + "III", fixed[4:16])
        header_len = 16 + fields_len + (-(16 + fields_len) % 8)
        rest = self.recv_exact(header_len - 16 + body_len)
        raw = fixed + rest
        reader = Reader(raw[:header_len], endian)
        reader.pos = 12
        fields = {FIELDS.get(code, code): value[1] for code, value in reader.read("a(yv)")}
        args = ()
        signature = fields.get("signature", "")
        if signature:
            body = Reader(raw[header_len:], endian)
            args = tuple(body.read(t) for t in split_signature(signature))
        return {"kind": kind, "flags": flags, "serial": serial, "fields": fields, "args": args}

    def send(self, kind, fields, signature="", args=(), flags=0):
        self.serial += 1
        self.sock.sendall(encode_message(kind, self.serial, fields, signature, args, flags))
        return self.serial

    def call_bus(self, member, signature="", args=()):
        serial = self.send(
            METHOD_CALL,
            {"path": "/org/freedesktop/DBus", "interface": "org.freedesktop.DBus",
             "member": member, "destination": "org.freedesktop.DBus"},
            signature, args,
        )  # fmt: skip
        while True:
            msg = self.receive()
            if msg["fields"].get("reply_serial") == serial:
                if msg["kind"] == ERROR:
                    raise RuntimeError("%s failed: %r" % (member, msg["args"]))
                return msg["args"]

    def reply(self, call, signature="", args=()):
        if call["flags"] & NO_REPLY_EXPECTED:
            return
        fields = {"reply_serial": call["serial"], "destination": call["fields"]["sender"]}
        self.send(METHOD_RETURN, fields, signature, args)

    def error(self, call, name, text):
        if call["flags"] & NO_REPLY_EXPECTED:
            return
        fields = {"reply_serial": call["serial"], "destination": call["fields"]["sender"],
                  "error_name": name}  # fmt: skip
        self.send(ERROR, fields, "s", (text,))


def connect(address):
    """The first unix: entry of a bus address (path= or abstract=)."""
    for entry in address.split(";"):
        transport, _, params = entry.partition(":")
        if transport != "unix":
            continue
        options = dict(p.split("=", 1) for p in params.split(",") if "=" in p)
        if "path" in options:
            target = unescape(options["path"])
        elif "abstract" in options:
            target = "\0" + unescape(options["abstract"])
        else:
            continue
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(target)
        return sock
    raise ValueError("no usable unix: entry in bus address %r" % address)


def unescape(value):
    out, i = bytearray(), 0
    raw = value.encode()
    while i < len(raw):
        if raw[i : i + 1] == b"%":
            out.append(int(raw[i + 1 : i + 3], 16))
            i += 3
        else:
            out.append(raw[i])
            i += 1
    return out.decode()


def authenticate(sock):
    uid = str(os.getuid()).encode().hex().encode()
    sock.sendall(b"\0AUTH EXTERNAL " + uid + b"\r\n")
    line = b""
    while not line.endswith(b"\r\n"):
        chunk = sock.recv(1)
        if not chunk:
            raise EOFError("bus closed the connection during auth")
        line += chunk
    if not line.startswith(b"OK "):
        raise RuntimeError("bus refused auth: %r" % line)
    sock.sendall(b"BEGIN\r\n")


class Server:
    def __init__(self, conn, log_path, capabilities):
        self.conn = conn
        self.log_path = log_path
        self.capabilities = capabilities
        self.next_id = 1
        self.owners = {}  # notification id -> the connection that sent its last Notify

    def log(self, record):
        with open(self.log_path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")

    def handle(self, call):
        member = call["fields"].get("member")
        sender = call["fields"].get("sender")
        signature = call["fields"].get("signature", "")
        if member == "Notify" and signature == NOTIFY_SIGNATURE:
            app, replaces, icon, summary, body, actions, hints, expire = call["args"]
            nid = replaces or self.take_id()
            self.owners[nid] = sender
            self.log({"member": "Notify", "sender": sender, "app_name": app,
                      "replaces_id": replaces, "app_icon": icon, "summary": summary,
                      "body": body, "actions": actions, "hints": hints,
                      "expire_timeout": expire, "id": nid})  # fmt: skip
            self.conn.reply(call, "u", (nid,))
        elif member == "Notify":
            self.conn.error(call, "org.freedesktop.DBus.Error.InvalidArgs",
                            "Notify takes %s, not %s" % (NOTIFY_SIGNATURE, signature))  # fmt: skip
        elif member == "CloseNotification":
            self.log({"member": member, "sender": sender, "id": call["args"][0]})
            self.conn.reply(call)
            self.closed(call["args"][0], 3)
        elif member == "InvokeAction" and signature == "us":
            nid, key = call["args"]
            self.log({"member": member, "id": nid, "action": key})
            self.conn.reply(call)
            self.emit(nid, "ActionInvoked", "us", (nid, key))
            self.closed(nid, 2)
        elif member == "Dismiss" and signature == "u":
            self.log({"member": member, "id": call["args"][0]})
            self.conn.reply(call)
            self.closed(call["args"][0], 2)
        elif member == "GetCapabilities":
            self.conn.reply(call, "as", (self.capabilities,))
        elif member == "GetServerInformation":
            self.conn.reply(call, "ssss", ("tclaude-test-notifyd", "tclaude", "1.0", "1.2"))
        elif member == "Introspect":
            self.conn.reply(call, "s", (INTROSPECTION,))
        else:
            self.conn.error(call, "org.freedesktop.DBus.Error.UnknownMethod",
                            "no method %s" % member)  # fmt: skip

    def emit(self, nid, name, signature, args):
        owner = self.owners.get(nid)
        if owner is None:
            return
        self.log({"member": "signal", "signal": name, "id": nid, "to": owner})
        self.conn.send(SIGNAL, {"path": OBJECT_PATH, "interface": BUS_NAME, "member": name,
                                "destination": owner}, signature, args)  # fmt: skip

    def closed(self, nid, reason):
        self.emit(nid, "NotificationClosed", "uu", (nid, reason))
        self.owners.pop(nid, None)

    def take_id(self):
        nid, self.next_id = self.next_id, self.next_id + 1
        return nid

    def serve(self):
        while True:
            msg = self.conn.receive()
            if msg["kind"] == METHOD_CALL:
                self.handle(msg)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--address", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--capabilities", default="body,persistence", help="comma-separated")
    args = parser.parse_args()
    conn = Connection(args.address)
    conn.call_bus("Hello")
    (result,) = conn.call_bus("RequestName", "su", (BUS_NAME, 4))  # 4: do not queue
    if result != 1:  # 1: primary owner
        sys.exit("could not own %s (RequestName returned %d)" % (BUS_NAME, result))
    print("ready", flush=True)
    try:
        Server(conn, args.log, args.capabilities.split(",")).serve()
    except EOFError:
        pass


if __name__ == "__main__":
    main()
