"""Named kinds of evidence that a token is a shopper's code, and how much each one weighs.

Every candidate token -- whatever pointed at it: a code word, a verb and a discount, a line of
its own beside an offer, or only its code-like shape -- is described by the evidence around it
(``Feature``, five kinds: cue, layout, offer, shape, negative context).  A candidate is a code
when the weighted sum of its evidence is positive.

The weights are not hand-tuned: ``learning.fit`` learns them (L2-regularised logistic
regression) from the labelled corpora, ``scripts/fit_evidence.py`` writes them to
``evidence_weights.py``, and ``benchmarks/extraction.py`` refits them once per corpus source
with that source left out, so the figure it reports for a source is the score of weights that
never saw it.  The vocabulary behind each feature (cues.py) is written from the languages, not
from messages; a new kind of mail gets a new *kind* of evidence here, never a special case.
"""

from __future__ import annotations

import enum
import functools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from guard_inbox.extraction import cues
from guard_inbox.extraction.shapes import Strength, shape_kind


class Kind(enum.StrEnum):
    CUE = "cue"
    LAYOUT = "layout"
    OFFER = "offer"
    SHAPE = "shape"
    NEGATIVE = "negative"


@dataclass(frozen=True, slots=True)
class Feature:
    name: str
    kind: Kind
    doc: str


