"""schema.org objects a sender embeds in an HTML body (JSON-LD and microdata), read from the
same parsed tree as the visible text (text.py), so a message's HTML is parsed once.

Only bodies that mention ``DiscountOffer`` are read: almost no mail carries promotion markup,
and the markup layer (markup.py) looks for nothing else.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

from selectolax.lexbor import LexborHTMLParser, LexborNode

from guard_inbox.extraction.whitespace import normalise_whitespace

__all__ = ["MARKER", "declared_objects"]

logger = logging.getLogger(__name__)

MARKER = "DiscountOffer"
# JSON-LD nests offers inside Organization/PromotionCard objects; bounded so a hostile
# document cannot recurse us into a RecursionError.
_MAX_DEPTH = 12


Objects = tuple[dict[str, object], ...]


def declared_objects(tree: LexborHTMLParser) -> tuple[Objects, Objects]:
    """The JSON-LD objects and the microdata objects of ``tree`` (read before scripts go)."""
    return tuple(_json_ld_objects(tree)), tuple(_microdata_objects(tree))


def _walk_json(node: object, depth: int = 0) -> Iterator[dict[str, object]]:
    """Every JSON object in ``node`` (lists, ``@graph`` and nested values included)."""
    if depth > _MAX_DEPTH:
        return
    if isinstance(node, list):
        for item in node:
            yield from _walk_json(item, depth + 1)
    elif isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk_json(value, depth + 1)


def _json_ld_objects(tree: LexborHTMLParser) -> Iterator[dict[str, object]]:
    for script in tree.css("script"):
        kind = (script.attributes.get("type") or "").strip().lower()
        if kind != "application/ld+json":
            continue
        try:
            document = json.loads(script.text(deep=True))
        except (ValueError, RecursionError):
            # Senders ship broken JSON-LD (trailing commas, HTML entities); one bad block
            # must not hide the rest of the message.
            logger.debug("skipping unparsable JSON-LD block")
            continue
        yield from _walk_json(document)


def _prop_value(node: LexborNode) -> str:
    """A microdata property's value: ``content``/``datetime``/``href`` attribute, else text."""
    for attribute in ("content", "datetime", "value", "href"):
        value = node.attributes.get(attribute)
        if value is not None and value.strip():
            return value.strip()
    return normalise_whitespace(node.text(deep=True, separator=" "))


def _microdata_objects(tree: LexborHTMLParser) -> Iterator[dict[str, object]]:
    for scope in tree.css("[itemtype]"):
        props: dict[str, object] = {"@type": (scope.attributes.get("itemtype") or "").strip()}
        for prop in scope.css("[itemprop]"):
            for name in (prop.attributes.get("itemprop") or "").split():
                props.setdefault(name, _prop_value(prop))
        yield props
