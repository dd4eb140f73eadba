"""session new --worktree: each session in a git worktree of its own, and nothing ever lost.

Real git repositories in temp dirs, real ``git``, the fake claude in the sandbox's tmux.  What
is checked after every removal path: the main checkout is still there with its files, and a
worktree with work in it (changes, untracked files, commits on no other branch) survives.
"""

import json
import os
import re
import shutil
import subprocess

import pytest
from conftest import (
    assert_one_line_error,
    open_dashboard,
    registry_files,
    tmux_command_log,
    wait_until,
    write_transcript,
)

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def git(cwd, *args):
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def make_repo(sandbox, name="repo"):
    """A repo with one commit on main, its files, and a clean status."""
    repo = os.path.join(sandbox.work, name)
    os.makedirs(repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "t@example.com")
    git(repo, "config", "user.name", "T")
    with open(os.path.join(repo, "a.txt"), "w") as fh:
        fh.write("a\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "init")
    return os.path.realpath(repo)


def worktrees(repo):
    return [
        line[len("worktree ") :]
        for line in git(repo, "worktree", "list", "--porcelain").splitlines()
        if line.startswith("worktree ")
    ]


def branches(repo):
    return git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads").split()


def assert_main_checkout_intact(repo):
    assert os.path.isfile(os.path.join(repo, "a.txt"))
    assert worktrees(repo)[0] == repo
    assert git(repo, "status", "--porcelain") == ""


def new_worktree_session(sandbox, repo, *args):
    sid = sandbox.new(repo, "--worktree", *args)
    sandbox.wait_status(sid, "waiting_input")
    return sid, sandbox.read_state(sid)


def exit_session(sandbox, sid):
    sandbox.type(sid, "/exit")
    sandbox.wait_status(sid, "exited")


def read(path):
    with open(path) as fh:
        return fh.read()


def write(path, text="x\n"):
    with open(path, "w") as fh:
        fh.write(text)


def commit_in(path, name="work.txt"):
    write(os.path.join(path, name), "work\n")
    git(path, "add", name)
    git(path, "commit", "-qm", "work in " + name)


# -- creating ------------------------------------------------------------------------------


def git_shim(sandbox, tmp_path, script):
    """The env of a run whose ``git`` is the sh ``script`` (%(git)s: the real git)."""
    bin_dir = tmp_path / "gitbin"
    bin_dir.mkdir()
    (bin_dir / "git").write_text("#!/bin/sh\n" + script % {"git": shutil.which("git")})
    (bin_dir / "git").chmod(0o755)
    return {"PATH": str(bin_dir) + os.pathsep + sandbox.env["PATH"]}


def test_new_worktree_runs_claude_in_a_fresh_branch_inside_the_repo(sandbox):
    repo = make_repo(sandbox)
    proc = sandbox.run("session", "new", repo, "--worktree", "fix-login", check=True)
    path = os.path.join(repo, ".claude", "worktrees", "fix-login")
    assert "in %s" % path in proc.stdout
    assert "worktree: branch fix-login from " in proc.stdout
    sid = proc.stdout.split()[2]
    state = sandbox.read_state(sid)
    head = git(repo, "rev-parse", "HEAD").strip()
    assert state["cwd"] == path
    assert state["worktreePath"] == path
    assert state["worktreeRepo"] == repo
    assert state["worktreeBranch"] == "fix-login"
    assert state["worktreeBase"] == head
    assert state["worktreeNewBranch"] is True
    assert worktrees(repo) == [repo, path]
    assert git(path, "rev-parse", "--abbrev-ref", "HEAD").strip() == "fix-login"
    # claude runs there: its hooks report that cwd
    sandbox.wait_status(sid, "waiting_input")
    starts = [e for e in sandbox.hook_log() if e.get("event") == "SessionStart"]
    assert starts and starts[-1]["payload"]["cwd"] == path
    # the main checkout does not see the worktree as untracked (repo-local info/exclude)
    assert git(repo, "status", "--porcelain") == ""
    assert "/.claude/worktrees/" in read(os.path.join(repo, ".git", "info", "exclude"))


def test_two_sessions_on_one_repo_work_in_separate_worktrees(sandbox):
    repo = make_repo(sandbox)
    one, first = new_worktree_session(sandbox, repo, "one")
    two, second = new_worktree_session(sandbox, repo, "two")
    assert first["cwd"] != second["cwd"]
    write(os.path.join(first["cwd"], "a.txt"), "changed by one\n")
    assert read(os.path.join(second["cwd"], "a.txt")) == "a\n"
    assert read(os.path.join(repo, "a.txt")) == "a\n"
    assert sorted(worktrees(repo)) == sorted([repo, first["cwd"], second["cwd"]])
    assert {"one", "two"} <= set(branches(repo))


def test_worktree_without_a_name_is_named_after_the_session(sandbox):
    repo = make_repo(sandbox)
    sid = sandbox.new(repo, "--worktree")
    state = sandbox.read_state(sid)
    assert state["worktreeBranch"] == "tclaude-" + sid
    assert state["cwd"] == os.path.join(repo, ".claude", "worktrees", "tclaude-" + sid)


def test_from_starts_the_new_branch_at_the_given_ref(sandbox):
    repo = make_repo(sandbox)
    first = git(repo, "rev-parse", "HEAD").strip()
    commit_in(repo, "later.txt")
    sid = sandbox.new(repo, "--worktree", "old", "--from", first)
    state = sandbox.read_state(sid)
    assert state["worktreeBase"] == first
    assert git(state["cwd"], "rev-parse", "HEAD").strip() == first
    assert not os.path.exists(os.path.join(state["cwd"], "later.txt"))


def test_branch_checks_out_an_existing_branch(sandbox):
    repo = make_repo(sandbox)
    git(repo, "branch", "feature")
    sid = sandbox.new(repo, "--worktree", "--branch", "feature")
    state = sandbox.read_state(sid)
    assert state["worktreeBranch"] == "feature"
    assert state["worktreeNewBranch"] is False
    assert git(state["cwd"], "rev-parse", "--abbrev-ref", "HEAD").strip() == "feature"


def test_a_subfolder_of_the_repo_maps_to_the_same_subfolder_of_the_worktree(sandbox):
    repo = make_repo(sandbox)
    os.makedirs(os.path.join(repo, "src"))
    write(os.path.join(repo, "src", "m.py"))
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "src")
    sid = sandbox.new(os.path.join(repo, "src"), "--worktree", "sub")
    assert sandbox.read_state(sid)["cwd"] == os.path.join(
        repo, ".claude", "worktrees", "sub", "src"
    )


