#!/usr/bin/env bash
# tclaude-hook.sh EVENT -- Claude Code hook that records a tclaude session's status.
#
# The files it writes are the ones README "State files" describes.  Called by claude (via sh -c)
# as `bash '<abs path>/tclaude-hook.sh' <Event>` (what tclaude.py's settings say: no shebang
# lookup), for the events of tclaude.py's HOOK_EVENTS, JSON payload on stdin, env
# TCLAUDE_SESSION_ID, TCLAUDE_STATE_DIR (both always set by tclaude's pane command), CLAUDE_PID.
# Writes ONE line of JSON to <dir>/<id>.status (temp file in the same dir + mv -f):
#   {"v":1,"ts":..,"event":"..","status":"..","since":..,"detail":"..","convId":"..",
#    "claudePid":..,"transcriptPath":"..","reason":".."}
#
# It runs on EVERY tool call, so the hot path is pure bash builtins: no jq/python/sed/grep and
# no $(...) subshells.  The only external commands: `mv -f` (the atomic rename), a background
# `cat` that drains a payload larger than the prefix we parse, and `date +%s` on bash < 4.2.
# It prints nothing, always exits 0, and never waits more than ~2 s on stdin.  What it costs
# is measured by tests/bench_hook.py (make bench).
#
# Portability: bash 3.2 (macOS /bin/bash) and later.  Newer features sit behind fallbacks:
#   EPOCHREALTIME (bash 5)      -> printf '%(%s)T' (bash 4.2) -> date +%s (3.2, one fork)
#   read -N (bash 4.1)          -> read -d '' -n (byte-at-a-time, same result)
#   partial input kept by `read -t` on timeout (bash 4.4) -> older bash drops it (event still
#                                  comes from argv, only the details are lost)

exec >/dev/null 2>&1          # nothing we print may reach claude (stdout is model context)
HOOK_T0=${EPOCHREALTIME-}     # hook start, taken first ("ts"); normalised below
# tests only: TCLAUDE_HOOK_FALLBACKS=1 takes the code paths of bash < 4.1 on a newer bash
hook_old_bash=0
if [[ -n ${TCLAUDE_HOOK_FALLBACKS-} ]]; then hook_old_bash=1 HOOK_T0=; fi
hook_tmp=
hook_cleanup() {
  # only on a signal between writing the temp file and renaming it (rare: one fork)
  if [[ -n $hook_tmp && -f $hook_tmp && ! -L $hook_tmp ]]; then rm -f -- "$hook_tmp"; fi
}
trap 'exit 0' EXIT            # whatever happens (even a fatal expansion error), exit status 0
trap 'hook_cleanup; exit 0' HUP INT TERM
LC_ALL=C                      # bytes, not characters: faster read/regex, byte-exact truncation
umask 077                     # status files are 0600 (README "State files")

# Drain what is left of stdin in the background so claude never gets EPIPE writing a large
# payload (tool events routinely exceed the 64 KiB pipe buffer), without making the hook wait
# for it.  `<&0` is required: bash gives background jobs /dev/null as stdin otherwise.  Its
# stdout/stderr are /dev/null (exec above), so claude does not wait on it; it ends at EOF, i.e.
# when claude closes the pipe (at the latest when claude exits).
drain_stdin() { cat <&0 >/dev/null 2>&1 & }

