"""The text-rules layer: candidates (candidates.py) weighed by their evidence (evidence.py).

Mail is full of code-shaped strings -- order and tracking numbers, one-time passwords, locker
PINs, CSS colours, URL parameters -- so every candidate token is described by the evidence
around it and kept only when that evidence outweighs the evidence against it; codes that links
apply come from linkcodes.py.  Precision comes first: a false code wastes the user's time at
checkout and erodes trust in every other code we show.

Work per message is bounded: the text is capped (text.py), and context is read only for tokens
whose cue and shape leave the verdict open (evidence.observe with ``prune``).
"""

from __future__ import annotations

import dataclasses
import re
from email.utils import parseaddr

from guard_inbox.domain.models import FoundCode, MailMessage
from guard_inbox.extraction import cues
from guard_inbox.extraction.candidates import Candidate, find_candidates
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
    window_after,
    window_before,
)
from guard_inbox.extraction.layer import LayerResult
from guard_inbox.extraction.linkcodes import landing_link, link_codes
from guard_inbox.extraction.shapes import Strength, plain_word, possible, shape_kind, shape_ok
from guard_inbox.extraction.text import Document, build_document

__all__ = [
    "SOURCE",
    "Candidate",
    "RuleExtractor",
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


def is_transactional(subject: str) -> bool:
    """Whether a subject line is about an order, a parcel, a bill or a login, not a sale."""
    return cues.TRANSACTIONAL_SUBJECT.search(subject) is not None


def token_shape_ok(cand: Candidate) -> bool:
    """Whether the cued token looks like something typed at checkout, given its cue."""
    return shape_ok(cand.token, cand.strength, cand.quoted, named=cand.named, emphasised=cand.emphasised)


def context_ok(text: str, cand: Candidate, transactional: bool) -> bool:
    """Reject a candidate whose surroundings say order, parcel or login rather than shop."""
    cue = text[cand.cue_start : cand.token_start]
    if cues.NEG_CONTEXT_BEFORE.search(window_before(text, cand.cue_start) + " " + cue):
        return False
    if cues.NEG_CONTEXT_AFTER.search(window_after(text, cand.token_end)):
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


def _in_url(text: str, start: int) -> bool:
    """Whether ``start`` is inside a URL written out in the text (link codes are linkcodes.py's)."""
    chunk_start = max(text.rfind(" ", 0, start), text.rfind("\n", 0, start)) + 1
    chunk = text[chunk_start:start]
    return "://" in chunk or chunk.startswith("www.")


def message_facts(text: str, subject: str = "", sender: str = "") -> MessageFacts:
    """What holds for the whole message, read once (``_codes`` asks it again of the links)."""
    return MessageFacts(transactional=is_transactional(subject), text=text,
                        sender_names=sender_names(sender))


def observations(
    text: str, subject: str = "", sender: str = "", prune: Weights | None = None,
    facts: MessageFacts | None = None,
) -> list[tuple[Sighting, frozenset[str]]]:
    """Each distinct candidate token of ``text`` (first the subject, as build_document puts it)
    with the evidence of the sighting that speaks for it.  With ``prune``, tokens those weights
    rule out early are left out (see evidence.observe); ``facts``: message_facts of the same
    text, subject and sender, when the caller has them."""
    subject_end = len(subject) if subject and text.startswith(subject) else 0
    facts = facts or message_facts(text, subject, sender)
    tokens = list(cues.CODE_TOKEN.finditer(text))
    by_token: dict[str, list[Sighting]] = {}
    taken: set[int] = set()
    for sight in _cued_sightings(text, subject_end, tokens):
        taken.add(sight.token_start)
        token = sight.token
        if (possible(token) and (sight.quoted or not plain_word(token))
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
                    uncued and not token.isdigit() and possible(token) and not plain_word(token)
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
    text: str, subject: str = "", weights: Weights | None = None, sender: str = "",
    facts: MessageFacts | None = None,
) -> list[Sighting]:
    """The candidates whose evidence outweighs the evidence against them, in text order.

    ``subject`` is the subject line when ``text`` starts with it (as the extractor builds it).
    """
    weights = weights or _WEIGHTS
    found = observations(text, subject, sender, prune=weights, facts=facts)
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

    def read_document(self, message: MailMessage, doc: Document) -> LayerResult:
        """The codes in a document the pipeline has built, and whether the rules are confident
        of them: some code named by a medium or strong cue, or found in a link."""
        found, confident = self._codes(message, doc)
        return LayerResult(tuple(found), confident)

    def _codes(self, message: MailMessage, doc: Document) -> tuple[list[FoundCode], bool]:
        text = doc.text
        subject = text[: doc.subject_end]
        facts = message_facts(text, subject, message.sender)
        kept = accepted_candidates(text, subject, self._weights, message.sender, facts)
        linked = (
            [] if not doc.links or facts.transactional or facts.no_code_needed
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
