#!/bin/sh
# Install tclaude: run Claude Code sessions detached in tmux.
#
#   curl -fsSL <raw base url>/install.sh | sh                  # download and install
#   curl -fsSL <raw base url>/install.sh | sh -s -- --uninstall
#   ./install.sh                                              # from a checkout
#   ./install.sh --uninstall
#
# Installs into ${TCLAUDE_INSTALL_DIR:-$HOME/.tofu/bin}:
#   tclaude.py        the program (run bit set)
#   tclaude-hook.sh   the Claude Code hook; tclaude.py finds it beside its own real path
#   tclaude           a small launcher (written here) that runs python3 -S to import tclaude.py, so
#                     Python caches its compiled bytecode in __pycache__/tclaude.*.pyc
#                     (a script run directly is recompiled on every call, and
#                     `tclaude status-line` runs every second); an older install's
#                     `tclaude -> tclaude.py` symlink is replaced by it
# From a checkout (tclaude.py and tclaude-hook.sh beside this script) the files are copied;
# otherwise they are downloaded from ${TCLAUDE_REPO_URL} with curl or wget.
# --uninstall removes exactly those three names (a `tclaude` only if install.sh made it) and
# the __pycache__/tclaude.*.pyc cache, nothing else: your sessions' state in
# ~/.tofu/claude-sessions is never touched.

# The raw-file base URL of the tclaude repository (where tclaude.py sits); set
# TCLAUDE_REPO_URL to override.  Placeholder until the project has a public home.
TCLAUDE_DEFAULT_REPO_URL="https://example.invalid/tclaude/raw/main"

set -eu

PROG="install.sh"
FILES="tclaude.py tclaude-hook.sh"
LINK="tclaude"
# The second line of the launcher install.sh writes as $LINK: how it knows its own.
MARKER="# tclaude launcher written by install.sh"

say() { printf '%s\n' "$*"; }
warn() { printf '%s: warning: %s\n' "$PROG" "$*" >&2; }
die() {
    printf '%s: error: %s\n' "$PROG" "$*" >&2
    exit 1
}

usage() {
    cat <<'USAGE'
usage: install.sh [--uninstall] [--help]

Installs tclaude.py, tclaude-hook.sh and a `tclaude` launcher (which imports
tclaude.py, so Python caches its bytecode in __pycache__) into
${TCLAUDE_INSTALL_DIR:-$HOME/.tofu/bin}. Run from a checkout, it copies the files
beside it; piped from curl (curl -fsSL URL/install.sh | sh), it downloads them from
$TCLAUDE_REPO_URL with curl or wget. Re-running it upgrades in place.

  --uninstall   remove those three files and tclaude's __pycache__ entries
                (session state in ~/.tofu is kept)
  -h, --help    show this help

Environment:
  TCLAUDE_INSTALL_DIR   where to install (default: $HOME/.tofu/bin)
  TCLAUDE_REPO_URL      raw base URL to download tclaude.py and tclaude-hook.sh from
USAGE
}

# Files are staged as .<name>.tmp.<pid> in the target dir (then mv'd over their names);
# whatever is left of them goes on any exit.
STAGE_DIR=""
cleanup() {
    [ -n "$STAGE_DIR" ] || return 0
    for f in $FILES $LINK; do
        rm -f "$STAGE_DIR/.$f.tmp.$$"
    done
}

install_dir() {
    d="${TCLAUDE_INSTALL_DIR:-}"
    if [ -z "$d" ]; then
        [ -n "${HOME:-}" ] || die "HOME is not set; set TCLAUDE_INSTALL_DIR"
        d="$HOME/.tofu/bin"
    fi
    case "$d" in
        /*) ;;
        *) d="$(pwd)/$d" ;;
    esac
    printf '%s\n' "$d"
}

# The checkout this script sits in, if it was run as a file with the sources beside it.
source_dir() {
    case "$0" in
        install.sh | */install.sh) ;;
        *) return 0 ;;
    esac
    [ -f "$0" ] || return 0
    d="$(cd "$(dirname "$0")" && pwd)" || return 0
    for f in $FILES; do
        [ -f "$d/$f" ] || return 0
    done
    printf '%s\n' "$d"
}

