"""install.sh: from a checkout and through ``curl | sh``, into temp dirs with a temp HOME.

Most tests run install.sh from a fake checkout (a temp dir holding a copy of install.sh and
small stand-ins for tclaude.py and tclaude-hook.sh), so they test the installer alone; one
test installs the real files when the checkout has them. The real HOME is never used.
``tclaude`` is a launcher install.sh writes that imports tclaude.py (so Python caches its
bytecode); PYTHONDONTWRITEBYTECODE is set for every run unless a test says otherwise, so the
install dir holds no __pycache__ the listings would have to allow for.
"""

import ast
import os
import shutil
import stat
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INSTALL_SH = os.path.join(ROOT, "install.sh")
NAMES = ("tclaude.py", "tclaude-hook.sh", "tclaude")
SH = shutil.which("sh") or "/bin/sh"
# Tools install.sh may call, besides python3, tmux, curl and wget.
BASE_TOOLS = ("sh", "dirname", "cp", "chmod", "mv", "rm", "rmdir", "ls", "mkdir", "cat")
MARKER = "# tclaude launcher written by install.sh"

# A stand-in tclaude.py shaped like the real one: main() returns the exit status.  Swapping
# "v1" for "v2" keeps its size, as a stale-bytecode check needs.
STUB_PY = """#!/usr/bin/env python3
import os
import sys

VERSION = "v1"


def main():
    here = os.path.dirname(os.path.realpath(__file__))
    hook = os.path.isfile(os.path.join(here, "tclaude-hook.sh"))
    print("stub tclaude %s; hook beside: %s; args: %s" % (VERSION, hook, sys.argv[1:]))
    return 3 if "--fail" in sys.argv else 0


if __name__ == "__main__":
    sys.exit(main())
"""
STUB_V2 = STUB_PY.replace('"v1"', '"v2"')
STUB_HOOK = "#!/usr/bin/env bash\nexit 0\n"


