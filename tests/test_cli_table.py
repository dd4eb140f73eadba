"""The command table in tclaude.py section 14: one parser built from it, only as much as a run
needs."""

import argparse
import subprocess
import sys

import pytest
from conftest import ROOT

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
