#!/usr/bin/env python3
"""tclaude: run many Claude Code sessions detached in tmux and see which ones need you.

Each session is a tmux session ``tofu-claude-<id>`` whose pane runs ``claude``.  tclaude hands
claude a ``--settings`` file whose hooks run ``tclaude-hook.sh``; the hook writes the session's
status beside tclaude's own state in ``~/.tofu/claude-sessions/``.  Where no hook fires (a denied
permission, an interrupted turn, a killed process) tclaude fills the gap from tmux liveness,
claude's own session registry and, as a last resort, the screen.

Map of this file, top to bottom (each part uses only what comes before it):

  1. paths and config      where state, hooks and claude's own files live
  2. errors and helpers     UserError (one clear line, non-zero exit), time formatting, the
                            sanitiser, the file reader and the one atomic writer
  3. processes              the only code that reads /proc or runs ps: liveness, process trees
  4. state store            the only code that reads or writes ``<id>.json`` / ``<id>.status``
  5. tmux adapter           the only code that runs tmux
  6. claude launcher        finding claude, the hooks settings file, the pane command
  7. claude's registry      ``~/.claude/sessions/<pid>.json``: what claude says about itself
  8. status resolution      hooks + liveness + registry + screen -> one true status; the
                            snapshots resolve() reads and the Watcher of session wait
  9. commands               session new / ls / attach / kill / wait / send / resume / rename /
                            prune, status-line; git worktrees (the only code that runs git); peek / approve / deny / answer: read the dialog
                            on screen, check it is the one the hooks recorded, press its key
  10. dashboard             session watch: a live, top-like view (curses, imported lazily)
  11. tools                 hooks print/install/uninstall, adopting a claude started by hand
  12. notifications         desktop notifications when a session starts waiting (tclaude notify)
  13. doctor                every check of an installation (tclaude doctor)
  13b. hosts                sessions on other machines: hosts add/ls/rm/install, --host,
                            ls --hosts, all through OpenSSH and the tclaude installed there
  14. main                  the command table (every command, option and --help text),
                            the parser built from it, and the error boundary

Python 3.8+ standard library only.  State contract: README.md, "Files and environment".
"""

# json, re, shlex and signal are imported where they are used: together they cost more start-up
# (re pulls in enum) than the whole of `status-line` and `ls` otherwise do.  JSON is read with
# json_loads below.
import errno
import os
import stat
import sys
import time

__version__ = "0.1.0"

# --------------------------------------------------------------------------------------------
# 1. Paths and config
# --------------------------------------------------------------------------------------------


class LazyRegex:
    """A regex compiled on first use, so a run that never needs it never imports re."""

    def __init__(self, pattern, flags=0):
        self.pattern = pattern
        self.flags = flags
        self.compiled = None

    def __getattr__(self, name):
        if self.compiled is None:
            import re

            self.compiled = re.compile(self.pattern, self.flags)
        return getattr(self.compiled, name)


def is_session_id(text):
    """Eight lower-case hex digits (a session id), without a regex."""
    return len(text) == 8 and not text.strip("0123456789abcdef")


STATUSES = ("running", "waiting_input", "waiting_permission", "exited")
# What a view may say besides: "unknown" when the session's tmux server cannot be asked (no
# tmux on PATH, a permission error, a timeout...) and nothing else proves it alive or dead.
# Never written to a record, which keeps its last known status.
VIEW_STATUSES = (*STATUSES, "unknown")
TMUX_PREFIX = "tofu-claude-"
ID_RE = LazyRegex(r"^[0-9a-f]{8}$")
UUID_RE = LazyRegex(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
# Events whose hooks tclaude needs, the ones tclaude-hook.sh handles; see docs/status.md.
# MessageDisplay, PostToolBatch and Notification are left out on purpose: they add hook runs
# without changing any outcome (a Notification is late and async and never moves a status).
HOOK_EVENTS = (
    "SessionStart",
    "UserPromptSubmit",
    "PreToolUse",
    "PostToolUse",
    "PostToolUseFailure",
    "PermissionRequest",
    "Stop",
    "StopFailure",
    "SessionEnd",
)
MATCHER_EVENTS = (
    "PreToolUse",
    "PostToolUse",
    "PostToolUseFailure",
    "PermissionRequest",
)
# Variables of an outer Claude Code session: claude refuses to start (or misbehaves) with them.
DESKTOP_VARS = ("DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "WAYLAND_DISPLAY")
OUTER_CLAUDE_VARS = ("CLAUDECODE", "CLAUDE_CODE_ENTRYPOINT", "CLAUDE_CODE_SSE_PORT")
TMUX_INSTALL_HINT = (
    "tmux is not installed or not on PATH; install it: sudo apt-get install tmux | "
    "sudo dnf install tmux | sudo pacman -S tmux | brew install tmux"
)
CLAUDE_INSTALL_HINT = (
    "claude (Claude Code) is not on PATH; install it: npm install -g @anthropic-ai/claude-code "
    "(see https://docs.anthropic.com/en/docs/claude-code)"
)


_memo = {}


def home_dir():
    if "home" not in _memo:
        _memo["home"] = os.path.expanduser("~")
    return _memo["home"]


def state_dir():
    """The directory holding every session's files (TCLAUDE_STATE_DIR overrides it)."""
    override = os.environ.get("TCLAUDE_STATE_DIR")
    if override:
        return os.path.abspath(override)
    return os.path.join(home_dir(), ".tofu", "claude-sessions")


def tool_dir():
    """Where tclaude.py really lives: the hook script sits beside it (checkout or ~/.tofu/bin)."""
    return os.path.dirname(os.path.realpath(__file__))


def hook_path():
    return os.path.join(tool_dir(), "tclaude-hook.sh")


def config_path():
    """tclaude's own settings (so far only ``notify``), beside the state dir's parent."""
    return os.path.join(home_dir(), ".tofu", "tclaude.json")


def claude_config_dir():
    if "claude" not in _memo:
        _memo["claude"] = os.environ.get("CLAUDE_CONFIG_DIR") or os.path.join(home_dir(), ".claude")
    return _memo["claude"]


def claude_registry_path(pid):
    """Claude's own per-process registry file (undocumented; docs/status.md has its rules)."""
    return os.path.join(claude_config_dir(), "sessions", "%d.json" % pid)


def claude_settings_path():
    """Claude's user settings file, the one ``tclaude hooks install`` edits."""
    return os.path.join(claude_config_dir(), "settings.json")


# What ``tclaude hooks install`` created in a settings file, so uninstall removes exactly that.
HOOKS_RECORD = "hooks-install.record"
# The hooks a session's claude gets with --settings (JSON).  Neither name ends in .json: the
# state dir's *.json are the session records and nothing else (``jq . *.json`` meets only them).
SETTINGS_SUFFIX = ".settings"
# Names tclaude used before (renamed on first sight; claude reads its --settings file at
# start-up only, so a live session loses nothing when its file moves).
LEGACY_NAMES = {"hooks-install.json": HOOKS_RECORD}
LEGACY_SETTINGS_SUFFIX = ".settings.json"


def transcript_slug(cwd):
    """The folder name claude gives a cwd: every character but A-Z, a-z, 0-9 becomes "-"."""
    return "".join(c if c in SLUG_KEEPS else "-" for c in cwd)


SLUG_KEEPS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")


# --------------------------------------------------------------------------------------------
# 2. Errors and small helpers
# --------------------------------------------------------------------------------------------


class UserError(Exception):
    """A mistake or a missing piece the user can fix: one line on stderr, non-zero exit."""

    def __init__(self, message, code=1):
        super().__init__(message)
        self.code = code


def warn(message):
    sys.stderr.write("tclaude: warning: %s\n" % safe_text(message))


def say(message):
    """Print one human-facing line: every message that may carry a name, a path or a detail
    goes out through safe_text."""
    print(safe_text(message))


def utc_iso(epoch=None):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if epoch is None else epoch))


def parse_iso(text):
    """Epoch seconds of a stamp written by utc_iso, or None.  Hand-rolled because strptime
    dominated ``ls`` with hundreds of sessions."""
    try:
        if len(text) != 20 or text[10] != "T" or text[19] != "Z":
            return None
        year, month, day = int(text[0:4]), int(text[5:7]), int(text[8:10])
        hour, minute, second = int(text[11:13]), int(text[14:16]), int(text[17:19])
    except (TypeError, ValueError):
        return None
    # days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's algorithm)
    year -= month <= 2
    era = year // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    days = era * 146097 + doe - 719468
    return float(days * 86400 + hour * 3600 + minute * 60 + second)


def short_duration(seconds):
    seconds = max(0, int(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return "%d%s" % (seconds // size, unit)
    return "%ds" % seconds


def short_path(path):
    home = home_dir()
    if path == home:
        return "~"
    if home != "/" and path.startswith(home + os.sep):
        return "~" + path[len(home) :]
    return path


def one_line(text):
    """Flatten control characters (C0, DEL, C1) to single spaces: a hook detail or an error
    text becomes one tidy line of data.  Display still goes through safe_text."""
    text = text or ""
    if text.isprintable():  # no control character (the common case): no regex needed
        return text.strip()
    import re

    return re.sub(r"[\x00-\x1f\x7f-\x9f]+", " ", text).strip()


# C0 (with newline and tab), DEL and C1 (U+0080-U+009F: U+009B is a CSI, U+009D an OSC, to a
# terminal that honours 8-bit controls, no ESC needed).
# Lone surrogates too: an undecodable byte of a path or an argument arrives as
# U+DC80-U+DCFF (surrogateescape) and would print as a 4-character escape, breaking the width.
CONTROL_RE = LazyRegex("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
VISIBLE_CONTROLS = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "^[", "\x7f": "^?"}


def visible_control(match):
    ch = match.group()
    if ch in VISIBLE_CONTROLS:
        return VISIBLE_CONTROLS[ch]
    if ch < "\x20":
        return "^" + chr(ord(ch) + 64)  # caret notation, as cat -v: ^A, ^G, ^_
    if "\udc80" <= ch <= "\udcff":
        return "\\x%02x" % (ord(ch) - 0xDC00)  # the undecodable byte itself
    if ch >= "\ud800":
        return "\\u%04x" % ord(ch)
    return "\\x%02x" % ord(ch)


def safe_text(text):
    """THE terminal sanitiser: text that may come from a payload, a name or a path, made
    harmless to print.  Every control character is shown, not obeyed: newline as \\n, ESC as
    ^[, other C0 as ^X, DEL as ^?, C1 as \\x9d.  A table row stays one row; nothing retitles,
    clears or moves the user's terminal."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    if text.isprintable() or CONTROL_RE.search(text) is None:  # printable: no regex needed
        return text
    return CONTROL_RE.sub(visible_control, text)


def new_uuid4():
    b = bytearray(os.urandom(16))
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    h = b.hex()
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


def which(name):
    """shutil.which without importing shutil (it drags in compression modules)."""
    for folder in os.environ.get("PATH", os.defpath).split(os.pathsep):
        path = os.path.join(folder or ".", name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


class UnfitFile(ValueError):
    """A path that holds something other than a small regular file (a FIFO, a directory, a
    symlink where none belongs, a file far too large): reported, never waited on or parsed."""


# tclaude's own files are never symlinks: one planted there must not redirect a read or write.
NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def file_kind(mode):
    for test, kind in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"),
                       (stat.S_ISBLK, "a device")):  # fmt: skip
        if test(mode):
            return kind
    return "not a regular file"


def open_regular(path, flags, follow=True, mode=0o600):
    """A descriptor of ``path`` opened with ``flags`` (non-blocking), checked to be a regular
    file; raises OSError, or UnfitFile for anything else at that path."""
    flags |= getattr(os, "O_NONBLOCK", 0) | (0 if follow else NOFOLLOW)
    try:
        fd = os.open(path, flags, mode)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK) and not follow:
            raise UnfitFile("%s is a symbolic link" % path) from None
        if exc.errno == errno.EISDIR:
            raise UnfitFile("%s is a directory" % path) from None
        if exc.errno == errno.ENXIO:  # O_WRONLY|O_NONBLOCK on a FIFO nobody reads
            raise UnfitFile("%s is a FIFO or a socket, not a regular file" % path) from None
        raise
    try:
        st = os.fstat(fd)
    except OSError:
        os.close(fd)
        raise
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise UnfitFile("%s is %s, not a regular file" % (path, file_kind(st.st_mode)))
    return fd, st


def read_small(path, limit=65536, follow=True):
    """The bytes of a small regular file, read raw (no text layer: cheap for hundreds of files
    per refresh).  A FIFO, a directory or a device is refused without blocking, a file over
    ``limit`` bytes is refused (UnfitFile), and with ``follow=False`` so is a symlink."""
    fd, st = open_regular(path, os.O_RDONLY, follow)
    try:
        size = st.st_size
        if size > limit:
            raise UnfitFile("%s is too large (%d bytes, at most %d)" % (path, size, limit))
        if not size:  # /proc files say 0: one read, as much as the kernel gives
            return os.read(fd, limit)
        data = os.read(fd, size + 1)  # a byte more than fstat said shows a file still growing
        while len(data) < size:  # a short read (a signal, a network file system)
            chunk = os.read(fd, size + 1 - len(data))
            if not chunk:
                break
            data += chunk
    finally:
        os.close(fd)
    return data


def read_json_file(path, limit=1 << 20, follow=True):
    """Parse a small JSON file (see read_small for what is refused)."""
    return json_loads(read_small(path, limit, follow).decode("utf-8", "replace"))


class JsonDefaults:
    """The settings json.loads gives its C scanner (json.decoder.JSONDecoder's defaults)."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = {"-Infinity": float("-inf"), "Infinity": float("inf"),
                      "NaN": float("nan")}.__getitem__  # fmt: skip
    memo = {}


def json_loads(text):
    """json.loads(text) for a str, through the C scanner json itself uses (module _json), so a
    run that only reads JSON never imports the json package (and with it re and enum).  Text
    it cannot parse whole goes to json.loads, which parses it the same way or says why."""
    if "scan" not in _memo:
        try:
            from _json import make_scanner
        except ImportError:  # another Python: json.loads it is
            make_scanner = None
        _memo["scan"] = make_scanner(JsonDefaults) if make_scanner else None
    scan = _memo["scan"]
    if scan is not None:
        start = len(text) - len(text.lstrip(JSON_SPACE))
        try:
            value, end = scan(text, start)
        except (StopIteration, ValueError, SystemError):  # SystemError: a 3.11 scanner that
            pass  # cannot find json.decoder's error class, which it needs to say why
        else:
            if not text[end:].strip(JSON_SPACE):
                return value
    import json

    return json.loads(text)


JSON_SPACE = " \t\n\r"  # what JSON counts as white space


def write_all(fd, data):
    """os.write until every byte is out: a write may be short (a nearly full disk, a signal)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        view = view[written:]


def create_exclusive(path, mode):
    """A new file at ``path``, created by us (O_EXCL, never through a planted symlink)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW
    return os.open(path, flags, mode)


def write_file_atomic(path, data, mode=0o600, tmp=None, before_replace=None):
    """Replace ``path`` with ``data`` (bytes) all at once, or not at all: a temp file of our own
    in the same directory (created exclusively), every byte written, fsync, then rename.
    ``before_replace()`` may veto at the last moment by raising.  Any failure removes the temp
    file and raises UserError; the old file is then untouched."""
    folder, base = os.path.split(path)
    tmp = tmp or os.path.join(folder, ".%s.%d.tmp" % (base, os.getpid()))
    made = False
    try:
        try:
            fd = create_exclusive(tmp, mode)
        except FileExistsError:
            # our pid's name, so its writer died (pid reuse) or a link was planted: unlinking
            # removes the entry itself, never what a link points to
            os.unlink(tmp)
            fd = create_exclusive(tmp, mode)
        made = True
        try:
            write_all(fd, data)
            os.fchmod(fd, mode)  # the umask may have narrowed it
            os.fsync(fd)
        finally:
            os.close(fd)
        if before_replace:
            before_replace()
        os.replace(tmp, path)
        made = False
    except OSError as exc:
        raise UserError("cannot write %s: %s" % (path, exc.strerror or exc)) from None
    finally:
        if made:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def json_bytes(value, **dump_args):
    """``value`` as strict JSON text (no NaN) in UTF-8, checked to parse again before it is
    written: a record is only ever replaced by one that reads back.  A lone surrogate (a non-UTF-8 byte of a path or name,
    or a hand-edited "\\ud800") becomes a JSON \\u escape instead of a crash."""
    import json

    try:
        text = json.dumps(value, allow_nan=False, **dump_args) + "\n"
    except (TypeError, ValueError) as exc:
        raise UserError("refusing to write an invalid record: %s" % exc) from None
    data = text.encode("utf-8", "backslashreplace")
    try:
        json.loads(data.decode("utf-8"))
    except ValueError as exc:
        raise UserError("refusing to write an invalid record: %s" % exc) from None
    return data


# --------------------------------------------------------------------------------------------
# 3. Processes: the only code that reads /proc or runs ps
# --------------------------------------------------------------------------------------------


def pid_alive(pid):
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def proc_stat_fields(pid):
    """Fields 3.. of /proc/<pid>/stat (after the command name, which may hold spaces and ')'),
    or None when the process is gone or there is no /proc (macOS)."""
    try:
        raw = read_small("/proc/%d/stat" % pid, 4096)
    except (OSError, TypeError):
        return None
    return raw[raw.rfind(b")") + 2 :].split()


def process_running(pid):
    """pid_alive, but a zombie counts as dead: tmux can leave a killed claude unreaped for a
    while with its pane already dead (seen with tmux 3.3a).  /proc where there is one."""
    if not pid_alive(pid):
        return False
    fields = proc_stat_fields(pid)
    return fields is None or fields[:1] not in ([b"Z"], [b"X"])


def proc_start_ticks(pid):
    """Field 22 of /proc/<pid>/stat: the start time claude stores as ``procStart``."""
    fields = proc_stat_fields(pid)
    return fields[19].decode() if fields and len(fields) > 19 else None


def same_process(pid, proc_start):
    """pid is alive and, where both are known, started when the registry says: a pid reused
    by another process after a SIGKILLed claude (which leaves its file behind) is not it."""
    if not pid_alive(pid):
        return False
    actual = proc_start_ticks(pid)
    return proc_start is None or actual is None or str(proc_start) == actual


def descent_depth(pid, ancestor, limit=32):
    """How many parents up from pid ``ancestor`` is (0: the same), None if it is not one,
    -1 when the system cannot tell."""
    for depth in range(limit):
        if pid == ancestor:
            return depth
        fields = proc_stat_fields(pid)
        if fields is None:
            return -1 if depth == 0 else None
        if len(fields) < 2 or not fields[1].isdigit() or int(fields[1]) <= 1:
            return None
        pid = int(fields[1])
    return None


def terminate_process(pid, still_there, timeout):
    """SIGTERM first, SIGKILL when ``still_there()`` after ``timeout`` seconds."""
    import signal

    try:
        os.kill(pid, signal.SIGTERM)
    except OSError:
        return
    deadline = time.time() + timeout
    while still_there() and time.time() < deadline:
        time.sleep(0.05)
    if still_there():
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def read_proc_stat(pid):
    """(cpu ticks of the process and its reaped children, rss pages, start time in ticks,
    parent pid) from /proc/<pid>/stat, or None when it is gone."""
    fields = proc_stat_fields(pid)
    if fields is None:
        return None
    try:
        ticks = int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])
        return ticks, int(fields[21]), int(fields[19]), int(fields[1])
    except (IndexError, ValueError):
        return None


def parse_ps(text):
    """``ps -A -o pid=,ppid=,pcpu=,rss=`` -> ({pid: (cpu %, rss bytes)}, {ppid: [pids]})."""
    table, kids = {}, {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) != 4:
            continue
        try:
            pid, ppid = int(parts[0]), int(parts[1])
            cpu, rss = float(parts[2].replace(",", ".")), int(parts[3]) * 1024
        except ValueError:
            continue
        table[pid] = (cpu, rss)
        kids.setdefault(ppid, []).append(pid)
    return table, kids


def process_tree(root, children, limit=2000):
    """``root`` and every descendant, given a function or dict from pid to child pids."""
    lookup = children.get if isinstance(children, dict) else children
    found, todo, seen = [], [root], set()
    while todo and len(found) < limit:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        found.append(pid)
        todo.extend(lookup(pid) or ())
    return found


def proc_uptime():
    try:
        return float(read_small("/proc/uptime").split()[0])
    except (OSError, ValueError, IndexError):
        return None


class ProcessTrees:
    """CPU% and RSS of each claude process with its descendants (tools, shells, MCP servers).
    Linux reads /proc (CPU% from the tick delta between two samples; the first sample shows
    the average since the process started); macOS makes one ``ps`` call per sample; other
    systems show ``-``."""

    def __init__(self):
        self.linux = os.path.isfile("/proc/self/stat")
        self.darwin = sys.platform == "darwin"
        self.previous = {}  # root pid -> (start ticks, cpu ticks, monotonic time)
        if self.linux:
            self.hz = os.sysconf("SC_CLK_TCK")
            self.page = os.sysconf("SC_PAGE_SIZE")
            # /proc/<pid>/task/<tid>/children needs CONFIG_PROC_CHILDREN; else scan /proc
            me = os.getpid()
            self.children_files = os.path.exists("/proc/%d/task/%d/children" % (me, me))

    def sample(self, pids):
        """{root pid: (cpu percent or None, rss bytes)} for those still alive."""
        if not pids:
            self.previous = {}
            return {}
        if self.linux:
            return self.sample_proc(pids)
        if self.darwin:
            return self.sample_ps(pids)
        return {}

    def sample_proc(self, pids):
        now = time.monotonic()
        children = self.task_children if self.children_files else self.scan_parents()
        current, result, uptime = {}, {}, None
        for root in pids:
            ticks = rss = 0
            start = None
            for pid in process_tree(root, children):
                stat = read_proc_stat(pid)
                if stat is None:
                    continue
                if pid == root:
                    start = stat[2]
                ticks += stat[0]
                rss += stat[1]
            if start is None:
                continue  # gone since tmux listed it
            before = self.previous.get(root)
            if before and before[0] == start and now > before[2]:
                cpu = max(0.0, (ticks - before[1]) * 100.0 / self.hz / (now - before[2]))
            else:
                uptime = uptime if uptime is not None else proc_uptime()
                age = uptime - start / self.hz if uptime else 0
                cpu = ticks * 100.0 / self.hz / age if age > 0.5 else None
            current[root] = (start, ticks, now)
            result[root] = (cpu, rss * self.page)
        self.previous = current
        return result

    @staticmethod
    def task_children(pid):
        """Children of every thread (a child's parent is the thread that forked it)."""
        try:
            tids = os.listdir("/proc/%d/task" % pid)
        except OSError:
            return []
        kids = []
        for tid in tids:
            try:
                kids.extend(
                    int(p) for p in read_small("/proc/%d/task/%s/children" % (pid, tid)).split()
                )
            except (OSError, ValueError):
                continue
        return kids

    @staticmethod
    def scan_parents():
        kids = {}
        for name in os.listdir("/proc"):
            if name.isdigit():
                stat = read_proc_stat(int(name))
                if stat:
                    kids.setdefault(stat[3], []).append(int(name))
        return kids

    def sample_ps(self, pids):
        import subprocess

        try:
            proc = subprocess.run(
                ["ps", "-A", "-o", "pid=,ppid=,pcpu=,rss="],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=5,
            )
        except (OSError, subprocess.SubprocessError):
            return {}
        table, kids = parse_ps(proc.stdout)
        result = {}
        for root in pids:
            if root in table:
                tree = [table[p] for p in process_tree(root, kids) if p in table]
                result[root] = (sum(t[0] for t in tree), sum(t[1] for t in tree))
        return result


# --------------------------------------------------------------------------------------------
# 4. State store: the only code that reads or writes session files
# --------------------------------------------------------------------------------------------


SESSION_SUFFIXES = (".json", ".status", SETTINGS_SUFFIX, LEGACY_SETTINGS_SUFFIX, ".notify")


# ---- schemas: what a field of each file may hold ---------------------------------------------
# Every record and hook file is checked where it is loaded: a field of the wrong type is dropped
# with a warning (the rest of the file still counts), a field these tables do not name is kept
# as it is (newer tclaude versions add some).  So no later code meets a name that is a number
# or a time stamp that overflows gmtime.  A rule is (exact types allowed, extra test or None):
# exact types, so True is no pid; the test sees only values of those types, never None.

MAX_EPOCH = 1e11  # seconds: the year 5138; far beyond anything real, well inside gmtime's range
NONE = type(None)
TEXT = ((str,), None)
OPT_TEXT = ((str, NONE), None)
OPT_FLAG = ((bool, NONE), None)
OPT_INT = ((int, NONE), None)
NUMBER = (int, float)
EPOCH = (NUMBER, lambda v: 0 <= v < MAX_EPOCH)
EPOCH_MS = (NUMBER, lambda v: 0 <= v < MAX_EPOCH * 1000)
PID = ((int,), lambda v: 0 < v < 1 << 31)
STATUS = ((str,), lambda v: v in STATUSES)
PROC_START = ((str, int), None)

RECORD_FIELDS = {
    "tmuxSession": TEXT,
    "name": OPT_TEXT,
    "pid": ((int, NONE), PID[1]),
    "cwd": OPT_TEXT,
    "convId": OPT_TEXT,
    "status": STATUS,
    "statusDetail": OPT_TEXT,
    "statusSince": OPT_TEXT,
    "created": OPT_TEXT,
    "createdTs": ((int, float, NONE), EPOCH[1]),
    "updated": OPT_TEXT,
    "spawned": OPT_TEXT,
    "resumed": OPT_FLAG,
    "claudeArgs": ((list,), lambda v: all(isinstance(a, str) for a in v)),
    "transcriptPath": OPT_TEXT,
    "exitedAt": OPT_TEXT,
    "exitCode": OPT_INT,
    "notify": OPT_FLAG,
    "notifyId": OPT_INT,
    "notifyLast": ((dict, NONE), None),
    "adopted": OPT_FLAG,
    "recovered": OPT_FLAG,
    "tmuxPane": OPT_TEXT,
    "procStart": ((str, int, NONE), None),
    "tmuxSocket": OPT_TEXT,
}
HOOK_FIELDS = {
    "v": ((int,), None),
    "ts": EPOCH,
    "event": TEXT,
    "status": STATUS,
    "since": EPOCH,
    "detail": TEXT,
    "convId": TEXT,
    "claudePid": PID,
    "transcriptPath": TEXT,
    "reason": TEXT,
}
# claude's own registry file (~/.claude/sessions/<pid>.json): only the fields tclaude reads
REGISTRY_FIELDS = {
    "sessionId": TEXT,
    "cwd": TEXT,
    "startedAt": EPOCH_MS,
    "procStart": PROC_START,
    "version": TEXT,
    "kind": TEXT,
    "status": TEXT,
    "updatedAt": EPOCH_MS,
    "statusUpdatedAt": EPOCH_MS,
    "tmux": TEXT,
}
CONFIG_FIELDS = {"notify": ((bool,), None), "hosts": ((dict,), None)}


def usable(rule, value):
    types, test = rule
    return type(value) in types and (test is None or value is None or test(value))


def is_pid(value):
    return usable(PID, value)


def warn_once(message):
    """A warning a process gives once (a waiter or the dashboard reloads files many times)."""
    said = _memo.setdefault("warned", set())
    if message not in said:
        said.add(message)
        warn(message)


def checked_fields(data, schema, path):
    """``data`` without the fields ``schema`` says are unusable, one warning for each."""
    bad = [key for key, value in data.items() if key in schema and not usable(schema[key], value)]
    for key in bad:
        value = one_line(repr(data.pop(key)))
        warn_once("%s: ignoring field %s = %s (wrong type or out of range)" % (
                path, key, value[:40] + ("..." if len(value) > 40 else "")))  # fmt: skip
    return data


def checked_record(state, path):
    """A session record with its unusable fields dropped, and the two every command needs put
    back: the tmux session name is fixed by the id, and a status is what hooks and liveness
    refine anyway."""
    checked_fields(state, RECORD_FIELDS, path)
    own, name = TMUX_PREFIX + state["id"], state.get("tmuxSession")
    # Only an adopted claude lives in a tmux session of the user's (never a tofu-claude-* one):
    # any other name would make kill, resume or prune act on another session's tmux session.
    if name not in (None, own) and (
        name.startswith(TMUX_PREFIX) or state.get("adopted") is not True
    ):
        warn_once("%s: ignoring field tmuxSession = %s (not this session's)" % (
            path, one_line(repr(name))[:40]))  # fmt: skip
        state["tmuxSession"] = own
    state.setdefault("tmuxSession", own)
    state.setdefault("status", "running")
    return state


def new_record(sid, created, now=None, **fields):
    """A new session record, the contract fields first (README "Files and environment"), then
    ``fields``.  ``created`` is the epoch its session began; ``now`` (default: ``created``) is
    when tclaude writes it down, which differs for a tmux session found without a record."""
    stamp, born = utc_iso(created if now is None else now), utc_iso(created)
    record = {
        "id": sid,
        "name": None,
        "tmuxSession": TMUX_PREFIX + sid,
        "pid": None,
        "cwd": None,
        "convId": None,
        "status": "running",
        "statusDetail": "starting",
        "statusSince": stamp,
        "created": born,
        "createdTs": round(created, 6),  # orders sessions started within one second
        "spawned": born,
        "updated": stamp,
        "claudeArgs": [],
    }
    record.update(fields)
    return record


def exited_fields(detail, now, exit_code=None, **more):
    """What a record says once its claude is proven gone: written once, final (death_recorded)."""
    stamp = utc_iso(now)
    return dict(status="exited", statusDetail=detail, statusSince=stamp, exitedAt=stamp,
                exitCode=exit_code, **more)  # fmt: skip


# The longest a command waits for the state dir lock another tclaude holds: the longest
# holder, a kill whose tmux server does not answer, needs ~30 s (three tmux timeouts).
LOCK_PATIENCE = 60.0


def try_flock(fd):
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class StateStore:
    """``<id>.json`` is tclaude's record (written here, atomically); ``<id>.status`` is the
    hook's record (written by tclaude-hook.sh, only read here); ``<id>.settings`` the hooks
    handed to its claude; ``<id>.notify`` a marker."""

    def __init__(self, directory=None):
        self.dir = directory or state_dir()
        self.seen = None  # the dashboard's {path: (lstat key, what was read)}: see remember

    def remember(self, path, read):
        """``read()``.  With ``seen`` on (the dashboard) a file whose lstat (inode, times,
        size) is the one of its last read is not read again: a refresh reads only what
        changed, for one lstat per file.  Every caller gets its own copy of the top level."""
        if self.seen is None:
            return read()
        try:
            st = os.lstat(path)
            key = (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_ctime_ns, st.st_size)
        except OSError:
            key = None
        hit = self.seen.pop(path, None)
        if key is None or hit is None or hit[0] != key:
            hit = (key, read())  # read() raising leaves nothing remembered
        if key is not None:
            self.seen[path] = hit
        return dict(hit[1]) if isinstance(hit[1], dict) else hit[1]

    def path(self, sid, suffix=".json"):
        return os.path.join(self.dir, sid + suffix)

    def ensure_dir(self):
        try:
            os.makedirs(self.dir, mode=0o700, exist_ok=True)
        except OSError as exc:
            raise UserError("cannot create state dir %s: %s" % (self.dir, exc.strerror)) from None
        if not os.access(self.dir, os.W_OK | os.X_OK):
            raise UserError("state dir %s is not writable" % self.dir)

    def write_json(self, path, value, **dump_args):
        """All or nothing (see write_file_atomic), and only JSON that reads back."""
        write_file_atomic(path, json_bytes(value, **dump_args))

    def save(self, state):
        state["updated"] = utc_iso()
        self.write_json(self.path(state["id"]), state, indent=2, ensure_ascii=False)

    def write_settings(self, sid, settings):
        path = self.path(sid, SETTINGS_SUFFIX)
        self.write_json(path, settings, indent=2)
        return path

    def ids(self):
        try:
            names = os.listdir(self.dir)
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise UserError("cannot read state dir %s: %s" % (self.dir, exc.strerror)) from None
        if any(n.endswith(LEGACY_SETTINGS_SUFFIX) or n in LEGACY_NAMES for n in names):
            self.migrate_legacy_names(names)
        return sorted(n[:-5] for n in names if n.endswith(".json") and is_session_id(n[:-5]))

    def migrate_legacy_names(self, names):
        """Rename the files older tclaudes named ``*.json`` (``<id>.settings.json``,
        ``hooks-install.json``); a file already under its new name wins.  Best effort: what
        cannot be renamed now is tried again next time."""
        for name in names:
            sid = name[: -len(LEGACY_SETTINGS_SUFFIX)]
            if name.endswith(LEGACY_SETTINGS_SUFFIX) and is_session_id(sid):
                new = sid + SETTINGS_SUFFIX
            elif name in LEGACY_NAMES:
                new = LEGACY_NAMES[name]
            else:
                continue
            old, new = os.path.join(self.dir, name), os.path.join(self.dir, new)
            try:
                os.link(old, new)  # never replaces a file a newer tclaude wrote meanwhile
            except FileExistsError:
                pass
            except OSError:  # gone already, or a file system without hard links
                try:
                    if not os.path.lexists(new):
                        os.rename(old, new)
                except OSError:
                    pass  # tried again next time
                continue
            try:
                os.unlink(old)
            except OSError:
                pass

    def load(self, sid):
        """The session's record, fields checked against RECORD_FIELDS (a wrong-typed one is
        dropped with a warning); raises ValueError/OSError for a corrupt, missing or unfit
        file."""
        path = self.path(sid)
        state = read_json_file(path, follow=False)
        if not isinstance(state, dict) or state.get("id") != sid:
            raise ValueError("not a tclaude session record")
        return checked_record(state, path)

    def load_all(self):
        """Every readable record; corrupt ones are reported once and left untouched."""
        return list(self.each())

    def each(self):
        """load_all one record at a time (a caller can act on the first before the last)."""
        ids = self.ids()
        if self.seen:  # forget the files of sessions gone
            kept = {self.path(sid, suffix) for sid in ids for suffix in (".json", ".status")}
            self.seen = {path: hit for path, hit in self.seen.items() if path in kept}
        for sid in ids:
            try:
                state = self.remember(self.path(sid), lambda: self.load(sid))  # noqa: B023
            except FileNotFoundError:
                continue  # removed between listdir and open
            except (OSError, ValueError) as exc:
                warn("skipping corrupt state file %s (%s)" % (self.path(sid), one_line(str(exc))))
                continue
            yield state

    def load_hook_status(self, sid):
        """The hook's last word, or None.  Written by bash, so be lenient about its bytes."""
        path = self.path(sid, ".status")
        return self.remember(path, lambda: self.read_hook_status(path))

    def read_hook_status(self, path):
        try:
            data = read_json_file(path, 65536, follow=False)
        except FileNotFoundError:
            return None
        except UnfitFile as exc:
            warn_once("ignoring %s" % exc)
            return None
        except (OSError, ValueError):
            return None  # being replaced, or half-written by a hook from before the rename fix
        if not isinstance(data, dict) or data.get("status") not in STATUSES:
            return None
        return checked_fields(data, HOOK_FIELDS, path)

    def remove(self, sid, expect=None):
        """Forget a session, under the state lock; with ``expect``, only if its record still
        matches (a session resumed since the caller looked is kept).  True when removed."""
        with self.lock():
            if expect is not None and self.current(sid, expect) is None:
                return False
            self.remove_files(sid)
            return True

    def remove_files(self, sid):
        for suffix in SESSION_SUFFIXES:
            try:
                os.unlink(self.path(sid, suffix))
            except FileNotFoundError:
                pass
            except OSError as exc:
                raise UserError(
                    "cannot remove %s: %s" % (self.path(sid, suffix), exc.strerror)
                ) from None

    def clear_hook_status(self, sid):
        """Forget the hook's last word (a respawned claude must not inherit its predecessor's)."""
        try:
            os.unlink(self.path(sid, ".status"))
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise UserError(
                "cannot remove %s: %s" % (self.path(sid, ".status"), exc.strerror)
            ) from None

    def signature(self, sid):
        """What a stat of the record and of the hook file says: a change means "look again".
        Costs two stat calls, no open: cheap enough to poll many times a second."""
        sig = []
        for suffix in (".json", ".status"):
            try:
                st = os.stat(self.path(sid, suffix))
            except OSError:
                sig.append(None)
            else:
                sig.append((st.st_ino, st.st_mtime_ns, st.st_size))
        return tuple(sig)

    def remove_file(self, path):
        """Remove one file of the state dir (one ``stray_files`` found)."""
        if os.path.dirname(path) != self.dir:
            raise ValueError("not in the state dir: %s" % path)
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise UserError("cannot remove %s: %s" % (path, exc.strerror)) from None

    def update(self, sid, expect=None, **fields):
        """Merge ``fields`` into the record as it is on disk now (not as a caller read it),
        under the state lock: the one read-modify-write path for records.  Returns the new
        record, or None (and writes nothing) when the record is gone, unreadable, or no longer
        matches ``expect`` (e.g. the ``spawned``/``pid`` a verdict was made on): an update never
        re-creates a removed record nor judges a respawned claude on its predecessor's facts."""
        with self.lock():
            fresh = self.current(sid, expect)
            if fresh is None:
                return None
            fresh.update(fields)
            self.save(fresh)
            return fresh

    def current(self, sid, expect=None):
        """The record on disk if it still matches ``expect``, else None (call under the lock)."""
        try:
            fresh = self.load(sid)
        except (OSError, ValueError):
            return None
        if any(fresh.get(k) != v for k, v in (expect or {}).items()):
            return None
        return fresh

    def check_removable(self, sid=None):
        """Raise before a command acts (stops a claude, kills a tmux session) when it could not
        then forget the session: a read-only state dir, or one of its files a directory
        (unlink cannot remove a directory someone left at its name)."""
        if not os.access(self.dir, os.W_OK | os.X_OK):
            raise UserError("state dir %s is not writable; nothing was changed" % self.dir)
        for suffix in SESSION_SUFFIXES if sid else ():
            path = self.path(sid, suffix)
            try:
                mode = os.lstat(path).st_mode
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise UserError("cannot check %s: %s" % (path, exc.strerror)) from None
            if stat.S_ISDIR(mode):
                raise UserError("%s is a directory, so the session's files cannot be removed; "
                                "remove it first, nothing was changed" % path)  # fmt: skip

    def load_config(self):
        """tclaude.json as a dict: {} when missing; a corrupt file is reported, never rewritten
        behind the user's back."""
        path = config_path()
        try:
            config = read_json_file(path, 65536)  # may be a link into a dotfiles repo
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise UserError(
                "cannot read %s (%s); fix or remove it" % (path, one_line(str(exc)))
            ) from None
        if not isinstance(config, dict):
            raise UserError("%s is not a JSON object; fix or remove it" % path)
        return checked_fields(config, CONFIG_FIELDS, path)

    def save_config(self, config):
        path = config_path()
        try:
            os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        except OSError as exc:
            raise UserError(
                "cannot create %s: %s" % (os.path.dirname(path), exc.strerror)
            ) from None
        self.write_json(os.path.realpath(path), config, indent=2, sort_keys=True)

    def set_notify_marker(self, sid, on):
        """``<id>.notify`` exists exactly when the session notifies: the hook tests it with one
        ``[ -e ]`` and starts no Python at all for sessions that stay quiet."""
        path = self.path(sid, ".notify")
        try:
            if on:
                os.close(open_regular(path, os.O_WRONLY | os.O_CREAT, follow=False)[0])
            else:
                os.unlink(path)
        except FileNotFoundError:
            pass
        except UnfitFile as exc:
            raise UserError("cannot update %s; remove it" % exc) from None
        except OSError as exc:
            raise UserError("cannot update %s: %s" % (path, exc.strerror)) from None

    def notify_lock(self, sid):
        """Serialises the notifiers of one session (flock on its marker), or None when the
        session no longer notifies.  The marker is never renamed, so the lock is real."""
        import fcntl

        try:
            fd = open_regular(self.path(sid, ".notify"), os.O_RDONLY, follow=False)[0]
        except (OSError, UnfitFile):
            return None
        fcntl.flock(fd, fcntl.LOCK_EX)
        return _Lock(fd)

    def load_hooks_record(self):
        """{settings path: what ``hooks install`` created there}; {} when none or unreadable."""
        self.migrate_legacy_names(list(LEGACY_NAMES))
        try:
            data = read_json_file(os.path.join(self.dir, HOOKS_RECORD), follow=False)
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def save_hooks_record(self, record):
        path = os.path.join(self.dir, HOOKS_RECORD)
        if record:
            self.ensure_dir()
            self.write_json(path, record, indent=2)
            return
        self.remove_file(path)

    def stray_files(self):
        """Files no session owns: hook or settings files whose record is gone, and temp files
        of writers that died mid-write (tclaude's ``.<name>.<pid>.tmp``, the hook's
        ``.<id>.status.<pid>``)."""
        import re

        try:
            ids = set(self.ids())  # (first: it renames legacy files)
            names = os.listdir(self.dir)
        except (OSError, UserError):
            return []
        stray = []
        for name in sorted(names):
            temp = re.match(r"^\.(.+)\.(\d+)(\.tmp)?$", name)
            if temp and (temp.group(3) or temp.group(1).endswith(".status")):
                if not pid_alive(int(temp.group(2))):
                    stray.append(self.path(name, ""))
                continue
            for suffix in (".status", SETTINGS_SUFFIX, LEGACY_SETTINGS_SUFFIX, ".notify"):
                sid = name[: -len(suffix)]
                if name.endswith(suffix) and is_session_id(sid) and sid not in ids:
                    stray.append(self.path(name, ""))
        return stray

    def lock(self):
        """An exclusive lock over the state dir: held while a new session claims a convId and
        around every read-modify-write or removal of a record.  Re-entrant within a process
        (``session new`` records deaths while it holds it); a second flock on a new descriptor
        would wait for itself."""
        import _thread

        key = (self.dir, _thread.get_ident())
        held = _HELD_LOCKS.get(key)
        if held:
            held[1] += 1
            return _Lock(held)
        self.ensure_dir()
        path = os.path.join(self.dir, ".lock")
        try:
            fd = open_regular(path, os.O_RDWR | os.O_CREAT, follow=False)[0]
        except UnfitFile as exc:
            raise UserError("cannot lock the state dir: %s; remove it" % exc) from None
        except OSError as exc:
            raise UserError("cannot lock the state dir: %s: %s" % (path, exc.strerror)) from None
        if not try_flock(fd):  # never a silent hang: say who we wait for, and not forever
            warn_once("waiting for another tclaude command (it holds %s)" % path)
            deadline = time.monotonic() + LOCK_PATIENCE
            while not try_flock(fd):
                if time.monotonic() > deadline:
                    os.close(fd)
                    raise UserError(
                        "another tclaude command has held %s for %d s; nothing was changed "
                        "(find it with: fuser %s)" % (path, LOCK_PATIENCE, path)
                    )
                time.sleep(0.05)
        held = _HELD_LOCKS[key] = [fd, 1, key]
        return _Lock(held)

    def new_id(self):
        existing = set(self.ids())
        while True:
            sid = os.urandom(4).hex()
            if sid not in existing and not os.path.exists(self.path(sid)):
                return sid


# (state dir, thread) -> [fd, depth, key] of a state lock this process holds
_HELD_LOCKS = {}


class _Lock:
    """Releases a flock on exit; ``held`` is [fd] (notify locks) or a _HELD_LOCKS entry."""

    def __init__(self, held):
        self.held = held if isinstance(held, list) else [held, 1, None]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.held[1] -= 1
        if self.held[1] == 0:
            _HELD_LOCKS.pop(self.held[2], None)
            os.close(self.held[0])  # closing the descriptor releases the flock


# -- the notify switch, kept as a <id>.notify marker the hook tests without reading JSON --------


def global_notify(store, strict=True):
    """The global switch (tclaude.json "notify"); off unless switched on."""
    try:
        return store.load_config().get("notify") is True
    except UserError as exc:
        if strict:
            raise
        warn(str(exc))
        return False


def session_notifies(state, global_on):
    """A session's own --notify/--no-notify wins; null follows the global switch."""
    own = state.get("notify")
    return own if isinstance(own, bool) else global_on


def sync_notify_marker(store, state, global_on=None):
    if global_on is None:
        global_on = global_notify(store, strict=False)
    store.set_notify_marker(state["id"], session_notifies(state, global_on))


# --------------------------------------------------------------------------------------------
# 5. tmux adapter: the only code that runs tmux
# --------------------------------------------------------------------------------------------


class Pane:
    """One tmux pane as tmux described it.  ``dead``/``dead_status`` are None where nobody
    asked (a pane named by the user); ``created`` (epoch of its tmux session), ``cwd`` and
    ``command`` only in the detailed listing, ``id`` and ``socket`` for a pane looked up."""

    __slots__ = ("command", "created", "cwd", "dead", "dead_status", "id", "pid", "session",
                 "socket")  # fmt: skip

    def __init__(self, session, pid, dead, dead_status, created=None, cwd=None, command=None,
                 id=None, socket=None):  # fmt: skip
        self.session = session
        self.pid = pid
        self.dead = dead
        self.dead_status = dead_status
        self.created = created
        self.cwd = cwd
        self.command = command
        self.id = id
        self.socket = socket


class ServerSight:
    """What one tmux server said in one refresh: it answered (``panes``), it is proven dead
    (``dead``: its socket is gone or refuses connections), or it could not be asked
    (``problem`` says why: no tmux binary, a permission error, a timeout...).  Only the first
    two are evidence about its sessions."""

    __slots__ = ("dead", "panes", "problem", "screens", "socket")

    def __init__(self, socket, panes=None, dead=False, problem=None):
        self.socket = socket
        self.panes = panes if panes is not None else {}
        self.dead = dead
        self.problem = problem
        self.screens = {}  # session name -> screen, captured in the same call

    @property
    def answered(self):
        return not self.dead and self.problem is None


def default_socket():
    """The socket plain ``tmux`` talks to, computed as tmux does: $TMUX's when set, else
    <TMUX_TMPDIR or /tmp>/tmux-<uid>/default with the directory's symlinks resolved."""
    inside = os.environ.get("TMUX", "")
    if inside and not inside.startswith(","):
        return inside.split(",")[0]
    base = os.environ.get("TMUX_TMPDIR") or ""
    if not (base and os.path.exists(base)):
        base = "/tmp"
    return os.path.join(os.path.realpath(os.path.join(base, "tmux-%d" % os.getuid())), "default")


def record_socket(state):
    """(socket of the session's tmux server, recorded?).  A record written before tclaude
    remembered the server gets today's default, which is never proof of anything."""
    sock = state.get("tmuxSocket")
    if isinstance(sock, str) and sock.startswith("/"):
        return sock, True
    return default_socket(), False


def same_server(socket_a, socket_b):
    return bool(socket_a and socket_b) and (
        socket_a == socket_b or os.path.realpath(socket_a) == os.path.realpath(socket_b)
    )


def socket_is_dead(path):
    """True when nothing can be listening at ``path``: the socket file is gone (its folder
    readable), or it refuses connections (the server died without removing it).  Anything
    else (a permission error, a live listener, a strange file) is no proof."""
    import errno
    import socket
    import stat

    try:
        st = os.stat(path)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    if not stat.S_ISSOCK(st.st_mode):
        return False
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(2.0)
    try:
        probe.connect(path)
    except OSError as exc:
        return exc.errno == errno.ECONNREFUSED
    finally:
        probe.close()
    return False


def batchable(name):
    """A tmux session name safe to write into a tmux command line unquoted (tclaude's own)."""
    return name.startswith(TMUX_PREFIX) and is_session_id(name[len(TMUX_PREFIX) :])


class PanesQuery:
    """One running ``list-panes`` call (Tmux.start_panes_query).  ``want(names)`` adds screens
    to it until it is collected; calling it collects it once: a ServerSight whose ``screens``
    holds the screens it captured (a name missing there was not asked or not captured)."""

    def __init__(self, tmux, pid=None, fds=None, mark=None, problem=None, done=None):
        self.tmux, self.pid, self.fds, self.mark = tmux, pid, fds, mark
        self.names = []
        self.sight = done or (tmux.blind(problem) if problem else None)

    def want(self, names):
        if self.sight is None and self.mark:
            self.names += [n for n in names if batchable(n) and n not in self.names]

    def __call__(self):
        if self.sight is None:
            feed = "".join("display-message -p '%s %d'\ncapture-pane -p -J -t '=%s:'\n"
                           % (self.mark, i, name) for i, name in enumerate(self.names))  # fmt: skip
            done = self.tmux.collect(self.pid, self.fds, feed.encode())
            if done is None:
                self.sight = self.tmux.blind("no answer within %g s" % TMUX_TIMEOUT)
            else:
                self.sight = self.finish(*done)
        return self.sight

    def finish(self, code, stdout, stderr):
        """The ServerSight: list-panes answered when its marker line came, whatever the
        captures after it did."""
        head, found, rest = ("\n" + stdout).partition("\n%s -\n" % self.mark)
        if not found:
            return self.tmux.sight(code or 1, "", stderr)
        sight = self.tmux.sight(0, head[1:] + "\n", "")
        chunks = ("\n" + rest).split("\n%s " % self.mark)[1:]
        for i, chunk in enumerate(chunks):
            index, newline, screen = chunk.partition("\n")
            if index.isdigit() and int(index) < len(self.names):
                # the split ate the newline ending every screen but the last
                last = i == len(chunks) - 1
                sight.screens[self.names[int(index)]] = screen + ("" if last else newline)
        return sight


# How long one tmux call may take before its server counts as one that cannot be asked.
TMUX_TIMEOUT = 10.0


class Tmux:
    """Talks to one tmux server: the user's default one, as plain ``tmux`` would (honours
    TMUX_TMPDIR and $TMUX), or with ``socket`` the server listening there (``at``), whatever
    $TMUX and TMUX_TMPDIR the caller has.  Every call is counted so the benchmark can check
    ``ls`` makes just one per server."""

    calls = 0

    def __init__(self, socket=None, binary=None):
        self.binary = which("tmux") if binary is None else binary
        self.socket = socket
        self._servers = {}

    def at(self, socket):
        """The same tmux binary talking to the server at ``socket`` (None: the default)."""
        if not socket or socket == self.socket:
            return self
        if socket not in self._servers:
            self._servers[socket] = Tmux(socket, self.binary or "")
        return self._servers[socket]

    def of(self, state):
        """The server of a session record."""
        return self.at(record_socket(state)[0])

    def require(self):
        if not self.binary:
            raise UserError(TMUX_INSTALL_HINT)

    @staticmethod
    def literal(arg):
        """``arg`` as tmux reads it back: a command-line argument ending in ";" ends a tmux
        command (a directory named "a;" would cut new-session short), unless escaped as "\\;".
        A lone ";" is a separator tclaude means."""
        return arg[:-1] + "\\;" if arg.endswith(";") and arg != ";" else arg

    def argv(self, *args):
        sock = ("-S", self.socket) if self.socket else ()
        return [self.binary, *sock, *(self.literal(a) for a in args)]

    def env(self):
        """With a socket of its own, tmux must not read the caller's $TMUX/$TMUX_PANE: they
        name a client and a pane of another server."""
        if not self.socket:
            return os.environ
        return {k: v for k, v in os.environ.items() if k not in ("TMUX", "TMUX_PANE")}

    def run(self, *args, check=True, input=None):
        import subprocess

        self.require()
        Tmux.calls += 1
        feed = {"stdin": subprocess.DEVNULL} if input is None else {"input": input}
        try:
            proc = subprocess.run(self.argv(*args), capture_output=True, text=True,
                                  env=self.env(), timeout=TMUX_TIMEOUT, **feed)  # fmt: skip
        except subprocess.TimeoutExpired:
            stderr = "no answer within %g s" % TMUX_TIMEOUT
            proc = subprocess.CompletedProcess(args, 124, "", stderr)
        if check and proc.returncode != 0:
            raise UserError(
                "tmux %s failed: %s"
                % (args[0], one_line(proc.stderr) or "exit %d" % proc.returncode)
            )
        return proc

    def where(self):
        return self.socket or default_socket()

    def blind(self, problem):
        return ServerSight(self.where(), problem=problem)

    def sight(self, returncode, stdout, stderr):
        """The ServerSight of a finished ``list-panes -a``."""
        if returncode == 0:
            return ServerSight(self.where(), self.parse_panes(stdout))
        if socket_is_dead(self.where()):
            return ServerSight(self.where(), dead=True)
        return self.blind(one_line(stderr) or "tmux exited with status %d" % returncode)

    def start_panes_query(self):
        """Start the one tmux call of a refresh and return its PanesQuery: ``list-panes -a``,
        then the screens asked for with ``want`` before it is collected, so callers read
        state files while tmux answers.  posix_spawn instead of subprocess: importing
        subprocess costs more than the call."""
        if not self.binary:
            return PanesQuery(self, problem="tmux is not installed or not on PATH")
        fmt = self.panes_format()
        if not hasattr(os, "posix_spawn"):
            proc = self.run("list-panes", "-a", "-F", fmt, check=False)
            return PanesQuery(self, done=self.sight(proc.returncode, proc.stdout, proc.stderr))
        mark = "tclaude-%s" % os.urandom(8).hex()
        # source-file - reads the captures from stdin once the screens wanted are known: no
        # argv limit (tmux caps a command line at 16 KiB), and a capture that fails (a session
        # gone meanwhile) does not stop the ones after it.  The marker says list-panes is done.
        argv = self.argv("list-panes", "-a", "-F", fmt, ";", "display-message", "-p",
                         mark + " -", ";", "source-file", "-")  # fmt: skip
        Tmux.calls += 1
        pipes = [os.pipe() for _ in range(3)]  # stdin, stdout, stderr
        (in_read, in_write), (out_read, out_write), (err_read, err_write) = pipes
        actions = [
            (os.POSIX_SPAWN_DUP2, in_read, 0),
            (os.POSIX_SPAWN_DUP2, out_write, 1),
            (os.POSIX_SPAWN_DUP2, err_write, 2),
            *((os.POSIX_SPAWN_CLOSE, fd) for pair in pipes for fd in pair),
        ]
        try:
            pid = os.posix_spawn(self.binary, argv, self.env(), file_actions=actions)
        except OSError as exc:
            for pair in pipes:
                for fd in pair:
                    os.close(fd)
            return PanesQuery(self, problem="cannot run %s: %s" % (self.binary, exc.strerror))
        for fd in (in_read, out_write, err_write):
            os.close(fd)
        return PanesQuery(self, pid=pid, fds=(in_write, out_read, err_read), mark=mark)

    def collect(self, pid, fds, feed):
        """Feed a spawned tmux its stdin and read its output until it ends, or give up after
        TMUX_TIMEOUT (a hung server must not hang ``ls``).  Returns (exit code, stdout,
        stderr), or None on a timeout."""
        import select

        in_write, out_read, err_read = fds
        chunks = {out_read: [], err_read: []}
        deadline = time.time() + TMUX_TIMEOUT
        readers, writers = [out_read, err_read], [in_write]
        try:
            while readers:
                left = max(0.0, deadline - time.time())
                ready_r, ready_w, _ = select.select(readers, writers, [], left)
                if not (ready_r or ready_w):
                    import signal

                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                    return None
                if ready_w:
                    try:
                        feed = feed[os.write(in_write, feed[:65536]) :]
                    except OSError:  # tmux closed its stdin (an old tmux that reads none)
                        feed = b""
                    if not feed:
                        os.close(in_write)
                        writers = []
                for fd in ready_r:
                    chunk = os.read(fd, 65536)
                    if chunk:
                        chunks[fd].append(chunk)
                    else:
                        readers.remove(fd)
        finally:
            for fd in (out_read, err_read, *writers):
                os.close(fd)
        _, status = os.waitpid(pid, 0)
        code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)
        return (
            code,
            *(b"".join(chunks[fd]).decode("utf-8", "replace") for fd in (out_read, err_read)),
        )

    def panes(self):
        """Every tofu-claude pane on the server in one call: {session name: Pane}; {} when the
        server is dead or cannot be asked."""
        return self.start_panes_query()().panes

    # The one ``list-panes`` format: what liveness needs, and with ``details`` what a record
    # rebuilt for a tmux session without one needs (the start command last: it may hold tabs).
    PANE_FIELDS = ("session_name", "pane_pid", "pane_dead", "pane_dead_status")
    PANE_DETAILS = ("session_created", "pane_current_path", "pane_start_command")

    @staticmethod
    def panes_format(details=False):
        fields = Tmux.PANE_FIELDS + (Tmux.PANE_DETAILS if details else ())
        return "\t".join("#{%s}" % f for f in fields)

    @staticmethod
    def parse_panes(text, details=False):
        """``list-panes`` output in panes_format(details) -> {tofu-claude session name: Pane}."""
        width = len(Tmux.PANE_FIELDS) + (len(Tmux.PANE_DETAILS) if details else 0)
        panes = {}
        for line in text.splitlines():
            parts = line.split("\t", width - 1) if details else line.split("\t")
            if len(parts) != width or not parts[0].startswith(TMUX_PREFIX):
                continue
            name, pid, dead, status = parts[:4]
            if name in panes:
                continue  # tclaude sessions have one pane; ignore extra windows a user opened
            more = {}
            if details:
                created, cwd, command = parts[4:]
                more = {"created": int(created) if created.isdigit() else None, "cwd": cwd,
                        "command": command}  # fmt: skip
            panes[name] = Pane(
                name,
                int(pid) if pid.isdigit() else None,
                dead == "1",
                int(status) if status.lstrip("-").isdigit() else None,
                **more,
            )
        return panes

    def new_session(self, name, cwd, command):
        """Start ``command`` detached; returns (pane pid, socket of the server tmux used).
        remain-on-exit keeps a dead pane, so an exit code and the last screen survive a crash
        (set in the same call: no race)."""
        proc = self.run(
            "new-session", "-d", "-s", name, "-c", cwd, "-x", "160", "-y", "45",
            "-P", "-F", "#{pane_pid}\t#{socket_path}", command,
            ";", "set-option", "-w", "-t", "=" + name + ":", "remain-on-exit", "on",
        )  # fmt: skip
        first = (proc.stdout.strip().splitlines() or [""])[0]
        pid, _, sock = first.partition("\t")
        return (int(pid) if pid.isdigit() else None), (sock if sock.startswith("/") else None)

    def dead_pane_report(self, name):
        """(exit status, last words on screen) of a dead pane.  tmux sometimes marks a pane dead
        before it has reaped the process, leaving the status empty; running any command
        through the server (run-shell) makes it collect it.  On a loaded machine once is not
        always enough (claude may still be exiting), and the status is recorded only once per
        death: tries for up to half a second (deaths are rare)."""
        target = "=" + name + ":"
        fmt = "#{pane_dead_status}:#{pane_dead_signal}"
        for attempt in range(10):
            if attempt:
                time.sleep(0.05)
            self.run("run-shell", "true", check=False)
            proc = self.run("display-message", "-p", "-t", target, fmt, check=False)
            status, _, signum = proc.stdout.strip().partition(":")
            if not status and signum.isdigit():  # tmux 3.3+: killed by a signal
                status = str(128 + int(signum))
            if status or proc.returncode != 0:
                break
        screen = self.run("capture-pane", "-p", "-J", "-S", "-50", "-t", target, check=False)
        lines = [
            one_line(line)
            for line in screen.stdout.splitlines()
            if line.strip() and not line.startswith("Pane is dead")
        ]
        return (int(status) if status.lstrip("-").isdigit() else None), (lines[-1] if lines else "")

    def has_session(self, name):
        return self.run("has-session", "-t", "=" + name, check=False).returncode == 0

    def kill_session(self, name):
        if not (name or "").startswith(TMUX_PREFIX):
            return  # an adopted session lives in the user's own tmux session: never kill that
        self.run("kill-session", "-t", "=" + name, check=False)

    def version(self):
        """``tmux -V`` output, e.g. "tmux 3.3a" (needs no server)."""
        proc = self.run("-V", check=False)
        return proc.stdout.strip() if proc.returncode == 0 else ""

    def pane_info(self, target):
        """The Pane a target (``%3``, ``work:1.0``...) names, with id, socket and cwd.
        display-message prints an empty line and exits 0 for a missing target, hence the check."""
        fmt = "#{pane_id}\t#{pane_pid}\t#{session_name}\t#{socket_path}\t#{pane_current_path}"
        proc = self.run("display-message", "-p", "-t", target, fmt, check=False)
        parts = proc.stdout.rstrip("\n").split("\t", 4)
        if proc.returncode != 0 or len(parts) != 5 or not parts[0].startswith("%"):
            reason = one_line(proc.stderr) or "no such pane"
            raise UserError("no tmux pane %r (%s); list panes with: tmux list-panes -a" % (
                target, reason))  # fmt: skip
        return Pane(
            parts[2],
            int(parts[1]) if parts[1].isdigit() else None,
            None,
            None,
            id=parts[0],
            socket=parts[3] if parts[3].startswith("/") else None,
            cwd=parts[4],
        )

    def focus_pane(self, pane_id):
        """Make the pane current in its session, so attaching lands on it."""
        self.run("select-window", "-t", pane_id, ";", "select-pane", "-t", pane_id, check=False)

    def capture(self, name):
        proc = self.run("capture-pane", "-p", "-J", "-t", "=" + name + ":", check=False)
        return proc.stdout if proc.returncode == 0 else ""

    def paste(self, target, text):
        """Paste ``text`` into the pane ``target`` as one bracketed paste, the way a terminal
        pastes: newlines stay inside the prompt instead of each submitting it.  The buffer has
        a name of its own (never the user's paste buffers) and is deleted by the paste."""
        buffer = "tclaude-%s-%d" % (os.urandom(4).hex(), os.getpid())
        self.run("load-buffer", "-b", buffer, "-", input=text)
        proc = self.run("paste-buffer", "-p", "-d", "-b", buffer, "-t", target, check=False)
        if proc.returncode != 0:
            self.run("delete-buffer", "-b", buffer, check=False)
            raise UserError(
                "cannot paste into %s: %s" % (target, one_line(proc.stderr) or "tmux failed")
            )

    def press_enter(self, target):
        self.run("send-keys", "-t", target, "Enter")

    def send_keys(self, target, *keys, literal=False):
        """Keys by tmux name (Down, Tab, Enter...), or with ``literal`` text typed as it is."""
        if keys:
            self.run("send-keys", "-t", target, *(("-l", "--") if literal else ()), *keys)

    def screen(self, target, history=None):
        """The pane's screen as plain text, lines claude's width wrapped joined again; with
        ``history``, that many lines of scrollback before it as well."""
        back = ("-S", "-%d" % history) if history else ()
        proc = self.run("capture-pane", "-p", "-J", *back, "-t", target, check=False)
        if proc.returncode != 0:
            raise UserError("cannot read the screen of %s: %s" % (
                target, one_line(proc.stderr) or "tmux failed"))  # fmt: skip
        return proc.stdout

    def pane_details(self):
        """Every tofu-claude session with what an adopted record needs: {name: Pane}."""
        proc = self.run("list-panes", "-a", "-F", self.panes_format(details=True), check=False)
        return self.parse_panes(proc.stdout, details=True) if proc.returncode == 0 else {}

    def viewers(self):
        """{session name: set of pane pids a client is showing}, from one list-clients call
        (a client's format context is its session's current window and active pane)."""
        if not self.binary:
            return {}
        proc = self.run("list-clients", "-F", "#{client_session}\t#{pane_pid}", check=False)
        shown = {}
        for line in proc.stdout.splitlines() if proc.returncode == 0 else ():
            name, _, pid = line.partition("\t")
            shown.setdefault(name, set()).add(int(pid) if pid.isdigit() else None)
        return shown

    def last_active_client(self):
        """The tty of this server's most recently used client (a terminal where the user is
        in tmux), or None: what a notification's Open button can switch."""
        if not self.binary:
            return None
        proc = self.run("list-clients", "-F", "#{client_activity}\t#{client_tty}", check=False)
        clients = []
        for line in proc.stdout.splitlines() if proc.returncode == 0 else ():
            activity, _, tty = line.partition("\t")
            if tty:
                clients.append((int(activity) if activity.isdigit() else 0, tty))
        return max(clients)[1] if clients else None

    def switch_client(self, tty, name):
        """Show session ``name`` in the client on ``tty`` (the terminal stays where it is)."""
        self.run("switch-client", "-c", tty, "-t", "=" + name)

    def inside_tmux(self):
        """The caller runs inside a client of THIS server (switch-client can move it)."""
        inside = os.environ.get("TMUX", "")
        return bool(inside) and same_server(inside.split(",")[0], self.where())

    def attach(self, name):
        """Hand the terminal to tmux; from inside a client of the same server switch the
        client instead of nesting (a client of another server cannot be switched to it)."""
        self.require()
        if self.inside_tmux():
            import subprocess

            Tmux.calls += 1
            switch = [
                self.binary,
                "switch-client",
                "-t",
                self.literal("=" + name),
            ]  # caller's $TMUX
            proc = subprocess.run(switch, capture_output=True, text=True, timeout=TMUX_TIMEOUT)
            if proc.returncode != 0:
                raise UserError("cannot switch to %s: %s" % (name, one_line(proc.stderr)))
            return 0
        if not sys.stdin.isatty():
            raise UserError("attach needs a terminal (stdin is not a tty)")
        import subprocess

        Tmux.calls += 1
        return subprocess.call(self.argv("attach-session", "-t", "=" + name), env=self.env())


# --------------------------------------------------------------------------------------------
# 6. Claude launcher
# --------------------------------------------------------------------------------------------


def find_claude():
    path = which("claude")
    if not path:
        raise UserError(CLAUDE_INSTALL_HINT)
    return os.path.abspath(path)


def hook_settings():
    """Hooks for this session only, given with --settings: no user or project file is edited,
    and the user's own hooks keep running beside ours (claude merges hook sources)."""
    import shlex

    command = "bash %s" % shlex.quote(hook_path())
    hooks = {}
    for event in HOOK_EVENTS:
        group = {
            "hooks": [{"type": "command", "command": "%s %s" % (command, event), "timeout": 5}]
        }
        if event in MATCHER_EVENTS:
            group = dict({"matcher": "*"}, **group)
        hooks[event] = [group]
    return {"hooks": hooks}


def pane_command(sid, claude, settings_path, conv_args, extra_args):
    """One shell string for tmux: ``exec`` so the pane pid is claude's pid, ``env`` to drop an
    outer Claude Code's markers and to hand the hook its session id (works on tmux 2.6)."""
    import shlex

    words = ["exec", "env"]
    for var in OUTER_CLAUDE_VARS:
        words += ["-u", var]
    words += [
        "TCLAUDE_SESSION_ID=" + sid,
        "TCLAUDE_STATE_DIR=" + state_dir(),
        "TCLAUDE_BIN=" + os.path.realpath(__file__),
        # the desktop bus of the user running tclaude, not the one the tmux server started
        # with (a server started from ssh or a login script has none): notifications need it
        *("%s=%s" % (v, os.environ[v]) for v in DESKTOP_VARS if os.environ.get(v)),
        claude,
        *conv_args,
        "--settings",
        settings_path,
        *extra_args,
    ]
    return " ".join(shlex.quote(w) for w in words)


def find_transcript(conv_id, cwd):
    """Path of the conversation's transcript: in cwd's project folder, else any project's."""
    projects = os.path.join(claude_config_dir(), "projects")
    direct = os.path.join(projects, transcript_slug(cwd), conv_id + ".jsonl")
    if os.path.isfile(direct):
        return direct, True
    try:
        folders = os.listdir(projects)
    except OSError:
        return None, False
    for folder in folders:
        candidate = os.path.join(projects, folder, conv_id + ".jsonl")
        if os.path.isfile(candidate):
            return candidate, False
    return None, False


# --------------------------------------------------------------------------------------------
# 7. Claude's registry: what claude writes about itself in ~/.claude/sessions/<pid>.json
# --------------------------------------------------------------------------------------------


REGISTRY_STATUS = {"idle": "waiting_input", "busy": "running", "waiting": "waiting_permission"}
TMUX_LOCATION_RE = LazyRegex(r"^(.*):@\d+\.(%\d+)$")


def read_registry(pid):
    """Claude's registry entry of a live ``pid``, its fields checked, or None."""
    path = claude_registry_path(pid)
    try:
        data = read_json_file(path, 65536)
    except UnfitFile as exc:
        warn_once("ignoring %s" % exc)
        return None
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("pid") != pid or not is_pid(pid):
        return None
    return checked_fields(data, REGISTRY_FIELDS, path)


def registry_signature(pid):
    """A stat of claude's registry file: it changes on the silent moves hooks miss."""
    try:
        st = os.stat(claude_registry_path(pid))
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def live_registry_entries():
    """Registry files of interactive claude processes that are still the ones that wrote them."""
    folder = os.path.join(claude_config_dir(), "sessions")
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    entries = []
    for name in names:
        if not (name.endswith(".json") and name[:-5].isdigit()):
            continue
        reg = read_registry(int(name[:-5]))
        if not reg or reg.get("kind", "interactive") != "interactive":
            continue
        if same_process(reg["pid"], reg.get("procStart")):
            entries.append(reg)
    return entries


def tmux_location(reg):
    """(tmux session, pane id) from claude's "<session>:@<window>.%<pane>", else (None, None)."""
    match = TMUX_LOCATION_RE.match(str(reg.get("tmux") or ""))
    return (match.group(1), match.group(2)) if match else (None, None)


def ms_iso(value):
    return utc_iso(value / 1000.0) if isinstance(value, (int, float)) and value > 0 else None


def registry_text(reg, key):
    value = reg.get(key)
    return value if isinstance(value, str) else None


def claude_in_pane(pane):
    """The registry entry of the claude running in a pane: claude itself (``exec claude``) or
    the process nearest to the pane's shell, when a child claude runs inside too."""
    best, best_depth = None, None
    for reg in live_registry_entries():
        if tmux_location(reg)[1] != pane.id and reg["pid"] != pane.pid:
            continue
        depth = descent_depth(reg["pid"], pane.pid) if pane.pid else -1
        if depth is None:
            continue  # same pane id on another tmux server
        if best is None or (depth >= 0 and (best_depth < 0 or depth < best_depth)):
            best, best_depth = reg, depth
    return best


def external_pane(ref):
    """The tmux pane of ``ext:<pid>``, as ``session ls --all`` shows it."""
    pid = ref[len("ext:") :]
    reg = read_registry(int(pid)) if pid.isdigit() else None
    if not reg or not same_process(reg["pid"], reg.get("procStart")):
        raise UserError("no claude %s is running (see: tclaude session ls --all)" % ref)
    pane = tmux_location(reg)[1]
    if not pane:
        raise UserError("claude %s does not run in tmux: only a claude in a tmux pane can be "
                        "adopted" % ref)  # fmt: skip
    return pane


# --------------------------------------------------------------------------------------------
# 8. Status resolution: hooks + liveness + registry + screen, the snapshots, Watcher
# --------------------------------------------------------------------------------------------

SCREEN_BUSY = "esc to interrupt"
SCREEN_DIALOG = ("Do you want to proceed?", "Esc to cancel", "Enter to select")
SCREEN_STARTUP_DIALOGS = (
    ("Is this a project you created or one you trust?", "trust this folder?"),
    ("Choose the text style", "first-run setup"),
    ("Do you want to use this API key?", "API key question"),
)
# The screen is read only when the hook state is this old: a turn's first ~0.5 s can show an
# idle-looking screen before the spinner is drawn.
SCREEN_GRACE = 0.6
STARTUP_GRACE = 3.0


class BaseSnapshot:
    """The one interface resolve() reads liveness through, whatever the snapshot's source:
    ``started`` (when it was taken), ``panes`` ({tmux session name: Pane}), ``sight(state)``
    (the session's Pane or None, and what its server said), ``screen(name)`` ("" when this
    snapshot has no tmux to ask), ``want_screens`` (the screens resolve() will read, told
    ahead) and ``registry(pid)`` (claude's registry entry, read once per snapshot)."""

    def __init__(self, tmux):
        self.tmux = tmux
        self.started = time.time()
        self.sockets = {}  # tmux session name -> socket, for screens
        self.registries = {}  # claude pid -> its registry entry, read once per snapshot

    @property
    def panes(self):
        raise NotImplementedError

    def sight(self, state):
        raise NotImplementedError

    def screen(self, name):
        if not self.tmux:
            return ""
        return self.tmux.at(self.sockets.get(name)).capture(name)

    def want_screens(self, states, hooks, now):
        """Say which screens resolve() will read, so a snapshot that batches can fetch them
        together; this one reads each when asked."""

    def want_screen(self, state):
        """One more screen for this refresh (the dashboard's preview); this one reads it when
        asked."""

    def registry(self, pid):
        """Claude's registry entry of ``pid`` (read_registry), read once per snapshot."""
        if pid not in self.registries:
            self.registries[pid] = read_registry(pid)
        return self.registries[pid]


class Snapshot(BaseSnapshot):
    """What one refresh knows: the panes of every tmux server the sessions live on (one
    ``list-panes`` per server, all started at once) and lazily captured screens."""

    def __init__(self, tmux, states=()):
        super().__init__(tmux)
        self._queries = {}
        self._servers = {}
        self.ask(states)

    def ask(self, states):
        """Start the query of each server these sessions live on (once per server)."""
        for state in states:
            if not (state.get("adopted") or death_recorded(state)):  # those need no tmux
                sock = record_socket(state)[0]
                self.sockets[state.get("tmuxSession")] = sock
                self._start(sock)

    def _start(self, sock):
        if sock not in self._queries:
            self._queries[sock] = self.tmux.at(sock).start_panes_query()

    def want_screens(self, states, hooks, now):
        """Add to each server's call the screens resolve() will read (screen_wanted)."""
        for state, hook in zip(states, hooks):
            sock = self.sockets.get(state.get("tmuxSession"))
            if sock in self._queries and screen_wanted(state, hook, self, now):
                self._queries[sock].want([state["tmuxSession"]])

    def want_screen(self, state):
        """The dashboard's preview rides in the same call as the refresh's list-panes."""
        if state.get("adopted"):
            return  # its claude is a pane of the user's own session: captured on its own
        self.ask([state])
        sock = self.sockets.get(state.get("tmuxSession"))
        if sock in self._queries:
            self._queries[sock].want([state["tmuxSession"]])

    def screen(self, name):
        """The screen captured in its server's call, else (not foreseen) one capture now."""
        sock = self.sockets.get(name)
        if sock in self._queries:
            captured = self.server(sock).screens
            if name in captured:
                return captured[name]
        return super().screen(name)

    def server(self, sock):
        """The ServerSight of ``sock``; a server that cannot be asked is warned about once."""
        if sock not in self._servers:
            self._start(sock)
            self._servers[sock] = sight = self._queries[sock]()
            if sight.problem:
                warn("tmux server %s cannot be asked: %s" % (sock, sight.problem))
        return self._servers[sock]

    def sight(self, state):
        """(the session's Pane or None, its server's ServerSight)."""
        server = self.server(record_socket(state)[0])
        return server.panes.get(state.get("tmuxSession")), server

    @property
    def panes(self):
        """Every tofu-claude pane of the servers asked so far."""
        found = {}
        for sock in list(self._queries):
            found.update(self.server(sock).panes)
        return found


class PidSnapshot(BaseSnapshot):
    """A Snapshot that asks tmux nothing about liveness: a pane per recorded claude pid, dead
    when the process is gone.  Screens come from ``tmux`` when given (a waiter's glance), else
    read blank, which changes nothing (the status line)."""

    def __init__(self, states, hooks, tmux=None):
        super().__init__(tmux)
        self._panes = {}
        for state in states:
            hook = hooks.get(state["id"]) or {}
            pid = state.get("pid") or hook.get("claudePid")
            name = state.get("tmuxSession")
            self.sockets[name] = state.get("tmuxSocket")
            if isinstance(pid, int) and pid > 0:
                self._panes[name] = Pane(name, pid, not process_running(pid), None)

    def sight(self, state):
        """A session without a pid is one only tmux can judge: its server counts as one that
        was not asked."""
        pane = self.panes.get(state.get("tmuxSession"))
        if pane:
            return pane, None
        return None, ServerSight(record_socket(state)[0], problem="not asked (no claude pid)")

    @property
    def panes(self):
        return self._panes


# A record without a pid younger than this belongs to a `session new` still spawning tmux.
SPAWN_GRACE = 10.0


ALIVE = ("alive", None, None)


def claude_gone(state, view):
    """The session's claude pid is known and proven gone (or reused: its start time, where
    recorded, differs).  False when it runs or nothing is known."""
    pid = view.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return False
    if not process_running(pid):
        return True
    start = state.get("procStart") if pid == state.get("pid") else None
    actual = proc_start_ticks(pid) if start is not None else None
    return actual is not None and str(start) != actual


def liveness_verdict(state, view, pane, server, now, snap):
    """("alive", None, None), ("exited", detail, cause) or ("unknown", reason, None).
    Death needs proof: a dead pane, a gone claude pid, the session's own server answering
    without it, or that server proven dead (socket gone or refusing) with no claude left
    running.  A server that cannot be asked, or a record that does not say which server it
    lives on, proves nothing by itself."""
    if pane is not None:
        if pane.dead:
            if pane.dead_status is not None:
                return "exited", "claude exited (status %d)" % pane.dead_status, "pane-dead"
            return "exited", "claude exited", "pane-dead"
        if pane.pid and not pid_alive(pane.pid):
            return "exited", "claude process gone", "pid-gone"
        return ALIVE
    spawned = parse_iso(state.get("spawned") or state.get("created")) or 0
    if state.get("pid") is None and now - spawned < SPAWN_GRACE:
        return ALIVE  # `session new` writes the record before it starts tmux
    sock, recorded = record_socket(state)
    if server.answered and recorded:
        if spawned >= snap.started - 2 and snap.tmux.at(sock).has_session(state["tmuxSession"]):
            return ALIVE  # spawned while the pane list was being taken: ask tmux once more
        return "exited", "tmux session gone", "session-gone"
    if server.dead and not (view.get("pid") and not claude_gone(state, view)):
        if recorded or view.get("pid"):
            return "exited", "tmux server gone", "server-gone"
    elif claude_gone(state, view):
        return "exited", "claude process gone", "pid-gone"
    if server.answered:
        return "unknown", "not on tmux server %s (the record does not say which server it " \
                          "was started on)" % sock, None  # fmt: skip
    if server.dead:
        pid = view.get("pid")
        if pid:
            return "unknown", "tmux server %s is gone but claude pid %d still runs" % (
                sock, pid), None  # fmt: skip
        return "unknown", "tmux server %s is gone; the record does not say it ran there" % (
            sock), None  # fmt: skip
    return "unknown", "tmux server %s cannot be asked: %s" % (sock, server.problem), None


def death_recorded(state):
    """An exit tclaude has already written down is final: nothing can revive that process."""
    return state.get("status") == "exited" and bool(state.get("exitedAt"))


def resolve_adopted(state, now):
    """An adopted session's claude runs no tclaude hook (it lacks TCLAUDE_SESSION_ID), so its
    status is claude's registry; alive while its pid is the process that was adopted."""
    view = dict(state)
    if death_recorded(state):
        return view, None
    pid = state.get("pid")
    if not same_process(pid, state.get("procStart")):
        changed = exited_fields("claude process gone", now)
        view.update(changed)
        return view, changed
    reg = read_registry(pid)
    if reg:
        view["status"] = REGISTRY_STATUS.get(reg.get("status"), view.get("status") or "running")
        view["statusSince"] = ms_iso(reg.get("statusUpdatedAt")) or view.get("statusSince")
        view["convId"] = registry_text(reg, "sessionId") or view.get("convId")
        view["statusDetail"] = "adopted, tmux %s" % state.get("tmuxPane")
    else:
        view["statusDetail"] = "adopted; claude's registry file is missing"
    return view, None


def never_started(view):
    """A record whose claude never ran (its ``session new`` was interrupted before tmux
    started it): no claude pid, no hook heard, no transcript, so nothing to resume."""
    if view.get("adopted") or view.get("pid") is not None or view.get("transcriptPath"):
        return False
    conv = view.get("convId")
    return bool(conv) and find_transcript(conv, view.get("cwd") or "")[0] is None


def resolve(state, hook, snap, now=None):
    """The session as users should see it.  Returns (view, changed): ``changed`` is a dict of
    fields to persist (only when the session has just been found dead)."""
    now = now or time.time()
    if state.get("adopted"):
        return resolve_adopted(state, now)
    view = dict(state)
    if death_recorded(state):
        return view, None
    hook, hook_ts = current_hook(state, hook)
    if hook:
        view["status"] = hook["status"]
        view["statusDetail"] = one_line(hook.get("detail") or "")
        view["statusSince"] = utc_iso(float(hook.get("since") or hook_ts))
        view["updated"] = max(view.get("updated") or "", utc_iso(hook_ts))
        if hook.get("convId"):
            view["convId"] = hook["convId"]
        if hook.get("transcriptPath"):
            view["transcriptPath"] = hook["transcriptPath"]
        if isinstance(hook.get("claudePid"), int):
            view["pid"] = hook["claudePid"]
    pane, server = snap.sight(state)
    if pane and pane.pid and not pane.dead:
        view["pid"] = pane.pid
    verdict, death, cause = liveness_verdict(state, view, pane, server, now, snap)
    if verdict == "unknown":  # shown, never written: the record keeps its last known status
        view.update(status="unknown", statusDetail=death)
        return view, None
    if verdict == "exited":
        ended = hook if hook and hook["status"] == "exited" else {}
        if ended and view["statusDetail"]:
            death = view["statusDetail"]
        if never_started(view):
            death = "claude never started (its session new was interrupted)"
        changed = exited_fields(
            death,
            now,
            pane.dead_status if pane else None,
            exitCause=cause,
            exitReason=ended.get("reason") if isinstance(ended.get("reason"), str) else None,
            convId=view.get("convId"),
            pid=view.get("pid"),
        )
        view.update(changed)
        return view, changed
    if view["status"] in ("running", "waiting_permission"):
        fill_no_hook_gap(view, hook, hook_ts, pane, snap, now)
    return view, None


def current_hook(state, hook):
    """(the hook status of this run of the session or None, the time it speaks of: its
    stamp, else the spawn)."""
    spawned = parse_iso(state.get("spawned") or state.get("created")) or 0
    if hook and float(hook.get("ts") or 0) + 1 < spawned:
        hook = None  # left over from an earlier run of this id
    return hook, (float(hook.get("ts") or 0) if hook else spawned)


def screen_wanted(state, hook, snap, now):
    """Whether resolve() will read the session's screen (fill_no_hook_gap), judged before
    tmux has answered: with the claude pid the hook or the record knows, not the pane's.
    It only picks the screens a refresh's one tmux call captures; resolve() captures any
    other it turns out to need."""
    if state.get("adopted") or death_recorded(state):
        return False
    hook, hook_ts = current_hook(state, hook)
    if (hook["status"] if hook else state.get("status")) not in ("running", "waiting_permission"):
        return False
    if not hook:
        return now - hook_ts > STARTUP_GRACE
    pid = hook.get("claudePid") if is_pid(hook.get("claudePid")) else state.get("pid")
    reg = snap.registry(pid) if is_pid(pid) else None
    if reg and reg.get("status") in REGISTRY_STATUS:
        return False
    return now - hook_ts >= SCREEN_GRACE


def fill_no_hook_gap(view, hook, hook_ts, pane, snap, now):
    """Denying a permission, interrupting a turn and start-up dialogs fire no hook.  Claude's
    registry flips within ~0.1 s; where it is missing, read the screen."""
    if not hook:
        if now - hook_ts > STARTUP_GRACE:
            explain_silent_start(view, pane, snap)
        return
    before = view["status"]
    reg = snap.registry(pane.pid) if pane and pane.pid else None
    if reg and reg.get("status") in REGISTRY_STATUS:
        reg_ts = float(reg.get("statusUpdatedAt") or reg.get("updatedAt") or 0) / 1000.0
        if reg_ts > hook_ts:
            apply_observed(view, before, reg["status"], reg_ts)
        return
    if now - hook_ts < SCREEN_GRACE:
        return
    screen = snap.screen(view["tmuxSession"])
    tail = "\n".join(screen.rstrip("\n").splitlines()[-12:])
    if SCREEN_BUSY in tail:
        apply_observed(view, before, "busy", hook_ts)
    elif any(marker in tail for marker in SCREEN_DIALOG):
        apply_observed(view, before, "waiting", hook_ts)
    elif "❯" in tail:
        apply_observed(view, before, "idle", hook_ts)


def explain_silent_start(view, pane, snap):
    """No hook since the spawn: a start-up dialog waits for the user, or hooks are off."""
    screen = snap.screen(view["tmuxSession"])
    for marker, detail in SCREEN_STARTUP_DIALOGS:
        if marker in screen:
            view["status"] = "waiting_input"
            view["statusDetail"] = "start-up dialog: " + detail
            return
    reg = snap.registry(pane.pid) if pane and pane.pid else None
    if reg and reg.get("status") in REGISTRY_STATUS:
        view["status"] = REGISTRY_STATUS[reg["status"]]
        view["statusDetail"] = "no hook has reported (hooks disabled?)"


def apply_observed(view, before, observed, since):
    """Merge what the registry or screen shows into the hook state."""
    detail = view.get("statusDetail") or ""
    if REGISTRY_STATUS[observed] != before:
        view["statusSince"] = utc_iso(since)
    if observed == "idle":
        view["status"] = "waiting_input"
        view["statusDetail"] = (
            ("denied: " + detail) if before == "waiting_permission" else "interrupted"
        )
    elif observed == "busy" and before == "waiting_permission":
        view["status"] = "running"
        view["statusDetail"] = ("approved: " + detail) if detail else "approved"
    elif observed == "waiting" and before == "running":
        view["status"] = "waiting_permission"
        view["statusDetail"] = detail or "permission dialog"


def current_views(store, tmux, states=None, snap=None):
    """Every session resolved against one tmux snapshot; deaths are written back once."""
    snap = snap or Snapshot(tmux)
    if states is None:
        states = []
        for state in store.each():
            snap.ask([state])  # a server is asked as soon as a record names it
            states.append(state)
    snap.ask(states)  # the tmux servers answer while the records and hook files are read
    hooks = [None if death_recorded(s) else store.load_hook_status(s["id"]) for s in states]
    now = time.time()
    snap.want_screens(states, hooks, now)  # captured in the same tmux call
    views = []
    for state, hook in zip(states, hooks):
        view, changed = resolve(state, hook, snap, now)
        if changed:
            explain_death(tmux, snap, view, changed, hook)
            persist_exit(store, state, changed)
        views.append(view)
    return views


def creation_order(view):
    stamp = view.get("createdTs")
    if not isinstance(stamp, (int, float)):  # missing, or a hand-edited file: never crash a sort
        stamp = parse_iso(view.get("created")) or 0
    return (stamp, view["id"])


def external_views(views, snap):
    """Claude sessions tclaude does not manage, as views shaped like tclaude's own (id
    ``ext:<pid>``, "external": true).  ``views`` are tclaude's resolved sessions and ``snap``
    the same refresh's tmux snapshot: their claude processes are left out."""
    owned = {v.get("pid") for v in views if v.get("status") != "exited"}
    owned.update(pane.pid for pane in snap.panes.values())
    externals = []
    for reg in live_registry_entries():
        session, pane = tmux_location(reg)
        if reg["pid"] in owned or (session or "").startswith(TMUX_PREFIX):
            continue
        status, started = REGISTRY_STATUS.get(reg.get("status")), reg.get("startedAt")
        externals.append({
            "id": "ext:%d" % reg["pid"],
            "external": True,
            "name": None,
            "tmuxSession": session,
            "tmuxPane": pane,
            "pid": reg["pid"],
            "cwd": registry_text(reg, "cwd"),
            "convId": registry_text(reg, "sessionId"),
            "status": status or "running",
            "statusDetail": ("tmux %s:%s" % (session, pane)) if pane else "not in tmux",
            "statusSince": ms_iso(reg.get("statusUpdatedAt")) or ms_iso(reg.get("startedAt")),
            "created": ms_iso(reg.get("startedAt")),
            "createdTs": started / 1000.0 if isinstance(started, (int, float)) else None,
            "updated": ms_iso(reg.get("updatedAt")),
            "claudeVersion": registry_text(reg, "version"),
        })  # fmt: skip
    return sorted(externals, key=creation_order)


def explain_death(tmux, snap, view, changed, hook):
    """Once per death: the exit status and claude's last words (e.g. an argument error)."""
    pane, _ = snap.sight(view)
    if not (pane and pane.dead):
        return
    status, last_line = tmux.of(view).dead_pane_report(pane.session)
    if status is None:
        return
    changed["exitCode"] = status
    view["exitCode"] = status  # the run that finds the death shows what it records
    if hook and hook.get("status") == "exited":
        return  # claude said why (SessionEnd reason): keep that
    detail = "claude exited (status %d)" % status
    if status > 128:
        detail = "claude killed by signal %d" % (status - 128)
    elif status != 0 and last_line:
        detail += ": " + last_line[:120]
    changed["statusDetail"] = detail
    view.update(changed)


def spawn_facts(state):
    """What identifies one claude of a session: a resume changes both (pid goes None, then the
    new pid), so a verdict about the old claude no longer matches."""
    return {"spawned": state.get("spawned"), "pid": state.get("pid")}


def persist_exit(store, state, changed):
    """Record a death seen in ``state``: through the guarded update, so a session killed
    meanwhile stays removed and a respawned one is not marked exited on old facts."""
    try:
        store.update(state["id"], expect=spawn_facts(state), **changed)
    except UserError as exc:
        warn(str(exc))


# A waiter stats the session's files every tick and asks tmux only when something changed.
# Hooks stay silent on a denied permission or an interrupt: claude's registry file covers
# that (it is stat'ed too); without one, only tmux and the screen tell, so while the session is
# running or waiting for a permission look every GAP_RECHECK seconds.  SAFETY_RECHECK catches
# what no file shows (a tmux session killed under a claude that survived its SIGHUP).
WAIT_TICK = 0.2
WAIT_GAP_RECHECK = 2.0
WAIT_SAFETY_RECHECK = 15.0


class Watcher:
    """Follows a few sessions for ``session wait`` at the price of a few stat calls a tick.
    It looks again only when one of them may have moved: a full look (one tmux call) when a
    file changed or a claude died, a glance (screens only, liveness from the pids) for
    sessions whose silent moves only the screen shows."""

    def __init__(self, store, tmux):
        self.store = store
        self.tmux = tmux
        self.views = {}
        self.marks = {}
        self.resolved_at = 0.0  # last full look
        self.looked_at = 0.0  # last look of any kind

    def fingerprint(self, sid, pid):
        registry = registry_signature(pid) if isinstance(pid, int) and pid > 0 else None
        return self.store.signature(sid), registry

    def load(self, sids):
        """The records of ``sids``, marked before reading so a later change shows; a
        session whose record is gone counts as exited."""
        states = []
        for sid in sids:
            self.marks[sid] = self.fingerprint(sid, self.views.get(sid, {}).get("pid"))
            try:
                states.append(self.store.load(sid))
            except FileNotFoundError:
                self.views[sid] = {"id": sid, "status": "exited", "statusDetail": "removed"}
            except (OSError, ValueError) as exc:
                # unreadable is not removed: keep what was last seen until it reads again
                if sid not in self.views:
                    raise UserError(
                        "cannot read session %s: %s" % (sid, one_line(str(exc)))
                    ) from None
                warn_once("cannot read session %s: %s" % (sid, one_line(str(exc))))
        return states

    def keep(self, views):
        for view in views:
            before = self.views.get(view["id"], {}).get("pid")
            self.views[view["id"]] = view
            if view.get("pid") != before:  # a new claude keeps a registry file of its own
                self.marks[view["id"]] = self.fingerprint(view["id"], view.get("pid"))
        self.looked_at = time.time()

    def refresh(self, sids):
        """Resolve ``sids`` against tmux now."""
        states = self.load(sids)
        self.keep(current_views(self.store, self.tmux, states) if states else [])
        self.resolved_at = self.looked_at
        return [self.views[sid] for sid in sids]

    def glance(self, sids):
        """Resolve ``sids`` with liveness from their pids and screens read only where needed
        (one capture-pane per blind session); None when only tmux can tell."""
        states = self.load(sids)
        hooks = {s["id"]: self.store.load_hook_status(s["id"]) for s in states}
        snap = PidSnapshot(states, hooks, self.tmux)
        now = time.time()
        views = [resolve(state, hooks[state["id"]], snap, now)[0] for state in states]
        if any(v["status"] in ("exited", "unknown") for v in views):
            return None  # let tmux confirm (and the death be recorded)
        self.keep(views)
        return [self.views[sid] for sid in sids]

    def next_look(self, sids, now):
        """ "full", "glance" or None (nothing can have moved)."""
        if now - self.resolved_at >= WAIT_SAFETY_RECHECK:
            return "full"
        how = None
        for sid in sids:
            view = self.views.get(sid, {})
            if self.fingerprint(sid, view.get("pid")) != self.marks.get(sid):
                return "full"
            if view.get("status") == "exited":
                continue  # only a resume brings it back, and that rewrites the record
            pid = view.get("pid")
            if not isinstance(pid, int) or pid <= 0:  # not spawned yet: only tmux can tell
                if now - self.looked_at >= WAIT_GAP_RECHECK:
                    return "full"
                continue
            if not process_running(pid):
                return "full"
            if now - self.looked_at >= WAIT_GAP_RECHECK and self.blind(view):
                how = "glance"
        return how

    def look(self, sids, how):
        return (how == "glance" and self.glance(sids)) or self.refresh(sids)

    @staticmethod
    def blind(view):
        """Running or at a permission dialog with no registry file: a silent denial or an
        interrupt would show nowhere but on the screen."""
        if view.get("status") not in ("running", "waiting_permission"):
            return False
        pid = view.get("pid")
        return not isinstance(pid, int) or registry_signature(pid) is None


# --------------------------------------------------------------------------------------------
# 9. Commands: session new, ls, attach, kill, wait, send, resume, rename, prune, status-line
# --------------------------------------------------------------------------------------------


def find_session(store, ref, states=None):
    """A session by exact id, name, or unique id prefix; one clear error otherwise."""
    ref = (ref or "").strip()
    if not ref:
        raise UserError("no session id given")
    states = store.load_all() if states is None else states
    for state in states:
        if state["id"] == ref:
            return state
    named = [s for s in states if s.get("name") == ref]
    if len(named) > 1:
        live = [s for s in named if s.get("status") != "exited"]
        named = live if len(live) == 1 else named
    matches = [s for s in states if s["id"].startswith(ref.lower())]
    if len(named) == 1 and not [s for s in matches if s is not named[0]]:
        return named[0]
    if len(matches) == 1 and not named:
        return matches[0]
    if not matches and not named:
        raise UserError("no session %r (see: tclaude session ls)" % ref)
    # a name that is also another session's id prefix (a record from before names were
    # checked) is ambiguous too: picking either silently could kill the wrong one
    listed = ", ".join(sorted(set(s["id"] for s in matches + named)))
    raise UserError("%r is ambiguous: it matches %s" % (ref, listed))


def shell_path(path):
    """A path to paste into a shell: ~ stays expandable, anything odd is quoted."""
    import shlex

    home = home_dir()
    if path.startswith(home + os.sep):
        return "~/" + shlex.quote(path[len(home) + 1 :])
    return shlex.quote(path)


def resume_hint(view, conv_first=False, afresh=False):
    """The ``session new`` that continues this session's conversation (or, without one or when
    ``afresh``, starts a new one in its directory).  ``conv_first`` for a one-line footer: a
    narrow terminal then cuts the directory rather than the id."""
    where = shell_path(view.get("cwd") or ".")
    conv = None if afresh else view.get("convId")
    if not conv:
        return "tclaude session new %s" % where
    if conv_first:
        return "tclaude session new --resume %s %s" % (conv, where)
    return "tclaude session new %s --resume %s" % (where, conv)


def never_started_text(view):
    return "session %s never started claude (its session new was interrupted); start over " \
           "with: tclaude session kill %s && %s" % (
               view["id"], view["id"], resume_hint(view, afresh=True))  # fmt: skip


# A name like this could be read as an id prefix (``kill 8cb`` must not pick a session named
# "8cb" while session 8cb9203b exists).
ID_PREFIX_RE = LazyRegex(r"^[0-9a-fA-F]{1,8}$")


def checked_name(name):
    if name is not None and (
        not name.strip() or ID_PREFIX_RE.match(name) or "/" in name or ":" in name
    ):  # ":" is for host:id
        raise UserError(
            "invalid name %r: use a short label that is not 1-8 hex digits (an id or id prefix)"
            " and has no / or :" % name
        )
    return name


def checked_conv_id(raw):
    conv_id = raw.strip().lower()
    if not UUID_RE.match(conv_id):
        raise UserError("--resume needs a conversation id (a UUID), got %r" % raw)
    return conv_id


def locate_conversation(conv_id, cwd):
    """Refuse a conversation claude would not find (it would die at once with a dead pane)."""
    found, here = find_transcript(conv_id, cwd)
    if not found:
        raise UserError("no conversation %s found for %s (nothing in %s)" % (
            conv_id, cwd, os.path.join(claude_config_dir(), "projects")))  # fmt: skip
    if not here:
        warn("conversation %s was recorded in another folder (%s)" % (conv_id, found))


def ensure_unclaimed(live, conv_id=None, name=None, sid=None):
    """Two live claudes on one conversation corrupt it (claude does not stop them); two live
    sessions with one name make the name useless.  ``sid`` is the session asking."""
    for v in live:
        if conv_id and v["id"] != sid and v.get("convId") == conv_id:
            raise UserError(
                "conversation %s is already open in session %s (%s); attach with: "
                "tclaude session attach %s" % (conv_id, v["id"], v["status"], v["id"])
            )
    if name is not None and any(v["id"] != sid and v.get("name") == name for v in live):
        raise UserError("a live session is already named %r" % name)


def launch(store, tmux, state, claude, resume, undo):
    """Start claude for ``state`` in a new tmux session (session new and session resume).
    The record is saved before the spawn, so the very first hook finds its session; if tmux
    fails, ``undo`` puts the state dir back as it was."""
    sid = state["id"]
    try:  # any step failing (a marker that cannot be made, tmux) leaves nothing half-made
        settings = store.write_settings(sid, hook_settings())
        conv_args = ["--resume" if resume else "--session-id", state["convId"]]
        command = pane_command(sid, claude, settings, conv_args, state.get("claudeArgs") or [])
        state["tmuxSocket"] = tmux.where()  # tmux's own answer replaces it once it has started
        store.save(state)
        sync_notify_marker(store, state)
        pid, sock = tmux.new_session(state["tmuxSession"], state["cwd"], command)
    except UserError:
        undo()
        raise
    state.update(pid=pid, tmuxSocket=sock or state["tmuxSocket"])
    state["procStart"] = proc_start_ticks(pid) if pid else None  # tells a reused pid apart
    store.save(state)


# -- worktrees: the only code that runs git ----------------------------------------------------
# `session new --worktree` runs each session in a git worktree of its own.  tclaude runs
# `git worktree add` itself rather than claude's -w (docs/design.md, "Worktrees": claude -w
# cannot take a base or an existing branch, removes a clean worktree on exit, and offers
# "Remove worktree: all changes and commits will be lost" one key away).  Removal is where
# work gets lost, so it is narrow: worktree_verdict below is the one judge, asked again under
# the state lock right before `git worktree remove` (never rm -rf), and whatever git cannot
# answer is "unknown", which is never removed.

GIT_TIMEOUT = 10.0
# Where claude -w puts its worktrees: one known place per repo, and a worktree of either tool
# is a clash for the other, never a surprise.  (Claude looks workspace trust up by the main
# checkout for any of its worktrees, so the place does not matter for the trust dialog.)
WORKTREE_DIR = os.path.join(".claude", "worktrees")
WORKTREE_EXCLUDE = "/.claude/worktrees/"
WORKTREE_STATUS_TTL = 5.0  # seconds ls and watch show a cached worktree status before asking git
REMOVE_GIT_TIMEOUT = 120.0  # git worktree remove: deleting a big tree takes a while, as adding does
VIEW_GIT_TIMEOUT = 3.0  # a git that hangs (a network file system) makes ls wait this long, once
STR_FIELD = ((str,), None)
RECORD_FIELDS.update(
    worktreePath=STR_FIELD,  # the worktree (the session's cwd is in it)
    worktreeRepo=STR_FIELD,  # the repo's main checkout, where git is asked about it
    worktreeBranch=STR_FIELD,
    worktreeBase=STR_FIELD,  # the commit a new branch started at
    worktreeNewBranch=((bool,), None),  # tclaude made the branch (only then may it delete it)
)


class GitError(Exception):
    """git gave no usable answer (missing, timed out, refused): callers say "unknown"."""


def git(where, *args, timeout=GIT_TIMEOUT, check=True):
    """git's stdout (``check``: raise GitError with git's own error line on failure; else
    (exit code, stdout)).  No prompt, no optional lock (a status must not block a commit)."""
    import subprocess

    env = dict(os.environ, LC_ALL="C", GIT_OPTIONAL_LOCKS="0", GIT_TERMINAL_PROMPT="0")
    for var in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR"):
        env.pop(var, None)  # set by an outer git hook, they would point git elsewhere
    try:  # a process group of its own: a timeout kills git and whatever it started
        proc = subprocess.Popen(["git", "-C", where, *args], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                start_new_session=True)  # fmt: skip
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH") from None
    except OSError as exc:
        raise GitError("cannot run git: %s" % (exc.strerror or exc)) from None
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        import signal

        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            proc.communicate(timeout=2.0)
        except subprocess.TimeoutExpired:
            pass  # a child that left the group holds the pipe: give up on it
        raise GitError("git %s timed out after %g s in %s" % (args[0], timeout, where)) from None
    out = stdout.decode("utf-8", "surrogateescape")
    if not check:
        return proc.returncode, out
    if proc.returncode != 0:
        lines = stderr.decode("utf-8", "replace").strip().splitlines() or [""]
        line = next((x for x in lines if x.startswith(("fatal:", "error:"))), lines[0])
        raise GitError(one_line(line) or "git %s failed (exit %d)" % (args[0], proc.returncode))
    return out


def worktree_list(repo):
    """``git worktree list --porcelain`` as dicts (path, HEAD, branch, detached, locked,
    prunable, bare), the main worktree first."""
    entries = []
    for line in git(repo, "worktree", "list", "--porcelain").split("\n"):
        if line.startswith("worktree "):
            entries.append({"path": line[len("worktree ") :]})
        elif entries and line:
            key, _, value = line.partition(" ")
            entries[-1][key] = value or True
    return entries


def same_path(a, b):
    return isinstance(a, str) and isinstance(b, str) and os.path.realpath(a) == os.path.realpath(b)


def inside(path, folder):
    path, folder = os.path.realpath(path), os.path.realpath(folder)
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def git_or_user_error(run, what):
    try:
        return run()
    except GitError as exc:
        raise UserError("%s: %s" % (what, exc)) from None


def repo_of(directory):
    """(main checkout, top level of ``directory``'s checkout, worktree list); one clear
    error when ``directory`` is in no git work tree."""
    code, top = git_or_user_error(
        lambda: git(directory, "rev-parse", "--show-toplevel", check=False), "--worktree"
    )
    if code != 0 or not top.strip():
        raise UserError("not a git repository: %s (--worktree needs one)" % directory)
    top = os.path.realpath(top.strip())
    entries = git_or_user_error(lambda: worktree_list(top), "cannot list worktrees of " + top)
    if not entries or entries[0].get("bare"):
        raise UserError("%s belongs to a bare repository: --worktree needs a main checkout" % top)
    return os.path.realpath(entries[0]["path"]), top, entries


def ref_exists(repo, ref):
    return git(repo, "rev-parse", "--verify", "--quiet", ref, check=False)[0] == 0


def checked_branch_name(repo, name, what):
    """A name git takes as a branch (git check-ref-format), else one clear error."""
    bad = not name or name.startswith("-") or name in ("HEAD", "@")  # refs git's branch refuses
    if bad or git(repo, "check-ref-format", "refs/heads/" + name, check=False)[0] != 0:
        raise UserError("invalid %s %r: it must be a valid git branch name (git check-ref-format "
                        "--branch %s)" % (what, name, shell_path(name or "''")))  # fmt: skip
    return name


def plan_worktree(directory, name, branch, base, default_name):
    """Every check ``session new --worktree`` makes before anything is created: the record
    fields of the worktree to make, plus ``cwd`` (``directory``'s place in it)."""
    if branch is not None and base is not None:
        raise UserError("--from starts a new branch, --branch runs on an existing one: not both",
                        code=2)  # fmt: skip
    main, top, entries = repo_of(directory)
    return git_or_user_error(
        lambda: worktree_plan(directory, name, branch, base, default_name, main, top, entries),
        "--worktree",
    )


def worktree_plan(directory, name, branch, base, default_name, main, top, entries):
    if branch is not None:
        checked_branch_name(main, branch, "branch name")
        if not ref_exists(main, "refs/heads/" + branch):
            raise UserError("no branch %r in %s (for a new one: --worktree NAME [--from REF])"
                            % (branch, main))  # fmt: skip
        for entry in entries:
            if entry.get("branch") == "refs/heads/" + branch:
                raise UserError("branch %s is checked out already in %s (git allows a branch "
                                "in one worktree only)" % (branch, entry["path"]))  # fmt: skip
        name = name or branch
    name = checked_branch_name(main, name or default_name, "worktree name")
    new_branch = branch is None
    if new_branch:
        branch = name
        if ref_exists(main, "refs/heads/" + branch):
            raise UserError("branch %s exists already in %s (to run on it: --branch %s)"
                            % (branch, main, branch))  # fmt: skip
        if base is None and git(directory, "symbolic-ref", "-q", "HEAD", check=False)[0] != 0:
            raise UserError("HEAD is detached in %s: say which commit to branch from with "
                            "--from REF" % top)  # fmt: skip
        code, sha = 1, ""
        if not (base or "HEAD").startswith("-"):  # never an option to git
            code, sha = git(directory, "rev-parse", "--verify", "--quiet",
                            (base or "HEAD") + "^{commit}", check=False)  # fmt: skip
        if code != 0 or not sha.strip():
            raise UserError("no commit %r in %s (--from takes a branch, tag or commit)"
                            % (base, main))  # fmt: skip
        base = sha.strip()
    else:
        base = git(main, "rev-parse", "--verify", "refs/heads/" + branch).strip()
    path = os.path.join(main, WORKTREE_DIR, name.replace("/", "-"))
    for entry in entries:
        if same_path(entry["path"], path) or entry["path"] == path:
            raise UserError("%s is a worktree of %s already (see: git -C %s worktree list)"
                            % (path, main, shell_path(main)))  # fmt: skip
    if os.path.lexists(path):
        raise UserError("%s exists already: pick another worktree name" % path)
    rel = os.path.relpath(directory, top)
    return {
        "worktreePath": path,
        "worktreeRepo": main,
        "worktreeBranch": branch,
        "worktreeBase": base,
        "worktreeNewBranch": new_branch,
        "cwd": path if rel == os.curdir else os.path.join(path, rel),
    }


def missing_parents(path):
    """The folders above ``path`` that do not exist yet, deepest first (for an undo)."""
    made, folder = [], os.path.dirname(path)
    while folder and not os.path.isdir(folder):
        made.append(folder)
        folder = os.path.dirname(folder)
    return made


def make_worktree(plan):
    """``git worktree add`` as planned; on failure nothing of it is left (UserError)."""
    path, main, branch = plan["worktreePath"], plan["worktreeRepo"], plan["worktreeBranch"]
    plan["_madeDirs"] = missing_parents(path)
    if plan["worktreeNewBranch"]:
        args = ("worktree", "add", "--quiet", "-b", branch, path, plan["worktreeBase"])
    else:
        args = ("worktree", "add", "--quiet", path, branch)
    try:
        git(main, *args, timeout=120.0)  # a big checkout takes a while
    except GitError as exc:
        undo_worktree(plan)
        raise UserError("cannot create worktree %s: %s" % (path, exc)) from None
    exclude_worktree_dir(main)
    if not os.path.isdir(plan["cwd"]):  # the subfolder is untracked: start at the top
        plan["cwd"] = path


def undo_worktree(plan):
    """Take back what make_worktree made for a session that did not start: the fresh worktree
    (git worktree remove, which refuses one with changes), the branch only while it is still
    at its base (update-ref's old-value check), and the folders made for it if empty."""
    path, main, branch = plan["worktreePath"], plan["worktreeRepo"], plan["worktreeBranch"]
    try:
        if any(same_path(e["path"], path) for e in worktree_list(main)):
            git(main, "worktree", "remove", path)
        if plan["worktreeNewBranch"] and ref_exists(main, "refs/heads/" + branch):
            git(main, "update-ref", "-d", "refs/heads/" + branch, plan["worktreeBase"])
    except GitError as exc:
        warn("could not take back worktree %s: %s" % (path, exc))
    for folder in [path, *plan.get("_madeDirs", [])]:
        try:
            os.rmdir(folder)  # only an empty folder: never anything with a file in it
        except OSError:
            pass


def exclude_worktree_dir(main):
    """A worktree inside the main checkout shows there as untracked ``.claude/``: list the
    folder in the repo's own .git/info/exclude (local, never the tracked .gitignore), as
    claude's docs advise for -w.  Best effort: a failure costs only that status line."""
    try:
        if git(main, "check-ignore", "-q", WORKTREE_EXCLUDE[1:] + "x", check=False)[0] == 0:
            return
        common = git(main, "rev-parse", "--git-common-dir").strip()
        path = os.path.join(main, common, "info", "exclude")
        old = read_small(path).decode("utf-8", "surrogateescape") if os.path.exists(path) else ""
        if old and not old.endswith("\n"):
            old += "\n"
        os.makedirs(os.path.dirname(path), exist_ok=True)
        write_file_atomic(path, (old + WORKTREE_EXCLUDE + "\n").encode("utf-8", "surrogateescape"),
                          mode=0o644)  # fmt: skip
    except (GitError, OSError, UserError) as exc:
        warn("could not add %s to %s's info/exclude: %s" % (WORKTREE_EXCLUDE, main, exc))


def worktree_facts(path, branch, thorough=True, timeout=GIT_TIMEOUT):
    """What removing the worktree would lose: {"changed": [...], "ignored": n, "unmerged":
    [...]}: changed = tracked changes and untracked files (git status, ignored files apart);
    unmerged = commits of its HEAD or ``branch`` on no other branch, remote branch or tag.
    Not ``thorough`` (ls, watch): untracked folders count once, ignored files are not
    counted, and only HEAD's commits are.  Raises GitError when git cannot tell."""
    more = ("--ignored", "--untracked-files=all") if thorough else ()
    status = git(path, "status", "--porcelain", "-z", *more, timeout=timeout)
    changed, ignored, items = [], 0, status.split("\0")
    skip = False
    for item in items:
        if skip or not item:
            skip = False
            continue
        if item.startswith("!!"):
            ignored += 1
        else:
            changed.append(item[3:])
            skip = item[0] in "RC"  # a rename's or copy's old path follows
    tips = ["HEAD"]
    if thorough and branch and ref_exists(path, "refs/heads/" + branch):
        tips.append("refs/heads/" + branch)
    if thorough:
        tips += left_detached_heads(path, timeout)
    others = ["--exclude=" + branch] if branch else []  # (relative to refs/heads/)
    log = git(path, "log", "--ignore-missing", "--format=%h %s", *tips, "--not", *others,
              "--branches", "--remotes", "--tags", timeout=timeout)  # fmt: skip
    facts = {"changed": changed, "ignored": ignored, "unmerged": log.splitlines()}
    if ignored:  # their names, an ignored folder once (build/), for the line that says so
        status = git(path, "status", "--porcelain", "-z", "--ignored", timeout=timeout)
        facts["ignoredNames"] = [x[3:] for x in status.split("\0") if x.startswith("!!")]
    return facts


LEFT_DETACHED_RE = LazyRegex(r"checkout: moving from ([0-9a-f]{40}|[0-9a-f]{64}) to ")


def left_detached_heads(path, timeout):
    """The commits the worktree's HEAD was on when a checkout left it detached (what git's
    "you are leaving N commits behind" warns of): only its own HEAD reflog knows them, and
    `git worktree remove` deletes that.  (Amended or rebased-away commits are not counted:
    their work lives on in the new ones.)"""
    code, log = git(path, "reflog", "show", "--format=%gs", "HEAD", "--", timeout=timeout,
                    check=False)  # fmt: skip
    if code != 0:
        return []  # no reflog (core.logAllRefUpdates off, or a fresh HEAD): nothing it knows
    return sorted(set(m.group(1) for m in map(LEFT_DETACHED_RE.match, log.splitlines()) if m))


def facts_text(facts):
    """ "3 changed files, 1 commit on no other branch", or "clean"."""
    parts = []
    if facts["changed"]:
        n = len(facts["changed"])
        parts.append("%d changed or untracked file%s" % (n, "" if n == 1 else "s"))
    if facts["unmerged"]:
        n = len(facts["unmerged"])
        parts.append("%d commit%s on no other branch" % (n, "" if n == 1 else "s"))
    return ", ".join(parts) or "clean"


def ignored_text(facts, most=10):
    """ " with its ignored files: .env, build/" (ignored is not always disposable: a .env
    copied in is work, so removal names what goes with it), or ""."""
    names = [safe_text(one_line(x)) for x in (facts or {}).get("ignoredNames") or []]
    if not names:
        return ""
    more = " and %d more" % (len(names) - most) if len(names) > most else ""
    return " with its ignored files: %s%s" % (", ".join(names[:most]), more)


def removal_hint(view):
    repo, path = view.get("worktreeRepo"), view.get("worktreePath")
    return "git -C %s worktree remove %s" % (shell_path(repo or "."), shell_path(path or "."))


def worktree_verdict(view, views, force=False):
    """(removable, why not / what goes, facts) for the worktree of session ``view``, asked of
    git now.  Never: the main checkout, a path git does not list as a worktree of the recorded
    repo or that is not in its .claude/worktrees (tclaude did not make it), a locked or
    missing one, one another session not proven exited works in, one git cannot answer for,
    one holding a repository of its own; and, without ``force``, one with changes or commits on no other branch.  Ignored files (build output, caches) do not count: the project called them
    disposable, and almost every worktree has some."""
    path, repo = view.get("worktreePath"), view.get("worktreeRepo")
    if not (isinstance(path, str) and isinstance(repo, str)):
        return False, "its record does not say where its worktree is", None
    try:
        entries = worktree_list(repo)
    except GitError as exc:
        return False, "unknown (%s)" % exc, None
    if not entries or same_path(entries[0]["path"], path) or same_path(repo, path):
        return False, "it is the repo's main checkout", None
    listed = [e for e in entries[1:] if same_path(e["path"], path) or e["path"] == path]
    if not listed:
        return False, "git does not list it as a worktree of %s" % repo, None
    home = os.path.join(entries[0]["path"], WORKTREE_DIR)  # where make_worktree puts them all
    if not same_path(os.path.dirname(os.path.realpath(listed[0]["path"])), home):
        return False, "tclaude did not make it (its worktrees are in %s)" % home, None
    if listed[0].get("locked"):
        return False, "it is locked (git worktree unlock %s)" % shell_path(path), None
    if listed[0].get("prunable") or not os.path.isdir(path):
        return False, "it is missing (git -C %s worktree prune forgets it)" % shell_path(repo), None
    for other in views:
        cwd = other.get("cwd")
        if other["id"] != view["id"] and other["status"] != "exited" and isinstance(cwd, str) \
                and inside(cwd, path):  # fmt: skip
            return False, "session %s (%s) works in it" % (other["id"], other["status"]), None
    for reg in live_registry_entries():  # a claude started by hand (ls --all) counts too
        if isinstance(reg.get("cwd"), str) and inside(reg["cwd"], path):
            return False, "claude pid %s works in it" % reg.get("pid"), None
    try:
        facts = worktree_facts(path, view.get("worktreeBranch"))
    except GitError as exc:
        return False, "unknown (%s)" % exc, None
    facts["listed"] = listed[0]["path"]  # the path git knows, not a symlink to it
    # --untracked-files=all lists files, except a folder holding a repository of its own
    # (`nested/`): one line for a whole history, which not even --force discards
    nested = [safe_text(one_line(x)) for x in facts["changed"] if x.endswith("/")]
    if nested:
        return False, "it holds another git repository: %s" % ", ".join(nested), facts
    if (facts["changed"] or facts["unmerged"]) and not force:
        return False, facts_text(facts), facts
    return True, facts_text(facts), facts


def remove_worktree(view, facts, force=False):
    """``git worktree remove`` (``--force`` only when asked and changes were listed), then
    the branch tclaude made: ``git branch -d`` (merged only; -D with ``force``).  Lines to
    say."""
    repo, path, branch = view["worktreeRepo"], view["worktreePath"], view.get("worktreeBranch")
    dirty = bool(facts and facts["changed"])
    listed = (facts or {}).get("listed") or path
    # deleting a big tree (node_modules) outlasts the 10 s a question gets; cut short, git
    # leaves half a worktree, still registered
    git(repo, "worktree", "remove", *(["--force"] if force and dirty else []), listed,
        timeout=REMOVE_GIT_TIMEOUT)  # fmt: skip
    forget_worktree_status(path)
    said = ["removed worktree %s%s" % (short_path(path), ignored_text(facts))]
    if view.get("worktreeNewBranch") and branch:
        code, _ = git(repo, "branch", "-D" if force else "-d", branch, check=False)
        if code == 0:
            said.append("deleted branch %s" % branch)
        else:
            said.append("kept branch %s (not merged into %s's HEAD; git branch -D %s drops it)"
                        % (branch, repo, branch))  # fmt: skip
    return said


# The status ls and watch show, cached in the state dir per worktree path: git runs at most
# once per worktree per WORKTREE_STATUS_TTL, however many views refresh.


def worktree_status_path(path):
    """The cache file of worktree ``path``: named by a checksum of the path (zlib: hashlib
    alone costs ls 3 ms of imports); the entry names its path, so a collision is a miss."""
    import zlib

    key = zlib.crc32(path.encode("utf-8", "surrogateescape"))
    return os.path.join(state_dir(), "worktrees", "%08x.json" % key)


def forget_worktree_status(path):
    try:
        os.unlink(worktree_status_path(path))
    except OSError:
        pass


def worktree_status(view, now=None):
    """{"branch", "state": clean|dirty|unknown, "changed", "unmerged", "checked"} for a
    worktree session, from the cache when younger than WORKTREE_STATUS_TTL; None for a
    session without a worktree (which costs nothing)."""
    path = view.get("worktreePath")
    if not isinstance(path, str):
        return None
    now = time.time() if now is None else now
    cache = worktree_status_path(path)
    try:
        old = read_json_file(cache)
        fresh = isinstance(old, dict) and old.get("path") == path
        if fresh and 0 <= now - old.get("checked", 0) < WORKTREE_STATUS_TTL:
            del old["path"]
            return old
    except (OSError, ValueError):
        pass
    branch = view.get("worktreeBranch")
    status = {"branch": branch, "checked": round(now, 3)}
    try:
        facts = None
        if os.path.isdir(path):
            facts = worktree_facts(path, branch, False, VIEW_GIT_TIMEOUT)
    except GitError as exc:
        facts, status["detail"] = None, str(exc)
    if facts is None:
        status.update(state="unknown" if os.path.isdir(path) else "missing")
    else:
        status.update(state="dirty" if facts["changed"] or facts["unmerged"] else "clean",
                      changed=len(facts["changed"]), unmerged=len(facts["unmerged"]))  # fmt: skip
    try:
        os.makedirs(os.path.dirname(cache), mode=0o700, exist_ok=True)
        write_file_atomic(cache, json_bytes(dict(status, path=path)))
    except (OSError, UserError):
        pass  # no cache: the next view asks git again
    return status


def worktree_cell(status):
    """ "fix-login: 2 changed, 1 unmerged" for ls and watch.  The status may come from another
    host's ``ls --json``: a field of the wrong type counts as absent."""
    if not isinstance(status, dict):
        return ""
    branch = status.get("branch")
    branch = branch if isinstance(branch, str) and branch else "?"
    if status.get("state") in ("unknown", "missing"):
        return "%s: %s" % (branch, status["state"])
    parts = []
    for key, label in (("changed", "changed"), ("unmerged", "unmerged")):
        count = status.get(key)
        if isinstance(count, int) and not isinstance(count, bool) and count > 0:
            parts.append("%d %s" % (count, label))
    return "%s: %s" % (branch, ", ".join(parts) or "clean")


def cmd_new(args):
    store, tmux = StateStore(), Tmux()
    tmux.require()
    cwd = os.path.realpath(os.path.expanduser(args.dir or "."))
    if not os.path.isdir(cwd):
        raise UserError("no such directory: %s" % (args.dir or cwd))
    claude = find_claude()
    conv_id = None
    if args.resume:
        conv_id = checked_conv_id(args.resume)
        locate_conversation(conv_id, cwd)
    name = checked_name(args.name)
    wanted = getattr(args, "worktree", None)
    if wanted is None and (getattr(args, "branch", None) or getattr(args, "base", None)):
        raise UserError("--branch and --from go with --worktree", code=2)
    if wanted and args.dir is None and wanted.startswith(("/", ".", "~")):
        raise UserError("--worktree takes a name, not a directory (%s): put the directory "
                        "first: tclaude session new DIR --worktree [NAME]" % wanted, code=2)  # fmt: skip
    store.ensure_dir()
    with store.lock():
        live = [v for v in current_views(store, tmux) if v["status"] != "exited"]
        ensure_unclaimed(live, conv_id, name)
        sid = store.new_id()
        worktree = {}
        if wanted is not None:  # every check first; the worktree is made last, undone on failure
            worktree = plan_worktree(cwd, wanted or None, args.branch, args.base, "tclaude-" + sid)
            make_worktree(worktree)
            cwd = worktree.pop("cwd")
        state = new_record(
            sid,
            time.time(),
            name=name,
            cwd=cwd,
            convId=conv_id or new_uuid4(),
            resumed=bool(conv_id),
            claudeArgs=list(args.claude_args),
            notify=getattr(args, "notify", None),
            **{k: v for k, v in worktree.items() if k in RECORD_FIELDS},
        )

        def undo():
            store.remove(sid)
            if worktree:
                undo_worktree(worktree)

        launch(store, tmux, state, claude, bool(conv_id), undo)
    if args.quiet:
        print(sid)
    else:
        label = " (%s)" % name if name else ""
        say("started session %s%s in %s" % (sid, label, short_path(cwd)))
        if worktree:
            print("worktree: branch %s from %s" % (worktree["worktreeBranch"],
                                                   worktree["worktreeBase"][:12]))  # fmt: skip
        print("attach with: tclaude session attach %s" % sid)
    return 0


# A hook writes the status file within ~0.1 s of the moment claude marks itself busy or
# waiting in its registry (docs/status.md, the registry); half a minute is far beyond any scheduling
# delay on a loaded machine, yet short enough that a user waiting on a frozen status is told.
HOOK_FREEZE_SECONDS = 30.0


def state_dir_full(store):
    """True when statvfs shows no free block for an unprivileged writer (the hook)."""
    try:
        info = os.statvfs(store.dir)
    except (OSError, AttributeError):
        return False
    return info.f_bavail == 0


def frozen_hook(store, state):
    """Seconds by which the session's hook status lags claude's registry, when a hook surely
    fired but wrote nothing (full or unwritable state dir); else None.  Only ``busy`` and
    ``waiting`` count: claude enters both with a hook (UserPromptSubmit, PermissionRequest),
    while ``idle`` may follow a deny or an interrupt that runs no hook at all."""
    pid = state.get("pid")
    if state.get("adopted") or not isinstance(pid, int) or pid <= 0:
        return None
    try:  # two stats first: ls pays for a registry read only when the files disagree by far
        hook_mtime = os.stat(store.path(state["id"], ".status")).st_mtime
        if os.stat(claude_registry_path(pid)).st_mtime - hook_mtime <= HOOK_FREEZE_SECONDS:
            return None
    except OSError:
        return None  # no hook file or no registry: nothing to compare, nothing concluded
    reg = read_registry(pid)
    stamp = reg.get("statusUpdatedAt") if reg else None
    if reg is None or reg.get("status") not in ("busy", "waiting"):
        return None
    if not isinstance(stamp, (int, float)) or isinstance(stamp, bool):
        return None
    lag = stamp / 1000.0 - hook_mtime
    return lag if lag > HOOK_FREEZE_SECONDS else None


def hook_write_problems(store, views):
    """Why the hooks may be unable to record status, one line per cause (ls and doctor)."""
    problems = []
    if os.path.isdir(store.dir) and state_dir_full(store):
        problems.append("state dir %s is full: hooks cannot record status" % store.dir)
    for view in views:
        if view.get("status") == "exited":
            continue
        lag = frozen_hook(store, view)
        if lag is not None:
            problems.append("session %s: its hook status is %s older than claude's registry; "
                            "the state dir %s may be full or unwritable (status frozen)"
                            % (view["id"], short_duration(lag), store.dir))  # fmt: skip
    return problems


def cmd_ls(args):
    store, tmux = StateStore(), Tmux()
    query = None
    if args.hosts:  # ask every host first: they answer while the local sessions resolve
        query = HostQuery(selected_hosts(store, args.hosts), ["session", "ls", "--json"],
                          host_timeout())  # fmt: skip
    snap = Snapshot(tmux)
    views = sorted(current_views(store, tmux, snap=snap), key=creation_order)
    for problem in hook_write_problems(store, views):
        warn(problem)
    for view in views:
        if view.get("worktreePath"):  # git only for worktree sessions, cached a few seconds
            view["worktreeStatus"] = worktree_status(view)
    if args.all:
        views = [dict(v, external=False) for v in views] + external_views(views, snap)
    if query is not None:
        return ls_with_hosts(query, views, args.json)
    if args.json:
        import json

        # ensure_ascii: a C1 control in a name or path goes out as \u009d, not as itself
        print(json.dumps(views, indent=2, ensure_ascii=True))
        return 0
    if not views:
        print("no sessions (start one with: tclaude session new [dir])")
        return 0
    print(format_table(views))
    return 0


DETAIL_WIDTH = 80


def view_row(view, now, worktrees=False):
    since = parse_iso(view.get("statusSince")) or parse_iso(view.get("updated")) or now
    conv = (view.get("convId") or "")[:8]
    detail = safe_text(one_line(view.get("statusDetail") or ""))
    if view["status"] == "exited" and conv:
        hint = " · resume: tclaude session resume %s" % view["id"]
        if never_started(view):
            hint = " · start over: tclaude session kill %s, then session new" % view["id"]
        detail = detail[: DETAIL_WIDTH - len(hint)] + hint
    cwd = view.get("cwd")
    row = [
        safe_text(view["id"]),
        safe_text(one_line(view.get("name")) or "-"),
        safe_text(view["status"]),
        short_duration(now - since),
        safe_text(short_path(cwd) if isinstance(cwd, str) else ""),
        safe_text(conv) or "-",
        detail,
    ]
    if worktrees:
        row.insert(5, safe_text(one_line(worktree_cell(view.get("worktreeStatus")))) or "-")
    return row


def format_table(views, down=None):
    """The ls table; with ``down`` (ls --hosts: [(host, why)] of the unreachable ones) a HOST
    column first and a row for each host that did not answer."""
    now = time.time()
    header = ["ID", "NAME", "STATUS", "AGE", "CWD", "CONV", "DETAIL"]
    worktrees = any(v.get("worktreeStatus") for v in views)
    if worktrees:  # a column only when some session has a worktree
        header.insert(5, "WORKTREE")
    rows = [view_row(v, now, worktrees) for v in views]
    if down is not None:
        header.insert(0, "HOST")
        for row, view in zip(rows, views):
            row.insert(0, safe_text(view.get("host") or "local"))
    rows.insert(0, header)
    widths = [max(len(r[i]) for r in rows) for i in range(len(header) - 1)]
    if down:
        widths[0] = max([widths[0]] + [len(name) for name, _ in down])
    lines = []
    for row in rows:
        cells = [row[i].ljust(widths[i]) for i in range(len(widths))] + [row[-1][:DETAIL_WIDTH]]
        lines.append("  ".join(cells).rstrip())
    for name, why in down or ():
        lines.append(safe_text("%s  host unreachable (%s)" % (name.ljust(widths[0]), why)))
    return "\n".join(lines)


def cmd_attach(args):
    store, tmux = StateStore(), Tmux()
    tmux.require()
    if args.next and args.id:
        raise UserError("give a session id or --next, not both")
    state = next_needing_state(store, tmux) if args.next else find_session(store, args.id)
    (view,) = current_views(store, tmux, [state])
    if view["status"] == "exited" and never_started(view):
        raise UserError(never_started_text(view))
    if view["status"] == "exited":
        how = resume_hint(view)
        if view.get("convId") and not view.get("adopted"):
            how = "tclaude session resume %s" % view["id"]
        raise UserError("session %s has exited (%s); resume it with: %s" % (
            view["id"], view.get("statusDetail") or "gone", how))  # fmt: skip
    rc = attach_view(tmux, view)
    return 0 if rc == 0 else rc


def attach_view(tmux, view):
    """Attach to (or switch to) a session's tmux session; an adopted claude, and one started
    by hand (``ext:<pid>``), shares its tmux session with the user's other windows, so bring
    its pane to the front first."""
    server = tmux.of(view)
    if view.get("adopted") or view.get("external"):
        server.focus_pane(view["tmuxPane"])
    return server.attach(view["tmuxSession"])


def stop_adopted(view, timeout):
    """SIGTERM (claude's clean exit), SIGKILL after ``timeout``; the user's pane and tmux
    session stay, as they were before tclaude adopted the claude in them."""
    pid = view.get("pid")
    if view.get("status") == "exited" or not same_process(pid, view.get("procStart")):
        return
    terminate_process(
        pid, lambda: process_running(pid) and same_process(pid, view.get("procStart")), timeout
    )


def stop_claude(tmux, view, timeout=4.0):
    """Claude's own exit path first (SIGTERM runs its SessionEnd hooks and flushes the
    transcript), then the tmux session; SIGKILL only for a claude that ignores SIGTERM."""
    if view.get("adopted"):
        return stop_adopted(view, timeout)
    server = tmux.of(view)
    pane = server.panes().get(view["tmuxSession"])
    if pane:
        pid = pane.pid if not pane.dead else None
    else:  # its server cannot be asked or lost it: only a pid proven to be that claude
        pid = view.get("pid") if view.get("status") != "exited" and claude_verified(view) else None
    if pid and process_running(pid):
        terminate_process(pid, lambda: process_running(pid), timeout)
    server.kill_session(view["tmuxSession"])


def claude_verified(state):
    """The record's pid is still the claude it started: same /proc start time (a pid alone
    may have been reused, e.g. after a reboot)."""
    pid, start = state.get("pid"), state.get("procStart")
    if not (isinstance(pid, int) and pid > 0 and start is not None and process_running(pid)):
        return False
    return proc_start_ticks(pid) == str(start)


def cmd_kill(args):
    store, tmux = StateStore(), Tmux()
    tmux.require()
    if args.all_exited:
        return kill_all_exited(store, tmux)
    if not args.id:
        raise UserError("kill needs a session id (or --all-exited)")
    state = find_session(store, args.id)
    view = kill_one(store, tmux, state)
    if never_started(view):
        say("killed %s (claude had never started)" % view["id"])
    else:
        say("killed %s; resume the conversation with: %s" % (view["id"], resume_hint(view)))
    if view.get("worktreePath"):
        for line in kill_worktree(store, tmux, view, getattr(args, "remove_worktree", False)):
            say(line)
    return 0


def kill_worktree(store, tmux, view, remove):
    """What becomes of a killed session's worktree: kept, with where it is and how to remove
    it; with ``remove``, removed if worktree_verdict allows (judged under the state lock)."""
    with store.lock():
        removable, why, facts = worktree_verdict(view, current_views(store, tmux))
        if remove and removable:
            try:
                return remove_worktree(view, facts)
            except GitError as exc:
                why = "git worktree remove failed: %s" % exc
    return [kept_worktree_text(view, why)]


def kept_worktree_text(view, why=None):
    return "kept worktree %s (branch %s%s); remove it when done with: %s" % (
        short_path(view["worktreePath"]), view.get("worktreeBranch") or "?", ": " + why if why else "",
        removal_hint(view))  # fmt: skip


def kill_all_exited(store, tmux):
    """Judged and removed under the state lock: a ``session resume`` cannot slip in between
    the verdict "exited" and the removal of a session it just brought back.  Only proven
    deaths go: "unknown" is never "exited"."""
    if not os.path.isdir(store.dir):
        print("no exited sessions")
        return 0
    store.check_removable()
    with store.lock():
        snap = Snapshot(tmux)
        gone = [v for v in current_views(store, tmux, None, snap) if v["status"] == "exited"]
        for view in gone:
            store.check_removable(view["id"])
        for view in gone:
            pane = None if view.get("adopted") else snap.sight(view)[0]
            if pane and not pane.dead and process_running(pane.pid):
                say("kept %s: marked exited but its tmux session %s is alive"
                    % (view["id"], view["tmuxSession"]))  # fmt: skip
                continue
            tmux.of(view).kill_session(view["tmuxSession"])
            if store.remove(view["id"], expect=spawn_facts(view)):
                say("removed %s (%s)" % (view["id"], view.get("statusDetail") or "exited"))
                if view.get("worktreePath"):
                    say(kept_worktree_text(view))
            else:
                say("kept %s: its record changed meanwhile" % view["id"])
    if not gone:
        print("no exited sessions")
    return 0


def kill_one(store, tmux, state):
    """End one session and forget it (session kill and the dashboard's kill key); returns its
    last view, which still knows the convId for the resume hint.  Checked first (a kill that
    stopped claude and then could not remove the record would leave a lie behind), and done
    under the state lock so no resume starts a new claude in the session being killed."""
    store.check_removable(state["id"])
    with store.lock():
        fresh = store.current(state["id"])
        if fresh is None:
            raise UserError("session %s was removed meanwhile" % state["id"])
        (view,) = current_views(store, tmux, [fresh])
        stop_claude(tmux, view)
        store.remove(view["id"])
    return view


# -- wait, send, resume, rename, prune, status-line -------------------------------------------

WAIT_TARGETS = {
    "waiting": ("waiting_input", "waiting_permission"),
    "waiting_input": ("waiting_input",),
    "waiting_permission": ("waiting_permission",),
    "exited": ("exited",),
}
WAIT_DEFAULT = ("waiting_input", "waiting_permission", "exited")
EXIT_LOST = 3  # a session exited before it reached the state waited for
EXIT_TIMEOUT = 124  # as timeout(1)
# Claude drops keys sent while it is still taking in a paste; a pause before Enter, as a person
# would make (measured with the real CLI).
SUBMIT_PAUSE = 0.5
SEND_ACK_TIMEOUT = 5.0
RESUME_EXIT_GRACE = 3.0
# Control characters a prompt cannot carry: ESC would let text end the bracketed paste early.
PROMPT_CONTROLS_RE = LazyRegex(r"[\x00-\x08\x0b-\x1f\x7f]")
DURATION_RE = LazyRegex(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
CONV_IN_COMMAND_RE = LazyRegex(r"--(?:session-id|resume)[= ]'?([0-9a-fA-F-]{36})\b")
STATUS_LINE_MARKS = (
    ("waiting_permission", "!"),
    ("waiting_input", "?"),
    ("running", "~"),
    ("unknown", "*"),
)


def wait_for(store, tmux, sids, targets, want_all, deadline):
    """{sid: status} once every session (or any, unless ``want_all``) has been seen in one of
    ``targets``.  A session counts from the moment it is seen there, even if it moves on while
    others are still awaited.  Raises UserError when the deadline passes first, or when a
    session exits before it got there (it never will, short of a resume)."""
    watcher = Watcher(store, tmux)
    reached = {}
    pending = list(sids)
    how = "full"
    while True:
        if how:
            views = watcher.look(pending, how)
            for view in views:
                if view["status"] in targets:
                    reached[view["id"]] = view["status"]
            pending = [sid for sid in pending if sid not in reached]
            if (reached and not want_all) or not pending:
                return reached
            lost = [v["id"] for v in views if v["status"] == "exited"]
            if lost and (want_all or len(lost) == len(pending)):
                raise UserError("session %s exited before reaching %s" % (
                    ", ".join(lost), " or ".join(targets)), code=EXIT_LOST)  # fmt: skip
        now = time.time()
        if deadline is not None and now >= deadline:
            still = ", ".join("%s is %s" % (sid, watcher.views[sid]["status"]) for sid in pending)
            raise UserError("timed out: %s" % still, code=EXIT_TIMEOUT)
        time.sleep(WAIT_TICK if deadline is None else max(0.0, min(WAIT_TICK, deadline - now)))
        how = watcher.next_look(pending, time.time())


def cmd_wait(args):
    store, tmux = StateStore(), Tmux()
    tmux.require()
    if args.timeout is not None and args.timeout < 0:
        raise UserError("--timeout must be 0 or more seconds", code=2)
    targets = WAIT_TARGETS[args.until] if args.until else WAIT_DEFAULT
    states = store.load_all()
    sids = []
    for ref in args.ids:
        sid = find_session(store, ref, states)["id"]
        if sid not in sids:
            sids.append(sid)
    deadline = None if args.timeout is None else time.time() + args.timeout
    reached = wait_for(store, tmux, sids, targets, not args.any, deadline)
    for sid in sids:
        if sid in reached:
            say("%s %s" % (sid, reached[sid]))
    return 0


def prompt_text(words):
    """The prompt from the command line, or stdin for none or ``-``.  Line ends become \\n and
    the trailing ones go (a file's last newline is no part of the prompt)."""
    if not words or words == ["-"]:
        if sys.stdin.isatty():
            sys.stderr.write("tclaude: type the prompt, then Ctrl-D on a line of its own\n")
        text = sys.stdin.buffer.read().decode("utf-8", "replace")
    else:
        text = " ".join(words)
    text = text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n")
    text = PROMPT_CONTROLS_RE.sub("", text)
    if not text.strip():
        raise UserError("nothing to send: the prompt is empty")
    return text


def ensure_ready_for_input(view, force):
    sid = view["id"]
    if view["status"] == "exited":
        raise UserError("session %s has exited; nothing sent (resume it with: "
                        "tclaude session resume %s)" % (sid, sid))  # fmt: skip
    detail = view.get("statusDetail") or ""
    if force:
        return
    if view["status"] != "waiting_input":
        raise UserError(
            "session %s is %s%s, not waiting for input; nothing sent (--force types it anyway)"
            % (sid, view["status"], " (%s)" % detail if detail else "")
        )
    if detail.startswith("start-up dialog"):
        raise UserError("session %s shows a %s; nothing sent (answer it first: "
                        "tclaude session attach %s)" % (sid, detail, sid))  # fmt: skip


def pickup_marks(store, view):
    """What changes when claude takes a prompt: the hook file (UserPromptSubmit; SessionStart
    for /clear, SessionEnd for /exit).  Only for a claude without tclaude's hooks (adopted, or
    hooks disabled) claude's registry (busy) counts: where hooks run, returning before the
    hook has written would let a following ``session wait`` see the old status."""
    hook = store.signature(view["id"])[1]
    pid = view.get("pid")
    hookless = view.get("adopted") or hook is None
    registry = registry_signature(pid) if hookless and isinstance(pid, int) and pid > 0 else None
    return hook, registry


def wait_for_pickup(store, view, before, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pickup_marks(store, view) != before:
            return True
        time.sleep(0.05)
    return False


def claude_pane(view):
    """The tmux target of the session's claude: an adopted one shares a tmux session with
    the user's other panes, so address its pane by id."""
    if view.get("adopted") and view.get("tmuxPane"):
        return view["tmuxPane"]
    return "=%s:" % view["tmuxSession"]


def cmd_send(args):
    store, tmux = StateStore(), Tmux()
    tmux.require()
    state = find_session(store, args.id)
    text = prompt_text(args.text)
    (view,) = current_views(store, tmux, [state])
    picked_up = send_prompt(store, tmux, view, text, args.force)
    lines = text.count("\n") + 1
    say("sent to %s (%d line%s)" % (view["id"], lines, "" if lines == 1 else "s"))
    if not picked_up:
        warn("claude in %s has not picked the prompt up yet; look with: tclaude session attach %s"
             % (view["id"], view["id"]))  # fmt: skip
    return 0


def send_prompt(store, tmux, view, text, force):
    """Paste ``text`` into the session's claude and submit it (session send and the dashboard's
    s key); True once claude has picked it up."""
    ensure_ready_for_input(view, force)
    before = pickup_marks(store, view)
    server = tmux.of(view)
    server.paste(claude_pane(view), text)
    time.sleep(SUBMIT_PAUSE)
    server.press_enter(claude_pane(view))
    return wait_for_pickup(store, view, before, SEND_ACK_TIMEOUT)


def cmd_resume(args):
    store, tmux = StateStore(), Tmux()
    tmux.require()
    if args.all:
        if args.id:
            raise UserError("resume takes a session id or --all, not both", code=2)
        return resume_all(store, tmux)
    if not args.id:
        raise UserError("resume needs a session id (or --all)", code=2)
    sid = find_session(store, args.id)["id"]
    claude = find_claude()
    with store.lock():
        state = resume_one(store, tmux, sid, claude)
    label = " (%s)" % state["name"] if state.get("name") else ""
    say("resumed session %s%s in %s" % (sid, label, short_path(state["cwd"])))
    print("attach with: tclaude session attach %s" % sid)
    return 0


def resume_one(store, tmux, sid, claude):
    """Restart the exited session ``sid`` on its conversation (the state dir lock held);
    returns its new record, or raises UserError saying why not."""
    views = current_views(store, tmux)
    view = next((v for v in views if v["id"] == sid), None)
    if view is None:
        raise UserError("session %s was removed meanwhile" % sid)
    if view["status"] == "unknown":
        raise UserError("cannot tell whether session %s is alive (%s); nothing done"
                        % (sid, view.get("statusDetail")))  # fmt: skip
    if view["status"] != "exited":
        raise UserError("session %s is alive (%s); attach with: tclaude session attach %s"
                        % (sid, view["status"], sid))  # fmt: skip
    if view.get("adopted"):  # its claude ran in the user's own pane: nothing to restart
        raise UserError("session %s was adopted, not started by tclaude; continue it with: "
                        "%s" % (sid, resume_hint(view)))  # fmt: skip
    old_server = tmux.of(view)
    pane = pane_after_exit(old_server, view["tmuxSession"])
    if pane and not pane.dead:  # a record marked exited over a live pane: never kill it
        raise UserError("session %s is marked exited but tmux session %s is alive; look "
                        "with: tmux attach -t %s" % (sid, pane.session, pane.session))  # fmt: skip
    conv_id = view.get("convId")
    if not conv_id:
        raise UserError("session %s has no conversation id to resume; start afresh with: %s"
                        % (sid, resume_hint(view)))  # fmt: skip
    if never_started(view):
        raise UserError(never_started_text(view))
    worktree = view.get("worktreePath")
    if worktree and not os.path.isdir(worktree):
        raise UserError("cannot resume %s: its worktree %s is gone (start afresh with: "
                        "tclaude session new %s --worktree)"
                        % (sid, worktree, shell_path(view.get("worktreeRepo") or ".")))  # fmt: skip
    if not os.path.isdir(view.get("cwd") or ""):
        raise UserError("cannot resume %s: its directory %s is gone" % (sid, view.get("cwd")))
    locate_conversation(conv_id, view["cwd"])
    live = [v for v in views if v["status"] not in ("exited",)]
    ensure_unclaimed(live, conv_id, view.get("name"), sid)
    old = store.load(sid)
    state = respawned_record(old, conv_id)
    store.check_removable(sid)  # its hook file must go: fail before touching tmux
    if pane:
        old_server.kill_session(state["tmuxSession"])  # the dead pane remain-on-exit kept
    store.clear_hook_status(sid)
    # on the server the caller talks to, as session new would: the old one may be dead
    launch(store, tmux, state, claude, True, lambda: store.save(old))
    return state


# Why a session ended says whether the user meant it: a tmux server that died (a crash, a
# reboot, kill-server) or a tmux session that vanished under claude was not the user ending
# the conversation; /exit (or Ctrl+C, Ctrl+D twice) is: exit status 0, SessionEnd reason
# prompt_input_exit.
RESUMABLE_CAUSES = ("server-gone", "session-gone")
DELIBERATE_REASONS = ("prompt_input_exit", "logout")


def lost_with_tmux(view):
    """An exited session that died with its tmux server or tmux session, not by the user's
    hand: what ``session resume --all`` brings back."""
    if view.get("status") != "exited" or view.get("adopted"):
        return False
    cause = view.get("exitCause")
    if cause is None and view.get("statusDetail") == "tmux session gone":
        cause = "session-gone"  # recorded before tclaude kept exitCause
    if cause not in RESUMABLE_CAUSES:
        return False
    return view.get("exitCode") != 0 and view.get("exitReason") not in DELIBERATE_REASONS


def resume_all(store, tmux):
    """Bring back every session lost with its tmux server or session, one line each."""
    claude = find_claude()
    store.ensure_dir()
    with store.lock():
        views = sorted(current_views(store, tmux), key=creation_order)
        lost = [v for v in views if lost_with_tmux(v)]
        for view in views:
            if view["status"] == "unknown":  # perhaps lost too, but nothing proves it
                say("not resumed %s: cannot tell whether it is alive (%s)"
                    % (view["id"], view.get("statusDetail")))  # fmt: skip
        for view in lost:
            label = " (%s)" % one_line(view["name"]) if view.get("name") else ""
            try:
                state = resume_one(store, tmux, view["id"], claude)
            except UserError as exc:
                say("not resumed %s%s: %s" % (view["id"], label, exc))
                continue
            say("resumed %s%s in %s" % (view["id"], label, short_path(state["cwd"])))
    if not lost and not any(v["status"] == "unknown" for v in views):
        print("no session was lost with its tmux server (exited ones: tclaude session ls)")
    return 0


def pane_after_exit(tmux, name, grace=RESUME_EXIT_GRACE):
    """The session's pane once its claude is gone; the hook reports SessionEnd ~0.15 s
    before claude exits, so a pane still alive gets a moment to die."""
    deadline = time.time() + grace
    pane = tmux.panes().get(name)
    while pane and not pane.dead and time.time() < deadline:
        time.sleep(0.1)
        pane = tmux.panes().get(name)
    return pane


def respawned_record(old, conv_id):
    """The same session (id, name, created, claude args) about to run a new claude."""
    now = utc_iso()
    dropped = ("exitedAt", "exitCode", "exitCause", "exitReason", "transcriptPath", "procStart")
    state = {k: v for k, v in old.items() if k not in dropped}
    state.update(
        pid=None,
        convId=conv_id,
        status="running",
        statusDetail="resuming",
        statusSince=now,
        spawned=now,
        resumed=True,
    )
    return state


def cmd_rename(args):
    store, tmux = StateStore(), Tmux()
    tmux.require()
    name = checked_name(args.name)
    store.ensure_dir()
    with store.lock():
        views = current_views(store, tmux)
        view = find_session(store, args.id, views)
        sid, old = view["id"], view.get("name")
        live = [v for v in views if v["status"] != "exited"]
        ensure_unclaimed(live, name=name, sid=sid)
        if store.update(sid, name=name) is None:
            raise UserError("session %s was removed meanwhile" % sid)
    say("renamed %s%s to %s" % (sid, " (was %s)" % old if old else "", name))
    return 0


def parse_duration(text):
    match = DURATION_RE.match(text or "")
    if not match:
        raise UserError("invalid duration %r: use a number and a unit, e.g. 30m, 2h, 7d" % text,
                        code=2)  # fmt: skip
    return float(match.group(1)) * DURATION_UNITS[match.group(2)]


def exited_age(view, now):
    for field in ("exitedAt", "statusSince", "updated"):
        stamp = parse_iso(view.get(field))
        if stamp:
            return now - stamp
    return float("inf")


def cmd_prune(args):
    store, tmux = StateStore(), Tmux()
    tmux.require()
    min_age = parse_duration(args.older_than) if args.older_than else 0.0
    if getattr(args, "force", False) and not getattr(args, "worktrees", False):
        raise UserError("--force goes with --worktrees", code=2)
    verb = "would remove" if args.dry_run else "removed"
    said = []

    def report(line):
        said.append(line)
        say(line)

    import contextlib

    if not args.dry_run:
        store.ensure_dir()  # --adopt may write the first record
    with store.lock() if os.path.isdir(store.dir) else contextlib.nullcontext():
        snap = Snapshot(tmux)
        views = current_views(store, tmux, snap=snap)
        panes = tmux.pane_details()
        now = time.time()
        for view in views:
            if view["status"] != "exited" or exited_age(view, now) < min_age:
                continue  # "unknown" is no proof of death: kept
            pane, _ = snap.sight(view)
            if pane and not pane.dead:
                late = pane_after_exit(tmux.of(view), view["tmuxSession"])
                if late and not late.dead:
                    report("kept %s: marked exited but its tmux session %s is alive"
                        % (view["id"], view["tmuxSession"]))  # fmt: skip
                    continue
            if view.get("worktreePath") and not prune_worktree(args, view, views, report):
                continue  # the worktree stays, and so does the session that knows of it
            if not args.dry_run:
                store.check_removable(view["id"])  # before the tmux session goes
                if pane:
                    tmux.of(view).kill_session(view["tmuxSession"])
                store.remove(view["id"])
            report("%s session %s (exited %s ago: %s)" % (
                verb, view["id"], short_duration(exited_age(view, now)),
                one_line(view.get("statusDetail")) or "exited"))  # fmt: skip
        known = set(v["tmuxSession"] for v in views)
        strays = sorted(name for name in panes if name not in known)
        kept = set(name[len(TMUX_PREFIX) :] for name in strays)
        for path in store.stray_files():
            name = os.path.basename(path)
            if name.split(".")[0] in kept:
                continue  # the hook file of a tmux session that lost its record: adopt it
            if not args.dry_run:
                store.remove_file(path)
            why = "stale temp file" if name.startswith(".") else "orphan file"
            report("%s %s %s" % (verb, why, name))
        for name in strays:
            report(stray_report(store, name, panes[name], args.adopt, args.dry_run))
    if not said:
        print("nothing to prune")
    return 0


def prune_worktree(args, view, views, report):
    """For prune: remove an exited session's worktree if --worktrees and worktree_verdict
    allow (with --force, after listing what goes), saying what happened; True when the
    session may go (its worktree is gone now, or was before)."""
    path = view["worktreePath"]
    if not os.path.lexists(path):
        return True
    if not getattr(args, "worktrees", False):
        report("kept session %s: its worktree %s is still there (remove it with: tclaude "
               "session prune --worktrees)" % (view["id"], short_path(path)))  # fmt: skip
        return False
    force = getattr(args, "force", False)
    removable, why, facts = worktree_verdict(view, views, force)
    if not removable:
        report("kept session %s and %s" % (view["id"], kept_worktree_text(view, why)))
        return False
    if facts["changed"] or facts["unmerged"]:  # --force: say exactly what is thrown away
        report("discarding in worktree %s: %s" % (short_path(path), facts_text(facts)))
        for line in facts["changed"] + facts["unmerged"]:
            report("  %s" % safe_text(line))
    if args.dry_run:
        report("would remove worktree %s (%s)%s" % (short_path(path), why, ignored_text(facts)))
        return True
    try:
        for line in remove_worktree(view, facts, force):
            report(line)
    except GitError as exc:
        report("kept session %s and %s" % (view["id"], kept_worktree_text(view, str(exc))))
        return False
    return True


def stray_report(store, name, pane, adopt, dry_run):
    """A tofu-claude tmux session with no record: adopt it, or say how."""
    sid = name[len(TMUX_PREFIX) :]
    state = "dead" if pane.dead else "alive"
    if not is_session_id(sid):
        return "tmux session %s (%s) has no record and cannot be adopted: its name is not " \
               "%s<8 hex digits>" % (name, state, TMUX_PREFIX)  # fmt: skip
    if not adopt:
        return "tmux session %s (%s) has no record; adopt it with: tclaude session prune " \
               "--adopt" % (name, state)  # fmt: skip
    if not dry_run:
        store.save(recovered_record(sid, name, pane))
    return "%s tmux session %s as %s (%s)" % (
        "would adopt" if dry_run else "adopted", name, sid, state)  # fmt: skip


def recovered_record(sid, name, pane):
    stamp = float(pane.created or time.time())  # when tmux started the session
    now = time.time()
    conv = CONV_IN_COMMAND_RE.search(pane.command or "")
    state = new_record(
        sid,
        stamp,
        now,
        tmuxSession=name,
        pid=pane.pid,
        cwd=pane.cwd,
        convId=conv.group(1).lower() if conv else None,
        statusDetail="recovered: status unknown until claude's next hook",
        recovered=True,  # not "adopted": that is a claude in the user's own pane (cmd_adopt)
    )
    if pane.dead:
        state.update(exited_fields("claude exited (recovered)", now, pane.dead_status))
    return state


def cmd_status_line(args):
    """Counts for tmux's status bar; run every second or so, hence no tmux call at all."""
    store = StateStore()
    states, hooks = [], {}
    for sid in store.ids():
        try:
            states.append(store.load(sid))
        except (OSError, ValueError):
            continue
        hooks[sid] = store.load_hook_status(sid)
    snap = PidSnapshot(states, hooks)
    now = time.time()
    counts = dict.fromkeys(VIEW_STATUSES, 0)
    for state in states:
        view, _ = resolve(state, hooks[state["id"]], snap, now)
        counts[view["status"]] = counts.get(view["status"], 0) + 1
    parts = ["%d%s" % (counts[s], mark) for s, mark in STATUS_LINE_MARKS if counts[s]]
    print("claude " + " ".join(parts) if parts else "")
    return 0


# -- acting on a dialog without attaching: peek, approve, deny, answer -------------------------
# Claude swallows keys sent within ~0.15 s of drawing a dialog (measured with the real CLI), so a
# key goes only to a dialog on screen this long; the same pause lets each key's redraw land.
DIALOG_SETTLE = 0.5
ACT_TIMEOUT = 5.0  # how long approve/deny/answer wait for the status to move on
PEEK_INTERVAL = 1.0
OPTION_RE = LazyRegex(r"^ {0,3}(❯ ?)? *(\d{1,2})\. (.*?)\s*$")
CHECK_BOX_RE = LazyRegex(r"^\[.\] ")
SPACES_RE = LazyRegex(r"\s+")
SCHEME_RE = LazyRegex(r"^[a-z]+://")
RULE_CHARS = set("─╌ ")
TYPE_OPTION = "Type something"  # the free-text option of an AskUserQuestion dialog


class ScreenDialog:
    """The dialog at the bottom of a claude screen (tests/samples/screens): its numbered
    options [(n, label)], the highlighted number, the question above them, every line of the
    dialog (to find the tool's command or path in) and its footer."""

    def __init__(self, lines, start, options, cursor, question, footer):
        self.lines, self.start, self.options = lines, start, options
        self.cursor, self.question, self.footer = cursor, question, footer

    @property
    def text(self):
        return "\n".join(self.lines[self.start :])

    def is_question(self):
        return any(unboxed(label).startswith(TYPE_OPTION) for _, label in self.options)

    def is_multi_select(self):
        return any(label.startswith("[") for _, label in self.options)

    def find(self, test):
        return next((n for n, label in self.options if test(label)), None)

    def framed(self):
        """The text between the dialog's first two ╌ rules (a Bash dialog's command, apart
        from the description the model wrote), or all of it."""
        rules = [i for i in range(self.start, len(self.lines)) if "╌" in self.lines[i]]
        if len(rules) < 2:
            return self.text
        return "\n".join(self.lines[rules[0] + 1 : rules[1]])


def unboxed(label):
    """An option's label without a multi-select check box ("[ ] ", "[✔] ")."""
    return CHECK_BOX_RE.sub("", label)


def is_rule(line):
    return len(line.strip()) >= 10 and set(line) <= RULE_CHARS


def parse_dialog(screen):
    """The open dialog on a screen, or None.  Its numbered options must be the last thing on
    screen but for their descriptions and a footer: numbered lines higher up, with the prompt
    box below them, are history, not a dialog waiting now."""
    lines = screen.rstrip("\n").split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    options, cursor, first, footer = [], None, None, ""
    for i in range(len(lines) - 1, -1, -1):
        line = lines[i]
        match = OPTION_RE.match(line)
        if match:
            options.insert(0, (int(match.group(2)), match.group(3)))
            cursor = int(match.group(2)) if match.group(1) else cursor
            first = i
            if match.group(2) == "1":
                break
        elif not options and line.strip().startswith(("❯", "⏸", "⏵")):
            return None  # the prompt box or its footer is the last thing: no dialog is open
        elif not options and not footer:
            footer = line.strip()
        elif is_rule(line) and not options:
            return None
    if not options or options[0][0] != 1:
        return None
    numbers = [n for n, _ in options]
    if numbers != list(range(1, len(numbers) + 1)):
        return None
    above = [line.strip() for line in lines[:first] if line.strip() and not is_rule(line)]
    question = above[-1] if above else ""
    start = max([i for i in range(first) if is_rule(lines[i]) and "─" in lines[i]] or [0])
    return ScreenDialog(lines, start, options, cursor, question, footer)


def squeezed(text):
    return SPACES_RE.sub("", text or "")


def recorded_tool(view):
    """(tool, argument) from the hooks' detail, e.g. ("Bash", "touch x")."""
    tool, _, argument = (view.get("statusDetail") or "").partition(": ")
    return tool.strip(), argument.strip()


PATH_TOOLS = ("Write", "Edit", "MultiEdit", "NotebookEdit", "Read")
DETAIL_CUT = 70  # the hook keeps 80 bytes of an argument (less at a UTF-8 cut): maybe a prefix


def shown_paths(dialog, cwd):
    """Every word of the dialog read as a path (claude shows them relative to its cwd)."""
    for word in dialog.text.split():
        word = word.rstrip("?.,:;)").lstrip("(")
        if word and ("/" in word or "." in word):
            yield os.path.normpath(os.path.join(cwd or "/", word))


def dialog_shows_tool(dialog, tool, argument, cwd=None):
    """The dialog on screen is the one of the recorded tool: its command, path or URL is
    there.  Claude wraps long commands (compare without white space), shows paths relative to
    its cwd, and a fetch by its host; the hook's detail may be cut (then it is a prefix)."""
    shown = squeezed(dialog.text)
    if tool == "ExitPlanMode":
        return "Exitplanmode?" in shown
    if mcp_tool_names(tool):
        return mcp_dialog_shows(dialog, *mcp_tool_names(tool))
    if not argument:
        return squeezed(tool) in shown
    if tool in PATH_TOOLS:
        cut = len(argument) >= DETAIL_CUT
        want = os.path.normpath(argument)
        return any(p == want or (cut and p.startswith(argument)) for p in shown_paths(dialog, cwd))
    if tool == "WebFetch":
        host = SCHEME_RE.sub("", argument).split("/")[0]
        return bool(host) and squeezed(host) in shown
    return squeezed(argument)[:60] in squeezed(dialog.framed())


def mcp_tool_names(tool):
    """(server, tool) of an MCP tool as the hooks name it, ``mcp__<server>__<tool>``, or None."""
    if not tool.startswith("mcp__"):
        return None
    server, _, name = tool[len("mcp__") :].partition("__")
    return (server, name) if server and name else None


def mcp_key(text):
    """A name as an MCP dialog may show it, for comparing: claude 2.1 shows mcp__stub__touch as
    "stub — Touch Tool: (MCP)" (tests/samples/screens/mcp_dialog.txt), so case, white space,
    dashes and underscores do not count."""
    return squeezed(text).lower().translate({ord(c): None for c in "_-—"})


def mcp_dialog_shows(dialog, server, name):
    """An MCP tool's dialog names the server and the tool, followed by "Tool", ":" or "(MCP)"
    (so tool "tou" is not "touch").  The hooks record no argument of an MCP tool."""
    shown, key = mcp_key(dialog.text), mcp_key(server) + mcp_key(name)
    return "(mcp)" in shown and any(key + end in shown for end in ("tool", ":", "(mcp)"))


class Act:
    """One approve/deny/answer: the checks that make it never blind, the keys, the wait."""

    def __init__(self, ref):
        self.store, self.tmux = StateStore(), Tmux()
        self.tmux.require()
        self.state = find_session(self.store, ref)
        (self.view,) = current_views(self.store, self.tmux, [self.state])
        self.sid = self.view["id"]
        self.server = self.tmux.of(self.view)
        self.target = claude_pane(self.view)

    def refuse(self, why):
        raise UserError("session %s: %s; nothing typed" % (self.sid, why))

    def check_notified(self, notified):
        """A notification's button acts only on the waiting period it announced: a later
        dialog, even of the same tool, is not what the user saw and clicked."""
        if notified is None:
            return
        now = (self.view["status"], self.view.get("statusSince"), self.view.get("statusDetail"))
        if now != (notified["status"], notified["since"], notified["detail"]):
            self.refuse("it no longer waits on the notified %s (now: %s%s)" % (
                notified["detail"] or notified["status"], self.view["status"],
                " (%s)" % now[2] if now[2] else ""))  # fmt: skip

    def dialog(self, want_question):
        """The open dialog, checked against the status the hooks recorded."""
        status = self.view["status"]
        detail = self.view.get("statusDetail") or ""
        if status != "waiting_permission":
            self.refuse("it is %s%s, not waiting_permission" % (
                status, " (%s)" % detail if detail else ""))  # fmt: skip
        dialog = parse_dialog(self.server.screen(self.target))
        if dialog is None:
            self.refuse("no dialog is on screen (look with: tclaude session peek %s)" % self.sid)
        tool, argument = recorded_tool(self.view)
        if want_question != (tool == "AskUserQuestion"):
            other = "answer" if tool == "AskUserQuestion" else "approve or deny"
            self.refuse("it waits on %s; use: tclaude session %s" % (detail, other))
        if dialog.is_question() != want_question:
            self.refuse("the dialog on screen is not the one of %s" % detail)
        if want_question:
            if argument and squeezed(argument) not in squeezed(dialog.text):
                self.refuse("the question on screen is not %r" % argument)
        elif not dialog_shows_tool(dialog, tool, argument, self.view.get("cwd")):
            self.refuse("the dialog on screen does not show %s" % detail)
        return dialog

    def settle(self, dialog):
        """Let a dialog that just appeared take keys (see DIALOG_SETTLE), then look again: the
        keys go only to the very dialog that was checked."""
        time.sleep(DIALOG_SETTLE)
        if self.redrawn().text != dialog.text:
            self.refuse("the dialog changed meanwhile; look with: tclaude session peek %s"
                        % self.sid)  # fmt: skip

    def keys(self, *keys, literal=False):
        self.server.send_keys(self.target, *keys, literal=literal)
        time.sleep(DIALOG_SETTLE)

    def redrawn(self):
        dialog = parse_dialog(self.server.screen(self.target))
        if dialog is None:
            self.refuse("the dialog went away meanwhile")
        return dialog

    def outcome(self, what):
        """Wait until the status leaves waiting_permission; what it became, as a sentence."""
        deadline = time.time() + ACT_TIMEOUT
        while True:
            (view,) = current_views(self.store, self.tmux, [self.store.load(self.sid)])
            if view["status"] != "waiting_permission" or time.time() >= deadline:
                break
            time.sleep(0.1)
        detail = view.get("statusDetail") or ""
        if view["status"] == "waiting_permission" and detail == self.view.get("statusDetail"):
            raise UserError("%s in %s, but it still waits on %s after %g s; look with: "
                            "tclaude session peek %s" % (what, self.sid, detail, ACT_TIMEOUT,
                                                         self.sid))  # fmt: skip
        return "%s in %s; now %s%s" % (
            what, self.sid, view["status"], " (%s)" % detail if detail else "")  # fmt: skip


def yes_option(label):
    return label == "Yes"


def plan_yes_option(label):
    """Leaving plan mode has no plain Yes: the one that keeps asking for each tool."""
    return label.startswith("Yes, and switch to default (ask each time)")


def always_option(label):
    return label.startswith("Yes, and ") and ("don't ask again" in label or "always" in label)


def no_option(label):
    return label == "No" or label.startswith("No, and tell Claude")


def cmd_approve(args):
    say(safe_text(approve(args.id, args.always)))
    return 0


def cmd_deny(args):
    say(safe_text(deny(args.id, args.reason)))
    return 0


def cmd_answer(args):
    say(safe_text(answer(args.id, " ".join(args.choice))))
    return 0


def approve(ref, always, notified=None):
    """Press the dialog's Yes (``always``: its don't-ask-again option); what happened.
    ``notified``: a notification's button, only for the waiting period it announced."""
    act = Act(ref)
    act.check_notified(notified)
    dialog = act.dialog(want_question=False)
    pick = dialog.find(always_option if always else yes_option)
    if pick is None and not always and recorded_tool(act.view)[0] == "ExitPlanMode":
        pick = dialog.find(plan_yes_option)
    if pick is None:
        act.refuse("the dialog offers no %r option (it offers: %s)" % (
            "Yes, and don't ask again" if always else "Yes",
            "; ".join("%d. %s" % o for o in dialog.options)))  # fmt: skip
    label = dict(dialog.options)[pick]
    act.settle(dialog)
    act.keys(str(pick))
    return act.outcome("%s -> %d. %s: approved %s" % (
        dialog.question, pick, label, act.view.get("statusDetail")))  # fmt: skip


def deny(ref, reason=None, notified=None):
    """Press the dialog's No, amended with ``reason`` when given; what happened."""
    act = Act(ref)
    act.check_notified(notified)
    given, reason = reason is not None, one_line(reason) if reason is not None else None
    if given and not reason:
        raise UserError("--reason is empty; nothing typed")
    dialog = act.dialog(want_question=False)
    pick = dialog.find(no_option)
    if pick is None:
        act.refuse("the dialog offers no No option")
    what = "%s -> %d. %s: denied %s" % (
        dialog.question, pick, dict(dialog.options)[pick], act.view.get("statusDetail"))  # fmt: skip
    act.settle(dialog)
    if reason is None:
        act.keys(str(pick))
        return act.outcome(what)
    if "Tab to amend" not in dialog.footer:
        act.refuse("this dialog takes no reason (no 'Tab to amend'); deny without --reason")
    if dialog.cursor is None:
        act.refuse("cannot see which option is highlighted")
    act.keys(*(["Down"] * ((pick - dialog.cursor) % len(dialog.options))))
    if act.redrawn().cursor != pick:
        act.refuse("could not move to the No option")  # only arrows were typed
    act.keys("Tab")
    act.keys(reason, literal=True)
    amended = act.redrawn()
    if dict(amended.options).get(pick) != "No, " + reason:
        act.keys("Escape")  # back out: a half-typed reason must not be sent
        raise UserError("session %s: the dialog did not take the reason; pressed Esc (denied)"
                        % act.sid)  # fmt: skip
    act.keys("Enter")
    return act.outcome("%s: %s" % (what, reason))


def answer(ref, choice):
    """Pick option ``choice`` (a number) of the question, or type it; what happened."""
    act = Act(ref)
    choice = choice.strip()
    if not choice:
        raise UserError("no answer given; nothing typed")
    dialog = act.dialog(want_question=True)
    if dialog.is_multi_select():
        act.refuse("a multi-select question cannot be answered from outside yet; attach: "
                   "tclaude session attach %s" % act.sid)  # fmt: skip
    typed = dialog.find(lambda label: label.startswith(TYPE_OPTION))
    real = [(n, label) for n, label in dialog.options if n < typed]
    act.settle(dialog)
    if choice.isdigit():
        if int(choice) not in dict(real):
            act.refuse("no option %s (it offers: %s)" % (
                choice, "; ".join("%d. %s" % o for o in real)))  # fmt: skip
        act.keys(choice)
        return act.outcome("%s -> %s. %s" % (dialog.question, choice, dict(real)[int(choice)]))
    text = one_line(choice)
    act.keys(str(typed))
    if act.redrawn().cursor != typed:
        act.refuse("could not open the free-text option")
    act.keys(text, literal=True)
    if dict(act.redrawn().options).get(typed) != text:
        act.keys("Escape")
        raise UserError("session %s: the dialog did not take the text; pressed Esc" % act.sid)
    act.keys("Enter")
    return act.outcome("%s -> %s" % (dialog.question, text))


def answer_hint(view):
    """How to answer a waiting dialog without attaching (a notification's second line)."""
    if view.get("status") != "waiting_permission":
        return ""
    if recorded_tool(view)[0] == "AskUserQuestion":
        return "tclaude session answer %s <N|TEXT>" % view["id"]
    return "tclaude session approve %s (or: deny)" % view["id"]


def send_to(store, tmux, ref, text):
    """``session send`` without its options, for the dashboard: the same checks and keys."""
    (view,) = current_views(store, tmux, [find_session(store, ref)])
    text = PROMPT_CONTROLS_RE.sub("", text.replace("\r", "")).strip()
    if not text:
        raise UserError("nothing to send: the prompt is empty")
    if not send_prompt(store, tmux, view, text, False):
        return "sent to %s, but claude has not picked it up yet" % view["id"]
    return "sent to %s" % view["id"]


def preview_screen(tmux, view, captured=None):
    """The selected session's screen for the dashboard's preview, [] when it cannot be read;
    ``captured``: the screen this refresh's tmux call already brought."""
    if not view or view.get("status") == "exited" or not view.get("tmuxSession"):
        return []
    if captured is not None:
        return screen_lines(captured, None)
    try:
        return peek_lines(tmux.of(view), claude_pane(view), None)
    except UserError as exc:
        return ["(cannot read the screen: %s)" % exc]


def view_matches(view, needle):
    """The dashboard's ``/`` filter: name, cwd, status or detail contain the text."""
    fields = ("id", "name", "cwd", "status", "statusDetail")
    return any(needle in str(view.get(f) or "").lower() for f in fields)


def peek_lines(server, target, lines):
    """The pane's last ``lines`` lines (None: the visible screen), trailing blanks dropped,
    each through safe_text."""
    return screen_lines(server.screen(target, history=lines), lines)


def screen_lines(text, lines):
    """A captured screen as peek shows it: trailing blank lines dropped, the last ``lines``
    (None: all), each through safe_text."""
    rows = text.rstrip("\n").split("\n")
    while rows and not rows[-1].strip():
        rows.pop()
    if lines is not None:
        rows = rows[-lines:] if lines > 0 else []
    return [safe_text(row.rstrip()) for row in rows]


def cmd_peek(args):
    store, tmux = StateStore(), Tmux()
    tmux.require()
    if args.lines is not None and args.lines < 1:
        raise UserError("-n needs a positive number of lines")
    state = find_session(store, args.id)
    (view,) = current_views(store, tmux, [state])
    server, target = tmux.of(view), claude_pane(view)
    if not args.follow:
        sys.stdout.write("".join(row + "\n" for row in peek_lines(server, target, args.lines)))
        return 0
    try:
        while True:
            rows = peek_lines(server, target, args.lines)
            sys.stdout.write("\x1b[H\x1b[2J" + "\n".join(rows) + "\n")
            sys.stdout.flush()
            time.sleep(PEEK_INTERVAL)
    except KeyboardInterrupt:
        sys.stdout.write("\n")
        return 0


def needing_order(view):
    """Which waiting session to take first: a dialog before an idle prompt, then the one
    that has waited longest."""
    rank = {"waiting_permission": 0, "waiting_input": 1}.get(view.get("status"), 9)
    since = parse_iso(view.get("statusSince")) or parse_iso(view.get("updated")) or 0.0
    return rank, since


def next_needing(views):
    waiting = [v for v in views if v.get("status") in ("waiting_permission", "waiting_input")]
    return min(waiting, key=needing_order) if waiting else None


def next_needing_state(store, tmux):
    """The record of ``attach --next``: the session that has waited longest for the user."""
    views = current_views(store, tmux)
    pick = next_needing(views)
    if pick is None:
        raise UserError("no session is waiting for you (see: tclaude session ls)")
    return next(s for s in store.load_all() if s["id"] == pick["id"])


# --------------------------------------------------------------------------------------------
# 10. Dashboard: session watch
# --------------------------------------------------------------------------------------------

# Sessions that need the user come first: a permission dialog blocks all work, an idle prompt
# only waits.  "unknown" (a tmux server that cannot be asked) comes next: it may need the user
# too; other statuses (a hand-edited file) sort with the running ones.
WATCH_RANK = {"waiting_permission": 0, "waiting_input": 1, "unknown": 2, "running": 3, "exited": 4}
WATCH_LABEL = {
    "waiting_permission": "permission",
    "waiting_input": "waiting",
    "running": "running",
    "exited": "exited",
    "unknown": "unknown",
}
# The marker column says what the colours say, for terminals without colour and for NO_COLOR.
WATCH_MARK = {"waiting_permission": "!", "waiting_input": "?", "unknown": "*", "exited": "-"}
WATCH_SUMMARY_ORDER = ("waiting_input", "waiting_permission", "unknown", "running", "exited")
# (key, title, widest it grows); DETAIL takes what is left.  Columns leave in WATCH_DROP order
# as the terminal narrows; ID and STATUS always stay.
WATCH_COLUMNS = (
    ("host", "HOST", 12),  # only with --hosts
    ("id", "ID", 20),  # 8 hex, ext:<pid> for a claude started by hand (--all), or host:id
    ("name", "NAME", 16),
    ("status", "STATUS", 10),
    ("age", "AGE", 4),
    ("cpu", "CPU", 5),
    ("rss", "RSS", 5),
    ("conv", "CONV", 8),
    ("tree", "WORKTREE", 24),  # shown only when a session has a worktree
    ("cwd", "CWD", 28),
    ("detail", "DETAIL", 0),
)
WATCH_DROP = ("host", "conv", "cwd", "tree", "rss", "cpu", "name", "detail", "age")
WATCH_RIGHT = ("cpu", "rss")
DETAIL_MIN = 12
WATCH_KEYS_LINE = (
    "j/k move  a attach  x kill  r refresh  ? help  q quit  p preview  y n 1-9 answer  s send"
    "  / filter"
)
WATCH_HELP = (
    ("Up/Down  j/k", "move the selection"),
    ("PgUp/PgDn  g/G", "page; first / last session"),
    ("a  Enter", "attach; detach (tmux prefix, d) to come back"),
    ("x  K", "kill the session (asks y/n first)"),
    ("p", "preview the selected session's screen (bottom or right half)"),
    ("Tab  N", "select the next session that needs you"),
    ("y  Y", "approve the dialog on screen (Y: don't ask again), checked as session approve"),
    ("n", "deny it (type a reason, or just Enter)"),
    ("1-9", "answer the question on screen with that option"),
    ("s", "send a prompt (an input line; as session send)"),
    ("/", "filter rows by name, cwd, status or detail (empty: all)"),
    ("r", "refresh now"),
    ("?", "this help"),
    ("q  Esc  Ctrl-C", "quit"),
)
NO_SESSIONS = "no sessions (start one with: tclaude session new [dir])"
NEEDING = ("waiting_permission", "waiting_input")
ACT_KEYS = tuple(map(ord, "syYn123456789"))


def watch_sort_key(view):
    return (WATCH_RANK.get(view.get("status"), 3), *creation_order(view))


def watch_summary(views):
    """``12 sessions: 3 waiting, 1 permission, 7 running, 1 exited`` (zero counts left out);
    with --all ``14 sessions (2 external): ...``."""
    counts = {}
    for view in views:
        counts[view.get("status")] = counts.get(view.get("status"), 0) + 1
    parts = ["%d %s" % (counts[s], WATCH_LABEL[s]) for s in WATCH_SUMMARY_ORDER if counts.get(s)]
    other = len(views) - sum(counts.get(s, 0) for s in WATCH_SUMMARY_ORDER)
    if other:
        parts.append("%d other" % other)
    text = "%d session%s" % (len(views), "" if len(views) == 1 else "s")
    external = sum(1 for v in views if v.get("external"))
    if external:
        text += " (%d external)" % external
    return text + (": " + ", ".join(parts) if parts else "")


# -- text that cannot break the layout -------------------------------------------------------


def cell_text(value):
    """Untrusted text made safe for one table cell: one line, and no control, format,
    surrogate or unassigned characters (their width on screen is anyone's guess)."""
    text = safe_text(value)
    if _memo.get("ascii_only") and not text.isascii():
        text = "".join(ch if ch < "\x7f" else "?" for ch in text)
    if text.isprintable():
        return text
    import unicodedata

    out = []
    for ch in text:
        if ch.isprintable():
            out.append(ch)
        elif ch.isspace():
            out.append(" ")
        elif unicodedata.category(ch) != "Cf":  # bidi overrides and zero-width joiners just go
            out.append("?")
    return "".join(out)


def char_width(ch):
    import unicodedata

    if unicodedata.category(ch) in ("Mn", "Me"):
        return 0  # combining marks sit on the previous character
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def text_width(text):
    """Terminal columns of cell_text output (CJK and emoji take two)."""
    if text.isascii():
        return len(text)
    return sum(char_width(ch) for ch in text)


def cut_to_width(text, width):
    """The longest start of ``text`` that fits in ``width`` columns."""
    if text.isascii():
        return text[: max(0, width)]
    out, used = [], 0
    for ch in text:
        used += char_width(ch)
        if used > width:
            break
        out.append(ch)
    return "".join(out)


def ellipsis():
    return "~" if _memo.get("ascii_only") else "…"


def fit(text, width, right=False):
    """Exactly ``width`` columns: cut with an ellipsis when too long, padded with spaces."""
    if width <= 0:
        return ""
    used = text_width(text)
    if used > width:
        text = cut_to_width(text, width - 1) + ellipsis()
        used = text_width(text)
    pad = " " * (width - used)
    return pad + text if right else text + pad


def fit_left(text, width):
    """Like fit, but cut at the start: the end of a path names the project."""
    if text_width(text) <= width or width <= 1:
        return fit(text, width)
    tail = cut_to_width(text[::-1], width - 1)[::-1]
    return fit(ellipsis() + tail, width)


# -- CPU% and RSS as the dashboard shows them (the process trees are in section 3) --------------


def format_cpu(percent):
    if percent is None:
        return "-"
    return ("%.1f%%" if percent < 9.95 else "%.0f%%") % percent


def format_bytes(size):
    for unit, scale in (("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if size >= scale:
            value = size / scale
            return ("%.1f%s" if value < 9.95 else "%.0f%s") % (value, unit)
    return "%dB" % size


# -- one refresh, and the rows it shows ----------------------------------------------------------


class WatchModel:
    """One refresh's worth of truth: every session resolved exactly as ``ls`` does (one
    ``list-panes``, one scan of the state dir, screens only for no-hook gaps), sorted so the
    sessions waiting for the user come first, plus their process trees.  With ``external``
    (watch --all) also the claude sessions started by hand, from claude's registry and the
    same tmux snapshot, as ``ls --all`` lists them."""

    def __init__(self, store, tmux, procs=None, external=False, remote=None):
        self.store = store
        self.tmux = tmux
        self.remote = remote  # a HostPoller (watch --hosts): the other hosts' sessions
        self.procs = procs or ProcessTrees()
        self.external = external
        self.views = []
        self.stats = {}
        self.store.seen = {}  # each refresh re-reads only the state files that changed
        self.preview_id = None  # the session whose screen the preview pane shows
        self.preview_text = None  # its screen as this refresh's one tmux call brought it

    def refresh(self):
        snap = Snapshot(self.tmux)
        shown = next((v for v in self.views if v["id"] == self.preview_id), None)
        if shown and shown.get("host"):
            shown = None  # a remote session's screen is on its host: no preview here
        if shown and shown.get("status") != "exited":
            snap.want_screen(shown)
        views = current_views(self.store, self.tmux, snap=snap)
        for view in views:
            if view.get("worktreePath"):  # git at most once per worktree per few seconds
                view["worktreeStatus"] = worktree_status(view)
        self.preview_text = None
        if shown and shown.get("status") != "exited" and not shown.get("adopted"):
            self.preview_text = snap.screen(shown["tmuxSession"])
        if self.external:
            views += external_views(views, snap)
        if self.remote is not None:
            views += self.remote.latest()
        views.sort(key=watch_sort_key)
        live = [v.get("pid") for v in views if v.get("status") != "exited"]
        self.stats = self.procs.sample([p for p in live if isinstance(p, int) and p > 0])
        self.views = views

    def ids(self):
        return [v["id"] for v in self.views]


def watch_cells(view, stats, now):
    status = view.get("status")
    since = parse_iso(view.get("statusSince")) or parse_iso(view.get("updated")) or now
    stat = stats.get(view.get("pid")) if status != "exited" else None
    cwd = view.get("cwd")
    return {
        "host": cell_text(view.get("host")) or "local",
        "id": view["id"],
        "name": cell_text(view.get("name")) or "-",
        "status": WATCH_LABEL.get(status) or cell_text(status) or "?",
        "age": short_duration(now - since),
        "cpu": format_cpu(stat[0]) if stat else "-",
        "rss": format_bytes(stat[1]) if stat else "-",
        "conv": cell_text(view.get("convId"))[:8] or "-",
        "cwd": cell_text(short_path(cwd) if isinstance(cwd, str) else "") or "-",
        "tree": cell_text(worktree_cell(view.get("worktreeStatus"))) or "-",
        "detail": cell_text(view.get("statusDetail")),
    }


def watch_layout(rows, width, prefix):
    """[(column key, width)] that fits ``width`` columns after a ``prefix``-wide marker."""
    widths = {}
    for key, title, widest in WATCH_COLUMNS:
        if key != "detail":
            natural = max([len(title)] + [text_width(r[key]) for r in rows])
            widths[key] = min(natural, widest)
    widths["detail"] = DETAIL_MIN
    shown = [key for key, _, _ in WATCH_COLUMNS]
    if all(r["name"] == "-" for r in rows):
        shown.remove("name")  # nobody uses names: the room is better spent on DETAIL
    if all(r["host"] == "local" for r in rows):
        shown.remove("host")  # no --hosts (or no remote session)
    if all(r.get("tree", "-") == "-" for r in rows):
        shown.remove("tree")

    def needed():
        return prefix + sum(widths[k] for k in shown) + len(shown) - 1

    for key in WATCH_DROP:
        if needed() <= width:
            break
        if key in shown:
            shown.remove(key)
    if "detail" in shown:
        widths["detail"] += max(0, width - needed())
    return [(key, widths[key]) for key in shown]


def watch_line(cells, layout, lead):
    parts = []
    for key, width in layout:
        if key == "cwd":
            parts.append(fit_left(cells[key], width))
        else:
            parts.append(fit(cells[key], width, right=key in WATCH_RIGHT))
    return lead + " ".join(parts)


def watch_titles(layout, lead):
    titles = {key: title for key, title, _ in WATCH_COLUMNS}
    return watch_line(titles, layout, lead)


def watch_header(views, width, clock):
    """The status counts, with the clock at the right edge while there is room for both."""
    summary = watch_summary(views)
    room = width - len(clock) - 2
    if text_width(summary) <= room:
        return summary + " " * (room - text_width(summary) + 2) + clock
    if room >= 12:
        return fit(summary, room) + "  " + clock
    return fit(summary, width)


def watch_mark(view):
    return WATCH_MARK.get(view.get("status"), " ")


def watch_once_lines(model, width=None):
    """The plain-text frame of ``--once``: header, titles and every row, no curses.  Without
    a width (not a terminal) nothing is cut."""
    now = time.time()
    rows = [watch_cells(v, model.stats, now) for v in model.views]
    clock = time.strftime("%H:%M:%S")
    if width is None:
        header = watch_summary(model.views) + "  " + clock
        layout = watch_layout(rows, 10**4, 2)
        longest = max([text_width(r["detail"]) for r in rows] + [6])
        layout = [(k, min(w, longest, 160) if k == "detail" else w) for k, w in layout]
    else:
        header = watch_header(model.views, width, clock)
        layout = watch_layout(rows, width, 2)
    lines = [header, watch_titles(layout, "  ")]
    for view, cells in zip(model.views, rows):
        lines.append(watch_line(cells, layout, watch_mark(view) + " "))
    if not rows:
        lines.append(NO_SESSIONS if width is None else fit(NO_SESSIONS, width))
    return [line.rstrip() for line in lines]


def once_width():
    try:
        return max(20, int(os.environ["COLUMNS"]))
    except (KeyError, ValueError):
        pass
    try:
        return max(20, os.get_terminal_size(sys.stdout.fileno()).columns)
    except (OSError, ValueError):
        return None  # not a terminal: room for everything


# -- the curses screen ------------------------------------------------------------------------


class WarningSink:
    """Stands in for stderr while curses owns the terminal: a warning printed there would
    scribble over the screen, so it is kept for the footer line instead."""

    def __init__(self):
        self.lines = []
        self.partial = ""

    def write(self, text):
        self.partial += text
        while "\n" in self.partial:
            line, self.partial = self.partial.split("\n", 1)
            if line.strip():
                line = line.replace("tclaude: ", "", 1).replace(home_dir() + os.sep, "~" + os.sep)
                self.lines.append(line)
        return len(text)

    def flush(self):
        pass

    def take(self):
        lines, self.lines = self.lines, []
        return lines


class Dashboard:
    """The live screen.  Between refreshes it sleeps in getch (timeout = time left until the
    next refresh), so an idle dashboard costs one refresh per interval and nothing else."""

    MESSAGE_SECONDS = 8.0

    def __init__(self, model, interval, colour=True):
        self.model = model
        self.interval = interval
        self.colour = colour
        self.screen = None
        self.selected = None  # a session id: the selection follows it across refreshes
        self.index = 0
        self.top = 0
        self.confirm = None  # id of the session waiting for a y/n to be killed
        self.help = False
        self.message = ""
        self.message_until = 0.0
        self.warnings = []
        self.sink = WarningSink()
        self.next_refresh = 0.0
        self.attrs = {}
        self.external_attr = 0
        self.started = False
        self.stop_signal = None
        self.preview = False
        self.preview_lines = []
        self.filter = ""
        self.input = None  # (what, label, text) of the input line being typed

    # -- main loop ------------------------------------------------------------------------------

    def run(self, screen):
        self.screen = screen
        self.started = True
        real_stderr, sys.stderr = sys.stderr, self.sink
        try:
            self.setup()
            self.refresh()
            while self.stop_signal is None:
                self.draw()
                key = self.next_key()
                if not self.handle(key):
                    return
                if time.monotonic() >= self.next_refresh:
                    self.refresh()
        finally:
            sys.stderr = real_stderr

    def stop(self, signum, frame):
        """SIGTERM/SIGHUP: leave through curses.wrapper, which gives the terminal back (the
        default action would kill us mid-screen).  Checked once per key or refresh."""
        self.stop_signal = signum

    def setup(self):
        import curses

        try:
            curses.curs_set(0)
        except curses.error:
            pass  # terminals without an invisible cursor
        self.screen.keypad(True)
        bold, dim = curses.A_BOLD, curses.A_DIM
        self.attrs = {"waiting_permission": bold, "waiting_input": bold, "exited": dim}
        self.external_attr = dim
        if not curses.has_colors():
            return
        background = -1
        try:
            curses.use_default_colors()  # else start_color paints everything white on black
        except curses.error:
            background = curses.COLOR_BLACK
        if self.colour:
            curses.init_pair(1, curses.COLOR_RED, background)
            curses.init_pair(2, curses.COLOR_YELLOW, background)
            self.attrs["waiting_permission"] |= curses.color_pair(1)
            self.attrs["waiting_input"] |= curses.color_pair(2)

    def next_key(self):
        wait = max(0.0, self.next_refresh - time.monotonic())
        self.screen.timeout(int(wait * 1000) + 1)
        return self.screen.getch()

    def refresh(self):
        self.sink.take()
        try:
            self.model.refresh()
            self.warnings = self.sink.take()
        except UserError as exc:  # e.g. the state dir went away: say so, keep the last rows
            self.warnings = [*self.sink.take(), str(exc)]
        ids = self.shown_ids()
        if self.selected in ids:
            self.index = ids.index(self.selected)
        else:  # the selected session vanished: stay at the same height in the list
            self.index = max(0, min(self.index, len(ids) - 1))
            self.selected = ids[self.index] if ids else None
        if self.preview:
            view = self.selected_view()
            captured = (
                self.model.preview_text if view and view["id"] == self.model.preview_id else None
            )
            self.preview_lines = preview_screen(self.model.tmux, view, captured)
        self.model.preview_id = self.selected if self.preview else None
        self.next_refresh = time.monotonic() + self.interval

    def say(self, text):
        self.message = text
        self.message_until = time.monotonic() + self.MESSAGE_SECONDS

    # -- keys -----------------------------------------------------------------------------------

    def handle(self, key):
        """Act on one key; False means quit."""
        import curses

        if key == -1:
            return True
        if key == curses.KEY_RESIZE:
            self.sync_size()
            return True
        if self.help:
            self.help = False
            return True
        if self.confirm is not None:
            self.answer_kill(key)
            return True
        if self.input is not None:
            self.edit_input(key)
            return True
        if self.act_key(key):
            return True
        if key in (ord("q"), ord("Q"), 27):
            return False
        moves = {
            curses.KEY_UP: -1,
            ord("k"): -1,
            curses.KEY_DOWN: 1,
            ord("j"): 1,
            curses.KEY_PPAGE: -self.list_height(),
            curses.KEY_NPAGE: self.list_height(),
            curses.KEY_HOME: -(10**9),
            ord("g"): -(10**9),
            curses.KEY_END: 10**9,
            ord("G"): 10**9,
        }
        if key in moves:
            self.move(moves[key])
        elif key in (ord("a"), 10, 13, curses.KEY_ENTER):
            self.attach()
        elif key in (ord("x"), ord("K"), curses.KEY_DC):
            self.ask_kill()
        elif key in (ord("r"), 12):  # Ctrl-L also repaints every cell
            if key == 12:
                self.screen.clear()
            self.refresh()
        elif key in (ord("?"), ord("h"), curses.KEY_F1):
            self.help = True
        return True

    def move(self, delta):
        ids = self.shown_ids()
        if ids:
            self.index = max(0, min(len(ids) - 1, self.index + delta))
            self.selected = ids[self.index]

    def selected_view(self):
        for view in self.model.views:
            if view["id"] == self.selected:
                return view
        return None

    def ask_kill(self):
        """The y/n question, except for a claude started by hand: tclaude never ends a
        process it does not manage; adopting it makes it a session that can be killed."""
        view = self.selected_view()
        if view is None:
            return
        if view.get("external"):
            self.say("%s is not a tclaude session; adopt it first: tclaude session adopt %s" % (
                view["id"], view["id"]))  # fmt: skip
            return
        self.confirm = view["id"]

    def answer_kill(self, key):
        sid, self.confirm = self.confirm, None
        if key not in (ord("y"), ord("Y")):
            self.say("kill cancelled")
            return
        self.say("killing %s ..." % sid)
        self.draw()
        if ":" in sid:  # host:id: the host's tclaude kills it
            self.act({"id": sid}, "killing", lambda: act_on_host(sid, ["kill"]))
            return
        try:
            state = self.model.store.load(sid)
            view = kill_one(self.model.store, self.model.tmux, state)
            if view.get("worktreePath"):  # kept, as session kill keeps it; say where
                self.say("killed %s; %s" % (sid, kept_worktree_text(view)))
            else:
                self.say("killed %s; %s" % (sid, resume_line(view)))
        except FileNotFoundError:
            self.say("%s is already gone" % sid)
        except (OSError, ValueError) as exc:
            self.say("cannot read %s: %s" % (sid, one_line(str(exc))))
        except UserError as exc:
            self.say(str(exc))
        self.refresh()

    def attach(self):
        """Outside tmux: leave curses, run ``tmux attach`` until the user detaches, come back.
        Inside tmux: switch this client to the session (the dashboard keeps its window)."""
        import curses

        view = self.selected_view()
        if view is None:
            return
        if view.get("status") == "exited":
            self.say("%s has exited; %s" % (view["id"], resume_line(view)))
            return
        if view.get("external") and not view.get("tmuxPane"):
            self.say("%s does not run in tmux: there is no pane to attach to" % view["id"])
            return
        if view.get("host"):
            self.attach_remote(view)
            return
        tmux = self.model.tmux
        if tmux.of(view).inside_tmux():
            try:
                attach_view(tmux, view)
                self.say("switched to %s; back here: tmux prefix, L" % view["id"])
            except UserError as exc:
                self.say(str(exc))
            return
        curses.endwin()
        try:
            rc = attach_view(tmux, view)
            if rc:
                self.say("tmux attach to %s failed (exit %d)" % (view["id"], rc))
        except UserError as exc:
            self.say(str(exc))
        finally:
            self.screen.clear()  # the next refresh repaints every cell
            self.sync_size()
        self.refresh()

    def attach_remote(self, view):
        """``ssh -t`` to the host's tmux until the user detaches, as ``--host NAME session
        attach``; from inside tmux too (that client cannot be switched to another machine)."""
        import curses

        name, sid = view["id"].split(":", 1)
        curses.endwin()
        try:
            rc = attach_on_host(host_of(self.model.store, name), ["session", "attach", sid])
            if rc:
                self.say("attach to %s failed (exit %d)" % (view["id"], rc))
        except UserError as exc:
            self.say(str(exc))
        finally:
            self.screen.clear()
            self.sync_size()
        self.refresh()

    def sync_size(self):
        """Pick up a size change curses missed (e.g. one made while tmux was attached)."""
        import curses

        try:
            size = os.get_terminal_size(sys.__stdout__.fileno())
        except (OSError, ValueError, AttributeError):
            return
        if (size.lines, size.columns) != self.screen.getmaxyx() and hasattr(curses, "resizeterm"):
            try:
                curses.resizeterm(size.lines, size.columns)
            except curses.error:
                pass

    # -- drawing --------------------------------------------------------------------------------

    def footer_lines(self):
        """Status line(s) above the key line: the last action's message, state dir warnings."""
        lines = []
        if self.message and time.monotonic() < self.message_until:
            lines.append((self.message, 0))
        if self.warnings:
            more = " (+%d more)" % (len(self.warnings) - 1) if len(self.warnings) > 1 else ""
            lines.append((self.warnings[0] + more, self.attrs.get("waiting_input", 0)))
        return lines

    def list_height(self):
        height, _ = self.screen.getmaxyx()
        extra = len(self.footer_lines())
        return max(1, height - 3 - extra)

    def draw(self):
        import curses

        screen = self.screen
        height, width = screen.getmaxyx()
        screen.erase()
        views = self.shown()
        now = time.time()
        rows = [watch_cells(v, self.model.stats, now) for v in views]
        full_height, full_width = height, width
        height, width = self.table_size(height, width)
        layout = watch_layout(rows, width, 3)
        self.put(0, watch_header(views, width, time.strftime("%H:%M:%S")), curses.A_BOLD)
        self.put(1, fit(watch_titles(layout, "   "), width), curses.A_UNDERLINE)
        footer = self.footer_lines()[: max(0, height - 4)]
        list_top, list_height = 2, max(0, height - 3 - len(footer))
        self.scroll(len(rows), list_height)
        for y, i in enumerate(range(self.top, min(len(rows), self.top + list_height))):
            view = views[i]
            chosen = view["id"] == self.selected
            lead = (">" if chosen else " ") + watch_mark(view) + " "
            attr = self.row_attr(view) | (curses.A_REVERSE if chosen else 0)
            self.put(list_top + y, fit(watch_line(rows[i], layout, lead), width), attr)
        if not rows and list_height:
            self.put(list_top, fit(" " + NO_SESSIONS, width))
        if self.preview:
            self.draw_preview(full_height, full_width, height, width)
        height, width = full_height, full_width
        for n, (text, attr) in enumerate(footer):
            self.put(height - 1 - len(footer) + n, fit(text, width), attr)
        if height >= 3:
            self.put(height - 1, self.bottom_line(len(rows), list_height, width), curses.A_BOLD)
        if self.help:
            self.draw_help(height, width)
        screen.refresh()

    def row_attr(self, view):
        """The status's style; a claude started by hand keeps its colour but is dim, not bold:
        it is listed, not managed."""
        import curses

        attr = self.attrs.get(view.get("status"), 0)
        if view.get("external"):
            attr = (attr & ~curses.A_BOLD) | self.external_attr
        return attr

    def scroll(self, count, visible):
        if visible <= 0:
            return
        if self.index < self.top:
            self.top = self.index
        elif self.index >= self.top + visible:
            self.top = self.index - visible + 1
        self.top = max(0, min(self.top, count - visible))

    def bottom_line(self, count, visible, width):
        if self.input is not None:
            _, label, text = self.input
            return fit("%s: %s_" % (label, text), width)
        if self.confirm is not None:
            view = {"id": self.confirm}
            for v in self.model.views:
                if v["id"] == self.confirm:
                    view = v
            name = cell_text(view.get("name"))
            label = "%s (%s)" % (self.confirm, name) if name else self.confirm
            return fit("kill %s? y/n" % label, width)
        position = ""
        if count > visible > 0:
            position = "%d-%d of %d" % (self.top + 1, min(count, self.top + visible), count)
        keys = WATCH_KEYS_LINE
        if text_width(keys) + len(position) + 2 > width:
            keys = fit(keys, max(0, width - len(position) - 2)) if position else keys
        room = width - text_width(keys) - len(position)
        return fit(keys + " " * max(1, room) + position if position else keys, width)

    # -- acting without attaching: preview, approve/deny/answer, send, filter ----------------------

    def shown(self):
        needle = self.filter.lower()
        return [v for v in self.model.views if not needle or view_matches(v, needle)]

    def shown_ids(self):
        return [v["id"] for v in self.shown()]

    def act_key(self, key):
        """The keys that act on the selected session; True when the key was one of them."""
        view = self.selected_view()
        if key == ord("p"):
            self.preview = not self.preview
            self.refresh()
        elif key in (9, ord("N")):
            self.next_needing()
        elif key == ord("/"):
            self.input = ("filter", "filter (Enter: apply, empty: all)", self.filter)
        elif view is None or key not in ACT_KEYS:
            return key in ACT_KEYS
        elif view.get("host") and key in (ord("y"), ord("Y")):
            words = ["approve", "--always"] if key == ord("Y") else ["approve"]
            self.act(view, "approving", lambda: act_on_host(view["id"], words))
        elif view.get("host") and chr(key).isdigit():
            self.act(view, "answering", lambda: act_on_host(view["id"], ["answer", chr(key)]))
        elif key == ord("s"):
            self.input = ("send", "send to %s" % view["id"], "")
        elif key == ord("n"):
            self.input = ("deny", "deny %s; reason (Enter: none)" % view["id"], "")
        elif key in (ord("y"), ord("Y")):
            self.act(view, "approving", lambda: approve(view["id"], key == ord("Y")))
        else:
            choice = chr(key)
            self.act(view, "answering", lambda: answer(view["id"], choice))
        return True

    def act(self, view, doing, run):
        self.say("%s %s ..." % (doing, view["id"]))
        self.draw()
        try:
            self.say(run())
        except UserError as exc:
            self.say(str(exc))
        except (OSError, ValueError) as exc:
            self.say("cannot act on %s: %s" % (view["id"], one_line(str(exc))))
        self.refresh()

    def next_needing(self):
        """Tab/N: the next session below the selection that needs the user, wrapping."""
        views = self.shown()
        needing = [i for i, v in enumerate(views) if v.get("status") in NEEDING]
        if not needing:
            self.say("no session needs you")
            return
        after = [i for i in needing if i > self.index]
        self.index = (after or needing)[0]
        self.selected = views[self.index]["id"]
        if self.preview:
            self.preview_lines = preview_screen(self.model.tmux, views[self.index])

    def edit_input(self, key):
        import curses

        what, label, text = self.input
        if key == 27:
            self.input = None
            self.say("%s cancelled" % what)
        elif key in (10, 13, curses.KEY_ENTER):
            self.input = None
            self.submit_input(what, text)
        elif key in (curses.KEY_BACKSPACE, 127, 8):
            self.input = (what, label, text[:-1])
        elif key == 21:  # Ctrl-U
            self.input = (what, label, "")
        elif 32 <= key < 127:  # curses hands UTF-8 over byte by byte: printable ASCII only
            self.input = (what, label, text + chr(key))

    def submit_input(self, what, text):
        if what == "filter":
            self.filter = text.strip()
            self.say("filter: %s" % self.filter if self.filter else "filter off")
            self.refresh()
            return
        view = self.selected_view()
        if view is None:
            return
        if view.get("host") and what == "deny":  # the host's tclaude does it, same checks
            words = ["deny"] + (["--reason=" + text.strip()] if text.strip() else [])
            self.act(view, "denying", lambda: act_on_host(view["id"], words))
        elif view.get("host"):  # the prompt goes as stdin: no word of it is taken for an option
            self.act(view, "sending to",
                     lambda: act_on_host(view["id"], ["send", "-"], text.encode()))  # fmt: skip
        elif what == "deny":
            reason = text.strip() or None
            self.act(view, "denying", lambda: deny(view["id"], reason))
        else:
            store, tmux = self.model.store, self.model.tmux
            self.act(view, "sending to", lambda: send_to(store, tmux, view["id"], text))

    def table_size(self, height, width):
        """(height, width) the table may use: with the preview open, the top half, or the
        left half of a terminal wide enough for two 80-column halves."""
        if not self.preview:
            return height, width
        if width >= 160:
            return height, width // 2
        return max(4, height // 2), width

    def draw_preview(self, height, width, table_height, table_width):
        import curses

        footer = len(self.footer_lines()) + 1
        if table_width < width:  # right half
            top, left, rows, cols = 0, table_width + 1, height - footer, width - table_width - 1
            for y in range(rows):
                self.put(y, "│", curses.A_DIM, table_width)
        else:
            top, left, rows, cols = table_height - 1, 0, height - table_height + 1 - footer, width
            title = "── preview %s " % (self.selected or "")
            self.put(top, fit(title + "─" * width, width), curses.A_DIM)
            top, rows = top + 1, rows - 1
        lines = self.preview_lines[-rows:] if rows > 0 else []
        if not lines:
            lines = ["(nothing to preview)"]
        for y, line in enumerate(lines[: max(0, rows)]):
            self.put(top + y, fit(line, cols), 0, left)

    def draw_help(self, height, width):
        import curses

        lines = ["tclaude session watch: keys", ""]
        lines += ["%-16s %s" % pair for pair in WATCH_HELP]
        lines += ["", "! needs a permission answer, ? waits for input, - exited"]
        if self.model.external:
            lines += ["ext:<pid> (dim): a claude started by hand; adopt it to kill it"]
        lines += ["any key closes this help"]
        box = min(width, max(len(line) for line in lines) + 4)
        top = max(0, (height - len(lines) - 2) // 2)
        left = max(0, (width - box) // 2)
        for n, line in enumerate(["", *lines, ""]):
            if top + n >= height:
                break
            self.put(top + n, fit("  " + line, box), curses.A_REVERSE, left)

    def put(self, y, text, attr=0, x=0):
        import curses

        try:
            self.screen.addstr(y, x, safe_text(text), attr)  # the one sanitiser, last line
        except curses.error:
            pass  # writing the bottom-right cell "fails" after drawing it; nothing is lost


def resume_line(view):
    """The resume hint for a one-line footer."""
    if not view.get("convId"):
        return "start again with: " + resume_hint(view)
    if never_started(view):
        return "never started; start over: tclaude session kill %s, then session new" % view["id"]
    return "resume with: " + resume_hint(view, conv_first=True)


def cmd_watch(args):
    import signal

    if not 0.1 <= args.interval <= 3600:
        raise UserError("--interval must be between 0.1 and 3600 seconds, got %s" % args.interval)
    store, tmux = StateStore(), Tmux()
    tmux.require()
    remote = HostPoller(selected_hosts(store, args.hosts), args.interval) if args.hosts else None
    model = WatchModel(store, tmux, external=args.all, remote=remote)
    if args.once:
        _memo["ascii_only"] = "utf" not in (sys.stdout.encoding or "").lower()
        if remote is not None:
            remote.poll()
        model.refresh()
        print("\n".join(watch_once_lines(model, once_width())))
        return 0
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UserError("watch needs a terminal (stdin and stdout); use --once for plain text")
    import curses
    import locale

    try:
        locale.setlocale(locale.LC_CTYPE, "")
    except locale.Error:
        pass
    _memo["ascii_only"] = "utf" not in locale.getpreferredencoding(False).lower()
    os.environ.setdefault("ESCDELAY", "25")  # Esc quits at once instead of after 1 s
    dashboard = Dashboard(model, args.interval, colour=not os.environ.get("NO_COLOR"))
    if remote is not None:
        remote.start()
    signal.signal(signal.SIGTERM, dashboard.stop)
    signal.signal(signal.SIGHUP, dashboard.stop)
    try:
        curses.wrapper(dashboard.run)
    except KeyboardInterrupt:
        return 0  # Ctrl-C is the usual way out of a top-like screen: not an error
    except curses.error as exc:
        if dashboard.started:
            raise
        raise UserError(
            "cannot start the dashboard on this terminal (TERM=%s): %s; use --once"
            % (os.environ.get("TERM", ""), one_line(str(exc)))
        ) from None
    return 128 + dashboard.stop_signal if dashboard.stop_signal else 0


# --------------------------------------------------------------------------------------------
# 11. Tools: tclaude's hooks in claude's user settings, sessions started by hand
# --------------------------------------------------------------------------------------------

HOOK_MARK = "tclaude-hook.sh"  # a hook whose command holds this is tclaude's, whatever the path


def is_tclaude_hook(entry):
    return isinstance(entry, dict) and HOOK_MARK in str(entry.get("command") or "")


def tclaude_hook_commands(settings):
    """Sorted (event, command) of every tclaude hook in a settings object."""
    found = []
    hooks = settings.get("hooks")
    for event, groups in hooks.items() if isinstance(hooks, dict) else ():
        for group in groups if isinstance(groups, list) else ():
            entries = group.get("hooks") if isinstance(group, dict) else None
            for entry in entries if isinstance(entries, list) else ():
                if is_tclaude_hook(entry):
                    found.append((event, entry["command"]))
    return sorted(found)


SETTINGS_LIMIT = 16 << 20


def load_claude_settings(path):
    """(settings object, raw bytes or None when there is no file).  Anything claude itself
    would choke on is an error here too, before a single byte is written."""
    import json

    try:
        raw = read_small(path, SETTINGS_LIMIT)
    except FileNotFoundError:
        return {}, None
    except UnfitFile as exc:
        raise UserError("cannot read %s; nothing was changed" % exc) from None
    except OSError as exc:
        raise UserError("cannot read %s: %s" % (path, exc.strerror)) from None
    if not raw.strip():
        return {}, raw
    try:
        data = json.loads(raw.decode("utf-8"))
    except ValueError as exc:  # UnicodeDecodeError is a ValueError
        raise UserError("%s is not valid JSON (%s); fix it first, nothing was changed" % (
            path, one_line(str(exc)))) from None  # fmt: skip
    if not isinstance(data, dict):
        raise UserError("%s does not hold a JSON object; nothing was changed" % path)
    hooks = data.get("hooks")
    if hooks is not None and not isinstance(hooks, dict):
        raise UserError('"hooks" in %s is not an object; nothing was changed' % path)
    for event, groups in (hooks or {}).items():
        if not isinstance(groups, list):
            raise UserError('"hooks.%s" in %s is not a list; nothing was changed' % (event, path))
    return data, raw


def remove_tclaude_hooks(settings, created_events=None, created_hooks_key=True):
    """Drop every tclaude hook, then the groups that held only tclaude hooks, then the event
    lists (and "hooks") this emptied, unless the record says the user had them before.
    ``created_events`` None means no record: an emptied list is dropped (claude reads a
    missing list as an empty one).  Returns how many hooks went."""
    hooks = settings.get("hooks")
    if not isinstance(hooks, dict):
        return 0
    removed = 0
    for event in list(hooks):
        groups, kept = hooks[event], []
        for group in groups:
            entries = group.get("hooks") if isinstance(group, dict) else None
            if isinstance(entries, list):
                mine = [e for e in entries if is_tclaude_hook(e)]
                if mine:
                    removed += len(mine)
                    if len(mine) == len(entries):
                        continue  # a group of tclaude hooks only: tclaude added it
                    group["hooks"] = [e for e in entries if not is_tclaude_hook(e)]
            kept.append(group)
        hooks[event] = kept
        if groups and not kept and (created_events is None or event in created_events):
            del hooks[event]
    if removed and not hooks and created_hooks_key:
        del settings["hooks"]
    return removed


def settings_with_hooks(settings):
    """(new settings, what was created) with tclaude's hooks appended after the user's own;
    an older tclaude hook (another path) is replaced, not doubled."""
    import json

    new = json.loads(json.dumps(settings))
    created = {"hooksKey": "hooks" not in new, "events": []}
    hooks = new.setdefault("hooks", {})
    remove_tclaude_hooks(new, created_events=(), created_hooks_key=False)
    for event, groups in hook_settings()["hooks"].items():
        if event not in hooks:
            created["events"].append(event)
        hooks.setdefault(event, []).extend(groups)
    return new, created


def settings_text(settings):
    import json

    return json.dumps(settings, indent=2, ensure_ascii=False) + "\n"


def write_backup(path, raw):
    """``settings.json.bak-<UTC stamp>`` beside the file, same bytes; never overwrites one."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    mode = os.stat(path).st_mode & 0o777
    for n in range(100):
        backup = "%s.bak-%s%s" % (path, stamp, "-%d" % n if n else "")
        try:
            fd = create_exclusive(backup, mode)
        except FileExistsError:
            continue
        except OSError as exc:
            raise UserError("cannot write backup %s: %s" % (backup, exc.strerror)) from None
        try:
            try:
                write_all(fd, raw)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            os.unlink(backup)  # a partial backup is worse than none: it looks like one
            raise UserError("cannot write backup %s: %s" % (backup, exc.strerror)) from None
        return backup
    raise UserError("cannot find a free backup name for %s" % path)


def replace_settings(path, text, raw_before):
    """Atomically replace the file a symlink points to (dotfile repos keep their link), with
    its mode, unless someone (claude itself writes this file) changed it since we read it."""
    real = os.path.realpath(path)
    folder = os.path.dirname(real)
    try:
        os.makedirs(folder, exist_ok=True)
        mode = os.stat(real).st_mode & 0o777 if raw_before is not None else 0o600
    except OSError as exc:
        raise UserError("cannot write %s: %s" % (path, exc.strerror)) from None
    tmp = os.path.join(folder, ".%s.tclaude.%d.tmp" % (os.path.basename(real), os.getpid()))

    def unchanged():
        if load_claude_settings(path)[1] != raw_before:
            raise UserError("%s changed while tclaude was editing it; run the command again" % path)

    write_file_atomic(real, text.encode("utf-8"), mode, tmp, before_replace=unchanged)


def remove_settings_file(path, raw_before):
    """Remove the file install created: behind a symlink, the file it points to (the link
    was there before install and stays)."""
    if load_claude_settings(path)[1] != raw_before:
        raise UserError("%s changed while tclaude was editing it; run the command again" % path)
    try:
        os.unlink(os.path.realpath(path))
    except OSError as exc:
        raise UserError("cannot remove %s: %s" % (path, exc.strerror)) from None


def print_settings_diff(path, raw_before, text_after):
    import difflib

    before = (raw_before or b"").decode("utf-8", "replace").splitlines(True)
    after = (text_after or "").splitlines(True)
    label = short_path(path)
    for line in difflib.unified_diff(
        before,
        after,
        label if raw_before is not None else "/dev/null",
        label if text_after is not None else "/dev/null",
    ):
        if line.endswith("\n"):
            sys.stdout.write(safe_text(line[:-1]) + "\n")
        else:  # as diff(1) shows a last line without its newline
            sys.stdout.write(safe_text(line) + "\n\\ No newline at end of file\n")


def save_hooks_record(store, record):
    """After the settings file is written: without the record, uninstall still removes every
    tclaude hook, it only drops event lists that end up empty even if they were the user's."""
    try:
        store.save_hooks_record(record)
    except UserError as exc:
        warn(str(exc))


def cmd_hooks_print(args):
    import json

    print(json.dumps(hook_settings(), indent=2))
    return 0


def require_hook_file():
    if not os.path.isfile(hook_path()):
        raise UserError("%s is missing beside tclaude.py; reinstall tclaude (./install.sh)" % (
            hook_path()))  # fmt: skip


def cmd_hooks_install(args):
    require_hook_file()
    store, path = StateStore(), claude_settings_path()
    settings, raw = load_claude_settings(path)
    wanted = tclaude_hook_commands(hook_settings())
    if tclaude_hook_commands(settings) == wanted:
        say("tclaude's hooks are already in %s; nothing changed" % short_path(path))
        return 0
    new, created = settings_with_hooks(settings)
    text = settings_text(new)
    if args.dry_run:
        print_settings_diff(path, raw, text)
        say("dry run: %s not changed" % short_path(path))
        return 0
    record = store.load_hooks_record()
    key = os.path.realpath(path)
    before = record.get(key) or {}
    record[key] = {
        "createdFile": bool(before.get("createdFile")) or raw is None,
        "createdHooksKey": bool(before.get("createdHooksKey")) or created["hooksKey"],
        "createdEvents": sorted(set(before.get("createdEvents") or ()) | set(created["events"])),
        "installed": utc_iso(),
    }
    store.ensure_dir()
    backup = write_backup(path, raw) if raw is not None else None
    replace_settings(path, text, raw)
    save_hooks_record(store, record)
    say("installed tclaude's hooks (%d events) in %s" % (len(wanted), short_path(path)))
    if backup:
        say("backup of the previous file: %s" % short_path(backup))
    print(
        "note: the hook does nothing in claude sessions tclaude did not start; "
        "those are listed by: tclaude session ls --all"
    )
    return 0


def cmd_hooks_uninstall(args):
    import json

    store, path = StateStore(), claude_settings_path()
    settings, raw = load_claude_settings(path)
    if not tclaude_hook_commands(settings):
        say("no tclaude hooks in %s; nothing changed" % short_path(path))
        return 0
    record = store.load_hooks_record()
    key = os.path.realpath(path)
    mine = record.get(key)
    new = json.loads(json.dumps(settings))
    if mine is None:
        removed = remove_tclaude_hooks(new)
    else:
        removed = remove_tclaude_hooks(
            new, set(mine.get("createdEvents") or ()), bool(mine.get("createdHooksKey"))
        )
    delete_file = bool(mine and mine.get("createdFile")) and not new
    text = None if delete_file else settings_text(new)
    if args.dry_run:
        print_settings_diff(path, raw, text)
        say("dry run: %s not changed" % short_path(path))
        return 0
    backup = write_backup(path, raw)
    if delete_file:
        remove_settings_file(path, raw)
    else:
        replace_settings(path, text, raw)
    record.pop(key, None)
    save_hooks_record(store, record)
    say("removed %d tclaude hooks from %s" % (removed, short_path(path)))
    say("backup of the previous file: %s" % short_path(backup))
    return 0


# -- sessions started by hand: adopt ----------------------------------------------------------


def cmd_adopt(args):
    store, tmux = StateStore(), Tmux()
    tmux.require()
    target = args.pane.strip()
    pane = tmux.pane_info(external_pane(target) if target.startswith("ext:") else target)
    if pane.session.startswith(TMUX_PREFIX):
        raise UserError("pane %s is tclaude session %s already" % (
            pane.id, pane.session[len(TMUX_PREFIX) :]))  # fmt: skip
    reg = claude_in_pane(pane)
    if not reg:
        raise UserError("no running claude found in pane %s (nothing in %s says so)" % (
            pane.id, os.path.join(claude_config_dir(), "sessions")))  # fmt: skip
    store.ensure_dir()
    with store.lock():
        live = [v for v in current_views(store, tmux) if v["status"] != "exited"]
        for view in live:
            if view.get("pid") == reg["pid"]:
                raise UserError("the claude in pane %s is session %s already" % (
                    pane.id, view["id"]))  # fmt: skip
        ensure_unclaimed(live, name=checked_name(args.name))
        state = new_record(
            store.new_id(),
            time.time(),
            name=args.name,
            tmuxSession=pane.session,
            tmuxSocket=pane.socket,
            tmuxPane=pane.id,
            pid=reg["pid"],
            procStart=reg.get("procStart"),
            cwd=registry_text(reg, "cwd") or pane.cwd,
            convId=registry_text(reg, "sessionId"),
            status=REGISTRY_STATUS.get(reg.get("status"), "running"),
            statusDetail="adopted",
            adopted=True,
        )
        store.save(state)
    label = " (%s)" % args.name if args.name else ""
    say("adopted claude pid %d in pane %s as session %s%s" % (
        reg["pid"], pane.id, state["id"], label))  # fmt: skip
    print("its status comes from claude's registry: a claude started by hand runs no tclaude hook")
    return 0


# --------------------------------------------------------------------------------------------
# 12. Notifications: a desktop notification when a session starts waiting (tclaude notify)
# --------------------------------------------------------------------------------------------
#
# The hook decides in bash with one `[ -e <id>.notify ]` (the marker exists exactly when the
# session notifies; kept in step by session new and notify on/off), then starts the hidden
# `tclaude _notify <id> <status>` detached and returns.  That process settles, re-reads the
# status, skips repeats and watched sessions, and calls notify-send, gdbus or osascript with
# argv lists only: no text from a payload is ever shell or AppleScript source.

WAITING_STATUSES = ("waiting_permission", "waiting_input")
NOTIFY_TITLES = {
    "waiting_permission": "claude needs permission",
    "waiting_input": "claude is waiting",
}
NOTIFY_URGENCY = {"waiting_permission": "critical", "waiting_input": "normal"}
# A background agent ends a turn with Stop, an injected UserPromptSubmit and Stop again within
# ~0.2 s: look again after this long, so the bounce is one notification, not two.
NOTIFY_SETTLE = 0.3
# The same status again this soon after a notification is no new question: nobody reads,
# attaches and answers that fast.  It is the same waiting period bouncing.  (The stamp has
# whole seconds, so the real window is 2-3 s.)
NOTIFY_DEBOUNCE = 3.0
NOTIFY_CALL_TIMEOUT = 5.0  # one backend call: a hung notification daemon must not keep us
NOTIFY_DEADLINE = 20  # seconds; the detached notifier ends itself whatever happens
NOTIFY_INSTALL_HINT = (
    "no notification backend found: install notify-send (Debian/Ubuntu: sudo apt-get install "
    "libnotify-bin; Fedora: sudo dnf install libnotify; Arch: sudo pacman -S libnotify) or "
    "gdbus (Debian/Ubuntu: libglib2.0-bin); on macOS osascript is built in"
)
# Buttons (freedesktop ``actions``): how long a notification's buttons stay live, then they
# are taken off it; how often its listener checks that the session still waits on its dialog.
NOTIFY_LISTEN_MAX = 1800  # TCLAUDE_NOTIFY_BUTTONS_MAX (seconds) may shorten it
NOTIFY_LISTEN_POLL = 2.0
NOTIFY_BUTTONS = {"approve": "Approve", "deny": "Deny", "open": "Open"}
DBUS_NAME = "org.freedesktop.Notifications"
DBUS_PATH = "/org/freedesktop/Notifications"
DBUS_URGENCY = {"low": 0, "normal": 1, "critical": 2}
# The texts reach osascript only as items of argv: this script is constant, so nothing from a
# payload is ever AppleScript source.
OSASCRIPT_LINES = (
    "on run argv",
    'if item 3 of argv is "critical" then',
    'display notification (item 2 of argv) with title (item 1 of argv) sound name "Glass"',
    "else",
    "display notification (item 2 of argv) with title (item 1 of argv)",
    "end if",
    "end run",
)


class NotifyError(Exception):
    """A backend that could not deliver; only ``notify test`` shows it."""


def plain_text(text):
    """What argv and D-Bus can carry: valid UTF-8 without NUL (lone surrogates from JSON
    escapes become '?')."""
    return (text or "").replace("\0", "").encode("utf-8", "replace").decode("utf-8")


def notify_label(view):
    """Which session, as a notification's title names it: its name, folder or id."""
    label = one_line(view.get("name")) or os.path.basename(view.get("cwd") or "") or view["id"]
    return safe_text(label)


def notification_text(view):
    """(title, body) as the user reads them; name and detail are shown as in ``session ls``."""
    title = "%s · %s" % (NOTIFY_TITLES[view["status"]], notify_label(view))
    attach = "tclaude session attach %s" % view["id"]
    hint = answer_hint(view)
    attach = "%s\n%s" % (hint, attach) if hint else attach
    detail = safe_text(one_line(view.get("statusDetail")))  # a desktop shows controls oddly too
    body = "%s\n%s" % (detail, attach) if detail else attach
    return plain_text(title), plain_text(body)


def run_backend(argv):
    """Run a notification program from an argv list (never a shell string); its stdout."""
    import subprocess

    name = os.path.basename(argv[0])
    try:
        proc = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=NOTIFY_CALL_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        raise NotifyError("%s did not answer within %d s" % (name, NOTIFY_CALL_TIMEOUT)) from None
    except OSError as exc:
        raise NotifyError("cannot run %s: %s" % (argv[0], exc.strerror)) from None
    if proc.returncode != 0:
        reason = one_line(proc.stderr) or "exit status %d" % proc.returncode
        raise NotifyError("%s failed: %s" % (name, reason))
    return proc.stdout


def gvariant_string(text):
    """A GVariant text-format string literal.  gdbus parses every argument as GVariant text, so
    bare text would be interpreted (``[1]`` is an array, ``'a'`` loses its quotes): quote it."""
    out = ["'"]
    for ch in text:
        if ch in "\\'":
            out.append("\\" + ch)
        elif ch < " " or ch == "\x7f":
            out.append("\\u%04x" % ord(ch))
        else:
            out.append(ch)
    out.append("'")
    return "".join(out)


def gdbus_call(gdbus, method, *args):
    return run_backend(
        [gdbus, "call", "--session", "--dest", DBUS_NAME, "--object-path", DBUS_PATH,
         "--method", DBUS_NAME + "." + method, *args]
    )  # fmt: skip


def freedesktop_body(body):
    """Most notification servers read markup in the body (<b>, <a href=...>, &amp;): escape it so
    the text shows as written.  A server that says it has no body-markup gets the text as is,
    as the spec asks; when nobody can ask (no gdbus), assume markup, the common case."""
    capabilities = server_capabilities()
    if capabilities is not None and "body-markup" not in capabilities:
        return body
    return body.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def server_capabilities():
    """The notification server's GetCapabilities, asked once through gdbus; None when nobody
    can ask (no gdbus, or no server answers)."""
    if "capabilities" not in _memo:
        import re

        gdbus, capabilities = which("gdbus"), None
        if gdbus:
            try:
                capabilities = re.findall(r"'([^'\\]*)'", gdbus_call(gdbus, "GetCapabilities"))
            except NotifyError:
                capabilities = None
        _memo["capabilities"] = capabilities
    return _memo["capabilities"]


class NotifySend:
    """libnotify's notify-send.  --print-id/--replace-id (libnotify 0.7.10+) let a session's
    next notification replace its last one instead of stacking."""

    name = "notify-send"
    replaces = True

    def __init__(self, path):
        self.path = path

    def known_options(self):
        if "notify-send help" not in _memo:
            try:
                _memo["notify-send help"] = run_backend([self.path, "--help"])
            except NotifyError:
                _memo["notify-send help"] = ""
        return _memo["notify-send help"]

    def can_listen(self):
        """``--action`` (libnotify 0.8: it waits and prints the clicked button's name) and
        ``--print-id``, so a listener knows which notification it waits on."""
        known = self.known_options()
        return "--action" in known and "--print-id" in known

    def command(self, title, body, urgency, replace_id=None, buttons=()):
        """(argv, whether it prints the notification's id)."""
        known = self.known_options()
        ids = "--print-id" in known and "--replace-id" in known
        argv = [self.path, "--urgency=" + urgency]
        if "--app-name" in known:
            argv.append("--app-name=tclaude")
        if ids:
            argv.append("--print-id")
            if replace_id:
                argv.append("--replace-id=%d" % replace_id)
        argv += ["--action=%s=%s" % (key, NOTIFY_BUTTONS[key]) for key in buttons]
        # "--": a body starting with "-" is text, not an option
        return [*argv, "--", title, freedesktop_body(body)], ids

    def send(self, title, body, urgency, replace_id=None):
        argv, ids = self.command(title, body, urgency, replace_id)
        out = run_backend(argv)
        first = out.strip().splitlines()[:1]
        return int(first[0]) if ids and first and first[0].isdigit() else None


class Gdbus:
    """A direct org.freedesktop.Notifications.Notify call through GLib's gdbus.  (dbus-send
    cannot do it: it has no way to send the a{sv} hints argument Notify requires.)"""

    name = "gdbus"
    replaces = True

    def __init__(self, path):
        self.path = path

    def send(self, title, body, urgency, replace_id=None):
        import re

        out = gdbus_call(
            self.path,
            "Notify",
            gvariant_string("tclaude"),
            "uint32 %d" % (replace_id or 0),
            gvariant_string(""),
            gvariant_string(title),
            gvariant_string(freedesktop_body(body)),
            "@as []",
            "@a{sv} {'urgency': <byte %d>}" % DBUS_URGENCY[urgency],
            "int32 -1",
        )
        found = re.search(r"uint32 (\d+)", out)
        return int(found.group(1)) if found else None


class Osascript:
    """macOS: ``display notification`` from a constant script; the texts are argv items."""

    name = "osascript"
    replaces = False

    def __init__(self, path):
        self.path = path

    def send(self, title, body, urgency, replace_id=None):
        argv = [self.path]
        for line in OSASCRIPT_LINES:
            argv += ["-e", line]
        run_backend([*argv, title, body, urgency])
        return None


def notify_backend():
    """The first notification program found on PATH, or None."""
    if sys.platform == "darwin":
        order = (("osascript", Osascript), ("notify-send", NotifySend), ("gdbus", Gdbus))
    else:
        order = (("notify-send", NotifySend), ("gdbus", Gdbus), ("osascript", Osascript))
    for program, backend in order:
        path = which(program)
        if path:
            return backend(os.path.abspath(path))
    return None


def session_bus_known():
    """Whether notify-send/gdbus can find a session bus at all (they fail without one)."""
    if os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return True
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    return bool(runtime) and os.path.exists(os.path.join(runtime, "bus"))


def already_notified(last, view, now):
    """True for the same waiting period (same status and start) or a bounce back into the
    status notified less than NOTIFY_DEBOUNCE ago."""
    if not isinstance(last, dict) or last.get("status") != view["status"]:
        return False
    if last.get("since") and last.get("since") == view.get("statusSince"):
        return True
    at = parse_iso(last.get("at"))
    return at is not None and -1 <= now - at < NOTIFY_DEBOUNCE


def user_is_watching(tmux, view):
    """A tmux client shows this session with claude's pane active: the user sees the dialog."""
    shown = tmux.of(view).viewers().get(view["tmuxSession"])
    if not shown:
        return False
    return view.get("pid") is None or view["pid"] in shown or None in shown


def notify_if_still_waiting(store, sid, status):
    state = store.load(sid)
    if not session_notifies(state, global_notify(store, strict=False)):
        store.set_notify_marker(sid, False)  # a stale marker: the hook need not call us again
        return
    tmux = Tmux()
    (view,) = current_views(store, tmux, [state])
    if view["status"] != status:
        return  # moved on while we settled (answered, or a bounce): nothing to say
    now = time.time()
    if already_notified(state.get("notifyLast"), view, now):
        return
    replace_id = state.get("notifyId") if isinstance(state.get("notifyId"), int) else None
    stop_listener(state.get("notifyLast"))  # its buttons belong to the notification replaced
    last = {"status": status, "since": view.get("statusSince"), "at": utc_iso(now)}
    last.update(deliver(tmux, view, replace_id))
    # The outcome stays in the record (session ls --json): "why no notification?" has an answer.
    store.update(sid, notifyId=last.pop("id", None) or replace_id, notifyLast=last)


def deliver(tmux, view, replace_id):
    """Send the session's notification unless its user is looking at it; the outcome."""
    if user_is_watching(tmux, view):
        return {"outcome": "watched"}
    backend = notify_backend()
    if backend is None:
        return {"outcome": "no-backend"}
    title, body = notification_text(view)
    urgency = NOTIFY_URGENCY[view["status"]]
    try:
        buttons = notify_buttons(tmux, view, backend)
        if buttons:
            return deliver_with_buttons(backend, view, (title, body, urgency), replace_id, buttons)
        nid = backend.send(title, body, urgency, replace_id)
    except NotifyError as exc:
        return {"outcome": "failed", "via": backend.name, "error": str(exc)}
    return {"outcome": "sent", "via": backend.name, "id": nid}


# -- buttons: Approve / Deny / Open on a permission notification --------------------------------
# A server tells of a click (ActionInvoked) on the D-Bus connection that sent the notification
# (dunst sends it to that connection only), so the program that sends must stay and listen:
# notify-send --action does (libnotify 0.8), a gdbus call's connection is gone at once, and
# osascript's ``display notification`` has no buttons.  The notifier forks one listener per
# notification: it runs notify-send, hands the notification's id back through a pipe, and waits
# for the click.  It ends when the notification is closed, at a click, when the session no
# longer waits on the notified dialog, after NOTIFY_LISTEN_MAX, or when the session's next
# notification replaces this one (that notifier stops it).  A click runs the very code of
# ``session approve/deny``, with one more check: the session still waits on the dialog the
# notification announced.  Its result comes as a follow-up notification.


def notify_buttons(tmux, view, backend):
    """The buttons of this notification, [] when none could work: a permission dialog, a
    server with the ``actions`` capability and a backend that can wait for the click.  A
    question (AskUserQuestion) gets no Approve/Deny; Open only where a tmux client of the
    session's server can be switched to it (tclaude cannot raise or open a terminal)."""
    if view["status"] != "waiting_permission" or not isinstance(backend, NotifySend):
        return []
    if not backend.can_listen() or "actions" not in (server_capabilities() or ()):
        return []
    buttons = [] if recorded_tool(view)[0] == "AskUserQuestion" else ["approve", "deny"]
    try:
        client = tmux.of(view).last_active_client()
    except UserError:
        client = None
    return [*buttons, "open"] if client else buttons


def deliver_with_buttons(backend, view, text, replace_id, buttons):
    """Fork the listener, which sends the notification; the outcome for notifyLast, with the
    listener's pid and start time (so the next notifier can stop exactly it)."""
    import json

    argv, _ = backend.command(*text, replace_id=replace_id, buttons=buttons)
    listener = ButtonListener(view, text, argv)
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError as exc:
        raise NotifyError("cannot start a listener: %s" % exc.strerror) from None
    if pid == 0:
        os.close(read_end)
        listener.run_detached(write_end)  # never returns
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        report = read_report(pipe, NOTIFY_CALL_TIMEOUT + 1)
    start = proc_start_ticks(pid)
    try:
        nid = int(json.loads(report)["id"])
    except (ValueError, TypeError, KeyError):
        terminate_process(pid, lambda: process_running(pid), 2.0)
        raise NotifyError(one_line(report.decode("utf-8", "replace"))
                          or "notify-send did not say the notification's id") from None  # fmt: skip
    return {"outcome": "sent", "via": backend.name, "id": nid, "buttons": buttons,
            "listener": {"pid": pid, "start": start}}  # fmt: skip


def read_report(pipe, timeout):
    """What the listener wrote before closing its end of the pipe (bounded in time)."""
    import select

    data, deadline = b"", time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not select.select([pipe], [], [], deadline - time.monotonic())[0]:
            break
        chunk = os.read(pipe.fileno(), 4096)
        if not chunk:
            break
        data += chunk
    return data


def stop_listener(last):
    """End the listener of the session's previous notification, if it still runs: the new
    notification replaces that one (same id), and its buttons must not act on the new one.
    Only that very process (pid and start time), never a pid reused since."""
    mark = last.get("listener") if isinstance(last, dict) else None
    if not isinstance(mark, dict) or not isinstance(mark.get("pid"), int) or mark["pid"] <= 1:
        return
    pid, start = mark["pid"], mark.get("start")
    if start is None or proc_start_ticks(pid) != str(start):
        return
    terminate_process(pid, lambda: process_running(pid) and proc_start_ticks(pid) == start, 2.0)


def buttons_lifetime():
    """How long a notification's buttons stay live, in seconds."""
    try:
        seconds = float(os.environ.get("TCLAUDE_NOTIFY_BUTTONS_MAX") or NOTIFY_LISTEN_MAX)
    except ValueError:
        return NOTIFY_LISTEN_MAX
    return seconds if 0 < seconds <= NOTIFY_LISTEN_MAX else NOTIFY_LISTEN_MAX


class PtyLines:
    """Lines from notify-send: it writes through stdio, which holds a pipe's output back until
    it exits, but sends each line at once to a terminal, so it gets a pty."""

    def __init__(self, fd):
        self.fd, self.buf = fd, b""

    def read(self, timeout):
        """The next non-blank line; None when none came within ``timeout``; EOFError once
        notify-send is gone."""
        import select

        deadline = time.monotonic() + timeout
        while True:
            line, found, rest = self.buf.partition(b"\n")
            if found:
                self.buf = rest
                if line.strip():
                    return line.decode("utf-8", "replace").strip()
                continue
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                return None
            try:
                chunk = os.read(self.fd, 4096)
            except OSError:  # EIO: the terminal's other side is closed
                chunk = b""
            if not chunk:
                raise EOFError
            self.buf += chunk


class ButtonListener:
    """The process behind one notification's buttons (see the comment above)."""

    def __init__(self, view, text, argv):
        self.sid, self.text, self.argv = view["id"], text, argv
        self.buttons = [a.split("=")[1] for a in argv if a.startswith("--action=")]
        self.label = notify_label(view)
        self.notified = {"status": view["status"], "since": view.get("statusSince"),
                         "detail": view.get("statusDetail")}  # fmt: skip
        self.proc = self.nid = None

    def run_detached(self, report_fd):
        """In the forked child: leave the notifier's session and descriptors, run, exit."""
        code = 0
        try:
            self.detach(report_fd)
            self.run(report_fd)
        except BaseException:  # nobody reads a listener's output: end quietly
            code = 1
        finally:
            self.stop_notify_send()
            os._exit(code)

    def detach(self, keep):
        import signal

        os.setsid()  # not in claude's session or process group: the pane's signals are not ours
        os.chdir("/")  # it may stay 30 minutes: the session's folder must not stay busy
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        try:
            fds = [int(n) for n in os.listdir("/proc/self/fd")]
        except OSError:
            fds = range(3, 256)
        for fd in fds:
            if fd > 2 and fd != keep:  # e.g. the notify lock's descriptor: the notifier's
                try:
                    os.close(fd)
                except OSError:
                    pass

        def leave(signum, frame):
            raise SystemExit(0)

        for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGALRM):
            signal.signal(signum, leave)
        signal.alarm(int(buttons_lifetime() + 60))  # a backstop: the loop below ends before

    def run(self, report_fd):
        import json
        import subprocess

        master, slave = os.openpty()
        try:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=slave,
                                         stderr=subprocess.DEVNULL)  # fmt: skip
        except OSError as exc:
            os.write(report_fd, ("cannot run %s: %s" % (self.argv[0], exc.strerror)).encode())
            return
        finally:
            os.close(slave)
        lines = PtyLines(master)
        try:
            first = lines.read(NOTIFY_CALL_TIMEOUT)
        except EOFError:
            first = None
        if not first or not first.isdigit():
            os.write(report_fd, b"notify-send failed (it printed no notification id)")
            return
        self.nid = int(first)
        os.write(report_fd, json.dumps({"id": self.nid}).encode())
        os.close(report_fd)
        button = self.wait_for_click(lines)
        if button:
            self.clicked(button)

    def wait_for_click(self, lines):
        """The clicked button's key, or None when the listener ends without a click."""
        deadline = time.monotonic() + buttons_lifetime()
        while True:
            try:
                line = lines.read(NOTIFY_LISTEN_POLL)
            except EOFError:
                return None  # closed by the user or the server: nothing to do
            if line in self.buttons:  # (only what was offered)
                return line
            if line is None and (time.monotonic() > deadline or not self.still_waiting()):
                self.retire(time.monotonic() > deadline)
                return None

    def still_waiting(self):
        """The session still waits on the notified dialog (read as ``status-line`` does:
        files and /proc only, no tmux call every two seconds)."""
        store = StateStore()
        try:
            state = store.load(self.sid)
        except (OSError, ValueError):
            return False  # the session is gone
        hook = store.load_hook_status(self.sid)
        view, _ = resolve(state, hook, PidSnapshot([state], {self.sid: hook}), time.time())
        return (view["status"], view.get("statusSince")) == (
            self.notified["status"], self.notified["since"])  # fmt: skip

    def stop_notify_send(self):
        import subprocess

        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            self.proc.wait(2)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def registered(self, store):
        """No later notification replaced this one: the record names this listener (or is
        gone with its session, which then notifies no more)."""
        try:
            last = store.load(self.sid).get("notifyLast") or {}
        except FileNotFoundError:
            return True
        except (OSError, ValueError):
            return False
        return (last.get("listener") or {}).get("pid") == os.getpid()

    def retire(self, timed_out):
        """Buttons nobody listens to must not stay: after NOTIFY_LISTEN_MAX the notification is
        shown again without them; once the session has moved on it is closed."""
        import contextlib

        self.stop_notify_send()
        store = StateStore()
        with store.notify_lock(self.sid) or contextlib.nullcontext():  # (none: notify off)
            if not self.registered(store):
                return
            try:
                if timed_out:
                    NotifySend(self.argv[0]).send(*self.text, replace_id=self.nid)
                else:
                    gdbus_call(which("gdbus") or "gdbus", "CloseNotification",
                               "uint32 %d" % self.nid)  # fmt: skip
            except NotifyError:
                pass
            self.record(store, {"listener": None})

    def clicked(self, button):
        """Run the button's command (the same checks as ``session approve/deny``) and say
        what happened in a follow-up notification."""
        import contextlib

        self.stop_notify_send()
        store = StateStore()
        with store.notify_lock(self.sid) or contextlib.nullcontext():  # (none: notify off)
            if not self.registered(store):
                return
            done, message = self.press(button)
            verb = {"approve": "approved", "deny": "denied", "open": "opened"}[button]
            title = "%s%s · %s" % ("" if done else "not ", verb, self.label)
            message = plain_text(safe_text(message))  # text from the screen, as ls shows it
            fields = {"listener": None, "clicked": button, "result": message}
            if not (done and button == "open"):  # an opened session speaks for itself
                try:
                    nid = NotifySend(self.argv[0]).send(title, message, "normal", self.nid)
                    fields["followUp"] = nid
                except NotifyError as exc:
                    fields["followUpError"] = str(exc)
            self.record(store, fields)

    def press(self, button):
        """(done, what happened) for a click."""
        try:
            if button == "approve":
                return True, approve(self.sid, False, self.notified)
            if button == "deny":
                return True, deny(self.sid, None, self.notified)
            return self.open()
        except UserError as exc:
            return False, str(exc)
        except (OSError, ValueError) as exc:  # e.g. the record went away meanwhile
            return False, "session %s: %s" % (self.sid, one_line(str(exc)))

    def open(self):
        store, tmux = StateStore(), Tmux()
        (view,) = current_views(store, tmux, [store.load(self.sid)])
        server = tmux.of(view)
        client = server.last_active_client()
        if not client or view["status"] == "exited":
            return False, "session %s: no tmux client to show it in; attach with: tclaude " \
                          "session attach %s" % (self.sid, self.sid)  # fmt: skip
        server.switch_client(client, view["tmuxSession"])
        return True, "showing %s in the tmux client on %s" % (self.sid, client)

    def record(self, store, fields):
        """notifyLast says what became of the buttons (session ls --json)."""
        try:
            last = dict(store.load(self.sid).get("notifyLast") or {})
        except (OSError, ValueError):
            return
        last.update(fields)
        nid = fields.get("followUp")
        store.update(self.sid, notifyLast=last, **({"notifyId": nid} if nid else {}))


def cmd_notify_event(args):
    """Hidden ``tclaude _notify ID STATUS``, started detached by the hook.  Silent whatever
    happens: nobody reads its output, and it must never outlive its purpose."""
    import signal

    if hasattr(signal, "alarm"):
        signal.alarm(NOTIFY_DEADLINE)
    if not is_session_id(args.id) or args.status not in WAITING_STATUSES:
        return 0
    time.sleep(NOTIFY_SETTLE)
    store = StateStore()
    lock = store.notify_lock(args.id)
    if lock is None:
        return 0  # no marker: notifications are off for this session
    with lock:  # one notifier at a time per session, so the repeat check sees the last send
        try:
            notify_if_still_waiting(store, args.id, args.status)
        except (NotifyError, UserError, OSError, ValueError):
            pass
    return 0


def sync_all_markers(store, global_on):
    """Every session following the global switch gets (or loses) its marker."""
    with store.lock():  # a concurrent session new computes its own marker under the same lock
        states = store.load_all()
        for state in states:
            sync_notify_marker(store, state, global_on)
    return states


def notify_overrides(states):
    forced_on = sum(1 for s in states if s.get("notify") is True)
    forced_off = sum(1 for s in states if s.get("notify") is False)
    return forced_on, forced_off


def sessions_count(n):
    return "%d session%s" % (n, "" if n == 1 else "s")


def backend_line(backend):
    if backend is None:
        return "backend: none (%s)" % NOTIFY_INSTALL_HINT
    how = "replaces a session's previous notification" if backend.replaces else "no replacing"
    return "backend: %s (%s; %s)" % (backend.name, backend.path, how)


def buttons_line(backend):
    """Whether notifications get buttons here, and if not, why."""
    if isinstance(backend, Osascript):
        return "buttons: none (macOS's display notification has none)"
    if isinstance(backend, Gdbus):
        return "buttons: none (gdbus cannot wait for a click; notify-send 0.8+ can)"
    if not backend.can_listen():
        return "buttons: none (this notify-send has no --action; libnotify 0.8 has)"
    capabilities = server_capabilities()
    if capabilities is None:
        return "buttons: unknown (no answer to GetCapabilities; it needs gdbus and a server)"
    if "actions" not in capabilities:
        return "buttons: none (the notification server has no actions capability)"
    return "buttons: Approve, Deny and Open on a permission dialog's notification"


def notify_switch(store, on):
    config = store.load_config()
    if os.path.isdir(store.dir):  # the markers must follow the switch: fail before writing it
        store.check_removable()
        for sid in store.ids():
            store.check_removable(sid)
    config["notify"] = on
    store.save_config(config)
    states = sync_all_markers(store, on)
    forced_on, forced_off = notify_overrides(states)
    backend = notify_backend()
    if on:
        via = " (via %s)" % backend.name if backend else ""
        print("notifications on: a desktop notification when a session needs permission or "
              "waits for input%s" % via)  # fmt: skip
        if forced_off:
            print("%s started with --no-notify stay%s quiet"
                  % (sessions_count(forced_off), "s" if forced_off == 1 else ""))  # fmt: skip
        if backend is None:
            warn(NOTIFY_INSTALL_HINT)
    else:
        print("notifications off")
        if forced_on:
            print("%s started with --notify still notif%s"
                  % (sessions_count(forced_on), "ies" if forced_on == 1 else "y"))  # fmt: skip
    return 0


def notify_status(store):
    global_on = global_notify(store)
    forced_on, forced_off = notify_overrides(store.load_all())
    backend = notify_backend()
    print("notifications: %s" % ("on" if global_on else "off"))
    print(backend_line(backend))
    if backend is not None:
        print(buttons_line(backend))
    if forced_on or forced_off:
        print("sessions: %d with --notify, %d with --no-notify" % (forced_on, forced_off))
    if isinstance(backend, (NotifySend, Gdbus)) and not session_bus_known():
        print("warning: no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset)")
    return 0


def notify_test(store):
    backend = notify_backend()
    if backend is None:
        raise UserError(NOTIFY_INSTALL_HINT)
    body = "Notifications work.\nSwitch them with: tclaude notify on|off"
    try:
        nid = backend.send("tclaude test notification", body, "normal")
    except NotifyError as exc:
        raise UserError("the test notification failed: %s" % exc) from None
    print("sent a test notification via %s%s" % (backend.name, " (id %d)" % nid if nid else ""))
    if not global_notify(store):
        print("notifications are off; switch them on with: tclaude notify on")
    return 0


def cmd_notify(args):
    store = StateStore()
    if args.action in ("on", "off"):
        return notify_switch(store, args.action == "on")
    if args.action == "status":
        return notify_status(store)
    return notify_test(store)


# --------------------------------------------------------------------------------------------
# 13. Doctor: every check of an installation (tclaude doctor)
# --------------------------------------------------------------------------------------------

MIN_TMUX = (2, 6)
MIN_PYTHON = (3, 8)


def check_python():
    version = "%d.%d.%d" % sys.version_info[:3]
    if sys.version_info[:2] < MIN_PYTHON:
        return "FAIL", "python", "%s is too old: tclaude needs Python 3.8+" % version
    return "ok", "python", "%s (%s)" % (version, sys.executable)


def check_tmux():
    import re

    tmux = Tmux()
    if not tmux.binary:
        return "FAIL", "tmux", TMUX_INSTALL_HINT
    text = tmux.version()
    match = re.search(r"(\d+)\.(\d+)", text)
    if not match:
        return "warn", "tmux", "cannot tell the version of %s (%r); tclaude needs tmux 2.6+" % (
            tmux.binary, text)  # fmt: skip
    if (int(match.group(1)), int(match.group(2))) < MIN_TMUX:
        return "FAIL", "tmux", "%s is too old: tclaude needs tmux 2.6+; upgrade it" % text
    return "ok", "tmux", "%s (%s)" % (text, tmux.binary)


def check_claude():
    import subprocess

    path = which("claude")
    if not path:
        return "FAIL", "claude", CLAUDE_INSTALL_HINT
    env = {k: v for k, v in os.environ.items() if k not in OUTER_CLAUDE_VARS}
    try:
        proc = subprocess.run(
            [path, "--version"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=env,
            timeout=20,
        )
    except subprocess.TimeoutExpired:
        return "warn", "claude", "%s --version did not answer within 20 s" % path
    except OSError as exc:
        return "FAIL", "claude", "cannot run %s: %s" % (path, exc.strerror)
    first = (proc.stdout.strip().splitlines() or [""])[0]
    if proc.returncode != 0:
        why = one_line(proc.stderr) or "exit %d" % proc.returncode
        return "FAIL", "claude", "%s --version failed: %s" % (path, why[:120])
    return "ok", "claude", "%s (%s)" % (one_line(first) or "version unknown", path)


def check_hook_file():
    path = hook_path()
    if not os.path.isfile(path):
        return "FAIL", "hook", "%s is missing; reinstall tclaude (./install.sh)" % path
    if not os.access(path, os.R_OK):
        return "FAIL", "hook", "%s is not readable; fix with: chmod +r %s" % (path, path)
    command = hook_settings()["hooks"]["Stop"][0]["hooks"][0]["command"]
    if not os.access(path, os.X_OK):
        if command.startswith("bash "):
            return "ok", "hook", "%s (readable; run through bash, no run bit needed)" % path
        return "FAIL", "hook", "%s is not executable; fix with: chmod +x %s" % (path, path)
    return "ok", "hook", "%s (readable, executable)" % path


def check_bash():
    path = which("bash")
    if not path:
        return "FAIL", "bash", "bash is not on PATH; the hook is a bash script: install bash"
    return "ok", "bash", path


def check_state_dir():
    store = StateStore()
    shown = short_path(store.dir)
    try:
        info = os.stat(store.dir)
    except FileNotFoundError:
        if os.path.islink(store.dir):  # makedirs cannot create through a dangling link
            return "FAIL", "state dir", "%s is a symbolic link to %s, which does not exist" % (
                shown, os.readlink(store.dir))  # fmt: skip
        parent = store.dir
        while not os.path.exists(parent):
            parent = os.path.dirname(parent)
        if not os.access(parent, os.W_OK | os.X_OK):
            return "FAIL", "state dir", "%s cannot be created (%s is not writable)" % (
                shown, parent)  # fmt: skip
        return "ok", "state dir", "%s (created by the first session new)" % shown
    except OSError as exc:  # a symlink loop, a component that is a file...
        return "FAIL", "state dir", "%s cannot be used: %s" % (shown, exc.strerror)
    if not os.path.isdir(store.dir):
        return "FAIL", "state dir", "%s is not a directory; move it away" % shown
    if not os.access(store.dir, os.W_OK | os.X_OK):
        return "FAIL", "state dir", "%s is not writable; fix with: chmod u+rwx %s" % (
            shown, store.dir)  # fmt: skip
    mode = info.st_mode & 0o777
    if mode != 0o700:
        return "warn", "state dir", "%s has mode %04o: others can read your sessions; " \
            "fix with: chmod 700 %s" % (shown, mode, store.dir)  # fmt: skip
    return "ok", "state dir", "%s (0700, writable)" % shown


def check_hook_writes():
    store = StateStore()
    if not os.path.isdir(store.dir):
        return "ok", "hook writes", "no state dir yet"
    problems = hook_write_problems(store, store.load_all())
    if problems:
        return "FAIL", "hook writes", "; ".join(problems[:3])
    return "ok", "hook writes", "free space in the state dir; no frozen hook status"


def check_state_files():
    store = StateStore()
    if not os.path.isdir(store.dir):
        return "ok", "state files", "no state dir yet"  # what is wrong with it: "state dir"
    ids = store.ids()
    corrupt = []
    for sid in ids:
        try:
            store.load(sid)
        except FileNotFoundError:
            continue
        except (OSError, ValueError):
            corrupt.append(store.path(sid))
    stray = store.stray_files()
    problems = []
    if corrupt:
        problems.append("%d corrupt (%s): fix or remove them" % (
            len(corrupt), ", ".join(short_path(p) for p in corrupt[:3])))  # fmt: skip
    if stray:
        problems.append("%d stray (%s): safe to remove" % (
            len(stray), ", ".join(short_path(p) for p in stray[:3])))  # fmt: skip
    if problems:
        return "warn", "state files", "; ".join(problems)
    return "ok", "state files", "%d session records, none corrupt or stray" % len(ids)


def check_notifications():
    """The backend `tclaude notify` would use (dbus-send cannot: it cannot send Notify's
    a{sv} argument) and the switch."""
    backend = notify_backend()
    if backend is None:
        return "warn", "notify", NOTIFY_INSTALL_HINT
    try:
        switch = "on" if global_notify(StateStore()) else "off (tclaude notify on)"
    except UserError as exc:
        return "warn", "notify", str(exc)
    return "ok", "notify", "%s (%s); notifications %s" % (backend.name, backend.path, switch)


def check_claude_settings():
    path = claude_settings_path()
    try:
        settings, raw = load_claude_settings(path)
    except UserError as exc:
        return "warn", "settings", str(exc).replace("; nothing was changed", "")
    if raw is None:
        return "ok", "settings", "%s absent (hooks allowed)" % short_path(path)
    if settings.get("disableAllHooks") is True:
        return "FAIL", "settings", "disableAllHooks is true in %s: claude runs no hook, so " \
            "tclaude cannot see status changes; remove that key" % short_path(path)  # fmt: skip
    return "ok", "settings", "%s allows hooks" % short_path(path)


def check_installed_hooks():
    path = claude_settings_path()
    try:
        settings = load_claude_settings(path)[0]
    except UserError:
        return "ok", "user hooks", "not checked (%s unreadable)" % short_path(path)
    found = tclaude_hook_commands(settings)
    if not found:
        return "ok", "user hooks", "not installed (optional: tclaude hooks install)"
    if found != tclaude_hook_commands(hook_settings()):
        return "warn", "user hooks", "%s holds tclaude hooks for another path or version; " \
            "update with: tclaude hooks install" % short_path(path)  # fmt: skip
    return "ok", "user hooks", "installed in %s" % short_path(path)


def check_outer_claude():
    if os.environ.get("CLAUDECODE"):
        return "warn", "environment", "CLAUDECODE is set (run from inside Claude Code?): " \
            "tclaude unsets it for its sessions, but a claude started by hand from this " \
            "shell refuses to run; unset CLAUDECODE"  # fmt: skip
    return "ok", "environment", "CLAUDECODE not set"


DOCTOR_CHECKS = (
    check_python,
    check_tmux,
    check_claude,
    check_hook_file,
    check_bash,
    check_state_dir,
    check_state_files,
    check_hook_writes,
    check_notifications,
    check_claude_settings,
    check_installed_hooks,
    check_outer_claude,
)


def cmd_doctor(args):
    counts = {"ok": 0, "warn": 0, "FAIL": 0}
    for check in DOCTOR_CHECKS:
        try:
            level, label, text = check()
        except Exception as exc:  # one broken check must not hide the others
            level, label = "FAIL", check.__name__[len("check_") :]
            text = "check crashed: %s: %s" % (type(exc).__name__, one_line(str(exc)))
        counts[level] += 1
        say("%-4s  %-12s  %s" % (level, label, one_line(text)))
    print("%d ok, %d warn, %d FAIL" % (counts["ok"], counts["warn"], counts["FAIL"]))
    return 1 if counts["FAIL"] else 0


# --------------------------------------------------------------------------------------------
# 13b. Hosts: sessions on other machines, through OpenSSH and the tclaude installed there
# --------------------------------------------------------------------------------------------

# No daemon, no port, no agent: a host is an ssh destination whose ~/.tofu/bin holds the same
# tclaude.  Each command runs the remote tclaude over one multiplexed ssh connection per host
# (ControlMaster in a private 0700 dir); its output is data, checked and sanitised here.
# Nothing below is imported or read unless --host, --hosts, a host:id or `hosts` is used.

HOST_NAME_RE = LazyRegex(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# Words that already mean something where a host name goes: ls --hosts all, ext:<pid>.
RESERVED_HOSTS = ("all", "local", "ext")
# An ssh destination: [user@]host, an alias, or ssh://[user@]host[:port].  No white space, no
# control character, never a leading "-" (it would be an option to ssh).
DESTINATION_RE = LazyRegex(r"^[A-Za-z0-9_.@%+=:/\[\]~][A-Za-z0-9_.@%+=:/\[\]~-]{0,254}$")
# How the remote side runs tclaude: importing tclaude.py lets Python cache its bytecode, as
# install.sh's launcher does; exit 127 when it is not there (python3 missing exits 127 too).
REMOTE_BIN = "~/.tofu/bin"
REMOTE_IMPORT = (
    "import os,sys;sys.path.insert(0,os.path.expanduser('~/.tofu/bin'));import tclaude;"
    "sys.exit(tclaude.main([os.fsdecode(bytes.fromhex(a)) for a in sys.argv[1:]]))"
)
# The same, ended by its ssh channel: sshd gives a command without a tty no signal when the
# channel closes, so a remote `session wait` whose ssh client was stopped (--any won elsewhere,
# Ctrl-C) would wait there for ever.  It reads its stdin, a pipe the local side holds open and
# never writes, and leaves at EOF (wait only reads state: nothing is cut half-done).  os.read:
# a thread blocked in sys.stdin's buffered read makes the interpreter's exit a fatal error.
REMOTE_TIED_IMPORT = (
    "import os,sys,threading;threading.Thread(target=lambda:(list(iter(lambda:os.read(0,"
    "65536),b'')),os._exit(129)),daemon=True).start();" + REMOTE_IMPORT
)
SSH_CONNECT_TIMEOUT = 5  # seconds to reach a host (ConnectTimeout)
SSH_PERSIST = 120  # seconds an idle master connection stays for the next command
HOST_TIMEOUT = 10.0  # seconds a host may take to answer ls --hosts (TCLAUDE_HOST_TIMEOUT)
SSH_FAILED = 255  # ssh's own exit status for a failed connection
REMOTE_OUTPUT_LIMIT = 16 << 20  # bytes a host may answer one query with (ls --json of ~20000)
NOT_INSTALLED = 127
# Commands --host runs on the other machine (and that take a host:id).
REMOTE_COMMANDS = (
    "new", "ls", "attach", "kill", "send", "wait", "peek", "approve", "deny", "answer",
    "resume", "rename",
)  # fmt: skip
# The fields of a remote `ls --json` a view keeps, with their rules (the rest is dropped).
REMOTE_VIEW_FIELDS = dict(
    {k: RECORD_FIELDS[k] for k in ("name", "cwd", "convId", "statusDetail", "statusSince",
                                   "created", "updated", "adopted", "resumed", "exitCode")},
    status=((str,), lambda v: v in VIEW_STATUSES),
    worktreeStatus=((dict,), None),  # read by worktree_cell, which trusts no field's type
)  # fmt: skip


def checked_host_name(name):
    if not HOST_NAME_RE.fullmatch(name or "") or name in RESERVED_HOSTS:
        raise UserError(
            "bad host name %r: letters, digits, '.', '_' and '-', starting with a letter or "
            "digit, at most 64 (not all, local or ext)" % name, code=2)  # fmt: skip
    return name


def checked_destination(dest):
    if not DESTINATION_RE.fullmatch(dest or ""):  # fullmatch: "$" would let a final \n by
        raise UserError(
            "bad ssh destination %r: [user@]host, an ssh alias or ssh://[user@]host[:port], "
            "no spaces, not starting with '-'" % dest, code=2)  # fmt: skip
    return dest


def configured_hosts(store):
    """{name: destination} from tclaude.json "hosts"; a bad entry is skipped with a warning."""
    raw = store.load_config().get("hosts") or {}
    hosts = {}
    for name, entry in sorted(raw.items()):
        dest = entry.get("ssh") if isinstance(entry, dict) else None
        try:
            hosts[checked_host_name(name)] = checked_destination(dest)
        except UserError as exc:
            warn_once(
                "%s: ignoring host entry %s (%s)" % (config_path(), one_line(repr(name))[:40], exc)
            )
    return hosts


def host_destination(store, name):
    hosts = configured_hosts(store)
    if name not in hosts:
        checked_host_name(name)
        raise UserError("no host %r (add it with: tclaude hosts add %s [ssh-destination])"
                        % (name, name))  # fmt: skip
    return hosts[name]


def control_dir():
    """The private dir of ssh's control sockets: 0700, ours, not a link.  Under
    XDG_RUNTIME_DIR when there is one (a tmpfs that goes at logout), else ~/.tofu/ssh; a
    socket path must stay short (about 100 bytes), so a long one falls back to /tmp."""
    uid = os.getuid()
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    candidates = (
        [os.path.join(runtime, "tclaude-ssh")] if runtime and os.path.isabs(runtime) else []
    )
    candidates += [os.path.join(home_dir(), ".tofu", "ssh"), "/tmp/tclaude-ssh-%d" % uid]
    # %C is 40 hex digits; ssh adds ".XXXXXXXXXXXXXXXX" while it creates the socket
    path = next((c for c in candidates if len(c) + 60 < 104), candidates[-1])
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            pass
        info = os.lstat(path)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != uid:
            raise UserError("%s is not a directory of yours; remove it" % path)
        if stat.S_IMODE(info.st_mode) != 0o700:
            os.chmod(path, 0o700)
    except OSError as exc:
        raise UserError("cannot make the ssh control dir %s: %s" % (path, exc.strerror)) from None
    return path


class SshHost:
    """One host: the only code that runs ssh.  The options tclaude relies on come on the
    command line, before the destination: ssh takes the first value it gets for an option, so
    no ssh_config entry can change them; "--" ends the options, so no destination is one."""

    def __init__(self, name, destination):
        self.name, self.destination = name, destination

    def options(self, control):
        return [
            "-o", "BatchMode=yes",
            "-o", "ConnectTimeout=%d" % SSH_CONNECT_TIMEOUT,
            "-o", "ControlMaster=auto",
            "-o", "ControlPath=" + os.path.join(control, "%C"),
            "-o", "ControlPersist=%d" % SSH_PERSIST,
            "-o", "ServerAliveInterval=15",
            "-o", "ForwardAgent=no",
            "-o", "ForwardX11=no",
            "-o", "ClearAllForwardings=yes",
            "-o", "PermitLocalCommand=no",
            "-o", "RemoteCommand=none",
        ]  # fmt: skip

    def argv(self, script, tty=False):
        ssh = which("ssh")
        if ssh is None:
            raise UserError("ssh is not on PATH; install OpenSSH's client (openssh-client)")
        return [ssh, *self.options(control_dir()), "-t" if tty else "-T", "--",
                self.destination, any_shell(script)]  # fmt: skip

    @staticmethod
    def tclaude_script(argv, tied=False):
        """The remote sh script that runs tclaude with ``argv``.  Each word goes as the hex of
        its bytes, decoded by the remote Python: no shell ever sees a user's backslash,
        newline, quote or '!'.  ``tied``: it ends at its stdin's EOF (REMOTE_TIED_IMPORT; see
        tied_stdin)."""
        import shlex

        words = " ".join(shlex.quote(os.fsencode(a).hex()) for a in argv)
        code = REMOTE_TIED_IMPORT if tied else REMOTE_IMPORT
        return "test -f %s/tclaude.py || exit %d; exec python3 -S -c %s %s" % (
            REMOTE_BIN, NOT_INSTALLED, shlex.quote(code), words)  # fmt: skip

    def run(self, script, timeout=None, input=None):
        """(exit status, stdout, stderr) of ``script`` there; stdin from ``input`` or nothing.
        A timeout gives ``SSH_FAILED`` and says so in stderr; so does a host that sends more
        than REMOTE_OUTPUT_LIMIT (its output is never held whole)."""
        import subprocess
        import threading

        try:
            proc = subprocess.Popen(self.argv(script), stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, stdin=subprocess.PIPE
                                    if input else subprocess.DEVNULL)  # fmt: skip
        except OSError as exc:
            return SSH_FAILED, b"", ("cannot run ssh: %s" % exc.strerror).encode()
        got = {}

        def read(name, stream, limit):
            data = stream.read(limit + 1)
            got[name] = data
            if len(data) <= limit:
                return
            if name == "out":
                proc.kill()  # a flood: no need to hear the rest
            while stream.read(65536):  # warnings: the first 64 KiB say enough, drain the rest
                pass

        def write():
            try:
                proc.stdin.write(input)
                proc.stdin.close()
            except OSError:
                pass  # ssh went away: its exit status and stderr say why

        readers = [threading.Thread(target=read, args=a, daemon=True) for a in (
            ("out", proc.stdout, REMOTE_OUTPUT_LIMIT), ("err", proc.stderr, 65536))]  # fmt: skip
        for reader in readers:
            reader.start()
        if input:  # in a thread too: a host that reads nothing must not block us past timeout
            threading.Thread(target=write, daemon=True).start()
        try:
            code = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return SSH_FAILED, b"", b"timed out after %gs" % timeout
        for reader in readers:
            reader.join(5)
        out, err = got.get("out", b""), got.get("err", b"")
        if len(out) > REMOTE_OUTPUT_LIMIT:
            return SSH_FAILED, b"", b"it sent more than %d MiB" % (REMOTE_OUTPUT_LIMIT >> 20)
        return code, out, err

    def failure(self, code, stderr, runs_tclaude=True):
        """Why a run failed, in one line: ssh's own last words, or tclaude missing there
        (exit 127 of a script that does not run tclaude: a command it needs is missing)."""
        if code == NOT_INSTALLED and runs_tclaude:
            return (
                "tclaude is not installed there (or python3 is missing); run: tclaude hosts install %s"
                % self.name
            )
        lines = [ln for ln in decoded(stderr).splitlines() if ln.strip()]
        return one_line(lines[-1] if lines else "ssh exited %d" % code)[:200]


def any_shell(script):
    """The remote command line for an sh ``script``: ssh hands it to the user's login shell,
    which may be fish or tcsh (no ``$$``, no ``for ... done``, other quoting), so it only
    starts /bin/sh, with the script in single quotes.  The scripts hold no backslash, newline or
    '!' (user words go hex-encoded), which fish and csh would read otherwise even there."""
    import shlex

    return "exec /bin/sh -c " + shlex.quote(script)  # (a host's PATH may lack sh)


def tied_stdin():
    """(read end for a tied remote command's ssh, write end to hold until it is over): when
    the write end closes (here, or with this process), the remote command ends."""
    read_end, write_end = os.pipe()
    os.set_inheritable(write_end, False)
    return read_end, write_end


def decoded(data):
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else data or ""


def host_of(store, name):
    return SshHost(name, host_destination(store, name))


# -- hosts add / ls / rm / install ---------------------------------------------------------------


def cmd_hosts_add(args):
    store = StateStore()
    name = checked_host_name(args.name)
    dest = checked_destination(args.destination or name)
    with store.lock():
        config = store.load_config()
        hosts = config.get("hosts") if isinstance(config.get("hosts"), dict) else {}
        if name in hosts:
            raise UserError("host %s exists; remove it first: tclaude hosts rm %s" % (name, name))
        config["hosts"] = dict(hosts, **{name: {"ssh": dest}})
        store.save_config(config)
    say("added host %s (ssh %s)" % (name, dest))
    print("next: tclaude hosts install %s" % name)
    return 0


def cmd_hosts_ls(args):
    hosts = configured_hosts(StateStore())
    if not hosts:
        print("no hosts (add one with: tclaude hosts add NAME [ssh-destination])")
        return 0
    width = max(len("NAME"), *(len(n) for n in hosts))
    print("%s  SSH" % "NAME".ljust(width))
    for name, dest in hosts.items():
        say("%s  %s" % (name.ljust(width), dest))
    return 0


def cmd_hosts_rm(args):
    store = StateStore()
    with store.lock():
        config = store.load_config()
        hosts = config.get("hosts") if isinstance(config.get("hosts"), dict) else {}
        if args.name not in hosts:
            raise UserError("no host %r (see: tclaude hosts ls)" % args.name)
        config["hosts"] = {k: v for k, v in hosts.items() if k != args.name}
        store.save_config(config)
    say("removed host %s (its sessions keep running there)" % args.name)
    return 0


# One remote probe: what the host has, one "word value" line each (parsed, never printed raw).
REMOTE_PROBE = (
    "for c in python3 tmux; do command -v $c >/dev/null 2>&1 && echo have $c || echo missing $c; done; "
    "python3 -c 'import sys; print(\"python %d.%d\" % sys.version_info[:2])' 2>/dev/null; "
    "tmux -V 2>/dev/null | sed 's/^/tmuxv /'"
)
REMOTE_INSTALL_FILE = (
    "umask 022; mkdir -p {bin} && cat > {bin}/.{f}.tmp.$$ && chmod 755 {bin}/.{f}.tmp.$$ && "
    "mv -f {bin}/.{f}.tmp.$$ {bin}/{f}"
)


def cmd_hosts_install(args):
    store = StateStore()
    host = host_of(store, args.name)
    timeout = 6 * host_timeout()  # each step: a host whose shell hangs must not hold us for ever
    for name in ("tclaude.py", "tclaude-hook.sh"):
        try:
            data = read_small(os.path.join(tool_dir(), name), limit=4 << 20)
        except (OSError, ValueError) as exc:
            raise UserError("cannot read %s: %s" % (name, one_line(str(exc)))) from None
        code, _, err = host.run(REMOTE_INSTALL_FILE.format(bin=REMOTE_BIN, f=name), timeout,
                                data)  # fmt: skip
        if code != 0:
            raise UserError(
                "host %s: cannot install %s: %s"
                % (host.name, name, host.failure(code, err, runs_tclaude=False))
            )
    code, out, err = host.run(REMOTE_PROBE, timeout)
    if code == SSH_FAILED:
        raise UserError("host %s: %s" % (host.name, host.failure(code, err)))
    facts = dict(line.split(" ", 1) for line in decoded(out).splitlines() if " " in line)
    missing = [w.split(" ", 1)[1] for w in decoded(out).splitlines() if w.startswith("missing ")]
    say(
        "installed tclaude %s on %s in %s (tclaude.py, tclaude-hook.sh)"
        % (__version__, host.name, REMOTE_BIN)
    )
    python = facts.get("python", "")
    if python and tuple(int(p) for p in python.split(".") if p.isdigit()) < (3, 8):
        missing.append("python3 >= 3.8 (it has %s)" % python)
    if missing:
        raise UserError("host %s lacks %s: install it there (tmux and python3 3.8+ are needed)"
                        % (host.name, " and ".join(missing)))  # fmt: skip
    code, out, err = host.run(SshHost.tclaude_script(["--version"]), timeout)
    got = one_line(decoded(out))
    if code != 0 or got != "tclaude " + __version__:
        raise UserError("host %s: the installed tclaude does not run: %s" % (
            host.name, got or host.failure(code, err)))  # fmt: skip
    say("%s: python3 %s, %s; try: tclaude --host %s session ls" % (
        host.name, python or "?", facts.get("tmuxv", "tmux ?"), host.name))  # fmt: skip
    return 0


# -- --host NAME and host:id: run the command there, relay its output as data ------------------


def run_on_host(name, argv, claude_args):
    """``tclaude --host NAME session ...``: parsed here (usage errors and --help stay local),
    run there by the tclaude installed on that host."""
    args = build_parser(argv).parse_args(argv)
    host = host_of(StateStore(), name)
    if args.group != "session" or args.command not in REMOTE_COMMANDS:
        raise UserError("--host runs only: session %s" % "|".join(REMOTE_COMMANDS), code=2)
    if getattr(args, "hosts", None):
        raise UserError("give --host or --hosts, not both", code=2)
    remote = argv + (["--", *claude_args] if claude_args else [])
    if args.command == "attach":
        return attach_on_host(host, remote)
    reads_stdin = args.command == "send" and args.text in ([], ["-"])
    return relay_from_host(host, remote, reads_stdin, ids=args.command == "wait")


def host_option(argv):
    """(NAME, the rest of argv) of ``--host NAME ...`` or ``--host=NAME ...``."""
    if argv[0] == "--host":
        name, rest = (argv[1] if len(argv) > 1 else ""), argv[2:]
    else:
        name, rest = argv[0][len("--host=") :], argv[1:]
    if not name or name.startswith("-"):
        raise UserError("--host needs a host name (see: tclaude hosts ls)", code=2)
    return name, rest


def command_refs(args):
    """The session ids a parsed command names (id, or wait's ids)."""
    if args.command not in REMOTE_COMMANDS:
        return []
    ref = getattr(args, "id", None)
    return [ref] if isinstance(ref, str) else list(getattr(args, "ids", None) or ())


def host_refs(args):
    """{ref: (host, id)} for each ``host:id`` among the ids a command names: the part before
    the first ":" must be a configured host (ext:<pid> and plain names stay local).  The
    config is read only when an id holds a ":"."""
    refs = [r for r in command_refs(args) if ":" in r and not r.startswith("ext:")]
    if not refs:
        return {}
    hosts = configured_hosts(StateStore())
    split = dict((r, tuple(r.split(":", 1))) for r in refs)
    remote = {r: s for r, s in split.items() if s[0] in hosts}
    for ref, (_, sid) in remote.items():  # "a:--all" would be an option of the remote command
        if not sid.strip() or sid.startswith("-"):
            raise UserError("bad session id %r: host:id takes an id, prefix or name after the "
                            "':'" % ref, code=2)  # fmt: skip
    return remote


def run_host_ref(argv, claude_args, args):
    """A ``host:id`` given where an id goes: the same command, run on that host with the id."""
    refs, remote = command_refs(args), host_refs(args)
    names = set(name for name, _ in remote.values())
    if len(names) != 1 or len(remote) != len(set(refs)):
        if args.command == "wait":
            return wait_across_hosts(args, remote)
        raise UserError("ids of different hosts in one command are not supported "
                        "(run one command per host)", code=2)  # fmt: skip
    (name,) = names
    rest, todo = [], {r: s[1] for r, s in remote.items()}
    for word in argv:  # each host:id becomes the remote's own id, once
        if word in todo:
            rest.append(todo.pop(word))
        else:
            rest.append(word)
    return run_on_host(name, rest, claude_args)


WAIT_OUTPUT_LIMIT = 1 << 20  # bytes one host's `session wait` may answer (a line per id)


def wait_across_hosts(args, remote):
    """``session wait`` over sessions of several hosts (this one too): one ``session wait``
    per host, all at once (a remote one is a long-lived command on its host's connection),
    judged as one: with --any the first to succeed wins; else all must, and the first
    failure (a session lost, the timeout, a host gone) ends the others."""
    import queue
    import subprocess
    import threading

    store, groups = StateStore(), {}
    for ref in args.ids:
        name, sid = remote.get(ref, (None, ref))
        if sid not in groups.setdefault(name, []):
            groups[name].append(sid)
    options = (["--until", args.until] if args.until else []) + (["--any"] if args.any else [])
    if args.timeout is not None:
        options += ["--timeout", repr(args.timeout)]
    hosts = {name: host_of(store, name) for name in groups if name}
    done, procs, ties = queue.Queue(), {}, []

    def finish(name, proc):
        # bounded: a wait says one line per id, so a host that says more than WAIT_OUTPUT_LIMIT
        # is cut off (killed), as a failure, never held whole or waited for
        err = []

        def drain():  # its first 64 KiB of warnings say enough; the rest must not block it
            err.append(proc.stderr.read(65536))
            while proc.stderr.read(65536):
                pass

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        out = proc.stdout.read(WAIT_OUTPUT_LIMIT + 1)
        if len(out) > WAIT_OUTPUT_LIMIT:
            proc.kill()
            proc.wait()
            done.put(
                (name, SSH_FAILED, "", b"it sent more than %d KiB" % (WAIT_OUTPUT_LIMIT >> 10))
            )
            return
        proc.wait()
        reader.join(5)
        done.put((name, proc.returncode, decoded(out), b"".join(err)))

    try:
        for name, ids in groups.items():
            words = ["session", "wait", *ids, *options]
            stdin = subprocess.DEVNULL
            if name:  # its wait there ends with its ssh (see REMOTE_TIED_IMPORT)
                stdin, hold = tied_stdin()
                ties.append(hold)
            argv = (hosts[name].argv(SshHost.tclaude_script(words, tied=True)) if name else
                    [sys.executable, os.path.realpath(__file__), *words])  # fmt: skip
            try:
                procs[name] = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.PIPE,
                                               stderr=subprocess.PIPE)  # fmt: skip
            finally:
                if name:
                    os.close(stdin)
            threading.Thread(target=finish, args=(name, procs[name]), daemon=True).start()
        reached, failed = [], None
        for _ in procs:
            name, code, out, err = done.get()
            if code != 0:
                failed = (name, code, err)
                if not args.any:
                    break
                continue
            for line in out.splitlines():
                sid = line[:8]
                if is_session_id(sid) and line[8:9] == " ":
                    reached.append("%s:%s" % (name, line) if name else line)
            if args.any:
                break
    finally:
        for hold in ties:
            os.close(hold)
        for proc in procs.values():
            if proc.poll() is None:
                proc.terminate()
    if reached and (args.any or failed is None):
        for line in reached:  # host by host, as they got there
            say(line)
        return 0
    name, code, err = failed
    if name and code in (SSH_FAILED, NOT_INSTALLED):
        raise UserError("host %s: %s" % (name, hosts[name].failure(code, err)))
    for line in decoded(err).splitlines():
        sys.stderr.write(safe_text(host_hint(line, name) if name else line) + "\n")
    return code


def host_hint(text, name):
    """A remote line's hints (``tclaude session attach 4a78``) as they work from here."""
    text = text.replace("tclaude session ", "tclaude --host %s session " % name)
    if text.startswith("tclaude: "):
        text = "tclaude: host %s: %s" % (name, text[len("tclaude: ") :])
    return text


CLEAR_SCREEN = "\x1b[H\x1b[2J"  # what peek --follow starts each frame with
RELAY_LINE_LIMIT = 65536
RELAY_ERR_LIMIT = 65536


def relay_from_host(host, argv, reads_stdin, ids=False):
    """Run tclaude there, print its output line by line as it comes, every line through
    safe_text; its stderr after it, the same way.  Exit status: the remote's, or one line
    for a host ssh cannot reach or a tclaude that is not there.  ``ids``: lines that start
    with a session id (wait's "<id> <status>") get it as host:id."""
    import subprocess
    import threading

    command = host.argv(SshHost.tclaude_script(argv, tied=ids))
    stdin, hold = None if reads_stdin else subprocess.DEVNULL, None
    if ids:  # a wait: it must not outlive its ssh (see REMOTE_TIED_IMPORT)
        stdin, hold = tied_stdin()
    try:
        proc = subprocess.Popen(
            command,
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
    except OSError as exc:
        if hold is not None:
            os.close(hold)
        raise UserError("cannot run ssh: %s" % exc.strerror) from None
    finally:
        if hold is not None:
            os.close(stdin)
    err = []

    def drain():
        size = 0
        for chunk in iter(lambda: proc.stderr.read(4096), b""):
            if size < RELAY_ERR_LIMIT:
                err.append(chunk)
                size += len(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        for raw in iter(lambda: proc.stdout.readline(RELAY_LINE_LIMIT), b""):
            line = decoded(raw).rstrip("\n")
            lead = ""
            if line.startswith(CLEAR_SCREEN):  # a frame of peek --follow: ours to clear
                lead, line = CLEAR_SCREEN, line[len(CLEAR_SCREEN) :]
            if ids and is_session_id(line[:8]) and line[8:9] == " ":
                line = "%s:%s" % (host.name, line)
            sys.stdout.write(lead + safe_text(host_hint(line, host.name)) + "\n")
            sys.stdout.flush()
        code = proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        raise
    finally:
        if hold is not None:
            os.close(hold)
    reader.join(5)
    stderr = b"".join(err)
    if code in (SSH_FAILED, NOT_INSTALLED):
        raise UserError("host %s: %s" % (host.name, host.failure(code, stderr)))
    for line in decoded(stderr).splitlines():
        sys.stderr.write(safe_text(host_hint(line, host.name)) + "\n")
    return code


def attach_on_host(host, argv):
    """``ssh -t`` to the remote ``session attach``: the remote tclaude attaches there (ssh
    passes no $TMUX, so it never tries to switch a client of ours)."""
    import subprocess

    if not sys.stdin.isatty():
        raise UserError("attach needs a terminal (stdin is not a tty)")
    code = subprocess.call(host.argv(SshHost.tclaude_script(argv), tty=True))
    if code == NOT_INSTALLED:
        raise UserError("host %s: %s" % (host.name, host.failure(code, b"")))
    return code


# -- ls --hosts: every host at once, one table -----------------------------------------------


def host_timeout():
    raw = os.environ.get("TCLAUDE_HOST_TIMEOUT")
    try:
        value = float(raw) if raw else HOST_TIMEOUT
    except ValueError:
        value = -1.0
    if not 0 < value < 86400:
        warn_once(
            "TCLAUDE_HOST_TIMEOUT=%s is not a number of seconds; using %g" % (raw, HOST_TIMEOUT)
        )
        return HOST_TIMEOUT
    return value


def selected_hosts(store, spec):
    """The hosts ``--hosts all`` or ``--hosts a,b`` names, in that order."""
    hosts = configured_hosts(store)
    if spec == "all":
        return [SshHost(n, d) for n, d in hosts.items()]
    picked = []
    for name in (n.strip() for n in spec.split(",")):
        if name and name not in (h.name for h in picked):
            picked.append(SshHost(name, host_destination(store, name)))
    return picked


class HostQuery:
    """``session ls --json`` on each host, all at once (one thread and one ssh each), every
    one bounded by the per-host timeout: a host that is down or slow costs its own row, never
    the others'."""

    def __init__(self, hosts, argv, timeout):
        import threading

        self.hosts, self.results = hosts, {}
        self.threads = [threading.Thread(target=self.ask, args=(h, argv, timeout), daemon=True)
                        for h in hosts]  # fmt: skip
        for thread in self.threads:
            thread.start()

    def ask(self, host, argv, timeout):
        try:
            self.results[host.name] = host.run(SshHost.tclaude_script(argv), timeout=timeout)
        except UserError as exc:
            self.results[host.name] = (SSH_FAILED, b"", str(exc).encode())

    def collect(self):
        """([remote views], [(host, why unreachable)]), hosts in the order given."""
        views, down = [], []
        for host, thread in zip(self.hosts, self.threads):
            thread.join()
            code, out, err = self.results.get(host.name, (SSH_FAILED, b"", b"no answer"))
            if code != 0:
                down.append((host.name, host.failure(code, err)))
                continue
            for line in decoded(err).splitlines():
                warn(
                    "host %s: %s"
                    % (
                        host.name,
                        line[len("tclaude: ") :] if line.startswith("tclaude: ") else line,
                    )
                )
            try:
                views.extend(remote_views(host.name, json_loads(decoded(out))))
            except ValueError as exc:
                down.append(
                    (host.name, "its ls --json is unreadable: %s" % one_line(str(exc))[:80])
                )
        return views, down


class HostPoller:
    """watch --hosts: the other hosts' sessions, asked again every interval (at least every
    2 s) in a thread of its own, so a slow host never holds up the dashboard; each host's
    answer is bounded by the per-host timeout.  A remote session that starts waiting is a
    local desktop notification (when they are on), with the host in its title."""

    def __init__(self, hosts, interval):
        self.hosts, self.interval = hosts, max(interval, 2.0)
        self.views, self.down, self.asked = [], [], False
        self.statuses = None  # {host:id: status} of the last answer (None: none yet)

    def poll(self):
        views, down = HostQuery(self.hosts, ["session", "ls", "--json"], host_timeout()).collect()
        self.notify_changes(views)
        self.views, self.down, self.asked = views, down, True

    def start(self):
        import threading

        def loop():
            while True:
                try:
                    self.poll()
                except Exception as exc:  # the dashboard must go on; say why once
                    warn_once("asking the hosts failed: %s: %s" % (type(exc).__name__, exc))
                time.sleep(self.interval)

        threading.Thread(target=loop, daemon=True).start()

    def latest(self):
        """The last answer's views; each host that did not answer is a warning (the
        dashboard's footer shows them)."""
        if not self.asked:
            warn("asking %s ..." % ", ".join(h.name for h in self.hosts))
        for name, why in self.down:
            warn("host %s unreachable (%s)" % (name, why))
        return list(self.views)

    def notify_changes(self, views):
        before, self.statuses = self.statuses, {v["id"]: v["status"] for v in views}
        if before is None:
            return  # the first look: what waits already was waiting before we came
        # a session not seen before is new (its first prompt notifies nobody, as here) or
        # its host just came back: either way no change was seen
        turned = [v for v in views if v["status"] in NOTIFY_TITLES
                  and before.get(v["id"]) not in (None, v["status"])]  # fmt: skip
        if not turned or not global_notify(StateStore(), strict=False):
            return
        backend = notify_backend()
        for view in turned if backend else ():
            title, body = notification_text(view)
            try:
                backend.send("%s: %s" % (view["host"], title), body, NOTIFY_URGENCY[view["status"]])
            except NotifyError as exc:
                warn("cannot notify about %s: %s" % (view["id"], exc))


def act_on_host(ref, words, stdin=None):
    """A dashboard key on a remote row: ``tclaude session <verb> host:id ...`` in a child
    tclaude (the same checks, run on the host); its last line, or a UserError with its
    error line."""
    import subprocess

    verb, rest = words[0], words[1:]
    argv = [sys.executable, os.path.realpath(__file__), "session", verb, ref, *rest]
    try:
        proc = subprocess.run(argv, input=stdin or b"", capture_output=True,
                              timeout=ACT_TIMEOUT + SSH_CONNECT_TIMEOUT + 30)  # fmt: skip
    except subprocess.TimeoutExpired:
        raise UserError("%s on %s took too long; look with: tclaude session peek %s"
                        % (verb, ref, ref)) from None  # fmt: skip
    lines = decoded(proc.stdout if proc.returncode == 0 else proc.stderr).splitlines()
    last = one_line(lines[-1] if lines else "exit status %d" % proc.returncode)
    if proc.returncode != 0:
        raise UserError(last[len("tclaude: ") :] if last.startswith("tclaude: ") else last)
    return last


def remote_views(name, items):
    """A remote ``ls --json`` as views: each object checked field by field (a wrong one is
    dropped with a warning), its id made ``host:id``.  Text stays text; it is sanitised where
    it is printed, as every other."""
    if not isinstance(items, list):
        raise ValueError("not a JSON list")
    views = []
    where = "host %s" % name
    for item in items:
        sid = item.get("id") if isinstance(item, dict) else None
        if not isinstance(sid, str) or not is_session_id(sid):
            warn_once("%s: ignoring a session with id %s" % (where, one_line(repr(sid))[:40]))
            continue
        fields = {k: v for k, v in item.items() if k in REMOTE_VIEW_FIELDS}
        view = checked_fields(fields, REMOTE_VIEW_FIELDS, "%s: session %s" % (where, sid))
        view.setdefault("status", "unknown")
        view.update(id="%s:%s" % (name, sid), host=name)
        views.append(view)
    return views


def ls_with_hosts(query, views, as_json):
    remote, down = query.collect()
    views = [dict(v, host=None) for v in views] + remote
    if as_json:
        import json

        for name, why in down:
            warn("host %s unreachable (%s)" % (name, why))
        print(json.dumps(views, indent=2, ensure_ascii=True))
        return 0
    print(format_table(views, down))
    return 0


# --------------------------------------------------------------------------------------------
# 14. main: the whole command line in one table, and the error boundary
# --------------------------------------------------------------------------------------------

# Every command's reference lives in its --help: description, options, then this epilog (what
# it prints, exit status, examples).  Outputs shown were captured against tests/fakebin/claude.

DESCRIPTION = "Run Claude Code sessions detached in tmux and see which ones need you."
MAIN_HELP = """\
examples:
  tclaude session new ~/src/api --name api     start claude in ~/src/api
  tclaude session ls                           what every session is doing
  tclaude session attach api                   take over (tmux prefix + d detaches)
  tclaude session new . --resume <conv-id>     continue an earlier conversation
  tclaude session kill 3fa9                    end it (a unique id prefix is enough)

Every command's --help is its manual, with examples: tclaude session new --help.
Errors are one line on stderr: exit status 1 for a problem, 2 for a usage mistake.
"""
NEW_HELP = """\
Starts claude in DIR (default: the current directory) in a detached tmux session
tofu-claude-<id>, handing it tclaude's hooks with --settings (nothing in ~/.claude or the
project is edited).  The id is 8 hex characters; wherever an id is expected a unique prefix
or the --name works too.  The conversation id is fixed up front (claude --session-id), so
ls shows it at once.  Everything after -- goes to claude untouched.

--resume takes a conversation UUID whose transcript exists (start in its directory).  A
conversation already open in a live session, or a name a live session holds, is refused,
under a lock: two racing runs yield one session.  --notify / --no-notify override
`tclaude notify on|off` for this session.

--worktree [NAME] runs claude in a git worktree of DIR's repo, made with `git worktree add`
at <repo>/.claude/worktrees/NAME (where claude -w puts its own, trusted with the repo, and
listed in .git/info/exclude) on a new branch NAME from --from REF (default: HEAD), or on an
existing --branch.  A name git refuses, a branch or worktree that exists, a detached HEAD
without --from, or a branch checked out elsewhere is an error, and nothing is made.  kill
keeps the worktree; see session kill and session prune --worktrees.

examples:
  $ tclaude session new ~/src/api --name api
  started session 4a780bef (api) in ~/src/api
  attach with: tclaude session attach 4a780bef
  $ tclaude session new -q ~/src/web -- --model opus     (-q: only the id)
  fc5a0f6b
  tclaude session new ~/src/api --resume eab99639-87ac-4b6c-ac5f-2e4b22750860
  tclaude session new . --no-notify
  tclaude session new ~/src/api --worktree fix-login --from origin/main
"""
LS_HELP = """\
One row per session, oldest first.  STATUS is running, waiting_input, waiting_permission
or exited, or unknown when the session's own tmux server cannot be asked (DETAIL says why;
nothing is written then, and only proof ever makes a session exited); AGE is the time in that status; CONV starts the conversation id; DETAIL is the
tool, the question, the start of the prompt, or how to resume.  --json prints the state
objects (the fields of ~/.tofu/claude-sessions/<id>.json, live status merged in).  --all
adds live claudes started by hand as ext:<pid> (status from claude's own registry;
"external": true in --json).

examples:
  $ tclaude session ls
  ID        NAME  STATUS              AGE  CWD         CONV      DETAIL
  4a780bef  api   waiting_input       3s   ~/src/api   eab99639
  fc5a0f6b  web   waiting_permission  2s   ~/src/web   53fd249c  Bash: touch out.txt
  41c4d900  -     running             2s   ~/src/docs  c411fa4f  SLOW=60 refactor the parser
  $ tclaude session ls --json | jq -r '.[] | select(.status == "waiting_input") | .id'
  4a780bef
  $ tclaude session ls --all
  ...
  ext:9714  -         waiting_input       3s   ~/src/docs  b0be6dbb  tmux notes:%5
"""
ATTACH_HELP = """\
Attaches your terminal to the session's tmux session (inside tmux it switches your client
instead of nesting).  For an adopted claude its pane is brought to the front first.  An
exited session cannot be attached: the error says how to resume it.

examples:
  tclaude session attach api             (tmux prefix + d detaches again)
  tclaude session attach --next          (the longest-waiting session that needs you)
  $ tclaude session attach 41c4
  tclaude: session 41c4d900 has exited (exit: other); resume it with: tclaude session resume 41c4d900
"""
PEEK_HELP = """\
What the session's pane shows now, as plain text (control characters made visible, trailing
blank lines dropped), without attaching.  -n adds scrollback: the last LINES lines.
--follow redraws it every second until Ctrl-C.  Works on adopted sessions too (their pane).

examples:
  $ tclaude session peek web -n 4
     3. Yes, and switch to auto mode · auto mode handles these prompts for you
     4. No

   Esc to cancel · Tab to amend
  tclaude session peek api --follow
"""
ACT_CHECKS = """\
Never blind: nothing is typed unless the session is waiting_permission, its dialog is on
screen now, and it is the dialog of the tool the hooks recorded (its name, and the command,
file or host where the screen shows it; an MCP tool mcp__<server>__<tool> by its server and
tool names, as claude shows "<server> — <Tool>").  The options are read from the screen.
Then it waits up to 5 s for the status to move on and says what it became (exit 1 if not).
"""
APPROVE_HELP = (
    ACT_CHECKS
    + """\
--always picks the dialog's "Yes, and don't ask again ..." / "always allow ..." option and
is refused where the dialog offers none.

examples:
  $ tclaude session approve api
  Do you want to proceed? -> 1. Yes: approved Bash: touch out.txt in 4a780bef; now waiting_input (done)
  tclaude session approve api --always
  $ tclaude session approve web
  tclaude: session fc5a0f6b: it is waiting_input (done), not waiting_permission; nothing typed
"""
)
DENY_HELP = (
    ACT_CHECKS
    + """\
Picks "No" (claude shows "Interrupted · What should Claude do instead?").  With --reason the
"No" is amended (Tab) with your text, as claude offers: the tool is rejected and claude
carries on with your words.

examples:
  $ tclaude session deny api
  Do you want to proceed? -> 4. No: denied Bash: touch out.txt in 4a780bef; now waiting_input (denied: Bash: touch out.txt)
  $ tclaude session deny api --reason "write to /tmp instead"
  Do you want to proceed? -> 4. No: denied Bash: touch out.txt: write to /tmp instead in 4a780bef; now waiting_input (done)
"""
)
ANSWER_HELP = (
    ACT_CHECKS.replace("waiting_permission, its", "waiting_permission on a question, its")
    + """\
A number picks that option; any other text goes into the question's "Type something"
option.  Multi-select questions are refused (attach to answer those).

examples:
  $ tclaude session answer api 2
  Which colour should the stub use? -> 2. Blue in 4a780bef; now waiting_input (done)
  tclaude session answer api "purple, please"
"""
)
KILL_HELP = """\
Ends claude through its own exit path (SIGTERM: its SessionEnd hooks run, the transcript
is flushed), waits up to 4 s, then SIGKILL; removes the tmux session and the session's files
and prints how to resume the conversation.  Of an adopted claude only the claude process
ends, never your tmux session or pane.  --all-exited removes every exited session instead.

A session's worktree (session new --worktree) is kept, and kill prints where it is and the
`git worktree remove` that removes it.  --remove-worktree removes it only when that loses
nothing: no changed or untracked file, no commit on no other branch, remote branch or tag,
not locked, listed by git, no other live session in it; the branch goes only if tclaude made
it and `git branch -d` agrees it is merged.

examples:
  $ tclaude session kill api
  killed 4a780bef; resume the conversation with: tclaude session new ~/src/api --resume eab99639-87ac-4b6c-ac5f-2e4b22750860
  $ tclaude session kill --all-exited
  removed 41c4d900 (exit: other)
"""
WATCH_EPILOG = """\
Rows: permission first, then waiting, running, exited; creation order within each.
Marks: ! permission, ? waiting for input, - exited, > the selection (they say what the
colours say; NO_COLOR turns colours off).  As the terminal narrows the columns leave in this
order: CONV, CWD, RSS, CPU, NAME, DETAIL.  CPU (% of one core) and RSS count claude and all
it started.  Warnings show above the key line.

keys:
  Up/Down j/k    move               PgUp/PgDn g/G   page; first / last
  a Enter        attach             x K             kill (asks y/n)
  r              refresh            ?               help
  p              preview the selected session's screen (bottom half; right half from 160
                 columns), refreshed with the table
  Tab N          next session that needs you      / filter by name, cwd, status, detail
  y Y n 1-9      approve, approve always, deny (asks a reason; Enter: none), answer a
                 question: the same checks as session approve/deny/answer, the result in
                 the status line
  s              send a prompt (an input line; as session send)
  q Esc Ctrl-C   quit

Without --once, stdin and stdout must be a terminal.  Exit status 0 on q or Ctrl-C, 143 on
SIGTERM, 129 on SIGHUP; the terminal is always restored.  --once fits $COLUMNS, else the
terminal; when stdout is no terminal and COLUMNS is unset, it cuts nothing.

examples:
  tclaude session watch --interval 0.5 --all
  $ tclaude session watch --once
  3 sessions: 1 waiting, 1 permission, 1 running                          18:36:59
    ID       NAME STATUS     AGE  CPU RSS CONV     CWD        DETAIL
  ! fc5a0f6b web  permission 5s  1.4% 19M 53fd249c ~/src/web  Bash: touch out.txt
  ? 4a780bef api  waiting    6s  1.7% 19M eab99639 ~/src/api
    41c4d900 -    running    5s  1.7% 19M c411fa4f ~/src/docs SLOW=60 refactor the parser
"""
WAIT_HELP = """\
Without --until, any waiting state or exited counts (waiting: either waiting state).  A
session already there counts at once, and counts from the first moment it is seen in the
state even if it moves on while others are still awaited.  A waiter stats files and asks
tmux only when one changes, so dozens of waiters cost almost nothing.

exit status:
  0    reached: prints "<id> <status>" for each session that got there
  1    a session is unknown (or another error)
  2    usage error
  3    a session exited before reaching the state (it never will, short of a resume)
  124  --timeout passed first
  130  interrupted

examples:
  $ tclaude session wait api web
  4a780bef waiting_input
  fc5a0f6b waiting_permission
  $ tclaude session wait 41c4 --timeout 1
  tclaude: timed out: 41c4d900 is running
  tclaude session wait api web --until waiting_input --timeout 600
  tclaude session wait api web --any && tclaude session ls
"""
SEND_HELP = """\
The prompt is pasted as one bracketed paste (newlines stay inside it), then submitted
with Enter; your own tmux paste buffers are never touched.  Refused unless the session is
waiting_input (--force types it anyway; never into an exited session).  Returns once claude
has picked the prompt up (its hook or registry says so); after 5 s it warns and exits 0,
since the text was typed.  Line endings become \\n; trailing newlines and control characters
other than tab and newline are dropped.  Slash commands work too (/clear, /exit).

examples:
  $ tclaude session send api "run the tests and fix what fails"
  sent to 4a780bef (1 line)
  $ tclaude session send web hello
  tclaude: session fc5a0f6b is waiting_permission (Bash: touch out.txt), not waiting for input; nothing sent (--force types it anyway)
  git diff | tclaude session send api -
  tclaude session send api < prompt.md && tclaude session wait api
"""
RESUME_HELP = """\
Restarts claude with --resume <convId> in the session's own directory; the session keeps
its id, name and claude arguments.  Refused while the session is alive, for an adopted one
(the error prints the `session new ... --resume` to use instead), while another live session
has the conversation open or the name, or when the conversation cannot be found.

With --all: every session that died with its tmux server (a crash, a reboot, tmux
kill-server) or whose tmux session vanished, each on its own conversation with its id and
name kept; one line per session says resumed, or why not.  Sessions ended on purpose (/exit,
exit status 0) are left alone; sessions killed with tclaude are gone already.

examples:
  tclaude session resume --all        after a reboot or a tmux server crash
  $ tclaude session resume 41c4
  resumed session 41c4d900 in ~/src/docs
  attach with: tclaude session attach 41c4d900
  $ tclaude session resume 41c4
  tclaude: session 41c4d900 is alive (running); attach with: tclaude session attach 41c4d900
"""
RENAME_HELP = """\
A name works wherever an id does.  No two live sessions share a name; a new session may
take the name of an exited one (when a name is ambiguous, the live session wins).

examples:
  $ tclaude session rename web frontend
  renamed fc5a0f6b (was web) to frontend
"""
PRUNE_HELP = """\
Removes the records of exited sessions (and their dead tmux sessions), hook and settings
files whose record is gone, and temp files whose writer died mid-write.  Never touches a
live session.  --older-than limits which exited sessions go (units s, m, h, d, w).  Reports
tofu-claude-* tmux sessions that have no record; --adopt gives each one ("recovered": true;
for a claude you started by hand in your own pane, use session adopt).

An exited session whose worktree is still there is kept (so ls keeps showing it).
--worktrees removes those worktrees that lose nothing (the checks of kill --remove-worktree)
and then the sessions; --force also removes ones with changes or unmerged commits, listing
every file and commit it discards first (git worktree remove --force, git branch -D).  Never
the main checkout, a locked one, one git cannot answer for, or one a live session uses.

examples:
  $ tclaude session prune --dry-run
  would remove orphan file deadbeef.status
  tclaude session prune --older-than 7d
  tclaude session prune --adopt
  tclaude session prune --worktrees --dry-run
"""
ADOPT_HELP = """\
Writes a session record ("adopted": true) for the claude running in PANE.  Its status
comes from claude's own registry: a claude started by hand runs no tclaude hook, so DETAIL
stays empty.  attach brings its pane to the front; kill ends only that claude (SIGTERM, then
SIGKILL after 4 s), never your tmux session or pane.  Refused: a pane that does not exist or
runs no claude, a pane of a tclaude session, a claude outside tmux, one already adopted.

examples:
  $ tclaude session adopt %4 --name by-hand
  adopted claude pid 6689 in pane %4 as session 9dab8ba3 (by-hand)
  its status comes from claude's registry: a claude started by hand runs no tclaude hook
  $ tclaude session adopt %99
  tclaude: no tmux pane '%99' (no such pane); list panes with: tmux list-panes -a
  tclaude session adopt ext:9714
"""
STATUS_LINE_HELP = """\
Prints e.g. "claude 2! 1? 5~": 2 sessions wait for a permission (!), 1 for
input (?), 5 are running (~), and * counts those whose status cannot be told (their tmux
server cannot be asked); nothing at all when no session is live.  Reads only the state
files (no tmux call), so it is cheap enough for a 1-second status interval.

in ~/.tmux.conf (tmux runs #() with its server's PATH: give the full path if needed):
  set -g status-right '#(tclaude status-line) %H:%M'
  set -g status-interval 2

examples:
  $ tclaude status-line
  claude 1! 1? 1~
"""
NOTIFY_HELP = """\
on/off switch notifications for every session (a session started with --notify or
--no-notify keeps its choice); status shows the switch and the backend; test sends one now.
Backends, first found wins: notify-send, then gdbus (Linux); osascript (macOS).  Nothing is
sent while a tmux client shows that session, nor for a new session's first prompt.  The
switch lives in ~/.tofu/tclaude.json; `session ls --json` shows each session's last decision
(notifyLast: sent, watched, no-backend or failed).
A notification names the session and what it asks (the tool and its command, or the
question) and how to answer: `tclaude session approve <id> (or: deny)` or `tclaude session
answer <id> <N|TEXT>`, then `tclaude session attach <id>`.
Buttons: where the notification server has the `actions` capability and notify-send has
--action (libnotify 0.8), a permission dialog's notification offers Approve and Deny (a
question none), which run the checks of `session approve/deny` and refuse unless the session
still waits on the very dialog notified; the result comes as a follow-up notification.  Open
(only while a tmux client is attached to the session's tmux server) switches your most
recently used tmux client to the session.  Through gdbus and on macOS: no buttons.

examples:
  $ tclaude notify status
  notifications: off
  backend: gdbus (/usr/bin/gdbus; replaces a session's previous notification)
  buttons: none (gdbus cannot wait for a click; notify-send 0.8+ can)
  $ tclaude notify on
  notifications on: a desktop notification when a session needs permission or waits for input (via gdbus)
  tclaude notify test               send a test notification now
  tclaude session new . --notify    notify for this session even while notifications are off
"""
HOOKS_HELP = """\
tclaude passes its hooks to each claude it starts with --settings, so nothing here is
needed for tclaude's own sessions.  install merges the same hooks into claude's user settings
(${CLAUDE_CONFIG_DIR:-~/.claude}/settings.json) after a backup; uninstall removes exactly
them.  In claude sessions tclaude did not start the hook does nothing: tclaude lists those
from claude's own registry (tclaude session ls --all).

examples:
  tclaude hooks print
  tclaude hooks install --dry-run
  tclaude hooks uninstall
"""
HOOKS_PRINT_HELP = """\
Prints the hooks settings JSON tclaude hands every claude it starts (--settings).

examples:
  tclaude hooks print | jq '.hooks | keys'
"""
HOOKS_INSTALL_HELP = """\
Merges tclaude's hooks into ${CLAUDE_CONFIG_DIR:-~/.claude}/settings.json, keeping every
other key and hook (tclaude's group goes after yours).  Idempotent.  Backs the file up to
settings.json.bak-<UTC stamp> first, writes atomically, keeps its mode and a symlink; stops
with nothing written on a corrupt file or when claude changes it meanwhile.

examples:
  $ tclaude hooks install
  installed tclaude's hooks (10 events) in ~/.claude/settings.json
  $ tclaude hooks install
  tclaude's hooks are already in ~/.claude/settings.json; nothing changed
  tclaude hooks install --dry-run        (a unified diff; nothing changes)
"""
HOOKS_UNINSTALL_HELP = """\
Removes every hook whose command runs tclaude-hook.sh, and the groups, event lists or
file that install created (it keeps a note of them), so install + uninstall gives back the
same settings.  Backs the file up first.

examples:
  $ tclaude hooks uninstall
  removed 10 tclaude hooks from ~/.claude/settings.json
  backup of the previous file: ~/.claude/settings.json.bak-20261204T183734Z
  tclaude hooks uninstall --dry-run      (a unified diff; nothing changes)
"""
DOCTOR_HELP = """\
One line per check, ok / warn / FAIL, with what to fix; exit status 1 when anything FAILs,
else 0 (warnings do not fail).  Checks and what makes them FAIL (or warn):
  python        older than 3.8
  tmux          missing or older than 2.6 (warn: version unreadable)
  claude        not on PATH, or --version fails (warn: it hangs 20 s)
  hook          tclaude-hook.sh missing or unreadable beside tclaude.py
  bash          not on PATH
  state dir     not a writable directory (warn: mode other than 0700)
  state files   (warn: corrupt records, left in place; stray files of gone sessions)
  notify        (warn: no notify-send, gdbus or osascript)
  settings      disableAllHooks in claude's user settings (warn: unreadable)
  user hooks    (warn: `hooks install` was done for another path or version)
  environment   (warn: CLAUDECODE set, as inside Claude Code)

examples:
  $ tclaude doctor
  ...
  ok    tmux          tmux 3.3a (/usr/bin/tmux)
  ...
  ok    state dir     ~/.tofu/claude-sessions (0700, writable)
  ok    state files   2 session records, none corrupt or stray
  ok    notify        gdbus (/usr/bin/gdbus); notifications off (tclaude notify on)
  ok    settings      ~/.claude/settings.json absent (hooks allowed)
  ok    user hooks    not installed (optional: tclaude hooks install)
  ok    environment   CLAUDECODE not set
  11 ok, 0 warn, 0 FAIL
"""
HOSTS_HELP = """\
Sessions on other machines, through OpenSSH and the tclaude installed there: no daemon, no
open port.  Hosts live in ~/.tofu/tclaude.json.  Then, for any session command:
  tclaude --host NAME session new|ls|attach|kill|send|wait|peek|approve|deny|answer ...
  tclaude session kill NAME:ID          (a host:id works wherever an id does)
  tclaude session wait api dev:4a78 gpu:fc5a   (sessions of several hosts at once)
  tclaude session ls --hosts all        (one table with a HOST column; hosts in parallel)
  tclaude session watch --hosts all     (the same, live; its keys act through ssh; it
                                         notifies when a remote session starts waiting)
Each host gets one multiplexed ssh connection (ControlMaster, kept 120 s) with its socket in a
0700 dir ($XDG_RUNTIME_DIR/tclaude-ssh, else ~/.tofu/ssh); BatchMode (no password prompt),
ConnectTimeout 5 s and the multiplexing options are fixed on ssh's command line, where no
ssh_config entry can change them.  Remote output is data: checked, and sanitised as any other.

examples:
  tclaude hosts add dev me@dev.example.com
  tclaude hosts install dev
  tclaude --host dev session new ~/src/api --name api
  tclaude session ls --hosts all
"""
HOSTS_ADD_HELP = """\
NAME is what tclaude calls the host (--host NAME, NAME:ID); DESTINATION is what ssh gets
([user@]host, ssh://[user@]host:port, or a Host alias of your ~/.ssh/config; default: NAME).
Key-based login must work without a prompt (ssh runs in BatchMode).

examples:
  $ tclaude hosts add dev me@dev.example.com
  added host dev (ssh me@dev.example.com)
  next: tclaude hosts install dev
"""
HOSTS_LS_HELP = """\
examples:
  $ tclaude hosts ls
  NAME  SSH
  dev   me@dev.example.com
"""
HOSTS_RM_HELP = """\
Only tclaude's entry goes: the host's sessions, files and tclaude stay as they are.

examples:
  $ tclaude hosts rm dev
  removed host dev (its sessions keep running there)
"""
HOSTS_INSTALL_HELP = """\
Copies this tclaude.py and tclaude-hook.sh (the same version) to ~/.tofu/bin on the host,
each written whole then renamed, then checks that python3 (3.8+) and tmux are there and that
the copy runs; exit status 1 says what is missing.  claude itself must be on the host's PATH
for ssh sessions (a non-login shell).

examples:
  $ tclaude hosts install dev
  installed tclaude 0.1.0 on dev in ~/.tofu/bin (tclaude.py, tclaude-hook.sh)
  dev: python3 3.11, tmux 3.3a; try: tclaude --host dev session ls
"""


def arg(*flags, **options):
    """One option or positional of a command, as add_argument takes it; ``exclusive="x"``
    puts it in the mutually exclusive group x."""
    return flags, options


def sentence(text):
    return text and text[0].upper() + text[1:] + "."


class Command:
    """A row of command_table(): ``name`` is the words that select it.  A row without ``func``
    is a group (``dest`` and ``metavar`` name its subcommand); its rows follow it."""

    def __init__(self, name, func, help, epilog, *args, description=None, usage=None,
                 usage_tail=None, defaults=None, dest=None, metavar=None):  # fmt: skip
        self.name, self.words, self.func, self.help = name, name.split(), func, help
        self.epilog, self.args, self.defaults = epilog, args, defaults or {}
        self.description = description or sentence(help)
        self.usage, self.usage_tail = usage, usage_tail  # usage: all of it; tail: appended
        self.dest, self.metavar = dest, metavar


def command_table():
    """Every command: (name, function, help, epilog, arguments...), in --help order.  A
    function, not a constant, so the cmd_* functions are looked up when a run needs them."""
    id_arg = arg("id", help="session id, unique id prefix, or name")
    dry_run = arg("--dry-run", action="store_true", help="print the change as a diff only")
    # fmt: off
    return (
        Command("session", None, "manage claude sessions", MAIN_HELP,
            dest="command", metavar="SUBCOMMAND",
            description="Manage claude sessions running detached in tmux."),
        Command("session new", cmd_new, "start a detached claude session in tmux", NEW_HELP,
            arg("dir", nargs="?", help="project directory (default: the current one)"),
            arg("--name", help="a label usable wherever an id is"),
            arg("--resume", metavar="CONV_ID", help="resume this conversation (claude --resume)"),
            arg("--notify", dest="notify", action="store_true", exclusive="notify",
                help="notify for this session even while notifications are off"),
            arg("--no-notify", dest="notify", action="store_false", exclusive="notify",
                help="never notify for this session"),
            arg("-q", "--quiet", action="store_true", help="print only the new id"),
            arg("--worktree", nargs="?", const="", metavar="NAME",
                help="run in a new git worktree of DIR's repo, on branch NAME "
                     "(default: tclaude-<id>)"),
            arg("--branch", metavar="BRANCH",
                help="with --worktree: check out this existing branch instead"),
            arg("--from", dest="base", metavar="REF",
                help="with --worktree: start the new branch at REF (default: HEAD)"),
            usage_tail="[-- CLAUDE_ARGS...]", defaults={"claude_args": [], "notify": None}),
        Command("session ls", cmd_ls, "list sessions with their live status", LS_HELP,
            arg("--json", action="store_true", help="print the state objects as JSON"),
            arg("--all", action="store_true",
                help="also list claude sessions started by hand (ext:<pid>)"),
            arg("--hosts", metavar="all|NAME,...",
                help="also list the sessions of these hosts (tclaude hosts), HOST column")),
        Command("session attach", cmd_attach, "attach to a session (tmux prefix + d detaches)",
            ATTACH_HELP,
            arg("id", nargs="?", help="session id, unique id prefix, or name"),
            arg("--next", action="store_true",
                help="the session that has waited longest for you (a dialog first)"),
            usage="tclaude session attach (id | --next)"),
        Command("session peek", cmd_peek, "print a session's screen as plain text", PEEK_HELP,
            id_arg,
            arg("-n", "--lines", type=int, metavar="LINES",
                help="the last LINES lines, scrollback included (default: the visible pane)"),
            arg("--follow", action="store_true", help="redraw every second until Ctrl-C")),
        Command("session approve", cmd_approve,
            "answer Yes to the permission dialog on screen, checked first", APPROVE_HELP,
            id_arg,
            arg("--always", action="store_true",
                help="the dialog's \"Yes, and don't ask again\" / \"always allow\" option")),
        Command("session deny", cmd_deny,
            "answer No to the permission dialog on screen, checked first", DENY_HELP,
            id_arg,
            arg("--reason", metavar="TEXT", help="tell claude what to do instead")),
        Command("session answer", cmd_answer,
            "pick an option of (or type an answer to) the question on screen", ANSWER_HELP,
            id_arg,
            arg("choice", nargs="+", metavar="N|TEXT",
                help="the option's number, or text for its \"Type something\" option")),
        Command("session kill", cmd_kill, "end a session and remove its state", KILL_HELP,
            arg("id", nargs="?", help="session id, unique id prefix, or name"),
            arg("--all-exited", action="store_true", help="clean up every exited session"),
            arg("--remove-worktree", action="store_true",
                help="also remove the session's worktree if clean and merged (else kept)")),
        Command("session wait", cmd_wait,
            "block until sessions need you (or reach a given state)", WAIT_HELP,
            arg("ids", nargs="+", metavar="id", help="session id, unique id prefix, or name"),
            arg("--until", choices=sorted(WAIT_TARGETS), help="the state to wait for"),
            arg("--any", action="store_true", help="return when any one session gets there"),
            arg("--timeout", type=float, metavar="SECONDS", help="give up (exit 124) after")),
        Command("session send", cmd_send,
            "type a prompt into a session waiting for input and submit it", SEND_HELP,
            id_arg,
            arg("text", nargs="*", help="the prompt (words are joined); none or - reads stdin"),
            arg("--force", action="store_true", help="send even if it is not waiting_input"),
            usage="tclaude session send [--force] id [text ... | -]"),
        Command("session resume", cmd_resume,
            "restart an exited session on its conversation (same id and name)", RESUME_HELP,
            arg("id", nargs="?", help="session id, unique id prefix, or name"),
            arg("--all", action="store_true",
                help="every session lost with its tmux server or tmux session (a crash, a reboot)")),
        Command("session rename", cmd_rename,
            "give a session a new name (unique among live ones)", RENAME_HELP,
            id_arg,
            arg("name", help="the new name")),
        Command("session prune", cmd_prune, "remove exited sessions and leftover files",
            PRUNE_HELP,
            arg("--older-than", metavar="DURATION",
                help="only sessions exited longer ago (e.g. 30m, 2h, 7d)"),
            arg("--dry-run", action="store_true", help="say what would go, change nothing"),
            arg("--adopt", action="store_true", help="create records for stray tmux sessions"),
            arg("--worktrees", action="store_true",
                help="also remove the worktrees of those sessions that are clean and merged"),
            arg("--force", action="store_true",
                help="with --worktrees: also ones with changes or unmerged commits (listed)")),
        Command("session watch", cmd_watch,
            "live dashboard of every session (waiting ones first)", WATCH_EPILOG,
            arg("--interval", type=float, default=1.0, metavar="SECONDS",
                help="time between refreshes (default: 1)"),
            arg("--once", action="store_true", help="print one frame as plain text and exit"),
            arg("--all", action="store_true",
                help="also show claude sessions started by hand (ext:<pid>, dim)"),
            arg("--hosts", metavar="all|NAME,...",
                help="also show the sessions of these hosts (tclaude hosts), HOST column")),
        Command("session adopt", cmd_adopt,
            "bring a claude you started by hand in tmux under tclaude", ADOPT_HELP,
            arg("pane", help="tmux pane id (%%3), target (work:1.0), or ext:<pid> (ls --all)"),
            arg("--name", help="a label usable wherever an id is")),
        Command("status-line", cmd_status_line, "session counts for tmux's status bar",
            STATUS_LINE_HELP),
        Command("hooks", None,
            "print, install or uninstall tclaude's hooks in claude's user settings", HOOKS_HELP,
            dest="verb", metavar="ACTION"),
        Command("hooks print", cmd_hooks_print,
            "print the hooks settings JSON tclaude passes to claude", HOOKS_PRINT_HELP),
        Command("hooks install", cmd_hooks_install,
            "merge tclaude's hooks into claude's user settings", HOOKS_INSTALL_HELP,
            dry_run),
        Command("hooks uninstall", cmd_hooks_uninstall, "remove what install added",
            HOOKS_UNINSTALL_HELP,
            dry_run),
        Command("hosts", None, "other machines whose sessions tclaude reaches over ssh",
            HOSTS_HELP, dest="verb", metavar="ACTION"),
        Command("hosts add", cmd_hosts_add, "add a host (an ssh destination)", HOSTS_ADD_HELP,
            arg("name", help="the host's name in tclaude (letters, digits, . _ -)"),
            arg("destination", nargs="?",
                help="what to give ssh: [user@]host or an ssh_config alias (default: NAME)")),
        Command("hosts ls", cmd_hosts_ls, "list the hosts", HOSTS_LS_HELP),
        Command("hosts rm", cmd_hosts_rm, "forget a host (its sessions keep running)",
            HOSTS_RM_HELP,
            arg("name", help="the host's name")),
        Command("hosts install", cmd_hosts_install,
            "copy this tclaude to the host's ~/.tofu/bin over ssh, check python3 and tmux",
            HOSTS_INSTALL_HELP,
            arg("name", help="the host's name")),
        Command("doctor", cmd_doctor, "check tmux, claude, the hook and the state dir",
            DOCTOR_HELP),
        Command("notify", cmd_notify, "desktop notifications when a session needs you",
            NOTIFY_HELP,
            arg("action", choices=("on", "off", "status", "test"),
                help="on/off: the global switch; status: the switch and the backend; "
                     "test: send one now")),
        # The hook's; without help it is left out of the command list.
        Command("_notify", cmd_notify_event, None, None,
            arg("id"),
            arg("status")),
    )
    # fmt: on


def wanted_command(argv):
    """(group, subcommand) named by argv, or None when the whole tree is needed (help, or a
    word argparse must report as an invalid choice)."""
    if any(a in ("-h", "--help") for a in argv) or not argv or argv[0].startswith("-"):
        return None
    if argv[0] != "session":
        return argv[0], None
    if len(argv) < 2 or argv[1].startswith("-"):
        return None
    return "session", argv[1]


def needed_rows(wanted):
    """The rows a run needs: building all ~20 parsers costs more than the rest of `ls`, so a
    run that names its command builds only that row and its group's."""
    table = command_table()
    if wanted is None:
        return table
    group, sub = wanted
    rows = [
        c for c in table if c.words[0] == group and (sub is None or c.words[1:2] in ([], [sub]))
    ]
    leaf = [c for c in rows if c.func and (sub is None or c.words[1:] == [sub])]
    return rows if leaf else None  # None: an unknown word, let the full parser say what exists


def build_parser(argv=None):
    """The parser, built from command_table(); with ``argv``, only the subcommand it names."""
    # argparse is imported here, not at the top: `status-line` (run by tmux every second)
    # never builds a parser and should not pay for importing it.
    import argparse

    class Parser(argparse.ArgumentParser):
        def error(self, message):
            self.print_usage(sys.stderr)
            raise UserError(message, code=2)

    rows = needed_rows(wanted_command(argv)) if argv is not None else None
    if rows is None:
        rows = command_table()
    raw = argparse.RawDescriptionHelpFormatter
    parser = Parser(
        prog="tclaude",
        description=DESCRIPTION,
        epilog=MAIN_HELP,
        formatter_class=raw,
    )
    parser.add_argument("--version", action="version", version="tclaude " + __version__)
    # run_command takes --host off before parsing; here it is for --help (SUPPRESS: no
    # "host" in every Namespace, which bare_args would have to fake)
    parser.add_argument("--host", metavar="NAME", default=argparse.SUPPRESS,
                        help="run the session command on this host (see: tclaude hosts)")  # fmt: skip
    subparsers = {(): parser.add_subparsers(dest="group", metavar="COMMAND", parser_class=Parser)}
    subparsers[()].required = True
    for row in rows:
        words = tuple(row.words)
        kwargs = dict(description=row.description, epilog=row.epilog, usage=row.usage)
        if row.help:  # a row without help stays out of the command list
            kwargs["help"] = row.help
        p = subparsers[words[:-1]].add_parser(words[-1], formatter_class=raw, **kwargs)
        add_arguments(p, row.args)
        if row.func is None:
            subparsers[words] = p.add_subparsers(dest=row.dest, metavar=row.metavar,
                                                 parser_class=Parser)  # fmt: skip
            subparsers[words].required = True
            continue
        p.set_defaults(func=row.func, **row.defaults)
        if row.usage_tail:
            p.usage = "%s %s" % (p.format_usage()[len("usage: ") :].rstrip(), row.usage_tail)
    return parser


def bare_args(argv):
    """The Namespace argparse gives a run that names a command and nothing else (``session
    ls``), built from the command table without argparse (importing and building it costs
    more than all of ``ls``); None when argparse must parse ``argv``."""
    row = next((c for c in command_table() if c.func and c.words == argv), None)
    values = {"group": argv[0]}
    for flags, options in row.args if row else ():
        bare = flags[0].startswith("-") and not options.get("required")
        if not bare or isinstance(options.get("default"), str):  # argparse would convert it
            return None
        dest = options.get("dest") or option_dest(flags)
        if dest not in values:  # flags sharing a dest: the first one's default, as argparse
            values[dest] = options.get("default", BARE_DEFAULTS.get(options.get("action")))
    if row is None:
        return None
    group = next(c for c in command_table() if c.words == row.words[:1])
    if group.dest:
        values[group.dest] = row.words[1]
    values.update(func=row.func, **row.defaults)
    return BareArgs(values)


class BareArgs:
    """What bare_args returns: the attributes argparse's Namespace would have (importing
    ``types`` for SimpleNamespace costs more than this class)."""

    def __init__(self, values):
        self.__dict__.update(values)


BARE_DEFAULTS = {"store_true": False, "store_false": True}


def option_dest(flags):
    """argparse's dest of an option: its first long flag, else its first flag, as a name."""
    long = [f for f in flags if f.startswith("--")]
    return (long or flags)[0].lstrip("-").replace("-", "_")


def add_arguments(parser, args):
    groups = {}
    for flags, options in args:
        options = dict(options)
        exclusive = options.pop("exclusive", None)
        target = parser
        if exclusive:
            if exclusive not in groups:
                groups[exclusive] = parser.add_mutually_exclusive_group()
            target = groups[exclusive]
        target.add_argument(*flags, **options)


def main(argv=None):
    """The whole program: split off claude's arguments, run one command, errors in one line."""
    argv, claude_args = split_claude_args(list(sys.argv[1:] if argv is None else argv))
    tolerate_undecodable_output()
    return error_boundary(lambda: run_command(argv, claude_args))


def split_claude_args(argv):
    """Everything after a bare "--" goes to claude untouched (argparse would eat the options)."""
    if "--" not in argv:
        return argv, []
    cut = argv.index("--")
    return argv[:cut], argv[cut + 1 :]


def tolerate_undecodable_output():
    """Names and paths may hold bytes that are not UTF-8 (lone surrogates): print, don't die."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")


def run_command(argv, claude_args):
    if argv == ["status-line"]:
        return cmd_status_line(None)  # tmux runs it every second: skip building the parser
    if argv == ["--version"]:
        print("tclaude " + __version__)  # as argparse's version action prints it
        return 0
    if argv and (argv[0] == "--host" or argv[0].startswith("--host=")):
        return run_on_host(*host_option(argv), claude_args)
    args = bare_args(argv) or build_parser(argv).parse_args(argv)
    if args.group == "session" and host_refs(args):
        return run_host_ref(argv, claude_args, args)
    if claude_args:
        if args.func is not cmd_new:
            raise UserError("only 'session new' passes arguments after -- to claude", code=2)
        args.claude_args = claude_args
    return args.func(args) or 0


def error_boundary(run):
    """Runs ``run``; a UserError is one line and its code, a traceback is a bug shown only on
    request (TCLAUDE_DEBUG=1)."""
    try:
        return run()
    except UserError as exc:
        sys.stderr.write("tclaude: %s\n" % safe_text(str(exc)))
        return exc.code
    except KeyboardInterrupt:
        sys.stderr.write("tclaude: interrupted\n")
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if os.environ.get("TCLAUDE_DEBUG"):
            raise
        sys.stderr.write(
            "tclaude: internal error: %s: %s (run with TCLAUDE_DEBUG=1 for details)\n"
            % (type(exc).__name__, safe_text(one_line(str(exc))))
        )
        return 70


if __name__ == "__main__":
    sys.exit(main())