# -- creating: errors, each one line and nothing half-made ---------------------------------


def assert_nothing_made(sandbox, repo, before_branches):
    assert worktrees(repo) == [repo]
    assert branches(repo) == before_branches
    assert not os.path.exists(os.path.join(repo, ".claude"))
    assert not [n for n in os.listdir(sandbox.state_dir) if n.endswith(".json")] \
        if os.path.isdir(sandbox.state_dir) else True  # fmt: skip


def test_not_a_git_repo_is_one_line(sandbox):
    proc = sandbox.run("session", "new", sandbox.work, "--worktree", "x")
    assert_one_line_error(proc, r"not a git repository: .*work \(--worktree needs one\)$")


def test_git_missing_is_one_line(sandbox, tmp_path):
    repo = make_repo(sandbox)
    bare_path = tmp_path / "bin"
    bare_path.mkdir()
    for tool in ("tmux", "python3"):
        os.symlink(shutil.which(tool), str(bare_path / tool))
    env = {"PATH": os.path.join(os.path.dirname(__file__), "fakebin") + os.pathsep + str(bare_path)}
    proc = sandbox.run("session", "new", repo, "--worktree", "x", env=env)
    assert_one_line_error(proc, r"git is not installed or not on PATH")
    assert_nothing_made(sandbox, repo, ["main"])


def test_invalid_branch_name_is_one_line(sandbox):
    repo = make_repo(sandbox)
    for bad in ("a..b", "has space", "-dash", "end.lock"):
        proc = sandbox.run("session", "new", repo, "--worktree=" + bad)
        assert_one_line_error(proc, r"invalid worktree name .*valid git branch name")
    assert_nothing_made(sandbox, repo, ["main"])


def test_at_sign_alone_is_no_branch_name(sandbox):
    """refs/heads/@ is a valid ref, but git takes no branch named @ (it means HEAD)."""
    repo = make_repo(sandbox)
    proc = sandbox.run("session", "new", repo, "--worktree", "@")
    assert_one_line_error(proc, r"invalid worktree name '@'")
    assert branches(repo) == ["main"]
    assert not os.path.exists(os.path.join(repo, ".claude", "worktrees", "@"))
    assert not os.path.exists(os.path.join(repo, ".git", "worktrees"))


def test_name_of_an_existing_branch_is_a_clash(sandbox):
    repo = make_repo(sandbox)
    git(repo, "branch", "taken")
    proc = sandbox.run("session", "new", repo, "--worktree", "taken")
    assert_one_line_error(
        proc, r"branch taken exists already in .*\(to run on it: --branch taken\)"
    )
    assert_nothing_made(sandbox, repo, ["main", "taken"])


def test_name_of_an_existing_worktree_is_a_clash(sandbox):
    repo = make_repo(sandbox)
    sandbox.new(repo, "--worktree", "dup")
    git(repo, "branch", "-m", "dup", "renamed")  # the branch name is free, the path is not
    proc = sandbox.run("session", "new", repo, "--worktree", "dup")
    assert_one_line_error(proc, r"worktrees/dup is a worktree of .* already")


