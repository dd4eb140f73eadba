"""The command table in tclaude.py section 14: one parser built from it, only as much as a run
needs."""

import argparse
import subprocess
import sys

import pytest
from conftest import ROOT, fake_sessions

sys.path.insert(0, ROOT)
import tclaude


def subcommands(parser):
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices


def choices(parser, *words):
    for word in words:
        parser = subcommands(parser)[word]
    return set(subcommands(parser))


@pytest.mark.parametrize(
    "argv, top, below",
    [
        (["session", "ls", "--json"], {"session"}, {"ls"}),
        (["session", "new", "--name", "x"], {"session"}, {"new"}),
        (["hooks", "install", "--dry-run"], {"hooks"}, {"print", "install", "uninstall"}),
    ],
)
def test_a_run_builds_only_the_command_it_names(argv, top, below):
    parser = tclaude.build_parser(argv)
    assert choices(parser) == top
    assert choices(parser, argv[0]) == below


def test_an_unknown_word_gets_the_whole_tree_to_say_what_exists():
    parser = tclaude.build_parser(["session", "frobnicate"])
    assert {"new", "ls", "watch", "adopt"} <= choices(parser, "session")
    assert {"session", "hooks", "doctor", "notify", "status-line"} <= choices(parser)


def test_every_row_of_the_table_is_a_command_of_the_parser():
    parser = tclaude.build_parser()
    for row in tclaude.command_table():
        *group, name = row.words
        assert name in choices(parser, *group), row.name


def test_session_new_usage_shows_the_notify_choice_and_claudes_arguments(capsys):
    parser = tclaude.build_parser(["session", "new", "--help"])
    with pytest.raises(SystemExit):
        parser.parse_args(["session", "new", "--help"])
    usage = " ".join(capsys.readouterr().out.split("\n\n")[0].split())
    assert "[--notify | --no-notify]" in usage and usage.endswith("[-- CLAUDE_ARGS...]")


def test_status_line_never_imports_argparse(sandbox):
    code = "import sys, tclaude; tclaude.main(['status-line']); print('argparse' in sys.modules)"
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=sandbox.env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.stdout.split() == ["False"], proc.stderr


BARE = [row.words for row in tclaude.command_table() if row.func and tclaude.bare_args(row.words)]


@pytest.mark.parametrize("words", BARE, ids=" ".join)
def test_a_bare_command_gets_the_arguments_argparse_would_give(words):
    assert vars(tclaude.bare_args(words)) == vars(tclaude.build_parser(words).parse_args(words))


def test_ls_and_watch_and_status_line_are_run_without_argparse():
    assert {"session ls", "session watch", "status-line"} <= {" ".join(w) for w in BARE}
    assert tclaude.bare_args(["session", "ls", "--json"]) is None  # an option: argparse
    assert tclaude.bare_args(["session", "kill"]) is None  # a positional: argparse says it lacks


@pytest.mark.parametrize("argv", [["status-line"], ["session", "ls"], ["--version"]])
def test_the_everyday_runs_import_neither_argparse_nor_re_nor_json(sandbox, argv):
    fake_sessions(sandbox, [{"sid": "0000000%d" % i, "status": s} for i, s in enumerate(
        ("running", "waiting_input", "waiting_permission", "exited"))])  # fmt: skip
    sandbox.run("session", "ls", check=True)  # records the exit (a write: that needs json)
    code = (
        "import sys, tclaude; tclaude.main(%r); "
        "print(sorted({'argparse', 're', 'json'} & set(sys.modules)))" % argv
    )
    proc = subprocess.run(
        [sys.executable, "-S", "-c", code],
        cwd=ROOT,
        env=sandbox.env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.stdout.splitlines()[-1] == "[]", proc.stdout + proc.stderr
