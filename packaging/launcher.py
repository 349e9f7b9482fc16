"""PyInstaller's entry script: the frozen `guard-inbox` executable runs `guard_inbox.bootstrap.main`."""

from __future__ import annotations

import sys

from guard_inbox.bootstrap import main

if __name__ == "__main__":
    sys.exit(main())
