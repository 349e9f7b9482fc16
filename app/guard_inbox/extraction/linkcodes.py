"""Codes carried by links, and the link a shopper should follow for a code.

Shops auto-apply codes through links: ``?coupon=X``, ``?promo=X``, ``?discount=X`` and
Shopify's ``/discount/X``.  ESPs wrap every link in a click tracker; some trackers carry the
destination percent-encoded in a parameter, and those are unwrapped (twice at most) to find the
code, while the link itself is kept exactly as sent -- we never follow a tracker.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import unquote

from guard_inbox.extraction.cues import led_by
from guard_inbox.extraction.text import Link


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_PARAM = re.compile(
    r"[?&;](?:coupon|coupon_?code|couponcode|promo|promo_?code|promocode|promotion_?code|discount|"
    r"discount_?code|discountcode|voucher|voucher_?code|vouchercode|apply_?coupon|dc|gutschein|"
    r"cupon|cupom|codigo_?promo|code_?promo|kod_?rabatowy)=(?P<code>[^&#;\s]{3,40})",
    re.IGNORECASE,
)
_SHOPIFY = re.compile(r"/discount/(?P<code>[^/?#&\s]{3,40})(?:[/?#&]|$)", re.IGNORECASE)
_VALUE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{1,30}[A-Za-z0-9]")
_NOT_CODES = _words(
    "true false yes no none null undefined email newsletter sms app web on off all default auto "
    "applied apply code codes promo coupon discount sale home shop cart checkout"
)
# Links that never lead to an offer: list management, legal pages, social profiles.
_UTILITY = led_by(
    "uopmftiwxylv",
    r"unsubscribe|opt[-_]?out|optout|preferences|preference|manage[-_]?subscription|/privacy|"
    r"/terms|mailto:|tel:|facebook\.com|instagram\.com|twitter\.com|x\.com/|tiktok\.com|"
    r"youtube\.com|pinterest\.|linkedin\.com|view\.|/view|webversion|view[-_]?online|"
    r"/o/|open\.|\.gif$|\.png$|\.jpe?g$|/u/|list-unsubscribe",
    r"/.",
)
_UTILITY_LABEL = re.compile(
    r"unsubscribe|preferences|privacy|view\s+(?:this\s+)?(?:email\s+)?in\s+(?:your\s+)?browser|"
    r"view\s+online|darse\s+de\s+baja|d[ée]sinscri|abmelden|annulla\s+l'iscrizione|descadastr|"
    r"wypisz|ver\s+en\s+el\s+navegador|version\s+en\s+ligne|im\s+browser|nel\s+browser|"
    r"no\s+navegador|w\s+przegl[ąa]darce|terms|help|contact|facebook|instagram|twitter|tiktok",
    re.IGNORECASE,
)
_NEAR = 600
_HINTS = ("coupon", "promo", "discount", "voucher", "gutschein", "cupon", "cupom", "code", "dc=", "kod")


@dataclass(frozen=True, slots=True)
class LinkCode:
    code: str
    link: Link


def _decoded(href: str) -> Iterator[str]:
    yield href
    once = unquote(href)
    if once != href:
        yield once
        twice = unquote(once)
        if twice != once:
            yield twice


def codes_in_link(href: str) -> list[str]:
    """Codes a link applies, in the order they appear; empty for ordinary links."""
    if len(href) > 4000:
        return []
    forms = [href] if "%" not in href else list(_decoded(href))
    lowered = "\n".join(forms).lower()  # no hint holds a newline, so none spans two forms
    if not any(hint in lowered for hint in _HINTS):
        return []  # cheap pre-check: almost every link is an ordinary one
    if _UTILITY.search(href):
        return []
    found: list[str] = []
    for form in forms:
        for pattern in (_PARAM, _SHOPIFY):
            for match in pattern.finditer(form):
                value = match.group("code")
                if (
                    _VALUE.fullmatch(value)
                    and value.lower() not in _NOT_CODES
                    and not value.isdigit()
                    and (not value.islower() or any(ch.isdigit() for ch in value))
                    and value not in found
                ):
                    found.append(value)
    return found


def link_codes(links: Iterable[Link]) -> list[LinkCode]:
    seen: set[str] = set()
    result: list[LinkCode] = []
    for link in links:
        for code in codes_in_link(link.href):
            if code.casefold() not in seen:
                seen.add(code.casefold())
                result.append(LinkCode(code, link))
    return result


def is_shop_link(link: Link) -> bool:
    href = link.href.strip()
    if not href.lower().startswith(("http://", "https://")):
        return False
    return not (_UTILITY.search(href) or (link.label and _UTILITY_LABEL.search(link.label)))


def landing_link(links: Sequence[Link], start: int, end: int, code: str) -> str:
    """The link nearest a code: one that applies the code, else the next shop link after it
    (the call to action under a code), else the closest one before it."""
    folded = code.casefold()
    for link in links:
        if any(c.casefold() == folded for c in codes_in_link(link.href)):
            return link.href
    after = [link for link in links if start <= link.position <= end + _NEAR and is_shop_link(link)]
    if after:
        return min(after, key=lambda link: link.position).href
    before = [link for link in links if start - _NEAR <= link.position < start and is_shop_link(link)]
    if before:
        return max(before, key=lambda link: link.position).href
    return ""
