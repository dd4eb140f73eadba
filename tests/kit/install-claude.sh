#!/usr/bin/env bash
# Installs the pinned real claude CLI for tclaude's e2e checks (once) and prints its path.
#
#   tests/kit/install-claude.sh               ->  <cache>/node_modules/.bin/claude on stdout
#   tests/kit/install-claude.sh --print-only  ->  the same path if it is there, else exit 1
#
# <cache> is $TCLAUDE_KIT_CACHE, default ${XDG_CACHE_HOME:-~/.cache}/tclaude-kit/claude-<version>.
# Only npm and its registry are used, and only the cache dir is written.  2.1.x ships a native
# binary (~400 MB) per platform as an optionalDependency, hence --include=optional; npm's
# EBADENGINE warning (the package asks for node >= 22) is harmless: node never runs it.
set -euo pipefail

version="2.1.331" # the version tests/e2e and tests/samples were checked against
cache="${TCLAUDE_KIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tclaude-kit/claude-$version}"
bin="$cache/node_modules/.bin/claude"

say() { printf 'install-claude.sh: %s\n' "$*" >&2; }

# "2.1.331 (Claude Code)" from a throwaway HOME, so the check never touches the user's ~/.claude.
reported_version() {
    local home out
    home="$(mktemp -d)"
    out="$(HOME="$home" DISABLE_AUTOUPDATER=1 CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 \
        "$bin" --version </dev/null 2>/dev/null)" || out=""
    rm -rf "$home"
    printf '%s\n' "${out%% *}"
}

if [ "${1:-}" = --print-only ]; then
    [ -x "$bin" ] && printf '%s\n' "$bin"
    exit
fi
if [ -x "$bin" ] && [ "$(reported_version)" = "$version" ]; then
    printf '%s\n' "$bin"
    exit 0
fi
command -v npm >/dev/null 2>&1 || {
    say "npm is needed once to install @anthropic-ai/claude-code@$version (apt-get install npm)"
    exit 2
}
mkdir -p "$cache"
# a package.json of its own keeps npm from walking up into an enclosing project
[ -f "$cache/package.json" ] || printf '{"name":"tclaude-kit","private":true}\n' >"$cache/package.json"
say "installing @anthropic-ai/claude-code@$version into $cache (about 400 MB, once)"
(cd "$cache" && npm install --no-audit --no-fund --loglevel=error --include=optional \
    "@anthropic-ai/claude-code@$version" >&2) || {
    say "npm install failed (network, registry or disk space?)"
    exit 1
}
have="$(reported_version)"
if [ "$have" != "$version" ]; then
    say "$bin reports '${have:-nothing}', want $version (no native package for $(uname -sm)?)"
    exit 1
fi
printf '%s\n' "$bin"
