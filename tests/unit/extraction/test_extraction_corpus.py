"""Regression over the shared corpus of real company mail (a floor, not the target).

Every message labelled code-free must stay code-free -- these are the order, tracking, OTP and
locker-pickup mails that a careless extractor mistakes for promos -- and every labelled code
must be found, with nothing else reported beside it.
"""

from __future__ import annotations

from typing import Any

import pytest

from data.corpus_eval import KNOWN_MISS_REASON, KNOWN_MISSES, SHARED_CORPUS, load_message, read_labels
from guard_inbox.extraction.pipeline import ExtractionPipeline


def _cases() -> list[Any]:
    labels = read_labels(SHARED_CORPUS)
    if not labels:
        reason = f"shared corpus not found at {SHARED_CORPUS}"
        return [pytest.param(None, id="corpus-missing", marks=pytest.mark.skip(reason=reason))]
    known_miss = pytest.mark.xfail(strict=True, raises=AssertionError, reason=KNOWN_MISS_REASON)
    return [
        pytest.param(label, id=label["file"], marks=[known_miss] if label["file"] in KNOWN_MISSES else [])
        for label in labels
    ]


@pytest.mark.parametrize("label", _cases())
def test_corpus_message(label: dict[str, Any]) -> None:
    message = load_message(SHARED_CORPUS, label["file"])
    found = {code.code.casefold() for code in ExtractionPipeline().extract(message)}
    expected = {code.casefold() for code in label["codes"]}
    allowed = expected | {code.casefold() for code in label.get("alt_codes") or []}
    if not expected:
        assert found == set(), f"false positives in a code-free message: {sorted(found)}"
        return
    if label.get("ambiguous"):
        assert found & allowed, f"none of {sorted(allowed)} found; got {sorted(found)}"
    else:
        assert expected <= found, f"missed {sorted(expected - found)}"
    assert found <= allowed, f"unlabelled codes reported: {sorted(found - allowed)}"