def test_detached_head_without_from_is_one_line(sandbox):
    repo = make_repo(sandbox)
    git(repo, "checkout", "-q", "--detach")
    proc = sandbox.run("session", "new", repo, "--worktree", "x")
    assert_one_line_error(
        proc, r"HEAD is detached in .*: say which commit to branch from with --from REF$"
    )
    assert_nothing_made(sandbox, repo, ["main"])


def test_branch_checked_out_elsewhere_is_one_line(sandbox):
    repo = make_repo(sandbox)
    proc = sandbox.run("session", "new", repo, "--worktree", "--branch", "main")
    assert_one_line_error(proc, r"branch main is checked out already in %s " % repo)
    assert_nothing_made(sandbox, repo, ["main"])


def test_missing_branch_and_unknown_ref_are_one_line(sandbox):
    repo = make_repo(sandbox)
    proc = sandbox.run("session", "new", repo, "--worktree", "--branch", "nope")
    assert_one_line_error(proc, r"no branch 'nope' in ")
    proc = sandbox.run("session", "new", repo, "--worktree", "x", "--from", "nope")
    assert_one_line_error(proc, r"no commit 'nope' in ")
    proc = sandbox.run("session", "new", repo, "--worktree", "x", "--from=--all")
    assert_one_line_error(proc, r"no commit '--all' in ")
    proc = sandbox.run(
        "session", "new", repo, "--worktree", "x", "--from", "main", "--branch", "main"
    )
    assert_one_line_error(proc, r"not both", code=2)
    proc = sandbox.run("session", "new", repo, "--branch", "main")
    assert_one_line_error(proc, r"--branch and --from go with --worktree", code=2)
    assert_nothing_made(sandbox, repo, ["main"])


def test_a_directory_after_worktree_is_taken_for_what_it_is(sandbox):
    """`session new --worktree ~/src/api` would read the directory as the name."""
    repo = make_repo(sandbox)
    proc = sandbox.run("session", "new", "--worktree", repo)
    assert_one_line_error(proc, r"--worktree takes a name, not a directory .*put the directory "
                          r"first: tclaude session new DIR --worktree \[NAME\]$", code=2)  # fmt: skip
    assert_nothing_made(sandbox, repo, ["main"])


def test_leftover_directory_at_the_worktree_path_is_a_clash(sandbox):
    repo = make_repo(sandbox)
    leftover = os.path.join(repo, ".claude", "worktrees", "x")
    os.makedirs(leftover)
    write(os.path.join(leftover, "keep.txt"))
    proc = sandbox.run("session", "new", repo, "--worktree", "x")
    assert_one_line_error(proc, r"worktrees/x exists already: pick another worktree name$")
    assert os.path.isfile(os.path.join(leftover, "keep.txt"))
    assert branches(repo) == ["main"]


def test_git_failing_mid_way_leaves_no_branch_and_no_folder(sandbox):
    """A worktree add that git refuses after the checks (here: a hook that fails the
    checkout) is taken back whole."""
    repo = make_repo(sandbox)
    hook = os.path.join(repo, ".git", "hooks", "post-checkout")
    write(hook, "#!/bin/sh\nexit 1\n")
    os.chmod(hook, 0o755)
    proc = sandbox.run("session", "new", repo, "--worktree", "x")
    # git keeps a worktree whose post-checkout hook failed; tclaude takes it back
    if proc.returncode == 0:
        pytest.skip("this git does not fail worktree add on a failing post-checkout hook")
    assert_one_line_error(proc, r"cannot create worktree .*worktrees/x")
    assert_nothing_made(sandbox, repo, ["main"])


def test_session_that_cannot_start_takes_its_worktree_back(sandbox, tmp_path):
    """tmux refusing the new session comes after the worktree was made: it is taken back."""
    repo = make_repo(sandbox)
    shim = tmp_path / "shim"
    shim.mkdir()
    real = shutil.which("tmux", path=sandbox.env["PATH"])
    (shim / "tmux").write_text(
        '#!/bin/sh\nfor a; do [ "$a" = new-session ] && { echo "no room" >&2; exit 1; }; done\n'
        'exec %s "$@"\n' % real
    )
    (shim / "tmux").chmod(0o755)
    proc = sandbox.run("session", "new", repo, "--worktree", "x",
                       env={"PATH": str(shim) + os.pathsep + sandbox.env["PATH"]})  # fmt: skip
    assert_one_line_error(proc, r"no room")
    assert_nothing_made(sandbox, repo, ["main"])


# -- ls and the cached status --------------------------------------------------------------