class World:
    def __init__(self, tmp_path):
        self.tmp = tmp_path
        self.home = str(tmp_path / "home")
        self.checkout = str(tmp_path / "checkout")
        os.makedirs(self.home)
        os.makedirs(self.checkout)
        shutil.copy(INSTALL_SH, self.checkout)
        self.write_source("tclaude.py", STUB_PY)
        self.write_source("tclaude-hook.sh", STUB_HOOK)
        self.default_dir = os.path.join(self.home, ".tofu", "bin")
        env = {k: v for k, v in os.environ.items() if not k.startswith("TCLAUDE_")}
        env.pop("PYTHONPYCACHEPREFIX", None)  # bytecode goes to __pycache__ beside the source
        env["HOME"] = self.home
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        self.env = env

    def tclaude(self, d, *args, env=None, cached=False):
        """Run the installed ``tclaude`` in dir ``d``; ``cached``: let Python write bytecode."""
        full_env = dict(self.env, **(env or {}))
        if cached:
            del full_env["PYTHONDONTWRITEBYTECODE"]
        return subprocess.run(
            [os.path.join(d, "tclaude"), *args],
            cwd=str(self.tmp),
            env=full_env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=30,
        )

    def write_source(self, name, text):
        path = os.path.join(self.checkout, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o644)  # install.sh must set the run bits itself

    def run(self, *args, env=None, path=None, cwd=None, script=None):
        full_env = dict(self.env, **(env or {}))
        if path is not None:
            full_env["PATH"] = path
        return subprocess.run(
            [SH, script or os.path.join(self.checkout, "install.sh"), *args],
            cwd=cwd or str(self.tmp),
            env=full_env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def pipe(self, url, *args, env=None, path=None):
        """``curl -fsSL <url>/install.sh | sh -s -- args``, run outside the checkout."""
        full_env = dict(self.env, **(env or {}))
        if path is not None:
            full_env["PATH"] = path
        cwd = self.tmp / "elsewhere"
        cwd.mkdir(exist_ok=True)
        return subprocess.run(
            [SH, "-c", 'curl -fsSL "$0/install.sh" | sh -s -- "$@"', url, *args],
            cwd=str(cwd),
            env=full_env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def toolbin(self, name, tools, extra=None):
        """A PATH dir holding symlinks to just ``tools`` (python3: this interpreter)."""
        d = self.tmp / name
        d.mkdir()
        for tool in tools:
            if tool == "python3":
                target = os.path.realpath(sys.executable)
            else:
                target = shutil.which(tool)
                assert target, "test needs %s on PATH" % tool
            os.symlink(target, str(d / tool))
        for tool, text in (extra or {}).items():
            p = d / tool
            p.write_text(text)
            p.chmod(0o755)
        return str(d)


@pytest.fixture
def world(tmp_path):
    return World(tmp_path)


def listing(d):
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def assert_installed(world, d, source_dir=None):
    source_dir = source_dir or world.checkout
    assert listing(d) == sorted(NAMES), "leftovers or missing files: %r" % listing(d)
    for name in ("tclaude.py", "tclaude-hook.sh"):
        p = os.path.join(d, name)
        assert os.path.isfile(p) and not os.path.islink(p)
        mode = os.stat(p).st_mode
        assert mode & stat.S_IXUSR and mode & stat.S_IXGRP and mode & stat.S_IXOTH, oct(mode)
        with open(p, "rb") as got, open(os.path.join(source_dir, name), "rb") as want:
            assert got.read() == want.read()
    launcher = os.path.join(d, "tclaude")
    assert os.path.isfile(launcher) and not os.path.islink(launcher)
    assert stat.S_IMODE(os.stat(launcher).st_mode) == 0o755
    with open(launcher, encoding="utf-8") as f:
        lines = f.read().splitlines()
    assert lines[:3] == ["#!/bin/sh", MARKER, '"exec" "python3" "-S" "$0" "$@"']
    assert "import tclaude  # noqa: E402" in lines
    assert lines[-1] == "sys.exit(tclaude.main())"


def pycs(d):
    return sorted(n for n in listing(os.path.join(d, "__pycache__")) if n.startswith("tclaude."))


def test_launcher_parses_as_python38(world):
    assert world.run().returncode == 0
    with open(os.path.join(world.default_dir, "tclaude"), encoding="utf-8") as f:
        ast.parse(f.read(), "tclaude", feature_version=(3, 8))


def test_scripts_parse():
    assert subprocess.run([SH, "-n", INSTALL_SH]).returncode == 0
    assert os.access(INSTALL_SH, os.X_OK)
    ci = os.path.join(ROOT, ".ci", "run")
    if os.path.exists(ci):
        assert subprocess.run(["bash", "-n", ci]).returncode == 0
        assert os.access(ci, os.X_OK)


def test_help_and_bad_option(world):
    r = world.run("--help")
    assert r.returncode == 0
    assert "--uninstall" in r.stdout and "TCLAUDE_INSTALL_DIR" in r.stdout
    assert listing(world.default_dir) == []

    r = world.run("--frobnicate")
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        "install.sh: error: unknown option --frobnicate (try --help)"
    ]
    assert listing(world.default_dir) == []


def test_install_from_checkout_to_default_dir(world):
    r = world.run()
    assert r.returncode == 0, r.stderr
    assert_installed(world, world.default_dir)
    assert "python3 %d.%d." % sys.version_info[:2] in r.stdout
    # the tmp dir is not on PATH: the hint names it through $HOME
    assert 'export PATH="$HOME/.tofu/bin:$PATH"' in r.stdout

    # the launcher runs the program (arguments and exit status pass through), which finds
    # the hook beside its real path
    out = world.tclaude(world.default_dir, "status-line", "x y")
    assert (out.returncode, out.stderr) == (0, "")
    assert out.stdout == "stub tclaude v1; hook beside: True; args: ['status-line', 'x y']\n"
    out = world.tclaude(world.default_dir, "--fail")
    assert out.returncode == 3, out.stderr
    assert listing(world.default_dir) == sorted(NAMES)  # PYTHONDONTWRITEBYTECODE is honoured

    # ... also through a symlink to it from elsewhere, as a user's ~/bin might hold
    elsewhere = world.tmp / "user-bin"
    elsewhere.mkdir()
    os.symlink(os.path.join(world.default_dir, "tclaude"), str(elsewhere / "tclaude"))
    out = world.tclaude(str(elsewhere))
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("stub tclaude v1; hook beside: True;")


def test_launcher_caches_bytecode_beside_the_program(world):
    d = world.default_dir
    assert world.run().returncode == 0
    assert not os.path.exists(os.path.join(d, "__pycache__"))
    out = world.tclaude(d, cached=True)
    assert out.returncode == 0, out.stderr
    cached = pycs(d)
    assert cached == ["tclaude.%s.pyc" % sys.implementation.cache_tag]
    pyc = os.path.join(d, "__pycache__", cached[0])
    before = os.stat(pyc).st_mtime_ns
    out = world.tclaude(d, cached=True)
    assert out.returncode == 0, out.stderr
    assert os.stat(pyc).st_mtime_ns == before  # read, not rewritten
    assert listing(d) == sorted((*NAMES, "__pycache__"))


def test_launcher_runs_python_without_site(world):
    stub = "#!/usr/bin/env python3\nimport sys\n\n\ndef main():\n    print(sys.flags.no_site)\n"
    world.write_source("tclaude.py", stub)
    assert world.run().returncode == 0
    out = world.tclaude(world.default_dir)
    assert (out.returncode, out.stdout, out.stderr) == (0, "1\n", "")


def test_launcher_imports_its_own_tclaude_not_one_on_pythonpath(world):
    assert world.run().returncode == 0
    other = world.tmp / "other"
    other.mkdir()
    (other / "tclaude.py").write_text("def main():\n    print('impostor')\n")
    out = world.tclaude(world.default_dir, env={"PYTHONPATH": str(other)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("stub tclaude v1;")


def test_install_dir_override_and_no_hint_when_on_path(world):
    d = str(world.tmp / "my bin")  # a space, for quoting
    path = d + os.pathsep + os.environ["PATH"]
    r = world.run(env={"TCLAUDE_INSTALL_DIR": d}, path=path)
    assert r.returncode == 0, r.stderr
    assert_installed(world, d)
    assert "export PATH" not in r.stdout
    assert listing(world.default_dir) == []


def test_reinstall_is_idempotent_and_upgrades(world):
    d = str(world.tmp / "bin")
    env = {"TCLAUDE_INSTALL_DIR": d}
    assert world.run(env=env).returncode == 0
    r = world.run(env=env)
    assert r.returncode == 0, r.stderr
    assert_installed(world, d)

    assert world.tclaude(d, cached=True).stdout.startswith("stub tclaude v1;")
    assert len(pycs(d)) == 1

    # v2 has v1's size and likely its mtime second: only dropping the cache on upgrade keeps
    # Python from running v1's bytecode
    world.write_source("tclaude.py", STUB_V2)
    r = world.run(env=env)
    assert r.returncode == 0, r.stderr
    assert "warning" not in r.stderr
    assert listing(d) == sorted(NAMES)  # the stale cache, and its then empty dir, are gone
    assert_installed(world, d)
    assert world.tclaude(d, cached=True).stdout.startswith("stub tclaude v2;")


@pytest.mark.parametrize("target", ["tclaude.py", "{d}/tclaude.py"])
def test_upgrade_replaces_the_old_symlink(world, target):
    d = world.default_dir
    os.makedirs(d)
    for name, text in (("tclaude.py", STUB_PY), ("tclaude-hook.sh", STUB_HOOK)):
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
    os.symlink(target.format(d=d), os.path.join(d, "tclaude"))
    world.write_source("tclaude.py", STUB_V2)

    r = world.run()
    assert r.returncode == 0, r.stderr
    assert "warning" not in r.stderr
    assert_installed(world, d)
    assert world.tclaude(d).stdout.startswith("stub tclaude v2; hook beside: True;")


def test_install_replaces_a_foreign_tclaude_with_a_warning(world):
    os.makedirs(world.default_dir)
    with open(os.path.join(world.default_dir, "tclaude"), "w") as f:
        f.write("#!/bin/sh\necho someone else's\n")
    r = world.run()
    assert r.returncode == 0, r.stderr
    assert "warning: replacing %s/tclaude" % world.default_dir in r.stderr
    assert_installed(world, world.default_dir)


def test_install_refuses_a_tclaude_directory(world):
    os.makedirs(os.path.join(world.default_dir, "tclaude"))
    r = world.run()
    assert r.returncode == 1
    assert "tclaude is a directory" in r.stderr
    assert listing(os.path.join(world.default_dir, "tclaude")) == []


def test_uninstall_removes_only_what_it_installed(world):
    assert world.run().returncode == 0
    sessions = os.path.join(world.home, ".tofu", "claude-sessions")
    os.makedirs(sessions)
    state = os.path.join(sessions, "x.json")
    with open(state, "w") as f:
        f.write("{}")
    other = os.path.join(world.default_dir, "other-tool")
    with open(other, "w") as f:
        f.write("keep me")

    r = world.run("--uninstall")
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert listing(world.default_dir) == ["other-tool"]
    assert os.path.isfile(state)
    assert listing(sessions) == ["x.json"]

    r = world.run("--uninstall")
    assert r.returncode == 0, r.stderr
    assert "nothing to remove" in r.stdout
    assert listing(world.default_dir) == ["other-tool"]


def test_uninstall_removes_the_bytecode_cache(world):
    d = world.default_dir
    assert world.run().returncode == 0
    assert world.tclaude(d, cached=True).returncode == 0
    assert len(pycs(d)) == 1
    r = world.run("--uninstall")
    assert r.returncode == 0, r.stderr
    assert "removed %s/__pycache__/tclaude." % d in r.stdout
    assert listing(d) == []

    # another program's bytecode in __pycache__ stays, and so does the dir
    assert world.run().returncode == 0
    assert world.tclaude(d, cached=True).returncode == 0
    theirs = os.path.join(d, "__pycache__", "other.%s.pyc" % sys.implementation.cache_tag)
    with open(theirs, "wb") as f:
        f.write(b"")
    assert world.run("--uninstall").returncode == 0
    assert listing(d) == ["__pycache__"]
    assert listing(os.path.join(d, "__pycache__")) == [os.path.basename(theirs)]


def test_uninstall_removes_an_old_symlink_install(world):
    d = world.default_dir
    os.makedirs(d)
    for name in ("tclaude.py", "tclaude-hook.sh"):
        shutil.copy(os.path.join(world.checkout, name), d)
    os.symlink("tclaude.py", os.path.join(d, "tclaude"))
    r = world.run("--uninstall")
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert listing(d) == []


def test_uninstall_keeps_a_tclaude_it_did_not_make(world):
    d = world.default_dir
    assert world.run().returncode == 0
    mine = os.path.join(d, "tclaude")
    os.remove(mine)
    with open(mine, "w") as f:
        f.write("#!/bin/sh\n# not %s\n" % MARKER)
    r = world.run("--uninstall")
    assert r.returncode == 0, r.stderr
    assert "left %s in place" % mine in r.stderr
    assert listing(d) == ["tclaude"]
    with open(mine) as f:
        assert f.read() == "#!/bin/sh\n# not %s\n" % MARKER

    # nor a symlink to something other than tclaude.py
    os.remove(mine)
    os.symlink(os.path.join(world.checkout, "tclaude.py"), mine)
    r = world.run("--uninstall")
    assert r.returncode == 0, r.stderr
    assert "left %s in place" % mine in r.stderr
    assert os.path.islink(mine)


def test_missing_tmux_warns_with_hints_but_installs(world):
    path = world.toolbin("bin-notmux", (*BASE_TOOLS, "python3"))
    r = world.run(path=path)
    assert r.returncode == 0, r.stderr
    assert_installed(world, world.default_dir)
    assert "tmux not found" in r.stderr
    for hint in ("apt-get install tmux", "dnf install tmux", "pacman -S tmux", "brew install tmux"):
        assert hint in r.stderr


def test_missing_python_is_an_error(world):
    path = world.toolbin("bin-nopy", (*BASE_TOOLS, "tmux"))
    r = world.run(path=path)
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == [
        "install.sh: error: python3 not found; tclaude needs Python 3.8 or newer on PATH"
    ]
    assert listing(world.default_dir) == []


def test_old_python_is_an_error(world):
    fake = "#!/bin/sh\necho 3.7.9\nexit 1\n"
    path = world.toolbin("bin-oldpy", (*BASE_TOOLS, "tmux"), extra={"python3": fake})
    r = world.run(path=path)
    assert r.returncode == 1
    assert "python3 3.7.9 is too old" in r.stderr
    assert listing(world.default_dir) == []


needs_curl = pytest.mark.skipif(not shutil.which("curl"), reason="curl not installed")


@needs_curl
def test_curl_pipe_sh(world):
    url = "file://" + world.checkout
    r = world.pipe(url, env={"TCLAUDE_REPO_URL": url})
    assert r.returncode == 0, r.stderr
    assert "from " + url in r.stdout
    assert_installed(world, world.default_dir)

    r = world.pipe(url, "--uninstall")
    assert r.returncode == 0, r.stderr
    assert listing(world.default_dir) == []


@needs_curl
def test_pipe_without_repo_url_fails_clearly(world):
    r = world.pipe("file://" + world.checkout)
    assert r.returncode == 1
    errors = [line for line in r.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and "TCLAUDE_REPO_URL" in errors[0]
    assert listing(world.default_dir) == []


@needs_curl
def test_failed_download_keeps_previous_install(world):
    assert world.run().returncode == 0
    bad = "file://" + str(world.tmp / "nowhere")
    r = world.pipe("file://" + world.checkout, env={"TCLAUDE_REPO_URL": bad})
    assert r.returncode == 1
    assert "install.sh: error: download of %s/tclaude.py failed" % bad in r.stderr
    assert_installed(world, world.default_dir)  # intact, and no temp files left behind


@needs_curl
def test_downloaded_non_script_is_rejected(world):
    site = world.tmp / "site"
    site.mkdir()
    (site / "tclaude.py").write_text("<html>404 Not Found</html>\n")
    (site / "tclaude-hook.sh").write_text(STUB_HOOK)
    url = "file://" + str(site)
    r = world.pipe("file://" + world.checkout, env={"TCLAUDE_REPO_URL": url})
    assert r.returncode == 1
    assert "tclaude.py from %s is not a script" % url in r.stderr
    assert listing(world.default_dir) == []  # the dir exists, but holds nothing


def test_wget_is_used_without_curl(world):
    # A stand-in wget that serves file:// URLs and logs its arguments.
    log = world.tmp / "wget.log"
    fake_wget = (
        "#!/bin/sh\n"
        'echo "$@" >> "%s"\n'
        '[ "$1" = -q ] && [ "$2" = -O ] || exit 2\n'
        'cp "${4#file://}" "$3"\n'
    ) % log
    path = world.toolbin("bin-wget", (*BASE_TOOLS, "python3", "tmux"), extra={"wget": fake_wget})
    url = "file://" + world.checkout
    script = str(world.tmp / "install.sh")  # alone: nothing beside it to copy
    shutil.copy(INSTALL_SH, script)
    r = world.run(env={"TCLAUDE_REPO_URL": url}, path=path, script=script)
    assert r.returncode == 0, r.stderr
    assert_installed(world, world.default_dir)
    assert log.read_text().count("-q -O ") == 2


@pytest.mark.skipif(
    not all(os.path.isfile(os.path.join(ROOT, n)) for n in ("tclaude.py", "tclaude-hook.sh")),
    reason="tclaude.py / tclaude-hook.sh not in the checkout yet",
)
def test_install_real_checkout(world):
    d = str(world.tmp / "bin")
    r = world.run(env={"TCLAUDE_INSTALL_DIR": d}, script=INSTALL_SH)
    assert r.returncode == 0, r.stderr
    assert_installed(world, d, source_dir=ROOT)
    out = world.tclaude(d, "--help", cached=True)
    assert out.returncode == 0, out.stderr
    assert "usage: tclaude" in out.stdout
    assert len(pycs(d)) == 1


def test_install_never_writes_through_a_link_at_its_staging_name(world):
    """A file (or planted link) left at a staging name is replaced, not written through."""
    victim = world.tmp / "victim"
    victim.write_text("precious\n")
    d = world.default_dir
    plant = 'mkdir -p "$1" && ln -s "$2" "$1/.tclaude.py.tmp.$$" && exec "$0" "$3"'
    r = subprocess.run(
        [SH, "-c", plant, SH, d, str(victim), os.path.join(world.checkout, "install.sh")],
        cwd=str(world.tmp), env=world.env, stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert victim.read_text() == "precious\n"
    assert_installed(world, d)
