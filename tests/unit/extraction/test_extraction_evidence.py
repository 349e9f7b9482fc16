"""The evidence model: named features only, learned weights that are reproducible from the
labelled data, vetoes that decide alone, and a leave-one-source-out score above the bar."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

from data.corpus_eval import (
    OWN_CORPUS,
    SHARED_CORPUS,
    Case,
    evidence_examples,
    leave_one_source_out,
    load_cases,
    pooled,
)
from data.families import family_cases
from guard_inbox.extraction.evidence import FEATURE_NAMES, FEATURES, VETOES, Weights, default_weights
from guard_inbox.extraction.learning import fit
from guard_inbox.extraction.rules import observations

ROOT = Path(__file__).resolve().parents[3]
LOSO_MIN_PRECISION = 0.95
LOSO_MIN_RECALL = 0.90


@pytest.fixture(scope="module")
def cases() -> list[Case]:
    if not (SHARED_CORPUS / "labels.jsonl").is_file():
        pytest.skip(f"shared corpus not found at {SHARED_CORPUS}")
    return load_cases(OWN_CORPUS, "own") + load_cases(SHARED_CORPUS, "shared") + family_cases()


def test_every_feature_is_named_once_and_documented() -> None:
    names = [feature.name for feature in FEATURES]
    assert len(names) == len(set(names))
    assert all(feature.doc and feature.name.startswith(f"{feature.kind}:") for feature in FEATURES)
    assert VETOES <= FEATURE_NAMES


def test_observed_evidence_uses_only_named_features(cases: list[Case]) -> None:
    seen: set[str] = set()
    for features, _ in evidence_examples(cases):
        seen |= features
    assert seen <= FEATURE_NAMES, sorted(seen - FEATURE_NAMES)
    assert len(seen) >= len(FEATURE_NAMES) - 3  # nearly every kind of evidence occurs in the data


def test_a_veto_decides_whatever_the_other_evidence() -> None:
    weights = Weights(bias=5.0, weights={"offer:promo_near": 5.0})
    assert weights.score(frozenset({"offer:promo_near"})) == 10.0
    for veto in VETOES:
        assert weights.score(frozenset({"offer:promo_near", veto})) == -math.inf


def test_learning_separates_evidence_it_is_shown() -> None:
    examples = [(frozenset({"cue:strong", "offer:promo_near"}), True)] * 20
    examples += [(frozenset({"cue:none", "offer:promo_near"}), False)] * 20
    examples += [(frozenset({"cue:strong", "offer:none"}), False)] * 5
    weights = fit(examples)
    assert weights.score(frozenset({"cue:strong", "offer:promo_near"})) > 0
    assert weights.score(frozenset({"cue:none", "offer:promo_near"})) < 0
    assert weights.score(frozenset({"cue:strong", "offer:none"})) < 0


def test_shipped_weights_are_what_the_fit_script_learns(cases: list[Case]) -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from fit_evidence import render  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    examples = evidence_examples(cases)
    shipped = (ROOT / "app/guard_inbox/extraction/evidence_weights.py").read_text(encoding="utf-8")
    assert render(fit(examples), len(examples)) == shipped, "run scripts/fit_evidence.py"
    assert default_weights().weights  # and the app loads them


def test_pruned_observations_keep_every_token_the_weights_accept(cases: list[Case]) -> None:
    """observe(prune=...) may skip reading context only when no context could change the verdict."""
    from guard_inbox.extraction.text import build_document

    weights = default_weights()
    for case in cases[::3]:
        doc = build_document(case.message)
        subject = doc.text[: doc.subject_end]
        full = {s.token for s, f in observations(doc.text, subject, case.message.sender)
                if weights.score(f) > 0}
        pruned = {s.token for s, f in observations(doc.text, subject, case.message.sender, weights)
                  if weights.score(f) > 0}
        assert pruned == full, case.name


def test_leave_one_source_out_meets_the_bar_on_real_mail(cases: list[Case]) -> None:
    scores = leave_one_source_out(cases)
    real = pooled(v for k, v in scores.items() if not k.startswith("family:"))
    report = "\n".join([real.line(), *real.false_positives, *real.misses])
    assert real.precision >= LOSO_MIN_PRECISION, report
    assert real.recall >= LOSO_MIN_RECALL, report