def test_ls_shows_branch_and_what_the_worktree_holds(sandbox):
    repo = make_repo(sandbox)
    sid, state = new_worktree_session(sandbox, repo, "wip")
    plain = sandbox.new(repo)
    proc = sandbox.run("session", "ls", check=True)
    assert "WORKTREE" in proc.stdout.splitlines()[0]
    assert "wip: clean" in proc.stdout
    write(os.path.join(state["cwd"], "new.txt"))
    commit_in(state["cwd"])
    write(os.path.join(state["cwd"], "other.txt"))
    cache_dir = os.path.join(sandbox.state_dir, "worktrees")
    for name in os.listdir(cache_dir):
        os.unlink(os.path.join(cache_dir, name))  # the cache would show it a few seconds later
    views = sandbox.ls()
    status = views[sid]["worktreeStatus"]
    assert status["branch"] == "wip"
    assert status["state"] == "dirty"
    assert status["changed"] == 2
    assert status["unmerged"] == 1
    assert "worktreeStatus" not in views[plain]
    assert "wip: 2 changed, 1 unmerged" in sandbox.run("session", "ls", check=True).stdout


def test_ls_runs_git_at_most_once_per_worktree_within_the_cache_time(sandbox, tmp_path):
    repo = make_repo(sandbox)
    sid, state = new_worktree_session(sandbox, repo, "cached")
    shutil.rmtree(os.path.join(sandbox.state_dir, "worktrees"))  # no status cached yet
    log = tmp_path / "git.log"
    env = git_shim(sandbox, tmp_path, 'echo "$*" >> %s\nexec %%(git)s "$@"\n' % log)
    for _ in range(3):
        sandbox.run("session", "ls", env=env, check=True)
    status_runs = [
        line
        for line in log.read_text().splitlines()
        if line.startswith("-C") and " status " in line
    ]
    assert len(status_runs) == 1


def test_ls_with_worktree_sessions_still_makes_one_tmux_call(sandbox, tmp_path):
    repo = make_repo(sandbox)
    new_worktree_session(sandbox, repo, "a")
    new_worktree_session(sandbox, repo, "b")
    path, log = tmux_command_log(sandbox, tmp_path)
    shutil.rmtree(os.path.join(sandbox.state_dir, "worktrees"))
    proc = sandbox.run("session", "ls", env={"PATH": path}, check=True)
    assert "a: clean" in proc.stdout and "b: clean" in proc.stdout
    assert log.read_text().split() == ["list-panes"]


def test_ls_of_sessions_without_worktree_runs_no_git(sandbox, tmp_path):
    sandbox.new()
    log = tmp_path / "git.log"
    env = git_shim(sandbox, tmp_path, 'echo "$*" >> %s\nexit 1\n' % log)
    proc = sandbox.run("session", "ls", env=env, check=True)
    assert "WORKTREE" not in proc.stdout
    assert not log.exists()


def test_ls_says_unknown_when_git_cannot_answer(sandbox, tmp_path):
    repo = make_repo(sandbox)
    sid, _ = new_worktree_session(sandbox, repo, "u")
    shutil.rmtree(os.path.join(sandbox.state_dir, "worktrees"))
    env = git_shim(sandbox, tmp_path, "echo 'fatal: broken' >&2\nexit 128\n")
    proc = sandbox.run("session", "ls", "--json", env=env, check=True)
    status = {v["id"]: v for v in json.loads(proc.stdout)}[sid]["worktreeStatus"]
    assert status["state"] == "unknown"
    assert "broken" in status["detail"]


def test_watch_shows_the_worktree_column_only_when_a_session_has_one(sandbox):
    sandbox.new()
    lines = sandbox.run("session", "watch", "--once", check=True).stdout.splitlines()
    assert "WORKTREE" not in lines[1]
    repo = make_repo(sandbox)
    new_worktree_session(sandbox, repo, "seen")
    lines = sandbox.run("session", "watch", "--once", check=True).stdout.splitlines()
    assert "WORKTREE" in lines[1]
    assert any("seen: clean" in line for line in lines[2:])


def test_ls_gives_up_on_a_git_that_hangs_and_says_unknown(sandbox, tmp_path):
    repo = make_repo(sandbox)
    sid, _ = new_worktree_session(sandbox, repo, "slow")
    shutil.rmtree(os.path.join(sandbox.state_dir, "worktrees"))
    # not exec: the sleeping child holds git's output pipe open, as a hung hook would
    env = git_shim(sandbox, tmp_path, '[ "$3" = status ] && { sleep 60; exit 0; }\n'
                   'exec %(git)s "$@"\n')  # fmt: skip
    proc = sandbox.run("session", "ls", "--json", env=env, timeout=30, check=True)
    status = {v["id"]: v for v in json.loads(proc.stdout)}[sid]["worktreeStatus"]
    assert status["state"] == "unknown"
    assert status["detail"].startswith("git status timed out after 3 s in ")


# -- kill: the worktree is kept unless asked, and then only when nothing is lost -----------