FEATURES: tuple[Feature, ...] = (
    # -- cue: what points at the token -----------------------------------------------------------
    Feature("cue:strong", Kind.CUE, 'a discount code word names it: "promo code X", "coupon X"'),
    Feature("cue:medium", Kind.CUE, 'a lead and a code word: "use code X", "tu código X"'),
    Feature("cue:weak", Kind.CUE, 'a bare code word: "code: X" (also says "verification code: X")'),
    Feature("cue:bare", Kind.CUE, 'no code word, a verb and a discount: "use SAVE20 for 20% off"'),
    Feature("cue:none", Kind.CUE, "nothing points at it; only its shape made it a candidate"),
    Feature("cue:named", Kind.CUE, "a code word (in any language cues.py knows) names it"),
    Feature("cue:label", Kind.CUE, 'a "Promo:" label introduces it'),
    Feature("cue:negative", Kind.CUE, 'the code word is of another kind: "verification code X"'),
    Feature("cue:ambiguous_kind", Kind.CUE,
            '"invitation code X", "key code X", "source code X": a discount only beside an offer'),
    Feature("cue:ambiguous_kind_without_discount", Kind.CUE,
            '"invitation code X" ... with no discount stated beside it: a pass or a key'),
    # -- layout: how the message presents it -----------------------------------------------------
    Feature("layout:quoted", Kind.LAYOUT, "the sender put it in quotes"),
    Feature("layout:emphasised", Kind.LAYOUT, "in capitals while the words pointing at it are not"),
    Feature("layout:alone", Kind.LAYOUT, "the only thing on its line (a box, a bold line)"),
    Feature("layout:after_colon", Kind.LAYOUT, 'right after the colon ending a sentence: "...: X"'),
    Feature("layout:shouted", Kind.LAYOUT, "the words around it are in capitals too"),
    Feature("layout:repeated", Kind.LAYOUT, "the message prints it more than once"),
    Feature("layout:before_colon", Kind.LAYOUT, 'a colon follows it, as after a label: "Codice SDI: X"'),
    # -- offer: is there money off nearby --------------------------------------------------------
    Feature("offer:discount_near", Kind.OFFER, 'a stated discount ("20%", "$10 off") in its clause'),
    Feature("offer:promo_near", Kind.OFFER, "promotion vocabulary within a few lines"),
    Feature("offer:checkout_after", Kind.OFFER, 'followed by "at checkout", "for 20% off", ...'),
    Feature("offer:none", Kind.OFFER, "no discount, promotion word or checkout near it"),
    # -- shape: does it look typed at checkout ---------------------------------------------------
    Feature("shape:caps_digits", Kind.SHAPE, "capitals and digits: SAVE20, 20OFF"),
    Feature("shape:mixed_digits", Kind.SHAPE, "lower-case letters and digits: save20, Fall26"),
    Feature("shape:caps_word", Kind.SHAPE, "a word in capitals, four letters or more: WELCOME"),
    Feature("shape:caps_short", Kind.SHAPE, "two or three capitals: VIP"),
    Feature("shape:plain_word", Kind.SHAPE, "an ordinary lower-case or Title-case word, quoted"),
    Feature("shape:camel", Kind.SHAPE, "CamelCase: PayPal, ShopPay"),
    Feature("shape:digits", Kind.SHAPE, "digits only: prices, PINs, order numbers look the same"),
    Feature("shape:offer_word", Kind.SHAPE, "an offer word shops do pick as codes: EXTRA, VIP"),
    Feature("shape:structured", Kind.SHAPE, "parts with meaning: FALL-2026-25, SPRING_26"),
    Feature("shape:digit_heavy", Kind.SHAPE, "more digits than letters: A1234567"),
    Feature("shape:long", Kind.SHAPE, "sixteen characters or more"),
    Feature("shape:hex", Kind.SHAPE, "three or six hex digits: a colour, or a code like BEEF10"),
    Feature("shape:sender_name", Kind.SHAPE,
            "the sender's own name or domain, and no code word names it: usually a brand"),
    Feature("shape:sender_name_alone", Kind.SHAPE,
            "the sender's name, and not even a verb points at it: a brand, not a code"),
    # -- negative context: it belongs to an order, a parcel, a login, a list ---------------------
    Feature("negative:before", Kind.NEGATIVE, '"order number", "tracking", "password" before it'),
    Feature("negative:after", Kind.NEGATIVE, '"to verify", "at the locker", "expires in 10 min"'),
    Feature("negative:transactional", Kind.NEGATIVE, "the subject is about an order or a login"),
    Feature("negative:transactional_weak_cue", Kind.NEGATIVE,
            "order or login mail, and no more than a bare code word or verb points at it"),
    Feature("negative:no_code_needed", Kind.NEGATIVE, 'the message says "no code needed"'),
    Feature("negative:list_instruction", Kind.NEGATIVE, 'a mailing-list command: "reply REMOVE"'),
)
FEATURE_NAMES: frozenset[str] = frozenset(feature.name for feature in FEATURES)
# Evidence that decides alone: the message itself says the token is another kind of code (a
# verification, zip, order or pickup code; "expires in 10 minutes"; "to approve the device"),
# the mail is about an order or a login and nothing stronger than a bare verb, a bare "code:"
# or the token's shape points at it, or the token is the sender's own name and no code word or
# verb points at it (a newsletter's sponsor code may be its name: "use code DEVDIGEST"), or an
# invitation, key or source code has no discount stated beside it.
# No amount of offer language nearby makes such a token a discount code, and the learned
# weights never see these candidates.
VETOES: frozenset[str] = frozenset(
    {"cue:negative", "negative:before", "negative:after", "negative:transactional_weak_cue",
     "shape:sender_name_alone", "cue:ambiguous_kind_without_discount"}
)
# Exactly one of these describes a token (shapes.shape_kind); the other shape: features add to it.
SHAPE_CLASSES = frozenset({
    "shape:caps_digits", "shape:mixed_digits", "shape:caps_word", "shape:caps_short",
    "shape:plain_word", "shape:camel", "shape:digits", "shape:offer_word",
})
# The features observe() reads from the text around a token, after the cheap ones.
CONTEXT_FEATURES = frozenset({
    "layout:alone", "layout:shouted", "offer:discount_near", "offer:promo_near",
    "offer:checkout_after", "offer:none", "negative:list_instruction", "negative:no_code_needed",
})
_AFTER_OFFER_FEATURES = frozenset(
    {"layout:alone", "layout:shouted", "offer:promo_near", "offer:none", "negative:list_instruction",
     "negative:no_code_needed"}
)
_LATE_FEATURES = frozenset(
    {"offer:promo_near", "offer:none", "negative:list_instruction", "negative:no_code_needed"}
)
_LAST_FEATURES = frozenset({"negative:list_instruction", "negative:no_code_needed"})
_OFFER_FEATURES = frozenset({"offer:discount_near", "offer:promo_near", "offer:checkout_after"})

_STRENGTH_FEATURE = {
    Strength.STRONG: "cue:strong",
    Strength.MEDIUM: "cue:medium",
    Strength.WEAK: "cue:weak",
    Strength.BARE: "cue:bare",
}


