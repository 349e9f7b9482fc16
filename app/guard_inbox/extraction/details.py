"""What a code is worth and when it stops working, read from the text around it.

Kept apart from the cue rules because every layer needs it: the rules attach it to the codes
they find, and a later AI layer can use it to check what a model claims.  Both functions only
report what the text states; an expiry whose year cannot be pinned down is left out rather
than guessed, since a wrong date would make the app nag about a dead code or stay silent
about a live one.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo

_MONEY = (
    r"(?:[$£€]\s?\d{1,5}(?:[.,]\d{1,2})?"
    r"|\d{1,5}(?:[.,]\d{1,2})?\s?(?:€|zł|kr|eur|usd|gbp|pln)\b)"
)
_AMOUNT = rf"(?:\d{{1,2}}(?:[.,]\d{{1,2}})?\s?%|{_MONEY})"
_MIN_SPEND = (
    r"(?:\s+(?:(?:on\s+|your\s+|all\s+|any\s+)*(?:first\s+)?(?:orders?|purchases?)"
    r"\s+(?:over|of|above|from)|when\s+you\s+spend(?:\s+over)?)"
    rf"\s+(?P<spend>{_MONEY}\+?))"
)
_DISCOUNT = re.compile(
    rf"(?:(?P<verb>\b(?:get|save|saving|take|enjoy|extra|receive|unlock|claim|with)\s+"
    rf"(?:an?\s+)?(?:extra\s+)?(?:up\s+to\s+)?)?)"
    rf"(?P<amount>{_AMOUNT})(?P<off>\s+(?:off|discount|korting|rabatt|rabatu|sconto)\b)?"
    rf"{_MIN_SPEND}?",
    re.IGNORECASE,
)
_SPEND_ALONE = re.compile(
    rf"\b(?:orders?|purchases?|spend|minimum(?:\s+(?:spend|purchase|order))?)"
    rf"\s+(?:(?:over|of|above|from)\s+)?(?P<spend>{_MONEY}\+?)",
    re.IGNORECASE,
)
_FREE_SHIPPING = re.compile(
    r"\bfree\s+(?:standard\s+|express\s+|next[- ]day\s+)?(?:shipping|delivery)\b"
    r"|\bbuy\s+one,?\s+get\s+one(?:\s+free)?\b|\bbogo\b",
    re.IGNORECASE,
)

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_WEEKDAY = r"(?:(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*\.?,?\s+)"
_EXPIRY = re.compile(
    r"\b(?:expires?|expiring|expiration(?:\s+date)?|exp\.|valid\s+(?:until|till|through|thru|to)"
    r"|good\s+(?:until|till|through|thru)|(?:offer\s+|sale\s+|promo(?:tion)?\s+)?ends?"
    r"|ending|until|till|through|thru|(?:use|redeem|valid)\s+by|last\s+day(?:\s+is)?)"
    r"[\s:,]*(?:on\s+)?(?:(?:at\s+)?(?:midnight|\d{1,2}(?::\d{2})?\s?[ap]\.?m\.?)"
    r"(?:\s+[a-z]{2,4}\b)?[\s,]+(?:on\s+)?)?"
    rf"{_WEEKDAY}?(?:the\s+)?"
    r"(?:(?P<iy>\d{4})[-/.](?P<im>\d{1,2})[-/.](?P<id>\d{1,2})"
    r"|(?P<a>\d{1,2})[/.](?P<b>\d{1,2})(?:[/.](?P<y>\d{4}|\d{2}))?"
    rf"|(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m1>{_MONTH})\.?(?:,?\s+(?P<y1>\d{{4}}))?"
    rf"|(?P<m2>{_MONTH})\.?\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<y2>\d{{4}}))?)"
    r"(?![\d/.]*\d)",
    re.IGNORECASE,
)
# Country-code domains whose senders write day/month/year; everyone else is read as the US
# month/day order, which is what most .com marketing mail uses.
_DAY_FIRST_TLD_LIST = (
    "uk ie au nz in za de fr es it nl be pl pt at ch dk se no fi cz sk hu ro bg gr br ar "
    "cl co mx sg my hk ph ae sa il tr ru ua"
)
_DAY_FIRST_TLDS = frozenset(_DAY_FIRST_TLD_LIST.split())
_NEAR = 300  # characters either side of a code that count as "about this code"
_LOOSE_WORD = re.compile(r"(?:until|till|through|thru)\b", re.IGNORECASE)
_RELATIVE = re.compile(
    r"\b(?:expires?|expiring|ends?|ending|valid\s+(?:until|through))\s+(?:at\s+midnight\s+)?"
    r"(today|tonight|tomorrow)\b",
    re.IGNORECASE,
)
# A yearless date this long before the message is taken to mean next year ("ends Jan 5"
# in a late-December mail).
_ROLLOVER = timedelta(days=60)


def _nearest(matches: list[re.Match[str]], start: int, end: int) -> re.Match[str] | None:
    def distance(match: re.Match[str]) -> int:
        if match.end() <= start:
            return start - match.end()
        return max(0, match.start() - end)

    return min(matches, key=distance, default=None)


def _squash(value: str) -> str:
    return " ".join(value.split())


def find_discount(text: str, start: int, end: int, reach: int = 160) -> tuple[str, str]:
    """``(discount, min_spend)`` stated nearest to ``text[start:end]``, or empty strings.

    A bare amount is a price, not a discount, so it counts only with "off"/"discount" after
    it or a verb such as "save"/"get" before it.
    """
    lo, hi = max(0, start - reach), min(len(text), end + reach)
    window = text[lo:hi]
    found = [m for m in _DISCOUNT.finditer(window) if m.group("off") or m.group("verb")]
    best = _nearest(found, start - lo, end - lo)
    discount = min_spend = ""
    if best is not None:
        discount = _squash(best.group(0)[best.start("amount") - best.start() :])
        if not best.group("off") and not best.group("spend"):
            discount = _squash(best.group("amount"))
        min_spend = _squash(best.group("spend") or "")
    else:
        free = _nearest(list(_FREE_SHIPPING.finditer(window)), start - lo, end - lo)
        discount = _squash(free.group(0).lower()) if free else ""
    if discount and not min_spend:
        spend = _nearest(list(_SPEND_ALONE.finditer(window)), start - lo, end - lo)
        min_spend = _squash(spend.group("spend")) if spend else ""
    return discount, min_spend


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _build(year: int | None, month: int, day: int, sent: datetime | None, zone: tzinfo) -> datetime | None:
    if year is None:
        if sent is None:
            return None  # never invent a year
        year = sent.year
        try:
            if date(year, month, day) < sent.date() - _ROLLOVER:
                year += 1
        except ValueError:
            return None
    elif year < 100:
        year += 2000
    try:
        return datetime.combine(date(year, month, day), time(23, 59, 59), tzinfo=zone)
    except ValueError:
        return None


def _from_match(
    match: re.Match[str], sent: datetime | None, day_first: bool, zone: tzinfo
) -> datetime | None:
    group = match.group
    if group("iy"):
        return _build(int(group("iy")), int(group("im")), int(group("id")), sent, zone)
    year_text = group("y") or group("y1") or group("y2")
    year = int(year_text) if year_text else None
    if group("a"):
        first, second = int(group("a")), int(group("b"))
        if first > 12 or (day_first and second <= 12):
            first, second = second, first
        return _build(year, first, second, sent, zone)
    month_name = (group("m1") or group("m2")).lower()
    month = _MONTHS.get(month_name[:4] if month_name.startswith("sept") else month_name[:3])
    if month is None:
        return None
    return _build(year, month, int(group("d1") or group("d2")), sent, zone)


def day_first_hint(text: str, sender_domain: str) -> bool:
    """Whether ``03/04`` in this message means 3 April: from the sender's country domain,
    else from the currency it quotes (pounds and euros but no dollars)."""
    tld = sender_domain.rsplit(".", 1)[-1].lower() if "." in sender_domain else ""
    if tld in _DAY_FIRST_TLDS:
        return True
    if tld in ("com", "us", "net", "org", "ca"):
        return False
    return ("£" in text or "€" in text) and "$" not in text


def _relative(text: str, lo: int, hi: int, sent: datetime | None) -> datetime | None:
    """ "Ends tonight" / "expires tomorrow": a date only relative to when the mail was sent."""
    if sent is None:
        return None
    match = _RELATIVE.search(text, lo, hi)
    if match is None:
        return None
    day = sent.date() + timedelta(days=1 if match.group(1).lower() == "tomorrow" else 0)
    return datetime.combine(day, time(23, 59, 59), tzinfo=sent.tzinfo)


def find_expiry(
    text: str, start: int, end: int, *, sent: datetime | None, day_first: bool
) -> datetime | None:
    """The end date stated nearest to ``text[start:end]``, else one stated plainly elsewhere.

    The result is the last second of that day in the message's own time zone (UTC when the
    message has none); None when the text states no date or no year can be resolved.  Far
    from the code only explicit wording counts ("offer expires", "valid until"), because a
    bare "until January 31" in the footer is as likely the returns window.
    """
    sent = _as_utc(sent) if sent is not None else None
    zone = sent.tzinfo if sent is not None and sent.tzinfo is not None else UTC
    lo, hi = max(0, start - _NEAR), min(len(text), end + _NEAR)
    near = list(_EXPIRY.finditer(text, lo, hi))
    if not near:
        relative = _relative(text, lo, hi, sent)
        if relative is not None:
            return relative
    candidates = near or [m for m in _EXPIRY.finditer(text) if not _LOOSE_WORD.match(m.group(0))]
    for match in sorted(candidates, key=lambda m: abs(m.start() - start)):
        moment = _from_match(match, sent, day_first, zone)
        if moment is not None:
            return moment
    return None
