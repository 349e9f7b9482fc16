"""Links, languages, relative dates, merchants, schema.org cards and the AI hook."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta, timezone

import pytest

from guard_inbox.domain.models import Extraction, FoundCode, MailMessage
from guard_inbox.extraction.dates import find_expiry, sent_at
from guard_inbox.extraction.layer import LayerResult
from guard_inbox.extraction.linkcodes import codes_in_link
from guard_inbox.extraction.markup import MarkupExtractor
from guard_inbox.extraction.merchant import merchant_from_sender
from guard_inbox.extraction.pipeline import ExtractionPipeline
from guard_inbox.extraction.rules import RuleExtractor
from guard_inbox.extraction.text import Document

SENT = datetime(2025, 3, 14, 18, 0, tzinfo=timezone(timedelta(hours=1)))  # a Friday


def _codes(text: str = "", html: str = "", subject: str = "") -> list[str]:
    message = MailMessage(provider_id="t", subject=subject, text=text, html=html, date=SENT)
    return [code.code for code in RuleExtractor().extract(message)]


@pytest.mark.parametrize(
    ("href", "codes"),
    [
        ("https://shop.example/discount/SUMMER10?redirect=%2Fcollections%2Fall", ["SUMMER10"]),
        ("https://shop.example/discount/welcome15", ["welcome15"]),
        ("https://shop.example/cart?coupon=HOPS20&utm_source=email", ["HOPS20"]),
        ("https://shop.example/?promo_code=RESTOCK10", ["RESTOCK10"]),
        ("https://shop.example/shop?couponCode=MEMBERS-JUNE", ["MEMBERS-JUNE"]),
        (
            "https://links.esp.example/els/v2/x?url=https%3A%2F%2Fshop.example%2F%3Fdiscount%3DWET20",
            ["WET20"],
        ),
        ("https://www.fedex.com/track/?trknbr=7712&code=SUMMITX2SHIP", []),
        ("https://shop.example/?promo=email&utm_campaign=SPRING_SALE_2025", []),
        ("https://shop.example/unsubscribe?coupon=NOPE10", []),
        ("https://shop.example/?promo=true", []),
        ("https://shop.example/collections/sale", []),
    ],
)
def test_codes_in_links(href: str, codes: list[str]) -> None:
    assert codes_in_link(href) == codes


def test_link_code_is_reported_with_its_link_unless_no_code_is_needed() -> None:
    html = '<p>Tap below for 10% off.</p><a href="https://alder.example/discount/SUB10">Shop</a>'
    [found] = RuleExtractor().extract(MailMessage(provider_id="t", html=html))
    assert (found.code, found.link) == ("SUB10", "https://alder.example/discount/SUB10")
    html = "<p>No code needed!</p>" + html
    assert RuleExtractor().extract(MailMessage(provider_id="t", html=html)) == []


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Usa el código VERANO30 y consigue un 30% de descuento.", "VERANO30"),
        ("Aplica el cupón OTONO40 en tu reserva y ahorra 40 €.", "OTONO40"),
        ("Profitez de -25 % avec le code promo : SOLDES25", "SOLDES25"),
        ("Saisissez le code PRINTEMPS40 lors du paiement pour 40 % de remise.", "PRINTEMPS40"),
        ("Mit dem Gutschein HUNGER8 bekommst du 8 € Rabatt.", "HUNGER8"),
        ("Jetzt 20 % Rabatt. Gutscheincode eingeben:\n\nWANDERN20", "WANDERN20"),
        ("Inserisci il codice sconto SALDI20 al momento del pagamento.", "SALDI20"),
        ("Ganhe 15% de desconto. Use o cupom BOSSA15 na finalização da compra.", "BOSSA15"),
        ("-20% na całą kolekcję z kodem rabatowym WIOSNA20.", "WIOSNA20"),
        ("Użyj kodu FOTKA50 i kup plan Premium 50% taniej.", "FOTKA50"),
    ],
)
def test_cues_in_six_languages(text: str, code: str) -> None:
    assert _codes(text) == [code]


@pytest.mark.parametrize(
    "text",
    [
        "Tu código de verificación es 448201. No lo compartas con nadie.",
        "Código de recogida: 7731 2209",
        "Voici votre code de connexion : 551902",
        "Ihr Bestätigungscode lautet: 802114",
        "Abholcode: AB4471",
        "Codice di ritiro: 66210934",
        "Seu código de segurança é 772019.",
        "Kod odbioru: 118442",
        "Twój kod BLIK: 774219",
        "Wi-Fi code: LISBOA2025. Enjoy 15% off at the bar.",
        "Your referral code: JAMIE-K4T9. Friends get $15 off.",
    ],
)
def test_transactional_codes_in_six_languages(text: str) -> None:
    assert _codes(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Use code A1B2 - ends Sunday!", datetime(2025, 3, 16, 23, 59, 59)),
        ("Use code A1B2. Offer ends tonight.", datetime(2025, 3, 14, 23, 59, 59)),
        ("Usa il codice A1B2. Valido solo stasera.", datetime(2025, 3, 14, 23, 59, 59)),
        ("Code A1B2: nur heute 10 % Rabatt.", datetime(2025, 3, 14, 23, 59, 59)),
        ("Use code A1B2 for the next 48 hours.", datetime(2025, 3, 16, 18, 0)),
        ("Código A1B2, válido hasta el 23 de febrero de 2026.", datetime(2026, 2, 23, 23, 59, 59)),
        ("Code A1B2 valable jusqu'au 04/02/2026.", datetime(2026, 2, 4, 23, 59, 59)),
        ("Code A1B2 gültig bis 20.04.2025.", datetime(2025, 4, 20, 23, 59, 59)),
        ("Kod A1B2 ważny do 21 kwietnia 2025.", datetime(2025, 4, 21, 23, 59, 59)),
        ("Use code A1B2 while stocks last.", None),
    ],
)
def test_expiry_relative_and_in_other_languages(text: str, expected: datetime | None) -> None:
    zone = SENT.tzinfo
    got = find_expiry(text, 0, 15, sent=SENT, day_first=True)
    assert got == (expected.replace(tzinfo=zone) if expected else None)


def test_relative_expiry_needs_a_send_date_and_uses_the_senders_zone() -> None:
    assert find_expiry("Use code A1B2. Ends tonight.", 0, 15, sent=None, day_first=False) is None
    message = MailMessage(
        provider_id="t",
        date=datetime(2024, 12, 30, 0, 45, tzinfo=UTC),
        headers=(("Date", "Sun, 29 Dec 2024 18:45:12 -0600"),),
    )
    sent = sent_at(message)
    assert sent is not None and sent.date().isoformat() == "2024-12-29"


@pytest.mark.parametrize(
    ("sender", "reply_to", "merchant"),
    [
        ("Luna Candles <hello@lunacandles.com>", "", "Luna Candles"),
        ("news@mail123.atl11.mcsv.net", "shop@lunacandles.com", "lunacandles.com"),
        ("noreply@sendgrid.net", "", ""),
        ("Sunday Supper <hello@sundaysupper.substack.com>", "", "Sunday Supper"),
        ("hello@sundaysupper.substack.com", "", "sundaysupper.substack.com"),
    ],
)
def test_merchant_never_names_the_esp(sender: str, reply_to: str, merchant: str) -> None:
    assert merchant_from_sender(sender, reply_to) == merchant


def test_promotion_card_and_organization_fill_merchant_and_discount() -> None:
    html = """<script type="application/ld+json">[
      {"@type": "Organization", "name": "Solara"},
      {"@type": "DiscountOffer", "discountCode": "SUNNY20"},
      {"@type": "PromotionCard", "discountValue": 24.00, "priceCurrency": "USD", "url": "https://s.example/p"}
    ]</script>"""
    [found] = MarkupExtractor().extract(MailMessage(provider_id="m", html=html))
    assert (found.merchant, found.discount, found.link) == ("Solara", "$24 off", "https://s.example/p")
    message = MailMessage(provider_id="m", sender="Solara Sunglasses <a@solara.example>", html=html)
    assert [c.merchant for c in ExtractionPipeline().extract(message)] == ["Solara"]


def test_landing_link_is_the_call_to_action_not_the_footer() -> None:
    html = (
        '<a href="https://view.shop.example/?m=1">View in browser</a><p>Use code SPRING25 for 25% off.</p>'
        '<a href="https://shop.example/spring">Shop now</a>'
        '<a href="https://shop.example/unsubscribe?u=1">Unsubscribe</a>'
    )
    [found] = RuleExtractor().extract(MailMessage(provider_id="t", html=html))
    assert found.link == "https://shop.example/spring"


class RecordingAi:
    def __init__(self, *codes: FoundCode, fail: bool = False) -> None:
        self.codes = list(codes)
        self.fail = fail
        self.calls: list[tuple[str, list[str], bool]] = []

    def examine(
        self, message: MailMessage, text: str, rule_codes: list[FoundCode], uncertain: bool
    ) -> Extraction:
        self.calls.append((text, [c.code for c in rule_codes], uncertain))
        if self.fail:
            raise RuntimeError("model down")
        return Extraction(tuple(self.codes))


def test_ai_layer_gets_clean_text_and_merges_after_rules() -> None:
    ai = RecordingAi(FoundCode(code="save20", source="ai"), FoundCode(code="MODEL5", source="ai"))
    message = MailMessage(
        provider_id="a",
        sender="Shop <a@shop.example>",
        html="<style>.x{}</style><p>Use code SAVE20 today</p>",
    )
    found = ExtractionPipeline(ai=ai).extract(message)
    assert [(c.code, c.source, c.merchant) for c in found] == [
        ("SAVE20", "rules", "Shop"),
        ("MODEL5", "ai", "Shop"),
    ]
    [(text, rule_codes, uncertain)] = ai.calls
    assert "Use code SAVE20 today" in text and ".x{}" not in text
    assert (rule_codes, uncertain) == (["SAVE20"], False)


def test_ai_layer_is_told_when_a_promo_has_no_confident_code() -> None:
    ai = RecordingAi()
    text = "Big sale! 30% off everything, extra discount for members, free shipping. Deal ends soon."
    ExtractionPipeline(ai=ai).extract(MailMessage(provider_id="u", text=text))
    assert ai.calls[0][1:] == ([], True)


class JudgingLayer:
    """A layer that finds fixed codes and says whether they cover the message (as the rules do)."""

    def __init__(self, confident: bool | None, *codes: str) -> None:
        self.result = LayerResult(tuple(FoundCode(code=code) for code in codes), confident)

    def read_document(self, message: MailMessage, doc: Document) -> LayerResult:
        return self.result

    def extract(self, message: MailMessage) -> list[FoundCode]:
        return list(self.result.codes)


@pytest.mark.parametrize(("confident", "uncertain"), [(None, False), (False, True), (True, False)])
def test_a_layer_that_is_unsure_of_its_codes_sends_a_promo_to_the_ai(
    confident: bool | None, uncertain: bool
) -> None:
    ai = RecordingAi()
    text = "Big sale! 30% off everything, extra discount for members, free shipping. Deal ends soon."
    pipeline = ExtractionPipeline([JudgingLayer(confident, "WEAK1")], ai=ai)
    pipeline.extract(MailMessage(provider_id="j", text=text))
    assert ai.calls[0][1:] == (["WEAK1"], uncertain)  # no judgment: a code found is enough


def test_ai_layer_failure_is_logged_and_ignored(caplog: pytest.LogCaptureFixture) -> None:
    message = MailMessage(provider_id="f", text="Use code SAVE20 for 20% off")
    with caplog.at_level(logging.ERROR, logger="guard_inbox.extraction.pipeline"):
        found = ExtractionPipeline(ai=RecordingAi(fail=True)).extract(message)
    assert [c.code for c in found] == ["SAVE20"]
    assert "AI layer failed on message f" in caplog.text


def test_no_ai_layer_no_call() -> None:
    assert [
        c.code for c in ExtractionPipeline().extract(MailMessage(provider_id="n", text="Use code SAVE20"))
    ] == ["SAVE20"]