@dataclass(frozen=True, slots=True)
class Sighting:
    """One place a candidate token appears, with what pointed at it there."""

    token: str
    strength: Strength | None  # None: no cue, the token's shape alone made it a candidate
    named: bool
    quoted: bool
    emphasised: bool
    cue_start: int
    token_start: int
    token_end: int
    via: str = ""  # "label", "alone", "after_colon" or "" (code word, verb, shape)
    negative_cue: str = ""  # "other" or "ambiguous", as rules.Candidate.negative


@dataclass(frozen=True)
class MessageFacts:
    """What holds for the whole message, computed once (and only if a candidate needs it)."""

    text: str
    transactional: bool
    sender_names: frozenset[str] = frozenset()  # casefolded words of the sender's name and domain

    @functools.cached_property
    def no_code_needed(self) -> bool:
        return cues.NO_CODE_NEEDED.search(self.text) is not None


_SENTENCE_END = re.compile(r"[.!?](?:\s|$)|\n\n")
_LIST_INSTRUCTION = re.compile(
    r"\b(?:reply|respond|send|e-?mail|write|text)\b[^\n]{0,40}$|"
    r"\b(?:in\s+the\s+subject|as\s+the\s+subject|to\s+(?:unsubscribe|be\s+removed|opt[\s-]?out|stop))",
    re.IGNORECASE,
)


def sender_names(sender: str) -> frozenset[str]:
    """Words of a From header's display name and domain labels: "Lieferheld24 <news@mail.
    lieferheld24.de>" -> {"lieferheld24", "news", "mail", "de"}."""
    return frozenset(word.casefold() for word in re.findall(r"[A-Za-z0-9][A-Za-z0-9_-]+", sender))


def window_before(text: str, cue_start: int) -> str:
    """The clause before a cue: back to the sentence start or the last stated discount, which
    cuts a negative word off from a cue that follows it ("Order now! 20% off with code X")."""
    before = text[max(0, cue_start - 80) : cue_start]
    ends = list(_SENTENCE_END.finditer(before))
    before = before[ends[-1].end() :] if ends else before
    discounts = list(cues.DISCOUNT_PHRASE.finditer(before))
    return before[discounts[-1].end() :] if discounts else before


def window_after(text: str, token_end: int) -> str:
    """The rest of the token's sentence."""
    after = text[token_end : token_end + 90]
    end = _SENTENCE_END.search(after)
    return after[: end.start()] if end else after


def _alone_on_line(text: str, start: int, end: int) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line = text[line_start : len(text) if line_end < 0 else line_end]
    return len(line.strip(" \t\"'*[]()\u00ab\u00bb\u201c\u201d.!:")) == end - start


def _shouted(text: str, start: int, end: int) -> bool:
    words = re.findall(r"[^\W\d_]{2,}", text[max(0, start - 60) : end + 60])
    lower = sum(1 for word in words if not word.isupper())
    return lower * 2 <= len(words)


