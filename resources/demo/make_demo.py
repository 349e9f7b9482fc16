#!/usr/bin/env python3
"""Writes ``demo.mbox``: a made-up mailbox that shows Guard Inbox working in seconds.

Every shop, address and code here is invented (``.example`` domains never resolve). The mix
is what a real inbox looks like: plain-text and HTML offers, schema.org ``DiscountOffer``
markup (JSON-LD and microdata), a code only in an image's alt text, mail in German, French,
Spanish, Italian, Dutch and Polish, and the look-alikes a scanner must ignore (parcel
tracking, one-time passwords, receipts, gift-card claims, TV activation codes).

Deterministic: the same ``--anchor`` date gives the same bytes. Message dates fall in the
weeks before the anchor and end dates around it, so a few codes are "expiring soon" when the
demo is opened near the anchor. Standard library only.

    python resources/demo/make_demo.py [--anchor 2026-11-28] [--out resources/demo/demo.mbox]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

ANCHOR = date(2026, 11, 28)
HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Mail:
    days_before: float  # sent this many days before the anchor
    sender: str
    subject: str
    text: str = ""
    html: str = ""
    expect: tuple[str, ...] = ()  # the codes a scan should find (none for look-alikes)


Day = Callable[[int], date]


def _long(d: date) -> str:
    return f"{d:%B} {d.day}, {d.year}"  # December 6, 2026


def _short(d: date) -> str:
    return f"{d.day} {d:%b %Y}"  # 6 Dec 2026


def _json_ld(offers: list[dict[str, str]]) -> str:
    data = {"@context": "http://schema.org", "@type": "Organization", "makesOffer": offers}
    return f'<script type="application/ld+json">{json.dumps(data, indent=1)}</script>'


def _page(body: str, head: str = "", pixel: str = "") -> str:
    tracker = f'<img src="https://t.{pixel}/open.gif" width="1" height="1" alt="">' if pixel else ""
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8">{head}</head>'
        f'<body style="font-family:Arial,sans-serif;color:#222">{body}{tracker}</body></html>'
    )


def _offers(day: Day) -> list[Mail]:
    """Mail with codes in it, in many shapes."""
    return [
        Mail(38, '"Copper Kettle Coffee" <hello@copperkettle.example>', "Fresh beans, fresh savings",
             text=f"Hi there,\n\nOur winter roast is back. Use code BREW15 at checkout for 15% off your "
                  f"next bag of beans.\nOffer expires {_long(day(6))}.\n\nHappy brewing,\nCopper Kettle\n",
             expect=("BREW15",)),
        Mail(35, '"Juniper & Pine" <news@juniperandpine.example>', "25% off all bedding this fortnight",
             html=_page('<h1>Sleep better for less</h1><p>Take 25% off sheets, duvets and pillows with '
                        'code <b>HOME25</b>.</p><p><a href="https://juniperandpine.example/bedding">'
                        'Shop bedding</a></p>',
                        head=_json_ld([{"@type": "DiscountOffer", "discountCode": "HOME25",
                                        "description": "25% off bedding",
                                        "availabilityEnds": day(12).isoformat(),
                                        "url": "https://juniperandpine.example/bedding"}]),
                        pixel="juniperandpine.example"),
             expect=("HOME25",)),
        Mail(33, '"Pebble Street Books" <books@pebblestreet.example>', "A little something for readers",
             text=f"Dear reader,\n\nYour exclusive code: READMORE\nBuy three paperbacks, pay for two. "
                  f"Valid until {_short(day(20))}.\n\nPebble Street Books\n",
             expect=("READMORE",)),
        Mail(31, '"Velvet Fox Apparel" <style@velvetfox.example>', "The winter edit has landed",
             text="Trouble viewing this email? Open it in your browser.\n",
             html=_page('<a href="https://velvetfox.example/winter"><img src="https://cdn.velvetfox.'
                        'example/hero-winter.jpg" width="600" alt="Extra 30% off everything with code '
                        'FOXY30"></a><p>New coats, knits and boots.</p>', pixel="velvetfox.example"),
             expect=("FOXY30",)),
        Mail(30, '"Waldkauz Outdoor" <service@waldkauz-outdoor.example>', "Herbstaktion: 25 % auf Jacken",
             text="Hallo,\n\nnur für kurze Zeit: 25 % Rabatt auf alle Jacken.\nIhr Gutscheincode: "
                  "HERBST25\nMindestbestellwert 50 €.\n\nIhr Waldkauz-Team\n",
             expect=("HERBST25",)),
        Mail(29, '"Maison Clémentine" <bonjour@maison-clementine.example>', "Bienvenue chez nous !",
             text="Bonjour,\n\nMerci de votre inscription ! Profitez de 20 % de réduction sur votre "
                  "première commande avec le code promo BIENVENUE20.\n\nÀ bientôt,\nMaison Clémentine\n",
             expect=("BIENVENUE20",)),
        Mail(27, '"Nimbus Audio" <deals@nimbusaudio.example>', "$50 off our best headphones",
             html=_page('<div itemscope itemtype="http://schema.org/DiscountOffer"><h2 itemprop='
                        '"description">$50 off headphones over $200</h2><p>Code: <strong itemprop='
                        '"discountCode">NIMBUS50</strong></p><meta itemprop="availabilityEnds" '
                        f'content="{day(25).isoformat()}"></div>', pixel="nimbusaudio.example"),
             expect=("NIMBUS50",)),
        Mail(26, '"Saffron Table" <hello@saffrontable.example>', "Dinner is sorted: two offers inside",
             text="New to Saffron Table? Use code FIRSTBOX for 50% off your first box.\n\nAlready "
                  "cooking with us? Use code COMEBACK20 for $20 off your next order.\n",
             expect=("FIRSTBOX", "COMEBACK20")),
        Mail(24, '"Orbit Toys" <play@orbittoys.example>', "Holiday countdown: 10% off building sets",
             text=f"Enter ORBIT10 at checkout to save 10% on every building set. Ends "
                  f"{day(23):%b} {day(23).day}.\n",
             expect=("ORBIT10",)),
        Mail(22, '"Quill & Ink Stationery" <letters@quillandink.example>', "Free shipping, this week only",
             text=f"Spend $40 or more and get free shipping with code SHIPFREE. Valid through "
                  f"{day(4):%m/%d/%Y}.\n",
             expect=("SHIPFREE",)),
        Mail(21, '"Silver Birch Cosmetics" <glow@silverbirch.example>', "Your glow-up, 20% off",
             html=_page('<p>All serums 20% off with code GLOW2026.</p>',
                        head=_json_ld([{"@type": "DiscountOffer", "discountCode": "GLOW2026",
                                        "description": "20% off serums",
                                        "availabilityEnds": day(40).isoformat()}]),
                        pixel="silverbirch.example"),
             expect=("GLOW2026",)),
        Mail(19, '"Atlas Luggage" <trips@atlasluggage.example>', "Pack light, save more",
             text=f"Coupon: TRAVEL-15\n15% off carry-on cases until {_long(day(30))}.\n",
             expect=("TRAVEL-15",)),
        Mail(18, '"Sklep Jarzębina" <sklep@jarzebina.example>', "Zimowa wyprzedaż",
             text="Dzień dobry!\n\nKod rabatowy: ZIMA15 — 15% zniżki na cały asortyment.\n",
             expect=("ZIMA15",)),
        Mail(17, '"Casa Limón" <hola@casalimon.example>', "Tu descuento de invierno",
             text="¡Hola!\n\nUsa el código de descuento VERANO10 y ahorra un 10 % en tu próximo "
                  "pedido.\n",
             expect=("VERANO10",)),
        Mail(16, '"Lumen Lane Lighting" <shine@lumenlane.example>', "Brighten the long evenings",
             html=_page(f'<table><tr><td>Promo code</td><td class="code" style="border:2px dashed #fa0;'
                        f'padding:8px">LIGHTUP</td></tr><tr><td colspan="2">Save 20% on lamps. Offer '
                        f'ends {_long(day(2))}.</td></tr></table>', pixel="lumenlane.example"),
             expect=("LIGHTUP",)),
        Mail(40, '"Fernwood Garden Supply" <grow@fernwood.example>', "Seeds for next spring",
             text=f"Plan ahead: use code SPRING5 for 5% off seeds. Expires {_long(day(-3))}.\n",
             expect=("SPRING5",)),
        Mail(14, '"Harbor Tide Swimwear" <surf@harbortide.example>', "Escape the cold",
             text="Dreaming of summer? Take 25% off with SUNNY25.\n", expect=("SUNNY25",)),
        Mail(13, '"Maple & Marrow Kitchen" <cook@maplemarrow.example>', "Happy birthday from us",
             text="It's your birthday month! Here is your birthday code: HAPPYBDAY\n$10 off orders "
                  "over $50, on us.\n",
             expect=("HAPPYBDAY",)),
        Mail(11, '"Kestrel Running" <run@kestrelrunning.example>', "Members save 15%",
             text=f"Members save 15% on trail shoes with code KESTREL15 through "
                  f"{_long(day(40))}.\n",
             expect=("KESTREL15",)),
        Mail(10, '"Glacier Gear" <base@glaciergear.example>', "20% off parkas with code PARKA20",
             text="Stay warm: every parka is 20% off this weekend.\n", expect=("PARKA20",)),
        Mail(9, '"Brightside Optics" <hello@brightside.example>', "A voucher for your next glasses",
             text=f"Your voucher: EYES40 — $40 off prescription glasses, valid until "
                  f"{_long(day(15))}.\n",
             expect=("EYES40",)),
        Mail(8, '"Bottega Ulivo" <ciao@bottegaulivo.example>', "Olio nuovo è arrivato",
             text="Usa il codice sconto OLIO15 per il 15% di sconto sull'olio nuovo.\n",
             expect=("OLIO15",)),
        Mail(7, '"Tandem Cycles" <ride@tandemcycles.example>', "Service season special",
             html=_page('<div itemscope itemtype="https://schema.org/DiscountOffer"><p itemprop='
                        '"description">20% off a full bike service</p><p>Quote <span itemprop='
                        '"discountCode">RIDE20</span> when you book.</p></div>'),
             expect=("RIDE20",)),
        Mail(6, '"Tulpenhuis" <info@tulpenhuis.example>', "Bollen voor het voorjaar",
             text="Gebruik kortingscode TULP10 voor 10% korting op alle bloembollen.\n",
             expect=("TULP10",)),
        Mail(3, '"Copper Kettle Coffee" <hello@copperkettle.example>', "Reminder: your 15% is waiting",
             text=f"Still thinking about it? Code BREW15 still gives 15% off until {_long(day(6))}.\n",
             expect=("BREW15",)),
        Mail(1, '"Juniper & Pine" <news@juniperandpine.example>', "Last chance: 25% off bedding",
             text="HOME25 expires tomorrow. Use code HOME25 for 25% off sheets and duvets.\n",
             expect=("HOME25",)),
        Mail(4.5, '"Harbor Tide Swimwear" <surf@harbortide.example>', "Two offers, one weekend",
             html=_page("<p>Rash vests 15% off, and free express delivery on wetsuits.</p>",
                        head=_json_ld([{"@type": "DiscountOffer", "discountCode": "RASH15",
                                        "description": "15% off rash vests",
                                        "availabilityEnds": day(3).isoformat()},
                                       {"@type": "DiscountOffer", "discountCode": "WETSUITSHIP",
                                        "description": "Free express delivery on wetsuits"}]),
                        pixel="harbortide.example"),
             expect=("RASH15", "WETSUITSHIP")),
        Mail(0.5, '"Bloom & Bramble" <petals@bloomandbramble.example>', "Ends tonight: 20% off bouquets",
             text="Ends tonight! Use code ROSES20 for 20% off every bouquet.\n", expect=("ROSES20",)),
    ]  # fmt: skip


def _lookalikes() -> list[Mail]:
    """Mail with code-shaped strings that are not discounts: a scanner must stay quiet."""
    return [
        Mail(32, '"Swift Parcel" <tracking@swiftparcel.example>', "Your parcel is on its way",
             text="Good news! Order number 100-2939 has shipped.\nTracking code: SP4829301GB\n"),
        Mail(28, '"Brightside Optics" <security@brightside.example>', "Your verification code",
             text="Your one-time code is 482913. It expires in 10 minutes. Do not share it.\n"),
        Mail(25, '"Glacier Gear" <base@glaciergear.example>', "The winter catalogue is here",
             text="Forty new jackets, boots and base layers. Free returns on every order.\n"),
        Mail(23, '"Kestrel Running" <orders@kestrelrunning.example>', "Your receipt from Kestrel Running",
             text="Thanks for your order #KR-55120.\nTrail shoes x1 $120.00\nTotal $120.00\n"),
        Mail(20, '"Pebble Street Books" <accounts@pebblestreet.example>', "Reset your password",
             text="Use the code 739201 to reset your password. If this wasn't you, ignore this email.\n"),
        Mail(15, '"Swift Parcel" <tracking@swiftparcel.example>', "Ready for collection",
             text="Your parcel is ready for collection at locker 12.\nPickup code: 4471\n"),
        Mail(12, '"Tandem Cycles" <ride@tandemcycles.example>', "Bring a friend",
             text="Share your referral code ANNA-RIDES with a friend and you both get a free bottle.\n"),
        Mail(5, '"Lanternfly TV" <hello@lanternfly.example>', "Finish setting up your TV",
             text="Enter code KQ7P-29XD on your TV to activate your account.\n"),
        Mail(4, '"Velvet Fox Apparel" <style@velvetfox.example>', "Up to 50% off: prices as marked",
             text="Up to 50% off selected coats. No code needed, prices as marked.\n"),
        Mail(2, '"Quill & Ink Stationery" <letters@quillandink.example>', "Your gift card has arrived",
             text="Someone sent you a gift card! Claim code: QX4T-8HJK-22LP-91MN\n"),
        Mail(37, '"Saffron Table" <hello@saffrontable.example>', "Booking confirmed: cooking class",
             text="Your booking reference: QX7P2L. See you on Saturday at 6 pm.\n"),
        Mail(1.5, '"Swift Parcel" <tracking@swiftparcel.example>', "Delivered: your parcel",
             text="Your parcel was delivered at 14:02 and left with a neighbour.\n"
                  "Delivery code: 8842. Reference SP-7730-XQ.\n"),
        Mail(34, '"Orbit Toys" <play@orbittoys.example>', "New arrivals",
             html=_page('<p style="color:#FF5733">Rockets, robots and 2,000-piece space stations.</p>'
                        '<p>Order now for delivery before the holidays.</p>', pixel="orbittoys.example")),
    ]  # fmt: skip


def demo_mail(anchor: date = ANCHOR) -> list[Mail]:
    def day(offset: int) -> date:
        return anchor + timedelta(days=offset)

    return sorted([*_offers(day), *_lookalikes()], key=lambda mail: -mail.days_before)


def _message(index: int, mail: Mail, anchor: date) -> tuple[datetime, EmailMessage]:
    sent = datetime.combine(anchor, time(9, 15), tzinfo=UTC) - timedelta(days=mail.days_before)
    sent += timedelta(minutes=7 * index)  # not every mail at a quarter past nine
    msg = EmailMessage()
    msg["From"] = mail.sender
    msg["To"] = "you@guard-inbox.example"
    msg["Subject"] = mail.subject
    msg["Date"] = format_datetime(sent)
    msg["Message-ID"] = f"<demo-{index:03d}@guard-inbox.example>"
    msg.set_content(mail.text or "This message is best viewed as HTML.\n")
    if mail.html:
        msg.add_alternative(mail.html, subtype="html")
        msg.set_boundary(f"==demo-{index:03d}==")
    return sent, msg


def build(anchor: date = ANCHOR) -> bytes:
    """The mbox, From_ lines and all (body lines starting "From " are escaped)."""
    chunks: list[bytes] = []
    for index, mail in enumerate(demo_mail(anchor)):
        sent, msg = _message(index, mail, anchor)
        body = msg.as_bytes().replace(b"\r\n", b"\n")
        body = body.replace(b"\nFrom ", b"\n>From ")
        chunks.append(f"From demo@guard-inbox.example {sent:%a %b %d %H:%M:%S %Y}\n".encode())
        chunks.append(body if body.endswith(b"\n") else body + b"\n")
        chunks.append(b"\n")
    return b"".join(chunks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--anchor", type=date.fromisoformat, default=ANCHOR, help="YYYY-MM-DD")
    parser.add_argument("--out", type=Path, default=HERE / "demo.mbox")
    args = parser.parse_args(argv)
    data = build(args.anchor)
    args.out.write_bytes(data)
    mails = demo_mail(args.anchor)
    codes = {code for mail in mails for code in mail.expect}
    print(f"Wrote {args.out} ({len(mails)} messages, {len(codes)} distinct codes, {len(data)} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
