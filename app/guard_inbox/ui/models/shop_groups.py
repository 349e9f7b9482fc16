"""The codes list grouped by shop: a header entry before each shop's codes."""

from __future__ import annotations

from collections.abc import Sequence

NO_SHOP = "(no shop)"
Groups = list[tuple[str, int]]  # (shop name, how many codes) per header entry, in order


def grouped(rows: Sequence[tuple[int, str, str]]) -> tuple[list[int], Groups]:
    """Ids with a header entry (``-1``, ``-2``, … naming ``groups[0]``, ``groups[1]``, …)
    before each shop's codes. ``rows`` are (id, shop key, shop name) sorted by shop key
    (Queries.code_shops), so "Górski" and "GORSKI" share one header."""
    entries: list[int] = []
    names: list[str] = []
    counts: list[int] = []
    last: str | None = None
    for code_id, key, name in rows:
        if not names or key != last:
            names.append(name or NO_SHOP)
            counts.append(0)
            entries.append(-len(names))
            last = key
        counts[-1] += 1
        entries.append(code_id)
    return entries, list(zip(names, counts, strict=True))