def observe(
    text: str, sight: Sighting, facts: MessageFacts, repeated: bool, prune: Weights | None = None
) -> frozenset[str] | None:
    """The names of the evidence present for one sighting of a token.

    With ``prune``, returns None as soon as the evidence read so far (cue, shape, layout) rules
    the token out under those weights however the context turns out: most candidates are
    code-shaped tokens nothing points at, and reading their context is most of the work.
    """
    found: set[str] = set(shape_kind(sight.token))
    found.add(_STRENGTH_FEATURE[sight.strength] if sight.strength is not None else "cue:none")
    if sight.named:
        found.add("cue:named")
    if sight.negative_cue == "other":
        found.add("cue:negative")
    elif sight.negative_cue == "ambiguous":
        found.add("cue:ambiguous_kind")
    if sight.via == "label":
        found.add("cue:label")
    if sight.quoted:
        found.add("layout:quoted")
    if sight.emphasised:
        found.add("layout:emphasised")
    if sight.via == "after_colon":
        found.add("layout:after_colon")
    if repeated:
        found.add("layout:repeated")
    if text.startswith(":", sight.token_end) or text.startswith(" :", sight.token_end):
        found.add("layout:before_colon")
    if not sight.named and sight.token.casefold() in facts.sender_names:
        found.add("shape:sender_name")
        if sight.strength is None or sight.via:  # no code word and no verb points at it
            found.add("shape:sender_name_alone")
    if facts.transactional:
        found.add("negative:transactional")
        if sight.strength is None or sight.strength <= Strength.WEAK:
            found.add("negative:transactional_weak_cue")
    if prune is not None and prune.ceiling(found, CONTEXT_FEATURES) <= 0:
        return None
    start, end = sight.cue_start, sight.token_end
    line_start = text.rfind("\n", 0, sight.token_start) + 1
    if cues.CHECKOUT_AFTER.match(text, end):
        found.add("offer:checkout_after")
    if cues.DISCOUNT_PHRASE.search(text, max(line_start, start - 120), end + 80):
        found.add("offer:discount_near")
    elif sight.negative_cue == "ambiguous":
        found.add("cue:ambiguous_kind_without_discount")
    if prune is not None and prune.ceiling(found, _AFTER_OFFER_FEATURES) <= 0:
        return None
    if _alone_on_line(text, sight.token_start, sight.token_end):
        found.add("layout:alone")
    if sight.token.isupper() and _shouted(text, sight.token_start, sight.token_end):
        found.add("layout:shouted")
    if prune is not None and prune.ceiling(found, _LATE_FEATURES) <= 0:
        return None
    around = text[max(0, start - 150) : sight.token_start] + " " + text[end : end + 150]
    if cues.PROMO_SIGNAL.search(around):
        found.add("offer:promo_near")
    if not found & _OFFER_FEATURES:
        found.add("offer:none")
    if prune is not None and prune.ceiling(found, _LAST_FEATURES) <= 0:
        return None
    cue = text[start : sight.token_start]
    if cues.NEG_CONTEXT_BEFORE.search(window_before(text, start) + " " + cue):
        found.add("negative:before")
    if cues.OTHER_LABEL_BEFORE.search(text, max(line_start, sight.token_start - 60), sight.token_start):
        found.add("negative:before")
    if cues.NEG_CONTEXT_AFTER.search(window_after(text, end)):
        found.add("negative:after")
    if facts.no_code_needed:
        found.add("negative:no_code_needed")
    if _LIST_INSTRUCTION.search(text, max(line_start, start - 60), sight.token_start) or (
        _LIST_INSTRUCTION.match(text, end) and not cues.DISCOUNT_PHRASE.search(text, end, end + 40)
    ):
        found.add("negative:list_instruction")
    return frozenset(found)


@dataclass(frozen=True)
class Weights:
    """A bias and one weight per feature; a candidate is a code when its score is above 0."""

    bias: float
    weights: Mapping[str, float]

    def ceiling(self, features: set[str], pending: frozenset[str]) -> float:
        """The highest score ``features`` can reach once the ``pending`` ones are read."""
        if not VETOES.isdisjoint(features):
            return -math.inf
        get = self.weights.get
        gain = sum(max(0.0, get(name, 0.0)) for name in pending)
        return self.bias + sum(get(name, 0.0) for name in features) + gain

    @functools.cached_property
    def _uncued_base(self) -> float:
        get = self.weights.get
        gains = sum(max(0.0, get(name, 0.0)) for name in FEATURE_NAMES
                    if name.startswith(("layout:", "offer:", "negative:")))
        return self.bias + get("cue:none", 0.0) + gains

    @functools.cached_property
    def uncued_ceiling(self) -> float:
        """The highest score a token nothing points at can reach: its best shape, every
        positive layout and context feature."""
        get = self.weights.get
        shapes = max(get(name, 0.0) for name in SHAPE_CLASSES) + sum(
            max(0.0, get(name, 0.0)) for name in FEATURE_NAMES
            if name.startswith("shape:") and name not in SHAPE_CLASSES)
        return self._uncued_base + shapes

    def uncued_could_pass(self, shape: tuple[str, ...]) -> bool:
        """Whether a token of this shape (shapes.shape_kind) that nothing points at could
        score above 0 however its layout and context turn out."""
        get = self.weights.get
        return self._uncued_base + sum(get(name, 0.0) for name in shape) > 0

    def score(self, features: frozenset[str]) -> float:
        if not VETOES.isdisjoint(features):
            return -math.inf
        get = self.weights.get
        return self.bias + sum(get(name, 0.0) for name in features)


def default_weights() -> Weights:
    """The weights learned from every labelled corpus (evidence_weights.py)."""
    from guard_inbox.extraction.evidence_weights import BIAS, WEIGHTS

    return Weights(BIAS, WEIGHTS)
