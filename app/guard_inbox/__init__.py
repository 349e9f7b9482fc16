"""Guard Inbox: finds promo codes in your mail and tells you before they expire."""

__version__ = "0.1.0"