check_python() {
    if ! command -v python3 >/dev/null 2>&1; then
        die "python3 not found; tclaude needs Python 3.8 or newer on PATH"
    fi
    if ver="$(python3 -c 'import sys; print("%d.%d.%d" % sys.version_info[:3]); sys.exit(0 if sys.version_info >= (3, 8) else 1)' </dev/null 2>/dev/null)"; then
        say "python3 $ver found"
    else
        die "python3 ${ver:-(unknown version)} is too old; tclaude needs Python 3.8 or newer"
    fi
}

check_tmux() {
    if command -v tmux >/dev/null 2>&1; then
        say "$(tmux -V </dev/null 2>/dev/null || echo tmux) found"
        return 0
    fi
    warn "tmux not found; tclaude needs it to run sessions. Install it with one of:"
    {
        say "    sudo apt-get install tmux    # Debian, Ubuntu"
        say "    sudo dnf install tmux        # Fedora, RHEL"
        say "    sudo pacman -S tmux          # Arch"
        say "    brew install tmux            # macOS (Homebrew)"
    } >&2
}

# is_launcher PATH: PATH is a regular file holding the launcher install.sh writes.
is_launcher() {
    [ -f "$1" ] && [ ! -L "$1" ] || return 1
    n=0
    while [ "$n" -lt 3 ] && IFS= read -r line; do
        [ "$line" = "$MARKER" ] && return 0
        n=$((n + 1))
    done <"$1"
    return 1
}

# is_old_link PATH: PATH is the `tclaude -> tclaude.py` symlink older installs made.
is_old_link() {
    [ -L "$1" ] || return 1
    case "$(ls -ld "$1" 2>/dev/null)" in
        *" -> tclaude.py" | *" -> $(dirname "$1")/tclaude.py") return 0 ;;
    esac
    return 1
}

# write_launcher PATH: the launcher, mode 755.  sys.path[0] is the launcher's real dir, so
# `import tclaude` finds the tclaude.py beside it before any other module of that name.
# It is sh and Python at once: sh runs its third line (python3 from PATH, as
# `#!/usr/bin/env python3` would find it, plus -S, which a shebang through env cannot pass
# portably); to Python that line is a string, a no-op.
write_launcher() {
    cat >"$1" <<EOF || return 1
#!/bin/sh
$MARKER
"exec" "python3" "-S" "\$0" "\$@"
# python3 -S: no site module.  tclaude is standard library only, and site (site-packages,
# their .pth files, sitecustomize) costs a third of a bare start-up, which status-line pays
# every second.  Importing tclaude.py (instead of running it as a script) lets Python cache
# its compiled bytecode in __pycache__ beside it: a script run directly is recompiled each time.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import tclaude  # noqa: E402

sys.exit(tclaude.main())
EOF
    chmod 755 "$1"
}

# remove_bytecode DIR [say]: delete tclaude.py's cached bytecode, and __pycache__ if that
# empties it; with "say", report each file removed.  Sets pycs_removed to their number.
remove_bytecode() {
    pycs_removed=0
    for pyc in "$1"/__pycache__/tclaude.*.pyc; do
        [ -f "$pyc" ] || continue
        rm -f "$pyc" || return 1
        pycs_removed=$((pycs_removed + 1))
        if [ "${2:-}" = say ]; then
            say "removed $pyc"
        fi
    done
    if [ -d "$1/__pycache__" ]; then
        rmdir "$1/__pycache__" 2>/dev/null || true
    fi
}

# fetch URL DEST
fetch() {
    if command -v curl >/dev/null 2>&1; then
        curl -fsSL "$1" -o "$2" </dev/null
    elif command -v wget >/dev/null 2>&1; then
        wget -q -O "$2" "$1" </dev/null
    else
        die "neither curl nor wget found; install one, or run ./install.sh from a checkout"
    fi
}

