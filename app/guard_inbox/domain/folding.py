"""Accent- and case-free text, so "gorski" finds "Górski" and "LODZ" finds "Łódź".

Stored beside each code (``search_key``, ``shop_key``) and applied to what the user types,
so search stays one SQL ``LIKE`` on plain columns: no per-row Python, no database extension.
"""

from __future__ import annotations

import unicodedata

# Letters that Unicode does not decompose into a base letter and an accent.
_LETTERS = str.maketrans({
    "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ħ": "h", "Ħ": "H",
    "ı": "i", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "þ": "th", "Þ": "TH", "ð": "d",
    "Ð": "D",
})
_SEPARATOR = "\x1f"  # between fields of a search key: no typed text spans two fields


def fold(text: str) -> str:
    """Lower case without accents: ``fold("Górski ŁÓDŹ Straße") == "gorski lodz strasse"``."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LETTERS))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return bare.casefold()


def search_key(code: str, merchant: str, discount: str) -> str:
    """What a search looks through: code, shop and discount, folded."""
    return _SEPARATOR.join(fold(part) for part in (code, merchant, discount))


def search_terms(text: str) -> list[str]:
    """Each word the user typed, folded: every one must match (``"gorski 10%"``)."""
    return [term for term in fold(text).split() if term]
