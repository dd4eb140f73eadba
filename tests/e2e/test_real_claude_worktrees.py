"""session new --worktree against the REAL claude CLI, offline (tests/kit, `make e2e`).

What docs/design.md ("Worktrees") relies on: claude runs in a worktree tclaude made as in any
directory (its tool writes land there, not in the main checkout), and its /exit neither asks
about nor removes a worktree it did not make (unlike `claude -w`, which removes a clean one
and offers to remove a dirty one).  Skipped unless the kit's env is armed (real_claude.py).
"""

import json
import os
import subprocess

from real_claude import pytestmark, screen, session, tclaude, view, wait, wait_status

assert pytestmark and session  # used by pytest: the module's marks, a fixture by name


def git(cwd, *args):
    return subprocess.run(
        ["git", *args], cwd=str(cwd), check=True, capture_output=True, text=True
    ).stdout


def as_repo(project):
    git(project, "init", "-q", "-b", "main")
    git(project, "config", "user.email", "t@example.com")
    git(project, "config", "user.name", "T")
    (project / "a.txt").write_text("a\n")
    git(project, "add", ".")
    git(project, "commit", "-qm", "init")
    trust(project)


def trust(repo):
    """Accept claude's trust dialog for ``repo``, as running claude there once would: in a git
    repo claude looks trust up by the repo's root (a trusted parent folder does not count), and
    for a worktree by its main checkout's (docs/design.md, "Worktrees")."""
    path = os.path.join(os.environ["HOME"], ".claude.json")
    with open(path, encoding="utf-8") as fh:
        config = json.load(fh)
    config["projects"][os.path.realpath(str(repo))] = {"hasTrustDialogAccepted": True}
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(config, fh)


def worktrees(repo):
    out = git(repo, "worktree", "list", "--porcelain")
    return [line.split(" ", 1)[1] for line in out.splitlines() if line.startswith("worktree ")]


def test_claude_works_in_the_worktree_and_its_exit_leaves_the_worktree_alone(session, tmp_path):
    project = tmp_path / "project"
    as_repo(project)
    repo = os.path.realpath(str(project))
    sid, _ = session("--worktree", "e2e-wt")
    path = os.path.join(repo, ".claude", "worktrees", "e2e-wt")
    wait_status(sid, "waiting_input")
    v = view(sid)
    assert v["cwd"] == path and v["worktreeBranch"] == "e2e-wt"
    tclaude("session", "send", sid, "RUN_TOOL=made_in_worktree.txt")
    wait(lambda: "Do you want to proceed?" in screen(sid), 30, "the permission dialog", sid)
    tclaude("session", "approve", sid)
    wait(lambda: os.path.exists(os.path.join(path, "made_in_worktree.txt")), 30, "the file", sid)
    assert not os.path.exists(os.path.join(repo, "made_in_worktree.txt"))
    # claude's own project folder for it is the worktree's
    assert "-worktrees-e2e-wt" in view(sid)["transcriptPath"]
    assert git(repo, "status", "--porcelain") == ""  # the main checkout sees nothing
    wait_status(sid, "waiting_input", 30)
    tclaude("session", "send", sid, "/exit")
    wait_status(sid, "exited", 15)
    assert "Exiting worktree session" not in screen(sid)  # claude -w's keep/remove dialog
    assert path in worktrees(repo)
    out = tclaude("session", "kill", sid, "--remove-worktree").stdout
    assert "kept worktree %s (branch e2e-wt: 1 changed or untracked file)" % path in out
    assert os.path.exists(os.path.join(path, "made_in_worktree.txt"))


def test_resume_brings_claude_back_in_its_worktree(session, tmp_path):
    project = tmp_path / "project"
    as_repo(project)
    sid, _ = session("--worktree", "e2e-resume")
    wait_status(sid, "waiting_input")
    path = view(sid)["cwd"]
    tclaude("session", "send", sid, "remember the word pineapple")
    wait_status(sid, "waiting_input", 30)
    tclaude("session", "send", sid, "/exit")
    wait_status(sid, "exited", 15)
    assert path in worktrees(str(project))  # a clean worktree too: claude removed nothing
    tclaude("session", "resume", sid)
    wait_status(sid, "waiting_input", 30)
    assert view(sid)["cwd"] == path
    wait(lambda: "pineapple" in screen(sid), 10, "the old conversation redrawn", sid)


def test_a_conversation_of_the_main_checkout_resumes_in_a_new_worktree(session, tmp_path):
    project = tmp_path / "project"
    as_repo(project)
    first, _ = session()
    wait_status(first, "waiting_input")
    conv = view(first)["convId"]
    tclaude("session", "send", first, "remember the word mango")
    wait_status(first, "waiting_input", 30)
    tclaude("session", "kill", first)
    second, _ = session("--worktree", "e2e-cont", "--resume", conv)
    wait_status(second, "waiting_input", 30)
    v = view(second)
    assert v["convId"] == conv
    assert v["cwd"].endswith(os.path.join(".claude", "worktrees", "e2e-cont"))
    wait(lambda: "mango" in screen(second), 10, "the conversation redrawn", second)
