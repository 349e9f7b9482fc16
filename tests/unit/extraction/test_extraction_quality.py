"""Precision and recall of the whole pipeline on labelled mail, against the issue's bar.

Two corpora: tests/data/corpus (ours: 230+ messages written for this, split dev/holdout; rules
are tuned on dev failures only) and the shared corpus of real company mail beside the
repository (skipped with a reason where it is absent).  Scoring is per code and
case-insensitive; see tests/data/corpus_eval.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from data.corpus_eval import KNOWN_MISS_REASON, KNOWN_MISSES, OWN_CORPUS, Case, Score, load_cases, score
from guard_inbox.domain.models import FoundCode, MailMessage
from guard_inbox.extraction.pipeline import ExtractionPipeline

# tests/unit/extraction/<this file> -> parents[3] is the repository root; shared/ is beside it.
SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "corpus"
MIN_PRECISION = 0.97
MIN_RECALL = 0.95


@pytest.fixture(scope="module")
def extract() -> Callable[[MailMessage], list[FoundCode]]:
    return ExtractionPipeline().extract


@pytest.fixture(scope="module")
def own() -> list[Case]:
    cases = load_cases(OWN_CORPUS, "own")
    assert len(cases) >= 220, "the labelled corpus is missing; run tests/data/make_corpus.py"
    return cases


@pytest.fixture(scope="module")
def shared() -> list[Case]:
    if not (SHARED / "labels.jsonl").is_file():
        pytest.skip(f"shared corpus not found at {SHARED}")
    return load_cases(SHARED, "shared")


def _assert_bar(result: Score, what: str) -> None:
    report = "\n".join([result.line(), *result.false_positives, *(f"missed {m}" for m in result.misses)])
    assert result.precision >= MIN_PRECISION, f"{what} precision below {MIN_PRECISION}:\n{report}"
    assert result.recall >= MIN_RECALL, f"{what} recall below {MIN_RECALL}:\n{report}"


@pytest.mark.parametrize("split", ["dev", "holdout"])
def test_own_corpus_meets_the_bar(
    split: str, own: list[Case], extract: Callable[[MailMessage], list[FoundCode]]
) -> None:
    cases = [case for case in own if case.split == split]
    assert cases
    _assert_bar(score(cases, extract), f"own corpus ({split})")


def _excuse_known_miss(case: Case) -> Case:
    """A known miss moves from the codes that must be found to the codes that may be: it no
    longer counts against recall, and anything else found in its message still counts against
    precision. test_known_miss holds each one to account."""
    code = KNOWN_MISSES.get(case.label["file"])
    if code is None:
        return case
    assert code in case.label["codes"], f"{case.name}: KNOWN_MISSES names {code}, the label does not"
    label = dict(case.label, codes=[c for c in case.label["codes"] if c != code],
                 alt_codes=[*(case.label.get("alt_codes") or []), code])
    return replace(case, label=label)


def test_shared_corpus_meets_the_bar(
    shared: list[Case], extract: Callable[[MailMessage], list[FoundCode]]
) -> None:
    _assert_bar(score([_excuse_known_miss(case) for case in shared], extract), "shared corpus")


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=KNOWN_MISS_REASON)
@pytest.mark.parametrize("file", sorted(KNOWN_MISSES))
def test_known_miss(file: str, shared: list[Case], extract: Callable[[MailMessage], list[FoundCode]]) -> None:
    """Fails loudly (XPASS, strict) once the extractor finds the code: then drop it from KNOWN_MISSES."""
    (case,) = [case for case in shared if case.label["file"] == file]
    found = {code.code.casefold() for code in extract(case.message)}
    assert KNOWN_MISSES[file].casefold() in found


def test_every_shared_negative_stays_empty(
    shared: list[Case], extract: Callable[[MailMessage], list[FoundCode]]
) -> None:
    noisy = {
        case.name: sorted(code.code for code in extract(case.message)) for case in shared if not case.allowed
    }
    assert {name: codes for name, codes in noisy.items() if codes} == {}


def test_combined_corpora_meet_the_bar(
    own: list[Case], extract: Callable[[MailMessage], list[FoundCode]]
) -> None:
    cases = list(own)
    if (SHARED / "labels.jsonl").is_file():
        cases += load_cases(SHARED, "shared")
    _assert_bar(score(cases, extract), "all corpora")


def _norm(value: str | None) -> str:
    return " ".join((value or "").casefold().split())


def _detail_problems(case: Case, found: list[FoundCode]) -> list[str]:
    details: dict[str, Any] = case.label["details"]
    by_code = {code.code.casefold(): code for code in found}
    code = by_code.get(case.label["codes"][0].casefold())
    if code is None:
        return [f"{case.name}: {case.label['codes'][0]} not found"]
    problems = []
    for key, want in details.items():
        if key == "expires":
            got: object = code.expires.date().isoformat() if code.expires else None
            ok = got == want  # a null label means "not stated": the extractor must say None
        elif key == "discount":
            got = code.discount
            ok = _norm(want) in _norm(code.discount) if want else not code.discount
        elif key == "link":
            got = code.link
            ok = bool(want) and want in code.link
        else:
            got = getattr(code, key)
            ok = _norm(want) == _norm(got)
        if not ok:
            problems.append(f"{case.name}: {key} wanted {want!r}, got {got!r}")
    return problems


def test_labelled_details(own: list[Case], extract: Callable[[MailMessage], list[FoundCode]]) -> None:
    labelled = [case for case in own if case.label.get("details")]
    assert len(labelled) >= 40
    problems = [p for case in labelled for p in _detail_problems(case, extract(case.message))]
    assert problems == []


def test_expiry_is_never_invented(own: list[Case], extract: Callable[[MailMessage], list[FoundCode]]) -> None:
    """Where the label says the message states no end date, no code may carry one."""
    undated = [
        c for c in own if "expires" in (c.label.get("details") or {}) and not c.label["details"]["expires"]
    ]
    invented = [
        f"{case.name}: {code.code} -> {code.expires}"
        for case in undated
        for code in extract(case.message)
        if code.expires is not None
    ]
    assert invented == []


def test_every_code_has_a_merchant_and_no_utility_link(
    own: list[Case], extract: Callable[[MailMessage], list[FoundCode]]
) -> None:
    problems = []
    for case in own:
        for code in extract(case.message):
            if not code.merchant:
                problems.append(f"{case.name}: {code.code} has no merchant")
            if any(word in code.link.lower() for word in ("unsubscribe", "preferences", "privacy")):
                problems.append(f"{case.name}: {code.code} links to {code.link}")
    assert problems == []
