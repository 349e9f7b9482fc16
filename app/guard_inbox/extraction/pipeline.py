"""The extractor the rest of the app uses: every layer, in order of trust, behind one port.

Layers run most-trusted first (declared markup, then text rules; an AI layer slots in later)
and the first layer to report a code owns it, so a code the sender declared keeps the
sender's own description and end date.  A scan must never die on one odd message, so a
layer that raises is logged and skipped rather than propagated.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Sequence
from email.utils import parseaddr

from guard_inbox.domain.models import FoundCode, MailMessage
from guard_inbox.domain.ports import Extractor
from guard_inbox.extraction.markup import MarkupExtractor
from guard_inbox.extraction.rules import RuleExtractor

logger = logging.getLogger(__name__)

# Second-level labels under which ccTLDs sell names ("shop.co.uk", "shop.com.au").
_SECOND_LEVEL_LIST = "ac co com edu gen gob gov govt ltd me mil net nic nom or org plc sch"
_SECOND_LEVEL = frozenset(_SECOND_LEVEL_LIST.split())
# Multi-label public suffixes that the two-letter rule above does not catch.
_KNOWN_SUFFIXES = frozenset({"com.de", "co.com", "us.com", "uk.com", "eu.com"})
_VIA = re.compile(r"\s*[(\[]?\bvia\b.*$", re.IGNORECASE)
_TEAM = re.compile(r"^(?:the\s+)?(?:team\s+)?|\s+team$|\s*[-|:]\s*$", re.IGNORECASE)
_NOISE_NAMES = re.compile(
    r"^(?:no[\s._-]?reply|do[\s._-]?not[\s._-]?reply|newsletters?|news|info|hello|team"
    r"|support|customer\s+service|notifications?|alerts?|mailer|marketing|offers|deals)$",
    re.IGNORECASE,
)


def registrable_domain(host: str) -> str:
    """``email.nike.com`` -> ``nike.com``; ``mail.tesco.co.uk`` -> ``tesco.co.uk``.

    A two-rule stand-in for the Public Suffix List, which would be a dependency and a data
    file to refresh for the sake of a display label.
    """
    labels = [label for label in host.strip().strip(".").lower().split(".") if label]
    if len(labels) <= 2:
        return ".".join(labels)
    last_two = ".".join(labels[-2:])
    country_second_level = len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL
    if country_second_level or last_two in _KNOWN_SUFFIXES:
        return ".".join(labels[-3:])
    return last_two


def merchant_from_sender(sender: str) -> str:
    """Shop name for a From header: its display name when it has a useful one, else the
    registrable domain of the address."""
    name, address = parseaddr(sender)
    name = _VIA.sub("", name.strip().strip("\"'").strip())
    name = _TEAM.sub("", name).strip().strip("\"'").strip()
    if name and "@" not in name and not _NOISE_NAMES.match(name):
        return name
    domain = address.rpartition("@")[2] if "@" in address else ""
    return registrable_domain(domain)


class ExtractionPipeline:
    """Runs each extraction layer and merges their codes, case-insensitively de-duplicated."""

    def __init__(self, layers: Sequence[Extractor] | None = None) -> None:
        self._layers: tuple[Extractor, ...] = (
            tuple(layers) if layers is not None else (MarkupExtractor(), RuleExtractor())
        )

    def extract(self, message: MailMessage) -> list[FoundCode]:
        merged: dict[str, FoundCode] = {}
        for layer in self._layers:
            try:
                found = layer.extract(message)
            except Exception:  # a bug in one layer must not cost the others' codes
                logger.exception(
                    "extractor %s failed on message %s; its results are dropped",
                    type(layer).__name__,
                    message.provider_id,
                )
                continue
            for code in found:
                merged.setdefault(code.code.casefold(), code)
        if not merged:
            return []
        try:
            merchant = merchant_from_sender(message.sender)
        except Exception:
            logger.exception("could not derive a merchant from %r", message.sender)
            merchant = ""
        return [
            code if code.merchant else dataclasses.replace(code, merchant=merchant)
            for code in merged.values()
        ]