def test_kill_keeps_a_dirty_worktree_and_says_where_and_how(sandbox):
    repo = make_repo(sandbox)
    sid, state = new_worktree_session(sandbox, repo, "dirty")
    path = state["cwd"]
    write(os.path.join(path, "a.txt"), "edited\n")
    write(os.path.join(path, "untracked.txt"), "new\n")
    proc = sandbox.run("session", "kill", sid, "--remove-worktree", check=True)
    assert "kept worktree %s (branch dirty: 2 changed or untracked files)" % path in proc.stdout
    assert "remove it when done with: git -C %s worktree remove %s" % (repo, path) in proc.stdout
    assert read(os.path.join(path, "a.txt")) == "edited\n"
    assert read(os.path.join(path, "untracked.txt")) == "new\n"
    assert path in worktrees(repo)
    assert_main_checkout_intact(repo)


def test_kill_keeps_a_worktree_with_commits_on_no_other_branch(sandbox):
    repo = make_repo(sandbox)
    sid, state = new_worktree_session(sandbox, repo, "ahead")
    commit_in(state["cwd"])
    proc = sandbox.run("session", "kill", sid, "--remove-worktree", check=True)
    assert "1 commit on no other branch" in proc.stdout
    assert state["cwd"] in worktrees(repo)
    assert "ahead" in branches(repo)


def test_kill_keeps_a_worktree_whose_commits_were_left_on_a_detached_head(sandbox):
    """Commits made on a detached HEAD, then left by checking the branch out again: only the
    worktree's own HEAD reflog knows them, and `git worktree remove` deletes that reflog."""
    repo = make_repo(sandbox)
    sid, state = new_worktree_session(sandbox, repo, "left")
    git(state["cwd"], "checkout", "-q", "--detach")
    commit_in(state["cwd"], "detached.txt")
    lost = git(state["cwd"], "rev-parse", "HEAD").strip()
    git(state["cwd"], "checkout", "-q", "left")
    proc = sandbox.run("session", "kill", sid, "--remove-worktree", check=True)
    assert (
        "kept worktree %s (branch left: 1 commit on no other branch" % state["cwd"] in proc.stdout
    )
    assert state["cwd"] in worktrees(repo)
    assert git(state["cwd"], "cat-file", "-t", lost).strip() == "commit"
    assert re.search(r"checkout: moving from %s " % lost, git(state["cwd"], "reflog", "HEAD"))


def test_kill_without_asking_keeps_even_a_clean_worktree(sandbox):
    repo = make_repo(sandbox)
    sid, state = new_worktree_session(sandbox, repo, "clean")
    proc = sandbox.run("session", "kill", sid, check=True)
    assert "kept worktree %s (branch clean: clean)" % state["cwd"] in proc.stdout
    assert state["cwd"] in worktrees(repo)


def test_kill_remove_worktree_removes_a_clean_merged_one_and_its_branch(sandbox):
    repo = make_repo(sandbox)
    sid, state = new_worktree_session(sandbox, repo, "done")
    commit_in(state["cwd"])
    git(repo, "merge", "-q", "--ff-only", "done")
    proc = sandbox.run("session", "kill", sid, "--remove-worktree", check=True)
    assert "removed worktree %s" % state["cwd"] in proc.stdout
    assert "deleted branch done" in proc.stdout
    assert worktrees(repo) == [repo]
    assert "done" not in branches(repo)
    assert os.path.isfile(os.path.join(repo, "work.txt"))  # the merged work is on main
    assert_main_checkout_intact(repo)


def test_kill_remove_worktree_never_deletes_a_branch_it_did_not_make(sandbox):
    repo = make_repo(sandbox)
    git(repo, "branch", "theirs")
    sid = sandbox.new(repo, "--worktree", "--branch", "theirs")
    sandbox.wait_status(sid, "waiting_input")
    proc = sandbox.run("session", "kill", sid, "--remove-worktree", check=True)
    assert "removed worktree" in proc.stdout
    assert "theirs" in branches(repo)


def test_kill_keeps_a_worktree_another_live_session_works_in(sandbox):
    repo = make_repo(sandbox)
    sid, state = new_worktree_session(sandbox, repo, "shared")
    other = sandbox.new(state["cwd"])  # a plain session started in that worktree
    sandbox.wait_status(other, "waiting_input")
    proc = sandbox.run("session", "kill", sid, "--remove-worktree", check=True)
    assert "session %s (waiting_input) works in it" % other in proc.stdout
    assert state["cwd"] in worktrees(repo)


def test_kill_from_the_dashboard_keeps_the_worktree_and_says_so(sandbox):
    repo = make_repo(sandbox)
    sid, state = new_worktree_session(sandbox, repo, "dash")
    dash = open_dashboard(sandbox, width=200)
    dash.wait_ids([sid])
    dash.keys("x")
    dash.wait_text("kill %s? y/n" % sid)
    dash.keys("y")
    dash.wait_text("killed %s; kept worktree " % sid)
    assert state["cwd"] in worktrees(repo)


