"""Dialogs: small windows fed with already-loaded domain objects."""
