"""The vocabulary's regexes: the fast forms (cues.led_by) match exactly what the plain ones do."""

from __future__ import annotations

import re
import string
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

import pytest

from guard_inbox.extraction import cues, dates, details, linkcodes

LED = {"STEM": cues.STEM, "PROMO_LABEL": cues.PROMO_LABEL, "NO_CODE_NEEDED": cues.NO_CODE_NEEDED,
       "POSITIVE_BEFORE": cues.POSITIVE_BEFORE, "DISCOUNT_PHRASE": cues.DISCOUNT_PHRASE,
       "NEGATIVE_BEFORE": cues.NEGATIVE_BEFORE, "LEAD_BEFORE": cues.LEAD_BEFORE,
       "NEG_CONTEXT_BEFORE": cues.NEG_CONTEXT_BEFORE, "NEG_CONTEXT_AFTER": cues.NEG_CONTEXT_AFTER,
       "TRANSACTIONAL_SUBJECT": cues.TRANSACTIONAL_SUBJECT,
       "dates._EXPIRY": dates._EXPIRY, "dates._RELATIVE": dates._RELATIVE,
       "dates._WEEKDAY_END": dates._WEEKDAY_END, "dates._SPAN": dates._SPAN,
       "details._DISCOUNT": details._DISCOUNT, "linkcodes._UTILITY": linkcodes._UTILITY}
EVERY_CODE_POINT = "".join(map(chr, range(0x110000)))
ANYTHING = "<any character>"


def _first_of(items: Any) -> tuple[set[str], bool]:
    """What a match of a parsed sequence can start with (characters, or category names), and
    whether the sequence can match the empty string."""
    found: set[str] = set()
    for op, av in items:
        first, empty = _first_of_one(op, av)
        found |= first
        if not empty:
            return found, False
    return found, True


def _first_of_one(op: Any, av: Any) -> tuple[set[str], bool]:
    if op is sre.LITERAL:
        return {chr(av)}, False
    if op is sre.IN:
        chars: set[str] = set()
        for kind, value in av:
            if kind is sre.LITERAL:
                chars.add(chr(value))
            elif kind is sre.RANGE:
                chars |= {chr(c) for c in range(value[0], value[1] + 1)}
            elif kind is sre.CATEGORY:
                chars.add(str(value))
            else:
                return {ANYTHING}, False
        return chars, False
    if op is sre.BRANCH:
        chars, empty = set(), False
        for alternative in av[1]:
            first, can_be_empty = _first_of(alternative)
            chars, empty = chars | first, empty or can_be_empty
        return chars, empty
    if op is sre.SUBPATTERN:
        return _first_of(av[-1])
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
        first, empty = _first_of(av[2])
        return first, empty or av[0] == 0
    if op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):
        return set(), True  # zero-width
    return {ANYTHING}, False


def _starts_at_word(items: Any) -> bool:
    """Whether every match of a parsed sequence starts with a ``\\b``."""
    op, av = list(items)[0]
    if op is sre.AT:
        return bool(av is sre.AT_BOUNDARY)
    if op is sre.BRANCH:
        return all(_starts_at_word(alternative) for alternative in av[1])
    if op is sre.SUBPATTERN:
        return _starts_at_word(av[-1])
    return False


def _split(led: re.Pattern[str]) -> tuple[set[str], set[str]]:
    """(what the lookahead admits, what the pattern behind it can start with); a ``\\b`` in
    the lookahead must be one every match of the pattern starts with."""
    (look_op, look), *inner = list(sre_parse.parse(led.pattern, led.flags))
    assert look_op is sre.ASSERT
    if list(look[1])[0] == (sre.AT, sre.AT_BOUNDARY):
        assert _starts_at_word(inner), "led_by(at_word=True) on a pattern not starting with \\b"
    admitted, _ = _first_of(look[1])
    first, empty = _first_of(inner)
    assert not empty, "a pattern that can match nothing cannot be led by a character"
    return admitted, first


@pytest.mark.parametrize("name", LED)
def test_the_lookahead_admits_every_way_a_match_can_start(name: str) -> None:
    admitted, first = _split(LED[name])
    missing = {ch for ch in first if ch not in admitted
               or (ch.isalpha() and not set(cues.case_variants(ch.lower())) <= admitted)}
    assert not missing, f"{name} can start with {sorted(missing)}, which led_by does not admit"


LETTERS = sorted({ch.lower() for led in LED.values() for ch in _split(led)[1] if len(ch) == 1
                  and ch.isalpha()} | set(string.ascii_lowercase))


@pytest.mark.parametrize("letter", LETTERS)
def test_case_variants_are_every_code_point_the_engine_matches(letter: str) -> None:
    """The pre-check is only as good as this list (Kelvin sign, long s, dotless i ...)."""
    engine = set(re.findall(re.escape(letter), EVERY_CODE_POINT, re.IGNORECASE))
    assert engine == set(cues.case_variants(letter))


@pytest.mark.parametrize("text", [
    "Use Code SAVE20", "GUTSCHEIN: X", "\u017fans code", "ohne Gutscheincode", "cup\u00f3n",
    "\u212aod rabatowy", "PROMO: CABIN15", "Promo \u2013 X1", "No code needed", "sin c\u00f3digo",
    "Offer ends 12/31", "\u017fave $10 off", "\u00c9conomisez 20 %", "-15% today", "valid until 3 May",
    "your order number", "use the", "Verification code", "2FA login", "pick-up at the locker",
])
def test_led_patterns_find_what_the_plain_ones_find(text: str) -> None:
    for led in LED.values():
        inner = re.fullmatch(r"\(\?=(?:\\b)?\(\?-i:\[[^\]]*\]\)\)\(\?:(.*)\)", led.pattern, re.DOTALL)
        assert inner is not None
        plain = re.compile(inner.group(1), re.IGNORECASE)
        assert [m.span() for m in led.finditer(text)] == [m.span() for m in plain.finditer(text)]
