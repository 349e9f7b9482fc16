"""The port between the pipeline and its layers, and the value each layer hands back.

The pipeline parses a message once (text.build_document) and gives that document to every
layer through ``DocumentLayer.read_document``, so it needs to know nothing about any one layer:
what the AI layer needs from the rules travels in the result, not through an isinstance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from guard_inbox.domain.models import FoundCode, MailMessage
from guard_inbox.extraction.text import Document

__all__ = ["DocumentLayer", "LayerResult"]


@dataclass(frozen=True, slots=True)
class LayerResult:
    """What one layer made of one message.

    ``confident`` says whether the layer is sure it found what the message offers, when the
    layer judges that at all: the rules do (a code named only weakly is not sure), the markup
    does not (None), and the pipeline then counts any code found as enough. An AI layer looks
    at mail that reads like a promotion but is not confidently covered.
    """

    codes: tuple[FoundCode, ...] = ()
    confident: bool | None = None


class DocumentLayer(Protocol):
    """One extraction layer (markup.py, rules.py): it reads the pipeline's parsed document,
    or, through ``extract``, a message on its own (callers outside the pipeline, and the
    pipeline itself when a message could not be parsed once for all)."""

    def read_document(self, message: MailMessage, doc: Document) -> LayerResult: ...

    def extract(self, message: MailMessage) -> list[FoundCode]: ...
