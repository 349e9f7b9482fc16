"""schema.org promotion markup: the codes a sender declares on purpose.

Gmail's Promotions tab reads ``DiscountOffer`` annotations (JSON-LD or microdata) that
retailers embed for it.  When present they are the most trustworthy source we have -- the
sender states the code, its description and its end date in machine-readable form -- so the
pipeline runs this layer first and lets it win over the text rules.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from guard_inbox.domain.models import FoundCode, MailMessage
from guard_inbox.extraction.layer import LayerResult
from guard_inbox.extraction.schema import MARKER
from guard_inbox.extraction.text import Document, build_document
from guard_inbox.extraction.whitespace import normalise_whitespace

SOURCE = "markup"
_MAX_CODE_CHARS = 64


def _last_segment(type_name: str) -> str:
    """``https://schema.org/DiscountOffer`` and ``schema:DiscountOffer`` -> ``DiscountOffer``."""
    return re.split(r"[/:#]", type_name.strip())[-1]


def _is_discount_offer(type_value: object) -> bool:
    types = type_value if isinstance(type_value, list) else [type_value]
    return any(isinstance(t, str) and _last_segment(t) == "DiscountOffer" for t in types)


def parse_datetime(value: str) -> datetime | None:
    """An ISO 8601 date or date-time as an aware datetime, or None if it is not one.

    A bare date means the whole day, so it becomes 23:59:59 UTC; a naive date-time is taken
    as UTC because schema.org says nothing better and a wrong hour is harmless here.
    """
    text = value.strip()
    if not text:
        return None
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if len(text) <= 10:
        parsed = parsed.replace(hour=23, minute=59, second=59)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _text_field(data: dict[str, object], key: str) -> str:
    value = data.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    return normalise_whitespace(value) if isinstance(value, str) else ""


def _clean_code(raw: str) -> str:
    code = raw.strip().strip("\"'")
    return code if 0 < len(code) <= _MAX_CODE_CHARS and " " not in code else ""


def _has_type(item: dict[str, object], wanted: str) -> bool:
    types = item.get("@type")
    listed = types if isinstance(types, list) else [types]
    return any(isinstance(t, str) and _last_segment(t) == wanted for t in listed)


_CURRENCY = {"USD": "$", "GBP": "£", "EUR": "€", "CAD": "$", "AUD": "$"}


def _card_discount(card: dict[str, object]) -> str:
    """A PromotionCard's saving as a shopper reads it: "$20 off"."""
    value = _text_field(card, "discountValue")
    if not value:
        return ""
    value = value[:-3] if value.endswith(".00") else value.removesuffix(".0")
    currency = _text_field(card, "priceCurrency").upper()
    symbol = _CURRENCY.get(currency)
    return f"{symbol}{value} off" if symbol else f"{value} {currency} off".replace("  ", " ")


def codes_from_objects(objects: list[dict[str, object]]) -> list[FoundCode]:
    """Codes of every ``DiscountOffer`` among schema.org objects, with the ``Organization``
    name as merchant and a ``PromotionCard``'s discount and link as fallbacks."""
    merchant = next((_text_field(o, "name") for o in objects if _has_type(o, "Organization")), "")
    card = next((o for o in objects if _has_type(o, "PromotionCard")), {})
    found: list[FoundCode] = []
    for item in objects:
        if not _is_discount_offer(item.get("@type")):
            continue
        code = _clean_code(_text_field(item, "discountCode"))
        if not code:
            continue
        found.append(
            FoundCode(
                code=code,
                merchant=merchant,
                discount=_text_field(item, "description") or _card_discount(card),
                expires=parse_datetime(_text_field(item, "availabilityEnds")),
                link=_text_field(item, "url") or _text_field(card, "url"),
                source=SOURCE,
            )
        )
    return found


class MarkupExtractor:
    """Extractor for schema.org ``DiscountOffer`` annotations in the HTML body."""

    def extract(self, message: MailMessage) -> list[FoundCode]:
        if MARKER not in message.html:
            return []  # cheap pre-check: almost no mail carries promotion markup
        return _declared(build_document(message))

    def read_document(self, message: MailMessage, doc: Document) -> LayerResult:
        """The declared codes; no view on whether the message offers others (``confident``
        stays None): a sender declares codes or does not."""
        return LayerResult(tuple(_declared(doc)))


def _declared(doc: Document) -> list[FoundCode]:
    """The codes of the objects build_document read off the parsed tree."""
    return [*codes_from_objects(list(doc.json_ld)), *codes_from_objects(list(doc.microdata))]
