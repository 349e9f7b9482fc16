"""What a code is worth and the least a shopper must spend, read from the text around it.

Kept apart from the cue rules because every layer needs it: the rules attach it to the codes
they find, and an AI layer can use it to check what a model claims.  It only reports what the
text states.  Expiry lives in dates.py; both are re-exported here for callers of the old API.
"""

from __future__ import annotations

import re

from guard_inbox.extraction.cues import led_by
from guard_inbox.extraction.dates import day_first_hint, find_expiry

__all__ = ["day_first_hint", "find_discount", "find_expiry"]

_NUMBER = r"\d{1,3}(?:[.,\s]\d{3})+(?:[.,]\d{1,2})?|\d{1,5}(?:[.,]\d{1,2})?"
_MONEY = (
    rf"(?:(?:R\$|US\$|CHF|[$£€])\s?(?:{_NUMBER})(?:\.-)?"
    rf"|(?:{_NUMBER})\s?(?:€|zł|kr|eur|usd|gbp|pln|chf|euros?|z[łl]otych)(?![^\W\d_]))"
)
_AMOUNT = rf"(?:\d{{1,2}}(?:[.,]\d{{1,2}})?\s?%|{_MONEY})"
_OFF_WORDS = (
    r"off|discount|korting|rabatt|rabatu|sconto|di\s+sconto|de\s+descuento|descuento|de\s+desconto|"
    r"desconto|de\s+r[ée]duction|de\s+remise|r[ée]duction|zni[żz]ki|taniej|mniej|extra|"
    r"(?:onboard|account|store|site)\s+credit|credit"
)
_SPEND_WORDS = (
    r"(?:(?:on\s+|your\s+|all\s+|any\s+|each\s+of\s+your\s+)*(?:next\s+\d\s+)?(?:first\s+)?"
    r"(?:orders?|purchases?|bookings?|rentals?|baskets?)\s+(?:over|of|above|from)"
    r"|when\s+you\s+spend(?:\s+over)?|with\s+a\s+minimum\s+(?:spend|order|purchase)\s+of|min(?:imum)?\.?\s+spend"
    r"|en\s+(?:pedidos|compras)\s+(?:de\s+m[áa]s\s+de|superiores\s+a|desde)"
    r"|d[èe]s|[àa]\s+partir\s+de|ab|bei\s+einem\s+(?:mindest)?bestellwert\s+(?:von|ab)"
    r"|per\s+una\s+spesa\s+minima\s+di|su\s+una\s+spesa\s+(?:minima\s+)?di|a\s+partire\s+da"
    r"|em\s+(?:pedidos|compras)\s+(?:acima\s+de|a\s+partir\s+de)|acima\s+de"
    r"|przy\s+zam[óo]wieniu\s+(?:powy[żz]ej|od|za)|od|powy[żz]ej)"
)
_MIN_SPEND = rf"(?:[\s,]+(?:{_SPEND_WORDS})\s+(?P<spend>{_MONEY}\+?)|\s+(?P<spend2>{_MONEY}\+))"
_VERBS = (
    r"get|gets|save|saving|take|takes|enjoy|extra|receive|unlock|claim|with|knock|"
    r"ahorra|consigue|obt[ée]n|disfruta|[ée]conomisez|profitez\s+de|obtenez|b[ée]n[ée]ficiez\s+de|"
    r"spare|sparen|sparst|erhalte|erhalten|bekommst\s+du|risparmia|ottieni|ganhe|economize|poupe|"
    r"zyskaj|oszcz[ęe]d[źz]|zaoszcz[ęe]d[źz]|zap[łl]a[ćc]|te\s+descontamos"
)
_DISCOUNT = led_by(
    "gsteéruckwaodpbz",
    rf"(?:(?P<verb>\b(?:{_VERBS})\s+(?:an?\s+|un\s+|il\s+|o\s+|the\s+)?(?:extra\s+)?(?:up\s+to\s+)?(?:only\s+)?)?)"
    rf"(?P<minus>-\s?)?(?P<amount>{_AMOUNT})(?P<off>\s+(?:{_OFF_WORDS})\b)?"
    rf"{_MIN_SPEND}?",
    r"\d\-$£€",
)
_SPEND_ALONE = re.compile(
    rf"\b(?:orders?|purchases?|spend|minimum(?:\s+(?:spend|purchase|order))?|spesa\s+minima\s+di|"
    rf"pedido\s+m[íi]nimo(?:\s+de)?|mindestbestellwert(?:\s+von)?|minimum\s+d'achat\s+de)"
    rf"\s+(?:(?:over|of|above|from)\s+)?(?P<spend>{_MONEY})",
    re.IGNORECASE,
)
_FREE_SHIPPING = re.compile(
    r"\bfree\s+(?:standard\s+|express\s+|next[- ]day\s+)?(?:shipping|delivery)\b"
    r"|\bbuy\s+one,?\s+get\s+one(?:\s+free)?\b|\bbogo\b"
    r"|\benv[íi]o\s+gratis\b|\benv[íi]o\s+gratuito\b|\blivraison\s+(?:offerte|gratuite)\b"
    r"|\bkostenlose[rn]?\s+versand\b|\bversandkostenfrei\b|\bconsegna\s+gratuita\b"
    r"|\bspedizione\s+gratuita\b|\bfrete\s+gr[áa]tis\b|\bdarmow[aą]\s+dostaw[aęy]\b",
    re.IGNORECASE,
)


def _nearest(matches: list[re.Match[str]], start: int, end: int) -> re.Match[str] | None:
    def distance(match: re.Match[str]) -> int:
        if match.end() <= start:
            return start - match.end()
        return max(0, match.start() - end)

    return min(matches, key=distance, default=None)


def _squash(value: str) -> str:
    return " ".join(value.split())


def _spend(match: re.Match[str]) -> str:
    return _squash(match.group("spend") or match.group("spend2") or "").rstrip("+")


def find_discount(text: str, start: int, end: int, reach: int = 160) -> tuple[str, str]:
    """``(discount, min_spend)`` stated nearest to ``text[start:end]``, or empty strings.

    A bare amount is a price, not a discount, so it counts only with "off"/"discount" after
    it, a verb such as "save"/"get" before it, a minus sign, or a minimum spend after it.
    """
    lo, hi = max(0, start - reach), min(len(text), end + reach)
    window = text[lo:hi]
    found = [
        m
        for m in _DISCOUNT.finditer(window)
        if m.group("off")
        or m.group("verb")
        or m.group("spend")
        or m.group("spend2")
        or (m.group("minus") and "%" in m.group("amount"))
    ]
    best = _nearest(found, start - lo, end - lo)
    discount = min_spend = ""
    if best is not None:
        amount = _squash(best.group("amount"))
        if best.group("off") or best.group("spend") or best.group("spend2"):
            discount = _squash(best.group(0)[best.start("amount") - best.start() :])
        else:
            verb = (best.group("verb") or "").split()
            english = bool(verb) and verb[0].lower() in ("save", "saving", "take", "takes", "get", "extra")
            discount = f"{amount} off" if english else amount
        min_spend = _spend(best)
    else:
        free = _nearest(list(_FREE_SHIPPING.finditer(window)), start - lo, end - lo)
        discount = _squash(free.group(0).lower()) if free else ""
    if discount and not min_spend:
        spend = _nearest(list(_SPEND_ALONE.finditer(window)), start - lo, end - lo)
        min_spend = _squash(spend.group("spend")).rstrip("+") if spend else ""
    return discount, min_spend
