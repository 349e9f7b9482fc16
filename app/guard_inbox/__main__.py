"""``python -m guard_inbox`` runs the same entry point as the ``guard-inbox`` command."""

from guard_inbox.bootstrap import main

if __name__ == "__main__":
    raise SystemExit(main())
