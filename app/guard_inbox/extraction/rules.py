"""Cue-based text rules: a code is the token a sentence tells the shopper to type.

Mail is full of code-shaped strings -- order and tracking numbers, one-time passwords, locker
PINs, CSS colours, URL parameters -- so a token counts only when a cue points at it: a code
word ("promo code", "cupón", "Gutscheincode", "kodem rabatowym"), a verb with a discount in
the same breath ("use SAVE20 for 20% off"), or a link that applies it (linkcodes.py).  Then it
still has to survive shape and context filters.  Precision comes first: a false code wastes
the user's time at checkout and erodes trust in every other code we show.

Work per message is bounded: the text is capped (text.py), code words are found by a literal
pre-scan, and every cue pattern is matched *at* a hit rather than searched across the text.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import parseaddr

from guard_inbox.domain.models import FoundCode, MailMessage
from guard_inbox.extraction import cues
from guard_inbox.extraction.dates import day_first_hint, find_expiry, sent_at
from guard_inbox.extraction.details import find_discount
from guard_inbox.extraction.evidence import (
    VETOES,
    MessageFacts,
    Sighting,
    Weights,
    default_weights,
    observe,
    sender_names,
)
from guard_inbox.extraction.linkcodes import landing_link, link_codes
from guard_inbox.extraction.shapes import Strength, possible, shape_kind, shape_ok, unwrap
from guard_inbox.extraction.text import Document, build_document

__all__ = [
    "SOURCE",
    "Candidate",
    "RuleExtractor",
    "RuleResult",
    "Strength",
    "accepted_candidates",
    "context_ok",
    "find_candidates",
    "observations",
    "is_transactional",
    "token_shape_ok",
]

SOURCE = "rules"
_WEIGHTS = default_weights()


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


@dataclass(frozen=True, slots=True)
class RuleResult:
    """What the rules made of one message: codes, the text they read, and whether the
    message looks promotional while no code was found with confidence."""

    codes: list[FoundCode]
    document: Document
    uncertain: bool


_SENTENCE_END = re.compile(r"[.!?](?:\s|$)|\n\n")
# The token after a cue; French quotes come with spaces inside them: « CODE ».
_TOKEN_AT = re.compile(
    r"[^\S\n]*(?:\n[^\S\n]*){0,3}(?P<open>[\u00ab\u201e\u201c\"'][^\S\n]+)?(?P<raw>\S{1,40})"
)


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
        has_digit = any(ch.isdigit() for ch in token)
        if not any(ch.isalpha() for ch in token) or not (has_digit or _stands_out(text, start, end)):
            continue
        line_start = text.rfind("\n", 0, start) + 1
        before = text[max(line_start, start - 48) : start]
        after = text[end : end + 70]
        checkout = cues.CHECKOUT_AFTER.match(after) is not None
        verb = cues.BARE_VERB.search(before)
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
    """A code with no cue word at all, alone on its line (a box, a bold line) beside an offer."""
    for match in _ALONE_LINE.finditer(text):
        start, token = match.start("raw"), match.group("raw")
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
            yield Candidate(token, False, Strength.BARE, False, max(cue_start, 0), start, start + len(token),
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


def is_transactional(subject: str) -> bool:
    """Whether a subject line is about an order, a parcel, a bill or a login, not a sale."""
    return cues.TRANSACTIONAL_SUBJECT.search(subject) is not None


def token_shape_ok(cand: Candidate) -> bool:
    """Whether the cued token looks like something typed at checkout, given its cue."""
    return shape_ok(cand.token, cand.strength, cand.quoted, named=cand.named, emphasised=cand.emphasised)


def _window_before(text: str, cue_start: int) -> str:
    before = text[max(0, cue_start - 80) : cue_start]
    ends = list(_SENTENCE_END.finditer(before))
    before = before[ends[-1].end() :] if ends else before
    discounts = list(cues.DISCOUNT_PHRASE.finditer(before))
    return before[discounts[-1].end() :] if discounts else before


def _window_after(text: str, token_end: int) -> str:
    after = text[token_end : token_end + 90]
    end = _SENTENCE_END.search(after)
    return after[: end.start()] if end else after


def context_ok(text: str, cand: Candidate, transactional: bool) -> bool:
    """Reject a candidate whose surroundings say order, parcel or login rather than shop."""
    cue = text[cand.cue_start : cand.token_start]
    if cues.NEG_CONTEXT_BEFORE.search(_window_before(text, cand.cue_start) + " " + cue):
        return False
    if cues.NEG_CONTEXT_AFTER.search(_window_after(text, cand.token_end)):
        return False
    if cand.strength is Strength.STRONG:
        return True
    if transactional and cand.strength < Strength.MEDIUM:
        return False
    around = (
        text[max(0, cand.cue_start - 150) : cand.token_start]
        + " "
        + text[cand.token_end : cand.token_end + 150]
    )
    promo = cues.PROMO_SIGNAL.search(around) is not None
    if transactional:
        return promo and cues.DISCOUNT_PHRASE.search(around) is not None
    token = cand.token
    code_like = any(ch.isupper() for ch in token) and any(ch.isdigit() for ch in token)
    return promo or (cand.strength is Strength.MEDIUM and code_like)


def _cued_sightings(text: str, subject_end: int, tokens: list[re.Match[str]]) -> list[Sighting]:
    """Every token a cue points at (find_candidates), as a sighting."""
    return [
        Sighting(c.token, c.strength, c.named, c.quoted, c.emphasised, c.cue_start, c.token_start,
                 c.token_end, c.via, c.negative)
        for c in find_candidates(text, subject_end, tokens)
    ]


_NEGATIVE_CUE_FEATURE = {"other": "cue:negative", "ambiguous": "cue:ambiguous_kind"}


def _rank(sight: Sighting) -> tuple[int, int, int]:
    """The sighting that speaks for a token: the most strongly cued, a positive cue before a
    negative one, then the earliest."""
    strength = -1 if sight.strength is None else int(sight.strength)
    return (-strength, sight.negative_cue != "", sight.token_start)


def _plain_word(token: str) -> bool:
    """An ordinary lower-case or Title-case word: a code only where the sender quotes it."""
    return token.isalpha() and (token.islower() or (token[0].isupper() and token[1:].islower()))


def _in_url(text: str, start: int) -> bool:
    """Whether ``start`` is inside a URL written out in the text (link codes are linkcodes.py's)."""
    chunk_start = max(text.rfind(" ", 0, start), text.rfind("\n", 0, start)) + 1
    chunk = text[chunk_start:start]
    return "://" in chunk or chunk.startswith("www.")


def observations(
    text: str, subject: str = "", sender: str = "", prune: Weights | None = None
) -> list[tuple[Sighting, frozenset[str]]]:
    """Each distinct candidate token of ``text`` (first the subject, as build_document puts it)
    with the evidence of the sighting that speaks for it.  With ``prune``, tokens those weights
    rule out early are left out (see evidence.observe)."""
    subject_end = len(subject) if subject and text.startswith(subject) else 0
    facts = MessageFacts(
        transactional=is_transactional(subject),
        text=text,
        sender_names=sender_names(sender),
    )
    tokens = list(cues.CODE_TOKEN.finditer(text))
    by_token: dict[str, list[Sighting]] = {}
    taken: set[int] = set()
    for sight in _cued_sightings(text, subject_end, tokens):
        taken.add(sight.token_start)
        token = sight.token
        if (possible(token) and (sight.quoted or not _plain_word(token))
                and not _in_url(text, sight.token_start)):
            by_token.setdefault(token.casefold(), []).append(sight)
    # Every code-shaped token besides: a candidate of its own (cue:none) where the weights in use
    # could accept one of its shape, and in any case another sighting of a cued token.
    uncued = prune is None or prune.uncued_ceiling > 0
    verdicts: dict[str, bool] = {}  # token -> whether it may stand as an uncued candidate
    for match in tokens:
        start = match.start()
        if start in taken:
            continue
        token = match.group(0)
        key = token.casefold()
        known = by_token.get(key)
        if known is None:
            ok = verdicts.get(token)
            if ok is None:
                ok = verdicts[token] = (
                    uncued and not token.isdigit() and possible(token) and not _plain_word(token)
                    and (prune is None or prune.uncued_could_pass(shape_kind(token)))
                )
            if not ok:
                continue
        elif token.isdigit() or not possible(token):
            continue
        if _in_url(text, start):
            continue
        sight = Sighting(token, None, False, False, False, start, start, match.end())
        if known is None:
            by_token[key] = [sight]
        else:
            known.append(sight)
    result = []
    for sights in by_token.values():
        best = min(sights, key=_rank)
        if best.token != sights[0].token:  # report the spelling the message uses first
            best = dataclasses.replace(best, token=sights[0].token)
        # Named as another kind of code anywhere ("sign-in code: X ... your code: X") is
        # evidence wherever else it appears.
        others = {_NEGATIVE_CUE_FEATURE[s.negative_cue] for s in sights if s.negative_cue}
        if prune is not None and others and not VETOES.isdisjoint(others):
            continue
        features = observe(text, best, facts, len(sights) > 1, prune)
        if features is not None:
            result.append((best, features | others if others else features))
    return sorted(result, key=lambda pair: pair[0].token_start)


def accepted_candidates(
    text: str, subject: str = "", weights: Weights | None = None, sender: str = ""
) -> list[Sighting]:
    """The candidates whose evidence outweighs the evidence against them, in text order.

    ``subject`` is the subject line when ``text`` starts with it (as the extractor builds it).
    """
    weights = weights or _WEIGHTS
    found = observations(text, subject, sender, prune=weights)
    return [sight for sight, features in found if weights.score(features) > 0]


def looks_promotional(text: str) -> bool:
    """Promo vocabulary ("% off", "sale", "coupon" ...) at least three times near the top."""
    hits = cues.PROMO_SIGNAL.finditer(text, 0, 20_000)
    return sum(1 for _, _ in zip(range(3), hits, strict=False)) >= 3


class RuleExtractor:
    """Extractor for promo codes named by cues in the subject, the body and its links.

    ``weights`` are the evidence weights (evidence_weights.py unless a benchmark refits them).
    """

    def __init__(self, weights: Weights | None = None) -> None:
        self._weights = weights or _WEIGHTS

    def extract(self, message: MailMessage) -> list[FoundCode]:
        return self._codes(message, build_document(message))[0]

    def extract_document(self, message: MailMessage, doc: Document) -> list[FoundCode]:
        """extract() on a document the caller has already built (the pipeline shares one)."""
        return self._codes(message, doc)[0]

    def assess(self, message: MailMessage, doc: Document | None = None) -> RuleResult:
        """Codes plus what an AI layer needs: the text read and whether it is unsure."""
        doc = doc or build_document(message)
        found, confident = self._codes(message, doc)
        return RuleResult(found, doc, uncertain=not confident and looks_promotional(doc.text))

    def _codes(self, message: MailMessage, doc: Document) -> tuple[list[FoundCode], bool]:
        text = doc.text
        subject = text[: doc.subject_end]
        kept = accepted_candidates(text, subject, self._weights, message.sender)
        linked = (
            [] if not doc.links or is_transactional(subject) or cues.NO_CODE_NEEDED.search(text)
            else link_codes(doc.links)
        )
        seen = {cand.token.casefold() for cand in kept}
        spots = [(c.token, c.cue_start, c.token_start, c.token_end, "") for c in kept]
        for item in linked:
            if item.code.casefold() not in seen:
                seen.add(item.code.casefold())
                at = min(item.link.position, len(text))
                spots.append((item.code, at, at, at, item.link.href))
        if not spots:
            return [], False
        day_first = day_first_hint(text, parseaddr(message.sender)[1].rpartition("@")[2])
        sent = sent_at(message)
        found: list[FoundCode] = []
        for code, cue_start, start, end, href in spots:
            discount, min_spend = find_discount(text, cue_start, end)
            found.append(
                FoundCode(
                    code=code,
                    discount=discount,
                    expires=find_expiry(text, cue_start, end, sent=sent, day_first=day_first),
                    min_spend=min_spend,
                    link=href or landing_link(doc.links, start, end, code),
                    source=SOURCE,
                )
            )
        confident = any(c.strength is not None and c.strength >= Strength.MEDIUM for c in kept) or len(
            found
        ) > len(kept)
        return found, confident
