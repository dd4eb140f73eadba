"""README is the guide and --help the manual: what they show must exist.

Every `tclaude ...` command line in README.md (code blocks, inline code, the command table) and
in each command's --help examples must name a real command with flags that command accepts;
every command has an epilog with an example of itself; docs/tclaude.1 is what
tests/make_man.py writes.  The parser is built in-process from tclaude.py's command table.
"""

import argparse
import os
import re
import subprocess
import sys

import pytest
from conftest import ROOT

sys.path.insert(0, ROOT)
import tclaude

README = os.path.join(ROOT, "README.md")
ALT = "\x00"  # stands for an escaped \| (alternatives in a table cell), not a shell pipe


def subcommands(parser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices
    return {}


def option_strings(parser):
    return {flag for action in parser._actions for flag in action.option_strings}


def code_spans(markdown):
    """The text of every fenced code block line and every `inline` span."""
    fenced = re.findall(r"^```[^\n]*\n(.*?)^```", markdown, re.M | re.S)
    rest = re.sub(r"^```[^\n]*\n.*?^```", "", markdown, flags=re.M | re.S)
    return [line for block in fenced for line in block.split("\n")] + re.findall(
        r"`([^`\n]+)`", rest
    )


def command_lines(texts):
    """Each `tclaude ...` invocation in ``texts`` as a list of words (without `tclaude`)."""
    found = []
    for text in texts:
        text = text.replace("\\|", ALT)
        for piece in re.split(r"\s\|\s|&&|;|\s<\s|\s#|\$\(|#\(", text):
            match = re.search(r"(?:^|[\s$])tclaude\s+(.*)", piece)
            if match:
                found.append(match.group(1).split())
    return found


def check_invocation(parser, words):
    """Problems with one shown invocation: unknown command words or flags ([] when fine)."""
    paths = [([], parser)]
    rest = list(words)
    if rest[:1] == ["--host"] and "--host" in option_strings(parser):
        rest = rest[2:]  # the one option before the command: tclaude --host NAME session ...
    while rest and subcommands(paths[0][1]):
        word = rest[0].strip("[]()")
        if not re.fullmatch(r"[a-z_][a-z-]*(%s[a-z_][a-z-]*)*" % ALT, word):
            break  # a placeholder such as … or <cmd>: nothing to check
        expanded = []
        for path, sub in paths:
            for alt in word.split(ALT):
                if alt not in subcommands(sub):
                    return ["unknown command: tclaude %s" % " ".join([*path, alt])]
                expanded.append(([*path, alt], subcommands(sub)[alt]))
        paths, rest = expanded, rest[1:]
    problems = []
    for token in rest:
        if token == "--":
            break  # claude's own arguments follow
        for flag in re.split(ALT + "|=", token.strip("[]()`,")):
            flag = flag.strip("[]()")
            if not re.fullmatch(r"--?[A-Za-z][\w-]*", flag):
                continue
            for path, sub in paths:
                if flag not in option_strings(sub) | {"-h", "--help"}:
                    problems.append("tclaude %s has no option %s" % (" ".join(path), flag))
    return problems


@pytest.fixture(scope="module")
def parser():
    return tclaude.build_parser()


@pytest.fixture(scope="module")
def readme_commands():
    with open(README, encoding="utf-8") as fh:
        return command_lines(code_spans(fh.read()))


def test_every_command_readme_shows_exists_with_the_flags_it_shows(parser, readme_commands):
    problems = [p for words in readme_commands for p in check_invocation(parser, words)]
    assert problems == []


def test_the_check_catches_an_unknown_flag_and_an_unknown_command(parser):
    lines = command_lines(["$ tclaude session ls --jsn", "tclaude session lss", "tclaude x\\|ls"])
    assert [check_invocation(parser, words) for words in lines] == [
        ["tclaude session ls has no option --jsn"],
        ["unknown command: tclaude session lss"],
        ["unknown command: tclaude x"],
    ]


def leaf_names(parser, path=()):
    subs = subcommands(parser)
    if not subs:
        return [" ".join(path)]
    return [n for name, sub in subs.items() if not name.startswith("_") for n in
            leaf_names(sub, (*path, name))]  # fmt: skip


def test_the_readme_shows_every_command(parser, readme_commands):
    shown = set()
    for words in readme_commands:
        path = []
        for word in words:
            alts = word.split(ALT)
            if not all(re.fullmatch(r"[a-z][a-z-]*", a) for a in alts):
                break
            path.append(alts)
        prefixes = [[]]
        for alts in path:
            prefixes = [[*p, a] for p in prefixes for a in alts]
        shown.update(" ".join(p) for p in prefixes)
    missing = [name for name in leaf_names(parser) if name not in shown]
    assert missing == []


VISIBLE_ROWS = [row for row in tclaude.command_table() if row.help]


def example_lines(row):
    """The invocations the epilog's "examples:" part shows: lines that run tclaude (`$ tclaude
    ...`, `tclaude ...`, `... | tclaude ...`), not the output lines between them."""
    parts = re.split(r"(?:^|\n)examples:\n", row.epilog or "", maxsplit=1)
    lines = parts[1].split("\n") if len(parts) == 2 else []
    runs = [line for line in lines if re.match(r"\s*(\$ )?tclaude |\s*\S.* \| tclaude ", line)]
    return command_lines(runs)


@pytest.mark.parametrize("row", VISIBLE_ROWS, ids=[row.name for row in VISIBLE_ROWS])
def test_every_command_has_an_epilog_with_an_example_of_itself(row):
    shown = [" ".join(words) for words in example_lines(row)]
    assert any(line == row.name or line.startswith(row.name + " ") for line in shown), shown


@pytest.mark.parametrize("row", VISIBLE_ROWS, ids=[row.name for row in VISIBLE_ROWS])
def test_the_examples_in_help_use_real_commands_and_flags(parser, row):
    lines = example_lines(row)
    assert lines and [p for words in lines for p in check_invocation(parser, words)] == []


@pytest.mark.parametrize("row", VISIBLE_ROWS, ids=[row.name for row in VISIBLE_ROWS])
def test_help_prints_the_epilog(row):
    proc = subprocess.run(
        [sys.executable, os.path.join(ROOT, "tclaude.py"), *row.words, "--help"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 0 and row.epilog.strip() in proc.stdout


def test_the_committed_man_page_is_up_to_date():
    proc = subprocess.run(
        [sys.executable, os.path.join(ROOT, "tests", "make_man.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