def test_a_registered_but_missing_worktree_path_is_a_clash(sandbox):
    repo = make_repo(sandbox)
    path = os.path.join(repo, ".claude", "worktrees", "lost")
    git(repo, "worktree", "add", "-q", "-b", "lost-branch", path)
    git(repo, "worktree", "lock", path)
    shutil.rmtree(path)
    proc = sandbox.run("session", "new", repo, "--worktree", "lost")
    assert_one_line_error(proc, r"worktrees/lost is a worktree of .* already \(see: git -C ")
    assert branches(repo) == ["lost-branch", "main"]


def test_kill_keeps_a_worktree_a_claude_started_by_hand_works_in(sandbox):
    repo = make_repo(sandbox)
    sid, state = new_worktree_session(sandbox, repo, "byhand")
    sandbox.tmux("new-session", "-d", "-s", "hand", "-c", state["cwd"], "claude")
    wait_until(
        lambda: [r for r in registry_files(sandbox) if r.get("cwd") == state["cwd"]
                 and r.get("status") == "idle" and r.get("pid") != state.get("pid")],
        message="a claude started by hand in the worktree",
    )  # fmt: skip
    proc = sandbox.run("session", "kill", sid, "--remove-worktree", check=True)
    assert re.search(r"kept worktree .*claude pid \d+ works in it", proc.stdout), proc.stdout
    assert state["cwd"] in worktrees(repo)


def test_kill_keeps_a_locked_worktree(sandbox):
    repo = make_repo(sandbox)
    sid, state = new_worktree_session(sandbox, repo, "locked")
    git(repo, "worktree", "lock", state["cwd"])
    proc = sandbox.run("session", "kill", sid, "--remove-worktree", check=True)
    assert "it is locked" in proc.stdout
    assert state["cwd"] in worktrees(repo)


def test_a_record_pointing_at_the_main_checkout_never_removes_it(sandbox):
    """A hand-edited (or corrupt) record naming the main checkout as its worktree."""
    repo = make_repo(sandbox)
    sid, state = new_worktree_session(sandbox, repo, "x")
    record = sandbox.read_state(sid)
    record["worktreePath"] = repo
    with open(sandbox.state_file(sid), "w") as fh:
        json.dump(record, fh)
    proc = sandbox.run("session", "kill", sid, "--remove-worktree", check=True)
    assert "it is the repo's main checkout" in proc.stdout
    assert_main_checkout_intact(repo)


def test_a_record_pointing_outside_the_worktree_list_never_removes_it(sandbox):
    repo = make_repo(sandbox)
    sid, state = new_worktree_session(sandbox, repo, "x")
    elsewhere = os.path.join(sandbox.work, "elsewhere")
    os.makedirs(elsewhere)
    write(os.path.join(elsewhere, "precious.txt"))
    record = sandbox.read_state(sid)
    record["worktreePath"] = elsewhere
    with open(sandbox.state_file(sid), "w") as fh:
        json.dump(record, fh)
    proc = sandbox.run("session", "kill", sid, "--remove-worktree", check=True)
    assert "git does not list it as a worktree of %s" % repo in proc.stdout
    assert os.path.isfile(os.path.join(elsewhere, "precious.txt"))


def test_a_record_pointing_at_a_worktree_tclaude_did_not_make_never_removes_it(sandbox):
    """An edited record naming another repo and a worktree the user made there by hand: it is
    in that repo's worktree list, but not where tclaude puts its own, so it is not tclaude's."""
    repo = make_repo(sandbox)
    other = make_repo(sandbox, "other")
    theirs = os.path.join(sandbox.work, "theirs")
    git(other, "worktree", "add", "-q", "-b", "theirs", theirs)
    sid, state = new_worktree_session(sandbox, repo, "x")
    record = sandbox.read_state(sid)
    record.update(worktreeRepo=other, worktreePath=theirs, worktreeBranch="theirs")
    with open(sandbox.state_file(sid), "w") as fh:
        json.dump(record, fh)
    proc = sandbox.run("session", "kill", sid, "--remove-worktree", check=True)
    assert "tclaude did not make it (its worktrees are in %s/.claude/worktrees)" % other in (
        proc.stdout
    )
    assert worktrees(other) == [other, theirs]
    assert "theirs" in branches(other)


# -- prune ---------------------------------------------------------------------------------


