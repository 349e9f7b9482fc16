"""Candidate tokens: every place a cue points at a token a shopper might type.

A code is named by a code word ("promo code", "cupón", "Gutscheincode", "kodem rabatowym"),
pointed at by a verb with a discount in the same breath ("use SAVE20 for 20% off"), set on a
line of its own or between dashes beside an offer, or put right after the colon that ends an
offer sentence.  This module only *finds* such tokens and says what pointed at them; whether
one is a code is weighed in evidence.py.

Work per message is bounded: code words are found by a literal pre-scan, and every cue pattern
is matched *at* a hit rather than searched across the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from guard_inbox.extraction import cues
from guard_inbox.extraction.shapes import Strength, possible, unwrap

__all__ = ["Candidate", "find_candidates"]


@dataclass(frozen=True, slots=True)
class Candidate:
    """A token some cue pointed at, with where the cue and the token sit in the text."""

    token: str
    quoted: bool
    strength: Strength
    named: bool  # a code word names it ("promo code", "coupon"), as opposed to "use X"
    cue_start: int
    token_start: int
    token_end: int
    emphasised: bool = False  # in capitals while its cue is not: "Use Code EXTRA"
    via: str = ""  # "label", "alone", "after_colon"; "" for a code word or a verb
    negative: str = ""  # the code word is of another kind: "other" ("verification code X") or
    # "ambiguous" ("invitation code X", "key code X": a discount only when the mail offers one)



# The token after a cue; French quotes come with spaces inside them: « CODE ».
_TOKEN_AT = re.compile(
    r"[^\S\n]*(?:\n[^\S\n]*){0,3}(?P<open>[\u00ab\u201e\u201c\"'\[(][^\S\n]+)?(?P<raw>\S{1,40})"
)
# A code spaced out letter by letter on a line of its own ("S A V E 2 0"), as boxes and
# letter-spaced headings render it; the shopper types it without the spaces.
_SPACED = r"(?P<raw>(?:[A-Za-z0-9][ \u00a0]){3,23}[A-Za-z0-9])(?=[^\S\n]*(?:\n|$))"
_SPACED_AT = re.compile(r"[^\S\n]*(?:\n[^\S\n]*){0,3}" + _SPACED)
_SPACED_LINE = re.compile(r"^[^\S\n]*" + _SPACED, re.MULTILINE)


def _unspaced(match: re.Match[str]) -> str:
    return match.group("raw").replace(" ", "").replace("\u00a0", "")


def _word_around(text: str, start: int, end: int) -> tuple[int, int]:
    while start > 0 and text[start - 1].isalpha():
        start -= 1
    while end < len(text) and text[end].isalpha():
        end += 1
    return start, end


def _candidate(
    text: str, raw_start: int, raw: str, strength: Strength, named: bool, cue_start: int,
    quoted: bool = False, *, via: str = "", negative: str = "",
) -> Candidate:
    token, was_quoted, offset = unwrap(raw)
    start = raw_start + offset
    cue = text[cue_start:raw_start]
    emphasised = token.isupper() and any(ch.islower() for ch in cue)
    return Candidate(token, quoted or was_quoted, strength, named, cue_start, start, start + len(token),
                     emphasised, via, negative)


def _code_word_candidates(text: str, subject_end: int) -> Iterator[Candidate]:
    """Tokens named by a code word, in any of the languages cues.py knows."""
    done = -1
    for hit in cues.STEM.finditer(text):
        start, end = _word_around(text, hit.start(), hit.end())
        if start <= done:
            continue
        done = end
        word = cues.CODE_WORD.fullmatch(text, start, end)
        if word is None:
            continue
        prefix, stem = word.group("prefix").lower(), word.group("stem").lower()
        if prefix and not (prefix in cues.POSITIVE_PREFIXES or prefix in cues.NEGATIVE_PREFIXES
                           or prefix in cues.AMBIGUOUS_PREFIXES):
            continue  # "unicode", "episode": not a code word at all
        before = text[max(0, start - 48) : start].rpartition("\n")[2]
        # "Abholcode", "verification code", "código de verificación": a code of another kind,
        # kept as a candidate so the evidence against it is weighed, not lost.
        negative = ""
        if (prefix in cues.NEGATIVE_PREFIXES or cues.NEGATIVE_BEFORE.search(before)
                or cues.NEGATIVE_AFTER.match(text, end)):
            negative = "other"
        elif (prefix in cues.AMBIGUOUS_PREFIXES or cues.AMBIGUOUS_BEFORE.search(before)
              or cues.AMBIGUOUS_AFTER.match(text, end)):
            negative = "ambiguous"
        strength = Strength.STRONG if prefix or stem in cues.STRONG_STEMS else Strength.WEAK
        if strength < Strength.STRONG and cues.POSITIVE_BEFORE.search(before):
            strength = Strength.STRONG
        elif strength < Strength.MEDIUM and cues.LEAD_BEFORE.search(before):
            strength = Strength.MEDIUM
        pos = end
        qualifier = cues.POSITIVE_AFTER.match(text, pos)
        if qualifier is not None:
            strength, pos = Strength.STRONG, qualifier.end()
        cue_start = start - len(before) + len(before.rstrip())
        number = cues.NUMBER_AFTER.match(text, pos) if stem.startswith(("coup", "cup", "kupon")) else None
        if number is not None:
            pos = number.end()
        filler = cues.FILLER.match(text, pos)
        spaced = _SPACED_AT.match(text, filler.end() if filler else pos)
        if spaced is not None and (start >= subject_end or spaced.start("raw") < subject_end):
            code = _unspaced(spaced)
            if possible(code):
                yield Candidate(code, False, strength, True, cue_start, spaced.start("raw"),
                                spaced.end("raw"), code.isupper(), "alone", negative)
                continue
        token = _TOKEN_AT.match(text, filler.end() if filler else pos)
        if token is not None and (start >= subject_end or token.start("raw") < subject_end):
            raw, opened = token.group("raw"), token.group("open") is not None
            cand = _candidate(text, token.start("raw"), raw, strength, True, cue_start, opened,
                              negative=negative)
            if possible(cand.token):
                yield cand
                if _plural(stem, text[end:pos]):
                    yield from _listed_after(text, cand, cue_start)
                continue
        line = cues.BELOW.match(text, pos) or cues.LABEL_LINE.match(text, pos)
        alone = cues.ALONE.match(text, line.end()) if line is not None else None
        if alone is not None and (start >= subject_end or alone.start("raw") < subject_end):
            yield _candidate(text, alone.start("raw"), alone.group("raw"), strength, True, cue_start,
                             negative=negative)


# The next item of a list of codes: "codes SAVE10 and SAVE20", "kody A1B2, C3D4 lub E5F6".
_LIST_NEXT = re.compile(
    r"[^\S\n]*(?:,|;|/|&|\band\b|\bor\b|\by\b|\bo\b|\bet\b|\bou\b|\bund\b|\boder\b|\be\b|"
    r"\bou\b|\bi\b|\blub\b|\boraz\b)[^\S\n]*(?:(?:and|or|y|o|et|ou|und|oder|e|i|lub)[^\S\n]+)?"
    r"(?P<raw>[\"'\u201c\u00ab]?[A-Za-z0-9][A-Za-z0-9_-]{1,30}[\"'\u201d\u00bb]?)",
    re.IGNORECASE,
)
_PLURAL_STEMS = frozenset({"codici", "kody", "kupony", "gutscheine", "kodów", "kuponów"})


def _plural(stem: str, after_word: str) -> bool:
    """Whether a code word names several codes: "codes", "cupones", "coupon numbers"."""
    return stem.endswith("s") or stem in _PLURAL_STEMS or "numbers" in after_word.lower()


def _listed_after(text: str, first: Candidate, cue_start: int) -> Iterator[Candidate]:
    """The codes listed after the first one a plural code word names, as cued as the first."""
    pos = first.token_end
    while (item := _LIST_NEXT.match(text, pos)) is not None:
        cand = _candidate(text, item.start("raw"), item.group("raw"), first.strength, True, cue_start,
                          negative=first.negative)
        if not possible(cand.token):
            return
        yield cand
        pos = cand.token_end


def _stands_out(text: str, start: int, end: int) -> bool:
    """An all-caps word is a code only where the words around it are not shouted too."""
    words = re.findall(r"[^\W\d_]{2,}", text[max(0, start - 60) : end + 60])
    lower = sum(1 for word in words if not word.isupper())
    return lower * 2 > len(words)


def _bare_candidates(text: str, taken: set[int], tokens: list[re.Match[str]]) -> Iterator[Candidate]:
    """Code-shaped tokens with no code word but a verb and a discount beside them."""
    for match in tokens:
        start, end = match.span()
        if start in taken:
            continue
        token = match.group(0)
        if token.isdigit():
            continue
        has_digit = any(ch.isdigit() for ch in token)
        line_start = text.rfind("\n", 0, start) + 1
        before = text[max(line_start, start - 48) : start]
        verb = cues.BARE_VERB.search(before)
        if not has_digit and (verb is None or not _stands_out(text, start, end)):
            continue  # a word in capitals needs a verb, and must stand out from its neighbours
        after = text[end : end + 70]
        checkout = cues.CHECKOUT_AFTER.match(after) is not None
        cue_start = start - len(before) + (verb.start() if verb else len(before))
        if verb is not None:
            weak_verb = verb.group(0).split()[0].lower() in ("with", "con", "avec", "mit", "com", "z")
            clause_end = re.match(r"[\"'\u201d\u2019\u00bb]?\s*(?:[.!,;)]|\n|$)", after) is not None
            discount = cues.DISCOUNT_PHRASE.search(text, max(line_start, start - 120), end + 80)
            promo = discount or cues.PROMO_SIGNAL.search(text, max(0, start - 150), end + 150)
            if (checkout or (clause_end and discount)) if weak_verb else (checkout or promo):
                yield Candidate(token, False, Strength.BARE, False, cue_start, start, end)
        elif has_digit and (cues.OFF_BEFORE.search(before) or checkout):
            yield Candidate(token, False, Strength.BARE, False, start, start, end)


# A code standing alone: the only thing on its line (in a box, bold, quoted), or right after the
# colon that ends an offer sentence ("here is 10% off your next box: BOX10NOW").
_ALONE_LINE = re.compile(
    r"^[^\S\n]*[\"'*\[(\u00ab\u201c]*(?P<raw>[A-Za-z0-9][A-Za-z0-9_-]{2,23})[\"'*\])\u00bb\u201d.!]*[^\S\n]*$",
    re.MULTILINE,
)
_AFTER_COLON = re.compile(
    r"[^\S\n]*(?:\n[^\S\n]*){0,2}[\"'*\[(\u00ab\u201c]*"
    r"(?P<raw>[A-Za-z0-9][A-Za-z0-9_-]{2,23})[\"'*\])\u00bb\u201d.!]*[^\S\n]*(?=\n|$)"
)


def _code_shaped(token: str) -> bool:
    return any(c.isdigit() for c in token) and any(c.isalpha() for c in token)


def _neighbour_lines(text: str, start: int, end: int) -> tuple[list[str], str]:
    """The nearest two non-blank lines before ``start`` (nearest last) and the one after ``end``."""
    before = [line for line in text[max(0, start - 300) : start].split("\n") if line.strip()]
    after = [line for line in text[end : end + 300].split("\n") if line.strip()]
    return before[-2:], (after[0] if after else "")


# A code set apart inside a line by dashes, bars or bullets: "$10 off anything — X7K2Q — 30 days".
_SET_APART = re.compile(
    r"(?:^|[^\S\n][\u2014\u2013|\u2022\u00b7]|[\u2014\u2013|\u2022\u00b7][^\S\n])[^\S\n]*[\"'*\[(\u00ab\u201c]*"
    r"(?P<raw>[A-Za-z0-9][A-Za-z0-9_-]{2,23})[\"'*\])\u00bb\u201d]*[^\S\n]*"
    r"(?=[\u2014\u2013|\u2022\u00b7]|$)",
    re.MULTILINE,
)


def _set_apart_candidates(text: str, taken: set[int]) -> Iterator[Candidate]:
    """A code between separators on a line that states an offer."""
    if not any(mark in text for mark in "\u2014\u2013|\u2022\u00b7"):
        return
    for match in _SET_APART.finditer(text):
        start, token = match.start("raw"), match.group("raw")
        if start in taken or not _code_shaped(token):
            continue
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", start)
        line_end = len(text) if line_end < 0 else line_end
        if line_start == match.start() and line_end == match.end():
            continue  # alone on its line: _alone_line_candidates judges it
        if cues.DISCOUNT_PHRASE.search(text, line_start, line_end):
            yield Candidate(token, False, Strength.BARE, False, line_start, start, start + len(token),
                            via="alone")


def _alone_line_candidates(text: str, taken: set[int]) -> Iterator[Candidate]:
    """A code with no cue word at all, alone on its line (a box, a bold line, spaced out) beside
    an offer."""
    lines = [(m, m.group("raw")) for m in _ALONE_LINE.finditer(text)]
    lines += [(m, _unspaced(m)) for m in _SPACED_LINE.finditer(text)]
    for match, token in lines:
        start, end = match.start("raw"), match.end("raw")
        if start in taken or not _code_shaped(token):
            continue
        before, after = _neighbour_lines(text, match.start(), match.end())
        if before and cues.STEM.search(before[-1]):
            continue  # a line naming a code introduces it: the code-word path has judged it
        offer = next((line for line in reversed(before) if cues.DISCOUNT_PHRASE.search(line)), None)
        if offer is None and cues.DISCOUNT_PHRASE.search(after):
            offer = after
        if offer is not None:
            cue_start = text.rfind(offer, 0, match.start()) if offer is not after else start
            yield Candidate(token, False, Strength.BARE, False, max(cue_start, 0), start, end,
                            via="alone")


def _after_colon_candidates(text: str, taken: set[int]) -> Iterator[Candidate]:
    """A code right after the colon that ends an offer: "here is 10% off your next box: BOX10"."""
    colon = text.find(":")
    while colon != -1:
        match = _AFTER_COLON.match(text, colon + 1)
        if match is not None and match.start("raw") not in taken and _code_shaped(match["raw"]):
            offer_start = max(text.rfind("\n", 0, colon) + 1, colon - 160)
            if cues.DISCOUNT_PHRASE.search(text, offer_start, colon):
                start = match.start("raw")
                yield Candidate(match["raw"], False, Strength.BARE, False, offer_start, start,
                                start + len(match["raw"]), via="after_colon")
        colon = text.find(":", colon + 1)


def find_candidates(
    text: str, subject_end: int = 0, tokens: list[re.Match[str]] | None = None
) -> list[Candidate]:
    """Every cued token in ``text``, keeping the strongest cue for each token position.

    ``tokens``: the code-shaped tokens of ``text`` (cues.CODE_TOKEN), when the caller has them.
    """
    best: dict[int, Candidate] = {}
    for cand in _code_word_candidates(text, subject_end):
        known = best.get(cand.token_start)
        if known is None or known.strength < cand.strength:
            best[cand.token_start] = cand
    for match in cues.PROMO_LABEL.finditer(text):
        label = _candidate(text, match.start("raw"), match.group("raw"), Strength.WEAK, True, match.start(),
                           via="label")
        best.setdefault(label.token_start, label)
    if tokens is None:
        tokens = list(cues.CODE_TOKEN.finditer(text))
    for cand in _bare_candidates(text, set(best), tokens):
        best.setdefault(cand.token_start, cand)
    for source in (_alone_line_candidates, _set_apart_candidates, _after_colon_candidates):
        for cand in source(text, set(best)):
            best.setdefault(cand.token_start, cand)
    return sorted(best.values(), key=lambda c: c.token_start)
