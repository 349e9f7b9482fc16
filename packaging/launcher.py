"""PyInstaller's entry script: the frozen `guard-inbox` executable runs `guard_inbox.bootstrap.main`."""

from __future__ import annotations

import multiprocessing
import sys

from guard_inbox.bootstrap import main

if __name__ == "__main__":
    # Local scans read mail in processes started from this executable (services/reading_pool.py):
    # in a frozen app those must run multiprocessing's child code, not the app again.
    multiprocessing.freeze_support()
    sys.exit(main())