def test_prune_worktrees_removes_only_clean_merged_ones(sandbox):
    repo = make_repo(sandbox)
    clean, clean_state = new_worktree_session(sandbox, repo, "clean")
    dirty, dirty_state = new_worktree_session(sandbox, repo, "dirty")
    ahead, ahead_state = new_worktree_session(sandbox, repo, "ahead")
    live, live_state = new_worktree_session(sandbox, repo, "live")
    write(os.path.join(dirty_state["cwd"], "wip.txt"))
    commit_in(ahead_state["cwd"])
    for sid in (clean, dirty, ahead):
        exit_session(sandbox, sid)
    proc = sandbox.run("session", "prune", "--worktrees", check=True)
    assert "removed worktree %s" % clean_state["cwd"] in proc.stdout
    assert "deleted branch clean" in proc.stdout
    assert "removed session %s" % clean in proc.stdout
    assert "kept session %s and kept worktree %s" % (dirty, dirty_state["cwd"]) in proc.stdout
    assert "kept session %s and kept worktree %s" % (ahead, ahead_state["cwd"]) in proc.stdout
    assert sorted(worktrees(repo)) == sorted(
        [repo, dirty_state["cwd"], ahead_state["cwd"], live_state["cwd"]]
    )
    assert os.path.isfile(os.path.join(dirty_state["cwd"], "wip.txt"))
    assert set(sandbox.ls()) == {dirty, ahead, live}  # the kept ones stay listed
    assert_main_checkout_intact(repo)


def repo_ignoring(sandbox, *patterns):
    """A repo whose committed .gitignore lists ``patterns``."""
    repo = make_repo(sandbox)
    write(os.path.join(repo, ".gitignore"), "".join(p + "\n" for p in patterns))
    git(repo, "add", ".gitignore")
    git(repo, "commit", "-qm", "ignore " + " ".join(patterns))
    return repo


def test_prune_worktrees_does_not_count_ignored_files_as_work(sandbox):
    repo = repo_ignoring(sandbox, "build/")
    sid, state = new_worktree_session(sandbox, repo, "built")
    os.makedirs(os.path.join(state["cwd"], "build"))
    write(os.path.join(state["cwd"], "build", "out.bin"))
    exit_session(sandbox, sid)
    proc = sandbox.run("session", "prune", "--worktrees", check=True)
    assert "removed worktree %s" % state["cwd"] in proc.stdout
    assert worktrees(repo) == [repo]


def test_prune_worktrees_names_the_ignored_files_that_go_with_it(sandbox):
    """Ignored is not always disposable (a .env you copied in): the dry run names them first,
    and the removal says what went."""
    repo = repo_ignoring(sandbox, "build/", ".env")
    sid, state = new_worktree_session(sandbox, repo, "secrets")
    os.makedirs(os.path.join(state["cwd"], "build"))
    write(os.path.join(state["cwd"], "build", "out.bin"))
    write(os.path.join(state["cwd"], ".env"), "TOKEN=1\n")
    exit_session(sandbox, sid)
    dry = sandbox.run("session", "prune", "--worktrees", "--dry-run", check=True)
    assert (
        "would remove worktree %s (clean) with its ignored files: .env, build/" % state["cwd"]
        in dry.stdout
    )
    assert read(os.path.join(state["cwd"], ".env")) == "TOKEN=1\n"
    proc = sandbox.run("session", "prune", "--worktrees", check=True)
    assert "removed worktree %s with its ignored files: .env, build/" % state["cwd"] in proc.stdout
    assert worktrees(repo) == [repo]


def test_plain_prune_keeps_sessions_whose_worktree_is_there(sandbox):
    repo = make_repo(sandbox)
    sid, state = new_worktree_session(sandbox, repo, "w")
    exit_session(sandbox, sid)
    proc = sandbox.run("session", "prune", check=True)
    assert "kept session %s: its worktree %s is still there" % (sid, state["cwd"]) in proc.stdout
    assert sid in sandbox.ls()
    assert state["cwd"] in worktrees(repo)


def test_prune_worktrees_dry_run_changes_nothing(sandbox):
    repo = make_repo(sandbox)
    sid, state = new_worktree_session(sandbox, repo, "w")
    exit_session(sandbox, sid)
    proc = sandbox.run("session", "prune", "--worktrees", "--dry-run", check=True)
    assert "would remove worktree %s (clean)" % state["cwd"] in proc.stdout
    assert state["cwd"] in worktrees(repo)
    assert sid in sandbox.ls()


def test_prune_worktrees_force_lists_what_goes_then_removes(sandbox):
    repo = make_repo(sandbox)
    sid, state = new_worktree_session(sandbox, repo, "scrap")
    write(os.path.join(state["cwd"], "wip.txt"))
    commit_in(state["cwd"])
    exit_session(sandbox, sid)
    proc = sandbox.run("session", "prune", "--worktrees", "--force", check=True)
    out = proc.stdout.splitlines()
    listing = out.index(
        "discarding in worktree %s: 1 changed or untracked file, 1 commit on no other branch"
        % state["cwd"]
    )
    assert out[listing + 1] == "  wip.txt"
    assert out[listing + 2].endswith("work in work.txt")
    assert out.index("removed worktree %s" % state["cwd"]) > listing
    assert "deleted branch scrap" in proc.stdout
    assert worktrees(repo) == [repo]
    assert_main_checkout_intact(repo)