# Desktop notifications (tclaude notify).  Called after the status file was written, when the
# status changed INTO waiting_input or waiting_permission.
#   $1 = previous status ("" when there was no status file), $2 = new status.
# Off (the default): one file test, nothing started.  tclaude keeps <id>.notify in existence
# exactly while this session notifies (`tclaude notify on|off`, `session new --[no-]notify`).
# A session's first status (SessionStart) is no news: whoever started it is about to use it.
# On: `tclaude _notify` settles, re-reads the status and sends; it is started detached (the
# subshell exits at once, so it is nobody's child), with /dev/null for stdin/stdout/stderr so
# it holds none of claude's pipes, and it ends itself within 20 s.
maybe_notify() {
  [[ -n $1 && -e $hook_dir/$hook_id.notify ]] || return 0
  local bin=${TCLAUDE_BIN-}
  [[ $bin == /* && -f $bin ]] || return 0
  if [[ -x $bin ]]; then
    ("$bin" _notify "$hook_id" "$2" </dev/null >/dev/null 2>&1 &)
  else
    (python3 "$bin" _notify "$hook_id" "$2" </dev/null >/dev/null 2>&1 &)
  fi
  return 0
}

# ---- session, state dir: no-op unless this is a tclaude session with a state file ---------
hook_id=${TCLAUDE_SESSION_ID-}
# ^[a-z0-9][a-z0-9_-]{0,63}$ (README "State files"); refuses "", "../x", "a/b", "." ...
if ! [[ ${#hook_id} -le 64 && $hook_id =~ ^[a-z0-9][a-z0-9_-]*$ ]]; then drain_stdin; exit 0; fi
hook_dir=${TCLAUDE_STATE_DIR-}
# never created here: no dir or no <id>.json means "not ours (any more)"
if [[ -z $hook_dir || ! -f $hook_dir/$hook_id.json ]]; then drain_stdin; exit 0; fi

hook_event=${1-}
case $hook_event in
  # the events of tclaude.py's HOOK_EVENTS, the one list (tests/test_hook.py checks they agree)
  SessionStart | UserPromptSubmit | PreToolUse | PostToolUse | PostToolUseFailure | \
    PermissionRequest | Stop | StopFailure | SessionEnd) ;;
  '') ;; # no argv: the payload's hook_event_name decides (below)
  *)
    # Notification (late and async: it never moves the status; an older tclaude registered
    # it), SubagentStart/Stop (background work), anything unknown or malformed: nothing to record
    drain_stdin
    exit 0
    ;;
esac

# ---- bounded read of the payload prefix ------------------------------------------------------
# claude-controlled keys come first (session_id, transcript_path, cwd, ..., hook_event_name,
# source/reason/tool_name), user/model text later, so a prefix is enough.  With real-looking
# paths (HOME 25 chars, cwd 60) the recorded payloads put the last key we need at byte 340-620.
# read -N (bash >= 4.1) reads in chunks where read -n reads one byte per read(2) from a pipe,
# and a timeout is a must (a stdin that never closes must not hang claude): so read -N with a
# timeout, 1 KiB first, and a second read of 3 KiB only when the key this event needs is missing
# or too close to the end of the first KiB (long paths).  tests/bench_hook.py measures the
# variants.  Worst case with a never-closed stdin: 1 s (or 2 s when the first KiB arrived).
if ((!hook_old_bash && (BASH_VERSINFO[0] > 4 || (BASH_VERSINFO[0] == 4 && BASH_VERSINFO[1] >= 1)))); then
  hook_read_n=1
else
  hook_read_n=0
fi
hook_buf=
hook_rc=1
hook_read() { # $1 = bytes; appends to hook_buf; hook_rc: 0 full, 1 EOF, >128 timeout
  local chunk=
  if ((hook_read_n)); then
    IFS= read -r -N "$1" -t 1 chunk
  else
    IFS= read -r -d '' -n "$1" -t 1 chunk
  fi
  hook_rc=$?
  hook_buf+=$chunk
}

WS=$'[ \t\r\n]*' # JSON whitespace around ':' (raw whitespace is not guaranteed either way)

hook_read 1024
if ((hook_rc == 0)); then
  case $hook_event in
    SessionStart) hook_anchor=source ;;
    UserPromptSubmit) hook_anchor=prompt ;;
    PreToolUse | PostToolUse | PostToolUseFailure | PermissionRequest)
      hook_anchor=tool_input
      ;;
    Stop) hook_anchor=last_assistant_message ;;
    StopFailure) hook_anchor=error ;;
    SessionEnd) hook_anchor=reason ;;
    *) hook_anchor=hook_event_name ;;
  esac
  hook_re="\"$hook_anchor\"$WS:(.*)"
  if ! [[ $hook_buf =~ $hook_re ]] || ((${#BASH_REMATCH[1]} < 256)); then
    hook_read 3072
  fi
fi
# rc 0: the prefix is full, more may follow; rc > 128: timed out, the writer is still there
if ((hook_rc != 1)); then drain_stdin; fi

# ---- field extraction --------------------------------------------------------------------------
# Keys are matched as "key"<ws>:<ws>"  -- a quote inside JSON text always arrives as \" so the
# text of a prompt or command can never fake a key; the first (leftmost) match is the real key
# because claude's own keys come before any text.

# The slow-path patterns, built only when needed (most values are plain ASCII).
set_slow_res() {
  # One JSON string body (raw, still escaped) that is safe to copy verbatim between quotes:
  # printable ASCII but " and \, the JSON escapes, and well-formed UTF-8 (no surrogates/overlongs).
  RE_JSTR='^([]^-~ !#-[]|\\["\\/bfnrt]|\\u[0-9A-Fa-f]{4}'
  RE_JSTR+=$'|[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf][\x80-\xbf]'
  RE_JSTR+=$'|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf][\x80-\xbf]'
  RE_JSTR+=$'|[\xf1-\xf3][\x80-\xbf][\x80-\xbf][\x80-\xbf]|\xf4[\x80-\x8f][\x80-\xbf][\x80-\xbf])*$'
  # (regexes live in single-quoted variables: bash 3.2 and 5.x then read them the same way)
  # a string body up to its closing quote (escape-aware)
  RE_BODY='^(([^"\]|\\.)*)'
  # an escape cut in half at the end: a run of backslashes, maybe with a partial \uXXXX
  RE_CUT_ESC='(\\+)(u[0-9A-Fa-f]{0,3})?$'
  # a \uD800-\uDBFF high surrogate at the end, its low half cut off
  RE_CUT_HIGH='(\\+)u[dD][89abAB][0-9A-Fa-f][0-9A-Fa-f]$'
  # an incomplete UTF-8 sequence at the end of a byte-truncated string
  RE_U8TAIL=$'([\xc0-\xff]|[\xe0-\xff][\x80-\xbf]|[\xf0-\xff][\x80-\xbf][\x80-\xbf])$'
}

# get_tok KEY VALUE_RE: a claude-controlled string value ("key":"value") that must match
# VALUE_RE entirely (and be at most 128 bytes), else nothing.  Result in REPLY.
get_tok() {
  REPLY=
  local re="\"$1\"$WS:$WS\"($2)\""
  [[ $hook_buf =~ $re ]] || return 1
  ((${#BASH_REMATCH[1]} <= 128)) || return 1
  REPLY=${BASH_REMATCH[1]}
}

# get_text KEY MAX: the start of a text value, as raw JSON-escaped bytes, at most MAX bytes,
# cut on an escape / UTF-8 boundary, raw control characters removed, and kept only when it is a
# valid JSON string body.  Result in REPLY; text_full=1 when it is the whole value.
get_text() {
  REPLY=
  text_full=0
  local re="\"$1\"$WS:$WS\"([^\"\\]*)(.?)"
  [[ $hook_buf =~ $re ]] || return 1
  local body=${BASH_REMATCH[1]} v
  if [[ ${BASH_REMATCH[2]} == '"' ]]; then text_full=1; fi
  # fast path: no escape and only printable ASCII (the common case) needs no further checks
  if [[ ${BASH_REMATCH[2]} != "\\" && $body != *[!]-~\ -[]* ]]; then
    if ((${#body} > $2)); then
      REPLY=${body:0:$2}
      text_full=0
    else
      REPLY=$body
    fi
    return 0
  fi
  set_slow_res
  if [[ ${BASH_REMATCH[2]} == "\\" ]]; then
    # escapes: walk a bounded piece of the value with an escape-aware pattern
    re="\"$1\"$WS:$WS\"(.*)"
    [[ $hook_buf =~ $re ]] || return 1
    v=${BASH_REMATCH[1]:0:$2+16}
    [[ $v =~ $RE_BODY ]] || return 1
    body=${BASH_REMATCH[1]}
    if [[ ${v:${#body}:1} == '"' ]]; then text_full=1; fi
  fi
  body=${body//[[:cntrl:]]/}
  if ((${#body} > $2)); then
    body=${body:0:$2}
    text_full=0
  fi
  if ((!text_full)); then
    # an escape cut in half: odd run of backslashes at the end, maybe with a partial \uXXXX
    if [[ $body =~ $RE_CUT_ESC ]] && ((${#BASH_REMATCH[1]} % 2)); then
      body=${body:0:${#body}-${#BASH_REMATCH[2]}-1}
    fi
    # a high surrogate whose low half was cut off
    if [[ $body =~ $RE_CUT_HIGH ]] && ((${#BASH_REMATCH[1]} % 2)); then
      body=${body:0:${#body}-6}
    fi
    if [[ $body =~ $RE_U8TAIL ]]; then
      body=${body:0:${#body}-${#BASH_REMATCH[1]}}
    fi
  fi
  [[ $body =~ $RE_JSTR ]] || return 1
  REPLY=$body
  return 0
}

if [[ -z $hook_event ]] && get_tok hook_event_name '[A-Z][A-Za-z]+'; then
  hook_event=$REPLY
fi

hook_status=
hook_detail=
hook_reason=
case $hook_event in
  SessionStart)
    get_tok source '[a-z_]+'
    # compact happens inside a turn: keep whatever status we had (no write at all)
    if [[ $REPLY == compact ]]; then exit 0; fi
    hook_status=waiting_input
    ;;
  UserPromptSubmit)
    hook_status=running
    if get_text prompt 80; then
      if [[ $REPLY == '<task-notification>'* ]]; then
        hook_detail='background task finished'
      else
        hook_detail=$REPLY
      fi
    fi
    ;;
  PreToolUse | PostToolUse | PostToolUseFailure | PermissionRequest)
    if [[ $hook_event == PermissionRequest ]]; then
      hook_status=waiting_permission
    else
      hook_status=running
    fi
    # A subagent's tool call carries "agent_id" among claude's keys, i.e. before "tool_input"
    # (a key of that name inside the tool's input or response must not count).  The main
    # thread's status comes from UserPromptSubmit/Stop: leave it alone.
    hook_re="\"agent_id\"$WS:$WS\""
    if [[ $hook_event != PermissionRequest && $hook_buf =~ $hook_re ]]; then
      hook_re="\"tool_input\"$WS:"
      if ! [[ $hook_buf =~ $hook_re ]]; then exit 0; fi
      hook_re="\"agent_id\"$WS:$WS\".*\"tool_input\"$WS:"
      if [[ $hook_buf =~ $hook_re ]]; then exit 0; fi
    fi
    if get_tok tool_name '[A-Za-z][A-Za-z0-9_.:-]*'; then
      hook_tool=$REPLY
      case $hook_tool in
        Bash) hook_key='command' ;;
        Edit | MultiEdit | Write | Read) hook_key=file_path ;;
        NotebookEdit) hook_key=notebook_path ;;
        WebFetch) hook_key=url ;;
        WebSearch) hook_key=query ;;
        Grep | Glob) hook_key=pattern ;;
        AskUserQuestion) hook_key=question ;; # tool_input.questions[0].question
        Agent | Task) hook_key=description ;;
        Skill) hook_key=skill ;;
        *) hook_key= ;;
      esac
      hook_detail=$hook_tool
      # none of these keys exists among claude's own top-level keys, so the first match is
      # inside tool_input, which comes before tool_response
      if [[ -n $hook_key ]] && get_text "$hook_key" 80; then
        hook_detail+=": $REPLY"
      fi
    fi
    ;;
  Stop)
    hook_status=waiting_input
    if get_text last_assistant_message 80; then hook_detail=$REPLY; fi
    ;;
  StopFailure)
    hook_status=waiting_input
    hook_detail=error
    if get_text error 80; then hook_detail+=": $REPLY"; fi
    ;;
  SessionEnd)
    get_tok reason '[a-z_]+'
    # /clear and /resume switch conversations inside the same live process
    if [[ $REPLY == clear || $REPLY == resume ]]; then exit 0; fi
    hook_status=exited
    hook_reason=$REPLY
    hook_detail='exit'
    if [[ -n $hook_reason ]]; then hook_detail+=": $hook_reason"; fi
    ;;
  *)
    exit 0 # an event we do not track
    ;;
esac

hook_conv=
if get_tok session_id '[A-Za-z0-9_-]+'; then hook_conv=$REPLY; fi
hook_tpath=
if get_text transcript_path 1024 && ((text_full)); then hook_tpath=$REPLY; fi
hook_pid=${CLAUDE_PID-}
if ! [[ ${#hook_pid} -le 10 && $hook_pid =~ ^[1-9][0-9]*$ ]]; then hook_pid=; fi

# ---- time stamps -------------------------------------------------------------------------------
# EPOCHREALTIME is "sec.usec"; some locales print "sec,usec" (it was read before LC_ALL=C).
# Times are compared as integer microseconds (bash has no floats; 64-bit arithmetic).
hook_ts=${HOOK_T0/,/.}
if [[ ${#hook_ts} -le 22 && $hook_ts =~ ^([1-9][0-9]+)(\.([0-9]+))?$ ]]; then
  hook_f=${BASH_REMATCH[3]}000000
  hook_us=$((10#${BASH_REMATCH[1]} * 1000000 + 10#${hook_f:0:6}))
else
  if ((!hook_old_bash && (BASH_VERSINFO[0] > 4 || (BASH_VERSINFO[0] == 4 && BASH_VERSINFO[1] >= 2)))); then
    printf -v hook_ts '%(%s)T' -1 # bash 4.2-4.4: whole seconds, no fork
  else
    hook_ts=$(date +%s) # bash < 4.2 only (macOS /bin/bash): one fork
  fi
  [[ ${#hook_ts} -le 12 && $hook_ts =~ ^[1-9][0-9]+$ ]] || exit 0
  hook_us=$((10#$hook_ts * 1000000))
fi

# ---- previous status: ordering guard, "since", and keys this payload did not give ------------
# The file is written only by this hook, so its first keys are always in this order.
hook_file=$hook_dir/$hook_id.status
hook_old=
if [[ -f $hook_file ]]; then
  IFS= read -r hook_old <"$hook_file" || :
fi
hook_old_status=
hook_since=$hook_ts
hook_re='^\{"v":1,"ts":([1-9][0-9]+)(\.([0-9]+))?,"event":"[A-Za-z]*","status":"([a-z_]+)",'
hook_re+='"since":([1-9][0-9]+(\.[0-9]+)?)[,}]'
if [[ -n $hook_old && $hook_old =~ $hook_re ]] && ((${#BASH_REMATCH[1]} <= 12 && ${#BASH_REMATCH[5]} <= 24)); then
  hook_f=${BASH_REMATCH[3]}000000
  # a hook that started later already wrote: never overwrite newer news with older
  if ((10#${BASH_REMATCH[1]} * 1000000 + 10#${hook_f:0:6} > hook_us)); then exit 0; fi
  hook_old_status=${BASH_REMATCH[4]}
  if [[ $hook_old_status == "$hook_status" ]]; then hook_since=${BASH_REMATCH[5]}; fi
  if [[ -z $hook_conv ]]; then
    hook_re='"convId":"([A-Za-z0-9_-]+)"'
    if [[ $hook_old =~ $hook_re ]]; then hook_conv=${BASH_REMATCH[1]}; fi
  fi
  if [[ -z $hook_tpath ]]; then
    hook_re='"transcriptPath":"([^"\]*)"'
    if [[ $hook_old =~ $hook_re ]]; then
      hook_v=${BASH_REMATCH[1]} # (saved: the next =~ overwrites BASH_REMATCH)
      set_slow_res
      if [[ $hook_v =~ $RE_JSTR ]]; then hook_tpath=$hook_v; fi
    fi
  fi
fi

# ---- write: temp file in the same dir, then an atomic rename -----------------------------------
hook_line="{\"v\":1,\"ts\":$hook_ts,\"event\":\"$hook_event\",\"status\":\"$hook_status\""
hook_line+=",\"since\":$hook_since"
if [[ -n $hook_detail ]]; then hook_line+=",\"detail\":\"$hook_detail\""; fi
if [[ -n $hook_conv ]]; then hook_line+=",\"convId\":\"$hook_conv\""; fi
if [[ -n $hook_pid ]]; then hook_line+=",\"claudePid\":$hook_pid"; fi
if [[ -n $hook_tpath ]]; then hook_line+=",\"transcriptPath\":\"$hook_tpath\""; fi
if [[ -n $hook_reason ]]; then hook_line+=",\"reason\":\"$hook_reason\""; fi
hook_line+='}'

# (a directory in the way would swallow the file: `mv -f tmp dir` moves it inside)
if [[ -d $hook_file ]]; then exit 0; fi
hook_tmp=$hook_dir/.$hook_id.status.$$
# The temp file must be ours: noclobber makes `>` create it with O_EXCL (never through a
# planted symlink, never into someone's file).  But for a name that exists and is not a regular
# file (a link to a FIFO or a device) bash opens what is there, so such a leftover goes first:
# rm removes the link itself, never its target (one fork, only in that odd case).
if [[ -e $hook_tmp || -L $hook_tmp ]]; then rm -f -- "$hook_tmp"; fi
set -o noclobber
if printf '%s\n' "$hook_line" >"$hook_tmp" && mv -f -- "$hook_tmp" "$hook_file"; then
  hook_tmp=
  if [[ $hook_status != "$hook_old_status" ]]; then
    case $hook_status in
      waiting_input | waiting_permission) maybe_notify "$hook_old_status" "$hook_status" ;;
    esac
  fi
else
  hook_cleanup # read-only dir, disk full...: leave no temp file behind
fi
exit 0
