# tclaude developer tasks.  Needs only python3 (3.8+, with venv) and tmux; the dev tools
# pinned in requirements-dev.txt go into $(VENV) on first use.
#
#   make test [PYTEST_ARGS="tests/test_x.py -k foo"]   unit/integration tests (fake claude)
#   make lint                                          ruff, ruff format --check, vermin, shellcheck
#   make fmt                                           ruff --fix-only + ruff format
#   make bench [BENCH_ARGS=...]                        tests/bench.py, bench_hook.py, bench_watch.py, bench_hosts.py (~3 min)
#   make e2e [E2E_ARGS=...]                            real claude CLI, offline (tests/kit; npm once)
#   make install / make uninstall                      ./install.sh [--uninstall]
#   make clean / make distclean                        caches / caches + .venv

PYTHON ?= python3
VENV ?= .venv
PYTEST_ARGS ?=
BENCH_ARGS ?=
KIT ?= tests/kit
E2E_ARGS ?= tests/e2e
INSTALL_ARGS ?=

VPY := $(VENV)/bin/python
STAMP := $(VENV)/.tclaude-dev-installed
PY_SOURCES := tclaude.py tests
SH_SOURCES := tclaude-hook.sh install.sh .ci/run tests/kit/install-claude.sh tests/kit/env.sh
BENCHES := tests/bench.py tests/bench_hook.py tests/bench_watch.py tests/bench_hosts.py

export PIP_DISABLE_PIP_VERSION_CHECK := 1

.DEFAULT_GOAL := test
.PHONY: help venv test lint fmt bench e2e install uninstall clean distclean

help:
	@sed -n 's/^#   //p' Makefile

# The venv and its pinned tools; the stamp makes the second run free.  Rebuilt when
# requirements-dev.txt changes.
$(STAMP): requirements-dev.txt
	@if [ ! -x "$(VPY)" ]; then \
	    echo "creating $(VENV) with $(PYTHON)"; \
	    $(PYTHON) -m venv "$(VENV)" || { \
	        echo "make: '$(PYTHON) -m venv' failed; on Debian/Ubuntu: apt-get install python3-venv" >&2; \
	        exit 1; }; \
	fi
	"$(VPY)" -m pip install --quiet -r requirements-dev.txt
	@touch "$@"

venv: $(STAMP)

test: $(STAMP)
	"$(VPY)" -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	"$(VENV)/bin/ruff" check .
	"$(VENV)/bin/ruff" format --check .
	"$(VENV)/bin/vermin" -t=3.8- --violations --no-tips $(PY_SOURCES)
	@if [ -x "$(VENV)/bin/shellcheck" ]; then sc="$(VENV)/bin/shellcheck"; \
	elif command -v shellcheck >/dev/null 2>&1; then sc=shellcheck; \
	else echo "shellcheck not found: skipping $(SH_SOURCES)"; exit 0; fi; \
	echo "$$sc $(SH_SOURCES)"; "$$sc" $(SH_SOURCES)

fmt: $(STAMP)
	"$(VENV)/bin/ruff" check --fix-only .
	"$(VENV)/bin/ruff" format .

bench: $(STAMP)
	@ran=0; for f in $(BENCHES); do \
	    if [ -f "$$f" ]; then echo "$(VPY) $$f $(BENCH_ARGS)"; "$(VPY)" "$$f" $(BENCH_ARGS) || exit $$?; ran=1; fi; \
	done; [ $$ran = 1 ] || echo "no benchmarks yet ($(BENCHES))"

# Installs the pinned claude CLI once (npm, into ~/.cache/tclaude-kit), then runs the
# real_claude tests inside the kit's offline env (stub API, temp HOME, private tmux server),
# always tearing it down.
e2e: $(STAMP)
	"$(KIT)/install-claude.sh" >/dev/null
	bash -c 'source "$$1/env.sh" || exit 2; "$$2" -m pytest -p no:cacheprovider -m real_claude $(E2E_ARGS); rc=$$?; kit_stop; exit $$rc' \
	    e2e "$(KIT)" "$(abspath $(VPY))"

install:
	./install.sh $(INSTALL_ARGS)

uninstall:
	./install.sh --uninstall $(INSTALL_ARGS)

clean:
	rm -rf .pytest_cache .ruff_cache
	find . -path "./$(VENV)" -prune -o -name __pycache__ -type d -exec rm -rf {} +

distclean: clean
	rm -rf "$(VENV)"
