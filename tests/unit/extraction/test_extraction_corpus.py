"""Regression over the shared corpus of real company mail (a floor, not the target).

Every message labelled code-free must stay code-free -- these are the order, tracking, OTP and
locker-pickup mails that a careless extractor mistakes for promos -- and every labelled code
must be found, with nothing else reported beside it.
"""

from __future__ import annotations

import email
import email.policy
import json
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest

from guard_inbox.domain.models import MailMessage
from guard_inbox.extraction.pipeline import ExtractionPipeline

# tests/unit/extraction/<this file> -> parents[3] is the repository root.
CORPUS = Path(__file__).resolve().parents[3] / ".." / "shared" / "corpus"
LABELS = CORPUS / "labels.jsonl"


def _load_labels() -> list[dict[str, Any]]:
    if not LABELS.is_file():
        return []
    lines = LABELS.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _mime_parser() -> Callable[[bytes, str], object] | None:
    """The app's own MIME decoder when it exists (written in parallel), else None."""
    try:
        from guard_inbox.mail.mime import parse_message
    except ImportError:
        return None
    return parse_message


def _part_text(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, ValueError, AssertionError):
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def _stdlib_message(raw: bytes, provider_id: str) -> MailMessage:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    text, html = [], []
    for part in parsed.walk():
        if part.is_multipart() or not isinstance(part, EmailMessage):
            continue
        kind = part.get_content_type()
        if kind in ("text/plain", "text/html"):
            (html if kind == "text/html" else text).append(_part_text(part))
    date = None
    if parsed["date"]:
        try:
            date = parsedate_to_datetime(str(parsed["date"]))
        except (TypeError, ValueError):
            date = None
    return MailMessage(
        provider_id=provider_id,
        subject=str(parsed["subject"] or ""),
        sender=str(parsed["from"] or ""),
        date=date,
        text="\n".join(text),
        html="\n".join(html),
    )


def _eml_message(path: Path, provider_id: str) -> MailMessage:
    raw = path.read_bytes()
    parse = _mime_parser()
    if parse is not None:
        try:
            message = parse(raw, provider_id)
        except Exception:  # their bug is their test's business; ours is extraction
            message = None
        if isinstance(message, MailMessage):
            return message
    return _stdlib_message(raw, provider_id)


def _html_message(path: Path, provider_id: str) -> MailMessage:
    meta_path = path.with_suffix(".json")
    meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else {}
    return MailMessage(
        provider_id=provider_id,
        subject=str(meta.get("title") or meta.get("subject") or ""),
        sender=str(meta.get("from") or ""),
        html=path.read_text(encoding="utf-8", errors="replace"),
    )


def load_corpus_message(relative: str) -> MailMessage:
    path = CORPUS / relative
    if path.suffix == ".eml":
        return _eml_message(path, relative)
    return _html_message(path, relative)


_CASES = _load_labels()


@pytest.mark.parametrize(
    "label", _CASES or [None], ids=[case["file"] for case in _CASES] or ["corpus-missing"]
)
def test_corpus_message(label: dict[str, Any] | None) -> None:
    if label is None:
        pytest.skip(f"shared corpus not found at {CORPUS.resolve()}")
    message = load_corpus_message(label["file"])
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