do_install() {
    dir="$(install_dir)"
    src="$(source_dir)"
    check_python
    check_tmux

    if [ -z "$src" ]; then
        base="${TCLAUDE_REPO_URL:-$TCLAUDE_DEFAULT_REPO_URL}"
        base="${base%/}"
        case "$base" in
            *example.invalid*) die "no download URL configured; set TCLAUDE_REPO_URL to the raw base URL of the tclaude repository, or run ./install.sh from a checkout" ;;
        esac
    fi

    mkdir -p "$dir" || die "cannot create $dir"
    [ -w "$dir" ] || die "$dir is not writable"
    STAGE_DIR="$dir"

    # Stage every file first, so a failed download leaves any previous install intact.
    staged=""
    for f in $FILES; do
        tmp="$dir/.$f.tmp.$$"
        # a name left by an earlier run with this pid (or a planted link): never write through it
        rm -f "$tmp" || die "cannot remove $tmp"
        if [ -n "$src" ]; then
            cp "$src/$f" "$tmp" || die "cannot copy $src/$f to $dir"
        else
            fetch "$base/$f" "$tmp" || die "download of $base/$f failed"
        fi
        first=""
        IFS= read -r first <"$tmp" || true
        case "$first" in
            "#!"*) ;;
            *) die "$f from ${src:-$base} is not a script (no #! line)" ;;
        esac
        chmod 755 "$tmp"
        staged="$staged $f"
    done
    for f in $staged; do
        mv -f "$dir/.$f.tmp.$$" "$dir/$f" || die "cannot write $dir/$f"
    done

    # Bytecode cached for the previous tclaude.py could pass for the new one's (Python checks
    # the source's size and its mtime in whole seconds): drop it.
    remove_bytecode "$dir" || warn "cannot remove stale bytecode in $dir/__pycache__"

    target="$dir/$LINK"
    if [ -d "$target" ]; then
        die "$target is a directory; move it away and re-run install.sh"
    fi
    if { [ -e "$target" ] || [ -L "$target" ]; } && ! is_launcher "$target" && ! is_old_link "$target"; then
        warn "replacing $target (not made by install.sh) with the tclaude launcher"
    fi
    tmp="$dir/.$LINK.tmp.$$"
    rm -f "$tmp"
    write_launcher "$tmp" || die "cannot write the launcher in $dir"
    mv -f "$tmp" "$target" || die "cannot write $target"

    say "installed tclaude into $dir (from ${src:-$base})"
    case ":${PATH:-}:" in
        *":$dir:"*) say "run: tclaude --help" ;;
        *)
            show="$dir"
            if [ -n "${HOME:-}" ]; then
                case "$dir" in
                    "$HOME"/*) show="\$HOME${dir#"$HOME"}" ;;
                esac
            fi
            say "$dir is not on your PATH; add this line to your ~/.bashrc, ~/.zshrc or ~/.profile:"
            say "    export PATH=\"$show:\$PATH\""
            ;;
    esac
}

do_uninstall() {
    dir="$(install_dir)"
    removed=0
    for f in $FILES; do
        if [ -f "$dir/$f" ] || [ -L "$dir/$f" ]; then
            rm -f "$dir/$f" || die "cannot remove $dir/$f"
            say "removed $dir/$f"
            removed=$((removed + 1))
        fi
    done
    if is_launcher "$dir/$LINK" || is_old_link "$dir/$LINK"; then
        rm -f "$dir/$LINK" || die "cannot remove $dir/$LINK"
        say "removed $dir/$LINK"
        removed=$((removed + 1))
    elif [ -e "$dir/$LINK" ] || [ -L "$dir/$LINK" ]; then
        warn "left $dir/$LINK in place: it is not the launcher install.sh writes"
    fi
    remove_bytecode "$dir" say || die "cannot remove tclaude's bytecode in $dir/__pycache__"
    removed=$((removed + pycs_removed))
    if [ "$removed" -eq 0 ]; then
        say "nothing to remove in $dir"
    else
        say "tclaude uninstalled (session state in ~/.tofu/claude-sessions was kept)"
    fi
}

main() {
    action=install
    for arg in "$@"; do
        case "$arg" in
            --uninstall) action=uninstall ;;
            -h | --help)
                usage
                return 0
                ;;
            *)
                printf '%s: error: unknown option %s (try --help)\n' "$PROG" "$arg" >&2
                exit 2
                ;;
        esac
    done
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    if [ "$action" = uninstall ]; then
        do_uninstall
    else
        do_install
    fi
}

# Everything runs from here, so a truncated download (curl | sh) executes nothing.
main "$@"
