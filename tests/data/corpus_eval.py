"""Loading the labelled corpora and scoring an extractor on them (used by tests and benchmarks).

Scoring is per code, case-insensitive: a reported code is a true positive when the label lists
it (or, for messages marked ``ambiguous``, lists it in ``alt_codes``); every other reported code
is a false positive; every labelled code not reported is a false negative.  For an ambiguous
message the codes are satisfied by any allowed code found, so either reading of it scores.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from guard_inbox.domain.models import FoundCode, MailMessage
from guard_inbox.mail.mime import parse_message

HERE = Path(__file__).resolve().parent
OWN_CORPUS = HERE / "corpus"
# tests/data/<this file> -> parents[2] is the repository root; shared/ sits beside it.
SHARED_CORPUS = HERE.parents[1].parent / "shared" / "corpus"

# Real codes in the shared corpus that the extractor does not find yet, by file. The tests mark
# each as a strict expected failure, so it fails loudly once the extractor finds it: then delete
# its line here.
KNOWN_MISSES: dict[str, str] = {}  # file -> code; none today (GANNI's "Use Code EXTRA" was lifted)
KNOWN_MISS_REASON = "real code the rules miss; lifted by the extraction issue (#13)"


@dataclass(frozen=True)
class Case:
    """One labelled message."""

    corpus: str
    label: dict[str, Any]
    message: MailMessage

    @property
    def name(self) -> str:
        return f"{self.corpus}:{self.label['file']}"

    @property
    def expected(self) -> set[str]:
        return {code.casefold() for code in self.label.get("codes") or []}

    @property
    def allowed(self) -> set[str]:
        return self.expected | {code.casefold() for code in self.label.get("alt_codes") or []}

    @property
    def split(self) -> str:
        return str(self.label.get("split") or "dev")


def read_labels(corpus: Path) -> list[dict[str, Any]]:
    path = corpus / "labels.jsonl"
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def load_message(corpus: Path, relative: str) -> MailMessage:
    """An .eml through the app's own MIME decoder; a bare .html page with its .json title."""
    path = corpus / relative
    if path.suffix == ".eml":
        return parse_message(path.read_bytes(), relative)
    meta_path = path.with_suffix(".json")
    meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else {}
    return MailMessage(
        provider_id=relative,
        subject=str(meta.get("title") or meta.get("subject") or ""),
        sender=str(meta.get("from") or ""),
        html=path.read_text(encoding="utf-8", errors="replace"),
    )


def load_cases(corpus: Path, name: str) -> list[Case]:
    return [Case(name, label, load_message(corpus, label["file"])) for label in read_labels(corpus)]


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    false_positives: list[str] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, case: Case, found: Iterable[str]) -> None:
        got = {code.casefold() for code in found}
        hits = got & case.allowed
        wrong = sorted(got - case.allowed)
        self.fp += len(wrong)
        self.false_positives += [f"{case.name}: {code}" for code in wrong]
        if case.label.get("ambiguous"):
            matched = min(len(case.expected), len(hits))
            self.tp += max(matched, len(hits))
            self.fn += len(case.expected) - matched
            missing = sorted(case.expected) if matched < len(case.expected) else []
        else:
            self.tp += len(hits)
            missing = sorted(case.expected - got)
            self.fn += len(missing)
        self.misses += [f"{case.name}: {code}" for code in missing]

    def line(self) -> str:
        return (
            f"P {self.precision:.3f}  R {self.recall:.3f}  F1 {self.f1:.3f}"
            f"  (tp {self.tp}, fp {self.fp}, fn {self.fn})"
        )


def score(
    cases: Sequence[Case],
    extract: Callable[[MailMessage], list[FoundCode]],
    *,
    source: str | None = None,
) -> Score:
    """Score ``extract`` on ``cases``; with ``source``, only the codes that layer reported."""
    result = Score()
    for case in cases:
        found = extract(case.message)
        result.add(case, (c.code for c in found if source is None or c.source == source))
    return result


def source_of(case: Case) -> str:
    """The source a labelled message comes from, for leave-one-source-out evaluation: each
    family directory of our corpus, each project in the shared one (peers/<project>)."""
    if case.corpus == "family":
        return f"family:{case.label['family']}"
    if case.corpus == "shared":
        return f"shared:{case.label.get('source') or case.label['file'].split('/')[0]}"
    return f"own:{case.label['file'].split('/')[0]}"


def evidence_examples(cases: Iterable[Case]) -> list[tuple[frozenset[str], bool]]:
    """(evidence, is a labelled code) for every candidate token the rules see in ``cases``."""
    from guard_inbox.extraction.rules import observations
    from guard_inbox.extraction.text import build_document

    examples: list[tuple[frozenset[str], bool]] = []
    for case in cases:
        doc = build_document(case.message)
        for sight, features in observations(doc.text, doc.text[: doc.subject_end], case.message.sender):
            examples.append((features, sight.token.casefold() in case.allowed))
    return examples


def leave_one_source_out(cases: Sequence[Case]) -> dict[str, Score]:
    """For each source, the score on its messages of weights learned from every *other* source."""
    from guard_inbox.extraction.learning import fit
    from guard_inbox.extraction.markup import MarkupExtractor
    from guard_inbox.extraction.pipeline import ExtractionPipeline
    from guard_inbox.extraction.rules import RuleExtractor

    by_source: dict[str, list[Case]] = {}
    for case in cases:
        by_source.setdefault(source_of(case), []).append(case)
    examples = {source: evidence_examples(group) for source, group in by_source.items()}
    scores: dict[str, Score] = {}
    for source, group in sorted(by_source.items()):
        rest = [example for other, items in examples.items() if other != source for example in items]
        pipeline = ExtractionPipeline(layers=(MarkupExtractor(), RuleExtractor(fit(rest))))
        scores[source] = score(group, pipeline.extract)
    return scores


def pooled(scores: Iterable[Score]) -> Score:
    """Micro-averaged: every held-out prediction counted once."""
    total = Score()
    for item in scores:
        total.tp += item.tp
        total.fp += item.fp
        total.fn += item.fn
        total.false_positives += item.false_positives
        total.misses += item.misses
    return total
