"""Cue-based rules: real promo phrasings are found, transactional codes never are."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from guard_inbox.domain.models import FoundCode, MailMessage
from guard_inbox.extraction.rules import RuleExtractor

SENT = datetime(2025, 12, 20, 9, 30, tzinfo=UTC)


def _msg(
    text: str = "", html: str = "", subject: str = "", sender: str = "", sent: datetime = SENT
) -> MailMessage:
    return MailMessage(provider_id="t", subject=subject, sender=sender, date=sent, text=text, html=html)


def _codes(message: MailMessage) -> list[str]:
    return [code.code for code in RuleExtractor().extract(message)]


def _one(message: MailMessage) -> FoundCode:
    found = RuleExtractor().extract(message)
    assert len(found) == 1, found
    assert found[0].source == "rules"
    return found[0]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Use code SAVE20 for 20% off everything.", "SAVE20"),
        ("Use code: **Welcome10** on your first order", "Welcome10"),
        ("Promo code: FALLSALE", "FALLSALE"),
        ("PROMO CODE - bf-2025", "bf-2025"),
        ("Your coupon code is “HOLIDAY_15”.", "HOLIDAY_15"),
        ("Get 15% with code MILKROAD15", "MILKROAD15"),
        ("Enter FLASH40 at checkout to save.", "FLASH40"),
        ("Apply coupon SPRINGFLING at checkout.", "SPRINGFLING"),
        ("Voucher code: XMAS25 (minimum spend £30)", "XMAS25"),
        ("Discount code SaveBig ends Sunday", "SaveBig"),
        ("Use the code below:\nTAKE10\nfor 10% off", "TAKE10"),
        ('Use code "spring" for 10% off', "spring"),
        ("Your exclusive code: VIP30 - 30% off full price", "VIP30"),
        ("Use promo code 2468 for $10 off", "2468"),
        ("Gutscheincode: WINTER20 für 20% Rabatt", "WINTER20"),
    ],
)
def test_cue_styles(text: str, code: str) -> None:
    assert _codes(_msg(text=text)) == [code]


def test_code_in_subject_only() -> None:
    message = _msg(subject="48 hours only: 25% off with code FLASH25", html="<p>Shop now</p>")
    assert _codes(message) == ["FLASH25"]


def test_code_only_in_image_alt_text() -> None:
    html = (
        '<table><tr><td><img src="hero.jpg" alt="Winter sale - use code SNOW30 for 30% off">'
        '</td></tr><tr><td><a href="https://shop.example"><img src="btn.png" alt="Shop now">'
        "</a></td></tr></table>"
    )
    assert _codes(_msg(html=html)) == ["SNOW30"]


def test_label_and_code_in_separate_cells() -> None:
    html = "<table><tr><td>Your promo code:</td></tr><tr><td><b>GIFT4U</b></td></tr></table>"
    assert _codes(_msg(html=html)) == ["GIFT4U"]


def test_duplicates_collapse_case_insensitively_keeping_first_spelling() -> None:
    text = "Use code Save15 today. Promo code: SAVE15. Use code save15 again."
    assert _codes(_msg(text=text)) == ["Save15"]


def test_discount_and_min_spend() -> None:
    found = _one(_msg(text="£5 off orders over £50 with code FIVER5 this week."))
    assert (found.discount, found.min_spend) == ("£5 off orders over £50", "£50")
    found = _one(_msg(text="Use code TENOFF for $10 off."))
    assert (found.discount, found.min_spend) == ("$10 off", "")
    found = _one(_msg(text="Free shipping on everything with code SHIPFREE"))
    assert found.discount == "free shipping"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Use code END26 - offer expires 12/31/2026.", datetime(2026, 12, 31, 23, 59, 59)),
        ("Use code UNTIL1 - valid until 31 December 2026", datetime(2026, 12, 31, 23, 59, 59)),
        # No year: resolved against the message date; early January follows late December.
        ("Use code JAN5 - sale ends Jan 5", datetime(2026, 1, 5, 23, 59, 59)),
        ("Use code XMAS1 - ends December 24th", datetime(2025, 12, 24, 23, 59, 59)),
        ("Use code ISO1. Expires: 2026-02-28", datetime(2026, 2, 28, 23, 59, 59)),
        ("Use code NODATE1 while stocks last", None),
    ],
)
def test_expiry(text: str, expected: datetime | None) -> None:
    found = _one(_msg(text=text))
    assert found.expires == (expected.replace(tzinfo=UTC) if expected else None)


def test_expiry_uses_message_zone_and_never_invents_a_year() -> None:
    est = timezone(timedelta(hours=-5))
    found = _one(_msg(text="Use code ZONE1, ends Jan 5", sent=SENT.astimezone(est)))
    assert found.expires == datetime(2026, 1, 5, 23, 59, 59, tzinfo=est)
    undated = MailMessage(provider_id="t", text="Use code NOYEAR1, ends Jan 5")
    assert _one(undated).expires is None


def test_day_first_for_uk_sender() -> None:
    text = "Use code UK10 - valid until 03/04/2026"
    uk = _one(_msg(text=text, sender="Shop <news@shop.co.uk>"))
    us = _one(_msg(text=text, sender="Shop <news@shop.com>"))
    assert uk.expires is not None and (uk.expires.month, uk.expires.day) == (4, 3)
    assert us.expires is not None and (us.expires.month, us.expires.day) == (3, 4)


ORDER_CONFIRMATION = _msg(
    subject="Your order #112-3456789-1234567 is confirmed",
    html=(
        "<h1>Thanks for your order!</h1><p>Order number: W123456789</p>"
        "<p>Confirmation code: XK7P9Q</p><p>Order total: $54.99 (you saved $5.00 - 10%)</p>"
        "<p>Reference code: REF55AB</p>"
    ),
)
OTP = _msg(
    subject="Your verification code",
    text=(
        "Your verification code is 482913. It expires in 10 minutes.\n"
        "Or use code K7XQ2P to verify your email. Code: QX7K2P\n"
        "Your one-time code: A7X9Q2. Do not share it with anyone."
    ),
)
PICKUP = _msg(
    subject="Your parcel is ready for collection",
    html=(
        "<p>Your parcel is waiting in locker WAW01M.</p><p>Pickup code:</p><p><b>7H3K9</b></p>"
        "<p>Enter code 832926 at the locker.</p><p>Collection code: AB12CD</p>"
    ),
)
SHIPPING = _msg(
    subject="Your package has shipped!",
    text=(
        "Tracking number: 1Z999AA10123456784\nTrack with code JD014600006281234567\n"
        "Carrier: UPS. Postcode: SW1A 1AA. Call 1-888-283-0577. Delivery date: 12/24/2025.\n"
        "Track your package: https://track.example/?code=ABC123XYZ&id=5\n"
    ),
)
PLAIN_SALE = _msg(
    subject="SALE: 50% OFF EVERYTHING + FREE SHIPPING",
    html=(
        "<style>.code{color:#fff}.btn{background:#FF5733}</style>"
        "<h1>UP TO 50% OFF</h1><p>No code needed - discount applied at checkout.</p>"
        "<p>NO CODE NEEDED. PROMO CODE NOT REQUIRED.</p><p>Prices from $9.99. Use PayPal at "
        "checkout. Offer ends 12/31.</p><p>Code: AUTOMATIC</p>"
        "<a href='https://x.example/?promo=SPRING20'>SHOP NOW</a>"
    ),
)
GIFT_CARD = _msg(
    subject="You've received a gift card",
    text="Your gift card code: GC7X9K2P4M. Claim code: ABCD-EFGHIJ-KLMN. PIN: 4821",
)
DEV_NEWSLETTER = _msg(
    subject="Node Weekly #512",
    text=(
        "Source code: GitHub. Error code: E404X. Write code like this. The code is law. "
        "QR code: SCAN2PAY. Color code: FF5733. Use code review tools for free."
    ),
)


@pytest.mark.parametrize(
    "message",
    [ORDER_CONFIRMATION, OTP, PICKUP, SHIPPING, PLAIN_SALE, GIFT_CARD, DEV_NEWSLETTER],
    ids=["order", "otp", "pickup", "shipping", "sale-without-code", "gift-card", "dev-news"],
)
def test_transactional_and_codeless_mail_yields_nothing(message: MailMessage) -> None:
    assert _codes(message) == []


def test_promo_in_a_shipping_notice_is_still_found() -> None:
    message = _msg(
        subject="Your order has shipped",
        text="Tracking number: 1Z999AA10123456784.\n\nUse code THANKS15 for 15% off next time.",
    )
    assert _codes(message) == ["THANKS15"]


@pytest.mark.parametrize(
    "text",
    [
        "Use code 123456 to log in",
        "Netflix: Your sign-in code is 1234",
        "Enter the code ABCD12 on your TV",
        "Your reservation code: K7H2Q9",
        "Your referral code is JOHN123 - share it with friends, they get $10 off",
        "Style code: DV1234-100. 20% off",
        "Product code: B07XJ8C8F5 on sale",
        "Our dress code: BLACKTIE for the sale party",
        "Use AFTERPAY at checkout",
        "Use 500 points at checkout",
        "Use code at checkout",
        "PROMO CODE EXCLUSIONS APPLY. 20% OFF",
        "Save 20% with USB3 cables",
        "Enter code XJ29KD to confirm your email",
        "Your Amazon gift card claim code: AQ7K-H29XTZ-PLM4",
        "Get 50% off with PAYPAL.",
        "Use code 2024 for 20% off",
        "Use code 20% OFF",
        "Use code: $10OFF",
        "Offer code: 12/31/2025",
        "Discount code: #fff",
        "Discount code: https://shop.example/?c=SAVE",
    ],
)
def test_false_friends(text: str) -> None:
    assert _codes(_msg(text=text)) == []


@pytest.mark.parametrize(
    ("text", "code", "discount"),
    [
        ("Use SAVE20 for 20% off", "SAVE20", "20% off"),
        ("Take 20% off with SAVE20.", "SAVE20", "20% off"),
        ("CODE: GOBIG 40% OFF EVERYTHING", "GOBIG", "40% OFF"),
        ("Copy code SUMMER25 for 25% off", "SUMMER25", "25% off"),
    ],
)
def test_codes_with_little_or_no_cue_need_a_discount_beside_them(text: str, code: str, discount: str) -> None:
    found = _one(_msg(text=text))
    assert (found.code, found.discount) == (code, discount)


def test_relative_expiry_needs_the_message_date() -> None:
    assert _one(_msg(text="Offer ends tonight! Use code LAST20")).expires == datetime(
        2025, 12, 20, 23, 59, 59, tzinfo=UTC
    )
    assert _one(_msg(text="Use code TOMORROW5 - ends tomorrow")).expires == datetime(
        2025, 12, 21, 23, 59, 59, tzinfo=UTC
    )
    undated = MailMessage(provider_id="t", text="Offer ends tonight! Use code LAST20")
    assert _one(undated).expires is None


def test_far_away_loose_dates_are_not_taken_for_expiry() -> None:
    filler = "Lorem ipsum dolor sit amet. " * 30
    text = f"Use code FAR10 for 10% off.\n\n{filler}\n\nReturns accepted until January 31."
    assert _one(_msg(text=text)).expires is None
    text = f"Use code FAR10 for 10% off.\n\n{filler}\n\n*Offer expires 1/15/2026."
    assert _one(_msg(text=text)).expires == datetime(2026, 1, 15, 23, 59, 59, tzinfo=UTC)
