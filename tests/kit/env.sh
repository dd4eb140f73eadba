# shellcheck shell=bash
# Source this (bash) to run the real claude offline for tclaude's e2e checks:
#
#   tests/kit/install-claude.sh              # once: npm installs the pinned CLI into a cache dir
#   bash                                     # a throwaway shell: sourcing changes HOME, PATH, ...
#   source tests/kit/env.sh && tclaude session new "$TCLAUDE_KIT_TMP/work"
#   kit_stop; exit
#
# Sourcing makes a temp dir TCLAUDE_KIT_TMP (home/ work/ tmp/ tmux/ stub/), starts stub_api.py on
# 127.0.0.1 (it exits by itself once this shell is gone), seeds home/ as HOME trusting the whole
# temp dir (pytest's tmp_path lands under TMPDIR=tmp/), and exports: HOME, PATH (the kit's claude
# first), ANTHROPIC_BASE_URL, ANTHROPIC_API_KEY (a fake), TMPDIR, XDG_RUNTIME_DIR, a private
# TMUX_TMPDIR (every tmux server started from here lives there), the switches that keep claude
# off the network, and TCLAUDE_KIT_TMP / TCLAUDE_KIT_CLAUDE / TCLAUDE_KIT_STUB_LOG for tests.
# kit_stop kills the tmux servers under that TMUX_TMPDIR and the stub (by the pid it started),
# then removes the temp dir.  Nothing is matched by name.

_kit_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
_kit_claude="$("$_kit_dir/install-claude.sh" --print-only 2>/dev/null)" || _kit_claude=""

kit_stop() {
    local tmp="${TCLAUDE_KIT_TMP:-}" sock pid i
    [ -n "$tmp" ] && [ -f "$tmp/.tclaude-kit" ] || return 0
    for sock in "$tmp"/tmux/*/*; do
        [ -S "$sock" ] && tmux -S "$sock" kill-server >/dev/null 2>&1
    done
    # claude gets SIGHUP and runs its SessionEnd hooks: let them finish before the dir goes
    sleep 1
    pid="$(cat "$tmp/stub/pid" 2>/dev/null)"
    if [ -n "$pid" ] && grep -q stub_api.py "/proc/$pid/cmdline" 2>/dev/null; then
        kill "$pid" 2>/dev/null
        for i in 1 2 3 4 5 6 7 8 9 10; do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
    fi
    case "$PWD/" in "$tmp"/*) cd / || return 1 ;; esac
    rm -rf "$tmp"
    unset TCLAUDE_KIT_TMP
}

_kit_start() {
    local tmp port i key
    if [ -z "$_kit_claude" ] || [ ! -x "$_kit_claude" ]; then
        echo "tests/kit/env.sh: the pinned claude is not installed; run tests/kit/install-claude.sh" >&2
        return 1
    fi
    # a short root keeps the unix socket paths of tmux and claude under their length limit
    tmp="$(mktemp -d /tmp/tclaude-kit.XXXXXX)" || return 1
    : >"$tmp/.tclaude-kit"
    mkdir -p "$tmp/home" "$tmp/work" "$tmp/tmp" "$tmp/tmux" "$tmp/xdg" "$tmp/stub"
    chmod 700 "$tmp/tmux" "$tmp/xdg"
    export TCLAUDE_KIT_TMP="$tmp"
    # in a subshell, so the stub is no job of this shell; it exits with this shell ($$)
    (python3 "$_kit_dir/stub_api.py" --port-file "$tmp/stub/port" --log "$tmp/stub/requests.jsonl" \
        --exit-with-pid "$$" </dev/null >"$tmp/stub/stub.log" 2>&1 &
        echo "$!" >"$tmp/stub/pid")
    i=0
    while [ ! -s "$tmp/stub/port" ] && [ "$i" -lt 50 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    port="$(cat "$tmp/stub/port" 2>/dev/null)"
    if [ -z "$port" ]; then
        echo "tests/kit/env.sh: the stub API did not start: $(cat "$tmp/stub/stub.log")" >&2
        kit_stop
        return 1
    fi
    key="sk-ant-api03-tclaude-kit-fake-key-0000000000000000000000000000000000000000000000000000-AAAAAAAA"
    python3 "$_kit_dir/seed_home.py" "$tmp/home" "$key" "$tmp" || { kit_stop; return 1; }

    export HOME="$tmp/home" PATH="${_kit_claude%/*}:$PATH"
    export ANTHROPIC_BASE_URL="http://127.0.0.1:$port" ANTHROPIC_API_KEY="$key"
    export DISABLE_AUTOUPDATER=1 CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 DISABLE_TELEMETRY=1 \
        DISABLE_ERROR_REPORTING=1 CLAUDE_CODE_DISABLE_FEEDBACK_SURVEY=1
    export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
    unset HTTP_PROXY HTTPS_PROXY http_proxy https_proxy ALL_PROXY all_proxy
    # nothing that sends claude to a real account or config, or marks an outer claude session
    unset ANTHROPIC_AUTH_TOKEN CLAUDE_CODE_OAUTH_TOKEN CLAUDE_CONFIG_DIR CLAUDE_CODE_USE_BEDROCK \
        CLAUDE_CODE_USE_VERTEX CLAUDE_CODE_USE_FOUNDRY CLAUDECODE CLAUDE_CODE_ENTRYPOINT \
        CLAUDE_CODE_SSE_PORT XDG_CONFIG_HOME XDG_CACHE_HOME XDG_DATA_HOME XDG_STATE_HOME \
        TCLAUDE_STATE_DIR TCLAUDE_SESSION_ID
    export TMPDIR="$tmp/tmp" CLAUDE_CODE_TMPDIR="$tmp/tmp" XDG_RUNTIME_DIR="$tmp/xdg"
    export TMUX_TMPDIR="$tmp/tmux"
    unset TMUX TMUX_PANE
    export TCLAUDE_KIT_CLAUDE="$_kit_claude" TCLAUDE_KIT_STUB_LOG="$tmp/stub/requests.jsonl"
}

_kit_start
_kit_rc=$?
unset -f _kit_start
unset _kit_dir _kit_claude
# shellcheck disable=SC2317
return "$_kit_rc" 2>/dev/null || exit "$_kit_rc"
