"""Use cases with no Qt and no huey: scanning, exporting, reading for the UI and CLI."""
