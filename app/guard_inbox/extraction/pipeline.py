"""The extractor the rest of the app uses: every layer, in order of trust, behind one port.

Layers run most-trusted first (declared markup, then text rules, then an optional AI layer)
and the first layer to report a code owns it, so a code the sender declared keeps the
sender's own description and end date.  A scan must never die on one odd message, so a layer
that raises is logged and skipped rather than propagated.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from typing import Protocol

from guard_inbox.domain.models import Extraction, FoundCode, MailMessage
from guard_inbox.extraction.layer import DocumentLayer, LayerResult
from guard_inbox.extraction.markup import MarkupExtractor
from guard_inbox.extraction.merchant import merchant_from_sender, registrable_domain
from guard_inbox.extraction.rules import RuleExtractor, looks_promotional
from guard_inbox.extraction.text import Document, build_document

__all__ = ["AiLayer", "ExtractionPipeline", "merchant_from_sender", "registrable_domain"]

logger = logging.getLogger(__name__)

# The AI layer reads at most this much of the cleaned text.
AI_TEXT_CHARS = 12_000


class AiLayer(Protocol):
    """An optional last layer (extraction/ai.py) that reads the cleaned text with a model.

    ``rule_codes`` are what the earlier layers found; ``uncertain`` says the message looks
    promotional ("% off", "sale", "coupon" ...) but no code was found with confidence, which
    is when a model is worth asking. The result carries the tokens the model was paid.
    """

    def examine(
        self, message: MailMessage, text: str, rule_codes: list[FoundCode], uncertain: bool
    ) -> Extraction: ...


class ExtractionPipeline:
    """Runs each extraction layer and merges their codes, case-insensitively de-duplicated."""

    def __init__(self, layers: Sequence[DocumentLayer] | None = None, ai: AiLayer | None = None) -> None:
        self._layers: tuple[DocumentLayer, ...] = (
            tuple(layers) if layers is not None else (MarkupExtractor(), RuleExtractor())
        )
        self._ai = ai
        self._default_layers = layers is None

    @property
    def rules_only(self) -> bool:
        """The default layers and no AI: the pipeline a reading process builds for itself."""
        return self._default_layers and self._ai is None

    @staticmethod
    def _document(message: MailMessage) -> Document | None:
        """The message parsed once, for every layer; None (each layer on its own) if that fails."""
        try:
            return build_document(message)
        except Exception:
            logger.exception("could not read message %s; layers read it on their own", message.provider_id)
            return None

    def extract(self, message: MailMessage) -> list[FoundCode]:
        """``examine``'s codes alone, for callers that do not count AI tokens."""
        return list(self.examine(message).codes)

    def examine(self, message: MailMessage) -> Extraction:
        """The merged codes of every layer, each with a merchant, and the AI tokens spent."""
        merged: dict[str, FoundCode] = {}
        doc = self._document(message)
        confident: bool | None = None  # the last judging layer's word (the rules')
        for layer in self._layers:
            try:
                result = (
                    layer.read_document(message, doc) if doc is not None
                    else LayerResult(tuple(layer.extract(message)))
                )
            except Exception:  # a bug in one layer must not cost the others' codes
                logger.exception(
                    "extractor %s failed on message %s; its results are dropped",
                    type(layer).__name__,
                    message.provider_id,
                )
                continue
            if result.confident is not None:
                confident = result.confident
            for code in result.codes:
                merged.setdefault(code.code.casefold(), code)
        tokens = 0
        if self._ai is not None:
            text = doc.text if doc is not None else None
            sure = bool(merged) if confident is None else confident  # no judge: any code will do
            uncertain = text is not None and not sure and looks_promotional(text)
            tokens = self._ask_ai(message, merged, text, uncertain)
        if not merged:
            return Extraction(ai_tokens=tokens)
        try:
            merchant = merchant_from_sender(message.sender, message.header("Reply-To") or "")
        except Exception:
            logger.exception("could not derive a merchant from %r", message.sender)
            merchant = ""
        declared = next((c.merchant for c in merged.values() if c.source == "markup" and c.merchant), "")
        merchant = declared or merchant
        codes = tuple(
            code if code.merchant else dataclasses.replace(code, merchant=merchant)
            for code in merged.values()
        )
        return Extraction(codes, tokens)

    def _ask_ai(
        self, message: MailMessage, merged: dict[str, FoundCode], text: str | None, uncertain: bool
    ) -> int:
        """Merges the AI layer's codes into ``merged``; returns the tokens it spent."""
        ai = self._ai
        if ai is None:
            return 0
        try:
            if text is None:
                text = build_document(message).text
                uncertain = not merged and looks_promotional(text)
            found = ai.examine(message, text[:AI_TEXT_CHARS], list(merged.values()), uncertain)
        except Exception:  # the model, the network or the layer: none of it may stop a scan
            logger.exception("AI layer failed on message %s; its results are dropped", message.provider_id)
            return 0
        for code in found.codes:
            if isinstance(code, FoundCode) and code.code.strip():
                merged.setdefault(code.code.casefold(), code)
        return found.ai_tokens
