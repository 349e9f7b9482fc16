"""The pipeline merges layers (markup wins), names the merchant and survives a broken layer."""

from __future__ import annotations

import logging

import pytest

from guard_inbox.domain.models import FoundCode, MailMessage
from guard_inbox.extraction.layer import LayerResult
from guard_inbox.extraction.pipeline import (
    ExtractionPipeline,
    merchant_from_sender,
    registrable_domain,
)
from guard_inbox.extraction.text import Document

PROMO_HTML = """<html><head><script type="application/ld+json">
{"@context": "http://schema.org", "@type": "DiscountOffer", "discountCode": "NIKE20",
 "description": "20% off members", "availabilityEnds": "2026-02-01"}
</script></head><body>
<p>Members save 20% - use code nike20 at checkout.</p>
<p>Plus: free shipping with code SHIPNOW on orders over $50.</p>
</body></html>"""


class ExplodingLayer:
    """A layer with a bug, standing in for any future layer that raises."""

    def read_document(self, message: MailMessage, doc: Document) -> LayerResult:
        raise RuntimeError(f"boom on {message.provider_id}")

    def extract(self, message: MailMessage) -> list[FoundCode]:
        raise RuntimeError(f"boom on {message.provider_id}")


class FixedLayer:
    def __init__(self, *codes: FoundCode) -> None:
        self._codes = tuple(codes)

    def read_document(self, message: MailMessage, doc: Document) -> LayerResult:
        return LayerResult(self._codes)

    def extract(self, message: MailMessage) -> list[FoundCode]:
        return list(self._codes)


def test_markup_wins_over_rules_and_merchant_is_filled() -> None:
    message = MailMessage(
        provider_id="p1", subject="Member sale", sender="Nike <news@email.nike.com>", html=PROMO_HTML
    )
    found = ExtractionPipeline().extract(message)
    assert [(c.code, c.source, c.merchant) for c in found] == [
        ("NIKE20", "markup", "Nike"),
        ("SHIPNOW", "rules", "Nike"),
    ]
    assert found[0].discount == "20% off members"
    assert found[1].min_spend == "$50"


def test_a_failing_layer_is_logged_and_skipped(caplog: pytest.LogCaptureFixture) -> None:
    kept = FoundCode(code="KEEP10", merchant="Shop")
    pipeline = ExtractionPipeline([ExplodingLayer(), FixedLayer(kept)])
    with caplog.at_level(logging.ERROR, logger="guard_inbox.extraction.pipeline"):
        found = pipeline.extract(MailMessage(provider_id="p2", sender="x@shop.example"))
    assert found == [kept]
    assert "ExplodingLayer failed on message p2" in caplog.text


def test_nothing_found_and_odd_input_never_raise() -> None:
    pipeline = ExtractionPipeline()
    assert pipeline.extract(MailMessage(provider_id="empty")) == []
    weird = MailMessage(
        provider_id="weird",
        sender="<<<@@@>>>",
        html="<html><body><p>Use code \x00ODD1 \ud800</p><script>",
        text="\r\n\t",
    )
    assert isinstance(pipeline.extract(weird), list)


@pytest.mark.parametrize(
    ("sender", "merchant"),
    [
        ("Nike <news@email.nike.com>", "Nike"),
        ("news@email.nike.com", "nike.com"),
        ('"The Gap Team" <gap@email.gap.com>', "Gap"),
        ("Team Asos <hello@asos.com>", "Asos"),
        ('"Kurier InPost (via Poczta Allegro)" <powiadomienia@allegromail.pl>', "Kurier InPost"),
        ("Tesco <offers@mail.tesco.co.uk>", "Tesco"),
        ("offers@mail.tesco.co.uk", "tesco.co.uk"),
        ("no-reply <no-reply@deals.jbhifi.com.au>", "jbhifi.com.au"),
        ('"orders@shop.example" <orders@shop.example>', "shop.example"),
        ("", ""),
    ],
)
def test_merchant_from_sender(sender: str, merchant: str) -> None:
    assert merchant_from_sender(sender) == merchant


def test_registrable_domain() -> None:
    assert registrable_domain("Email.Nike.COM.") == "nike.com"
    assert registrable_domain("a.b.shop.com.au") == "shop.com.au"
    assert registrable_domain("example.io") == "example.io"
    assert registrable_domain("localhost") == "localhost"
