"""Whitespace as the rules read it: one space between words, trimmed lines, at most one blank
line.  Kept apart so the text view and the schema.org reader share it without importing each
other."""

from __future__ import annotations

import re

__all__ = ["BLANK_LINES", "normalise_whitespace"]

# Zero-width and formatting characters that preheader padding and obfuscation rely on.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f"
    "\u202a-\u202e\u2060-\u2064\u206a-\u206f\u3164\ufeff\uffa0]"
)
_SPACES = re.compile(r"[^\S\n]+")
BLANK_LINES = re.compile(r"\n\s*\n+")
_LINE_EDGES = re.compile(r" *\n *")

def normalise_whitespace(text: str) -> str:
    """Collapse runs of spaces, trim lines and squeeze blank lines.

    Rules match across single spaces only, so every source of text goes through this to
    make ``Use  code\\u00a0SAVE`` and ``Use code SAVE`` look the same.
    """
    text = _INVISIBLE.sub("", text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _LINE_EDGES.sub("\n", _SPACES.sub(" ", text))
    return BLANK_LINES.sub("\n\n", text).strip()