def test_prune_worktrees_force_keeps_a_worktree_holding_another_repository(sandbox):
    """An untracked folder with a .git of its own is one line in git status (`nested/`), yet
    it may hold a whole history: --force never discards it (git itself refuses submodules)."""
    repo = make_repo(sandbox)
    sid, state = new_worktree_session(sandbox, repo, "holder")
    os.rename(make_repo(sandbox, "nested"), os.path.join(state["cwd"], "nested"))
    exit_session(sandbox, sid)
    proc = sandbox.run("session", "prune", "--worktrees", "--force", check=True)
    assert "kept session %s and kept worktree %s" % (sid, state["cwd"]) in proc.stdout
    assert "it holds another git repository: nested/" in proc.stdout
    assert git(os.path.join(state["cwd"], "nested"), "log", "--format=%s") == "init\n"


def test_removal_gives_git_time_to_delete_a_big_worktree(sandbox, tmp_path):
    """Deleting a node_modules takes git more than the 10 s a question gets: cut short, it
    left half a worktree behind, still registered, its tracked files shown as deleted."""
    repo = make_repo(sandbox)
    sid, state = new_worktree_session(sandbox, repo, "big")
    exit_session(sandbox, sid)
    env = git_shim(sandbox, tmp_path, 'case "$*" in *"worktree remove"*) sleep 11;; esac\n'
                   'exec %(git)s "$@"\n')  # fmt: skip
    proc = sandbox.run("session", "prune", "--worktrees", env=env, check=True)
    assert "removed worktree %s" % state["cwd"] in proc.stdout
    assert worktrees(repo) == [repo]


def test_prune_force_without_worktrees_is_refused(sandbox):
    proc = sandbox.run("session", "prune", "--force")
    assert_one_line_error(proc, r"--force goes with --worktrees", code=2)


def test_prune_worktrees_keeps_one_git_cannot_answer_for(sandbox, tmp_path):
    repo = make_repo(sandbox)
    sid, state = new_worktree_session(sandbox, repo, "w")
    exit_session(sandbox, sid)
    env = git_shim(sandbox, tmp_path, "echo 'fatal: Unable to create index.lock' >&2\nexit 128\n")
    proc = sandbox.run("session", "prune", "--worktrees", "--force", env=env, check=True)
    assert "kept session %s and kept worktree" % sid in proc.stdout
    assert "unknown (fatal: Unable to create index.lock)" in proc.stdout
    assert state["cwd"] in worktrees(repo)


def test_prune_forgets_a_session_whose_worktree_is_already_gone(sandbox):
    repo = make_repo(sandbox)
    sid, state = new_worktree_session(sandbox, repo, "w")
    exit_session(sandbox, sid)
    git(repo, "worktree", "remove", state["cwd"])
    proc = sandbox.run("session", "prune", check=True)
    assert "removed session %s" % sid in proc.stdout
    assert_main_checkout_intact(repo)


# -- resume --------------------------------------------------------------------------------


def test_resume_of_a_worktree_session_runs_in_its_worktree(sandbox):
    repo = make_repo(sandbox)
    sid, state = new_worktree_session(sandbox, repo, "r")
    write_transcript(sandbox, state["convId"], state["cwd"])
    exit_session(sandbox, sid)
    sandbox.run("session", "resume", sid, check=True)
    sandbox.wait_status(sid, "waiting_input")
    starts = [e for e in sandbox.hook_log() if e.get("event") == "SessionStart"]
    assert starts[-1]["payload"]["cwd"] == state["cwd"]
    assert sandbox.read_state(sid)["worktreePath"] == state["cwd"]


def test_resume_of_a_missing_worktree_is_one_line(sandbox):
    repo = make_repo(sandbox)
    sid, state = new_worktree_session(sandbox, repo, "gone")
    write_transcript(sandbox, state["convId"], state["cwd"])
    exit_session(sandbox, sid)
    git(repo, "worktree", "remove", state["cwd"])
    proc = sandbox.run("session", "resume", sid)
    assert_one_line_error(proc, r"cannot resume %s: its worktree .*gone \(start afresh with: "
                          r"tclaude session new .* --worktree\)$" % sid)  # fmt: skip


def test_new_resume_into_a_worktree(sandbox):
    repo = make_repo(sandbox)
    conv = "0b5e55ed-1234-4abc-8def-0123456789ab"
    write_transcript(sandbox, conv, repo)
    proc = sandbox.run("session", "new", repo, "--worktree", "cont", "--resume", conv)
    assert proc.returncode == 0, proc.stderr
    sid = proc.stdout.split()[2]
    state = sandbox.read_state(sid)
    assert state["convId"] == conv
    assert state["cwd"] == os.path.join(repo, ".claude", "worktrees", "cont")
