"""Whether a cued token looks like something a shopper types at checkout.

A code is short, ASCII, and usually capitals with digits (SAVE20) or a deliberate word
(WELCOME, spring).  Prices, dates, phone and order numbers, hex colours, units, gift-card
serials, ordinary words and the cue words themselves are not -- and how much evidence a token
needs depends on how strongly it was cued.
"""

from __future__ import annotations

import enum
import re


class Strength(enum.IntEnum):
    """How sure a cue is that the next token is a shopper's code."""

    BARE = 0  # no code word, only a verb and a discount beside it: "use SAVE20 for 20% off"
    WEAK = 1  # "code: X" -- also says "verification code: X"
    MEDIUM = 2  # "use code X", "with code X", "tu código X"
    STRONG = 3  # "promo code X", "coupon X", "kod rabatowy X", "enter X at checkout"


_LEADING = "\"'\u201c\u201d\u2018\u2019\u00ab\u00bb\u201e*_([{<`"
_TRAILING = "\"'\u201c\u201d\u2018\u2019\u00ab\u00bb*_)]}>`.,;:!?"
_PLACEHOLDERS = ("{{", "{%", "*|", "[[", "%%", "${", "<%", "{$")
_QUOTES = "\"'\u201c\u201d\u2018\u2019\u00ab\u00bb\u201e`"
_TOKEN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_-]{1,23})[A-Za-z0-9]")
_DIGIT_GROUPS = re.compile(r"[\d_-]+")
_YEAR = re.compile(r"(?:19|20)\d\d")
_UNIT = re.compile(
    r"\d+(?:am|pm|st|nd|rd|th|h|hr|hrs|min|mins|x|k|g|gb|mb|tb|kg|lb|lbs|oz|ml|cm|mm|km|m|in"
    r"|ft|px|em|pt|s|ms|d|yo|p|fps|hz|khz|mhz|ghz|usd|eur|gbp|pln|aud|cad|chf|mxn|brl|w|v|mah"
    r"|gbps|mbps|kw|kwh|l|cl|dl|f|c)",
    re.IGNORECASE,
)
_HEX_COLOUR = re.compile(r"[0-9a-f]{3}|[0-9a-f]{6}", re.IGNORECASE)
_MAX_DIGITS = 8

_STOPWORD_LIST = """
    A ABOUT ABOVE ACCOUNT ADD ADDED ALL ALSO AN AND ANY APP APPLIED APPLY ARE AS AT AUTO
    AUTOMATICALLY BACK BAG BASKET BE BELOW BONUS BOX BUTTON BY CAN CART CHECK CHECKOUT CLAIM
    CLICK CODE CODES COPIED COPY COUPON COUPONS CSS DEAL DEALS DETAILS DISCOUNT DISCOUNTS DIV
    EACH EMAIL END ENDS ENTER ENTERED EVERYTHING EXCLUSIVE EXP EXPIRED EXPIRES EXPIRY EXTRA
    FIELD FIRST FOR FREE FROM GET GIFT HERE HTML HTTP HTTPS IF IMPORTANT IN INCLUDED INSTANTLY
    IS IT ITS JSON LAST LATER LINK MORE MY NEEDED NEW NEXT NO NONE NOT NOW OF OFF OFFER OFFERS
    ON ONE ONLINE ONLY OR ORDER ORDERS OUR PAGE PIN PLEASE PLUS PROMO PROMOCODE PROMOTION
    REDEEM REQUIRED REVEAL SALE SAVE SAVINGS SEE SHOP SHOWN SITE SITEWIDE SMS SOON SPECIAL
    STORE TAP TERMS TEXT THAT THE THIS TO TODAY TONIGHT TWO UNLOCK UNTIL URL USE USED USING
    VALID VIEW VOUCHER VOUCHERS WEBSITE WEEKEND WHEN WILL WITH WWW YES YOU YOUR
    JAN FEB MAR APR MAY JUN JUL AUG SEP SEPT OCT NOV DEC JANUARY FEBRUARY MARCH APRIL JUNE
    JULY AUGUST SEPTEMBER OCTOBER NOVEMBER DECEMBER MON TUE TUES WED THU THUR THURS FRI SAT
    SUN MONDAY TUESDAY WEDNESDAY THURSDAY FRIDAY SATURDAY SUNDAY MIDNIGHT USD EUR GBP PLN
    OTP NA TBA TBD INSTORE IN-STORE ACTIVE APPLIES AVAILABLE BEGINS CONDITIONS EXCLUDED
    EXCLUSIONS EXPIRING ENDING HURRY INSIDE INVALID LIMITED NECESSARY RESTRICTIONS SENT STARTS
    TIME WITHIN WORK WORKS PAYPAL SHOPPAY AFTERPAY KLARNA AFFIRM SEZZLE APPLEPAY GOOGLEPAY
    VENMO ZIP UPS USPS DHL FEDEX COD VISA AMEX MASTERCARD AUTOMATIC DIGITAL NEEDED ANYTHING
    BOGO SHIPPING DELIVERY RETURNS ACCESS MEMBER MEMBERS VIP LOGIN SIGNIN SIGNUP ACCOUNT NUMBER
    TRACKING TRACK STATUS HELP FAQ CONTACT UNSUBSCRIBE PRIVACY POLICY COOKIES APP STORE
    CODIGO CÓDIGO CODICE KOD KODU KODEM CUPON CUPÓN CUPOM GUTSCHEIN GUTSCHEINCODE RABATT
    RABATTCODE SCONTO DESCUENTO DESCONTO REMISE REDUCTION OFERTA OFFERTA ANGEBOT GRATIS
    GRATUIT GRÁTIS AHORA JETZT ADESSO AGORA TERAZ ICI AQUI HIER QUI TUTTO TODO TOUT ALLES
    WSZYSTKO SOLDES REBAJAS SALDI PROMOCJA PROMOCION PROMOCIÓN PROMOÇÃO ENVIO LIVRAISON
    VERSAND FRETE DOSTAWA EL LA LE LES IL LO DER DIE DAS DEN DEM ET Y E I W Z NA DO PER PARA
    POUR FÜR CON AVEC MIT POR PAR SUR SU EM NO TU TON VOTRE DEIN IHR SEU TWÓJ
    CHECK-OUT E-MAIL
"""
_STOPWORDS = frozenset(_STOPWORD_LIST.split())
# Ordinary offer words that shops do pick as codes ("Use Code EXTRA", "promo code VIP"): a
# code only when a code word names it and it stands out in capitals from the words around it.
_OFFER_WORD_LIST = """
    BONUS DEAL DEALS EXCLUSIVE EXTRA FREE HURRY MEMBER MEMBERS SALE SAVE SAVINGS SHOP SITEWIDE
    SPECIAL TODAY TONIGHT VIP WEEKEND BOGO GRATIS SOLDES REBAJAS SALDI
"""
_OFFER_WORDS = frozenset(_OFFER_WORD_LIST.split())
_SEPARATORS = re.compile(r"[-_]")
_COMPOUND = re.compile(r"\d+(?:-[A-Za-z]?[a-z]+)+")


def unwrap(raw: str) -> tuple[str, bool, int]:
    """Strip quotes/emphasis around a raw chunk: (token, was_quoted, chars_stripped_left).

    An unfilled template variable ({{CODE}}, *|COUPON|*, {% code %}, ${code}) is no token."""
    if raw.startswith(_PLACEHOLDERS):
        return "", False, 0
    stripped_left = raw.lstrip(_LEADING)
    offset = len(raw) - len(stripped_left)
    quoted = any(ch in _QUOTES for ch in raw[:offset])
    return stripped_left.rstrip(_TRAILING), quoted, offset


def shape_ok(
    token: str, strength: Strength, quoted: bool, *, named: bool, emphasised: bool = False
) -> bool:
    """Whether the cued token looks like something typed at checkout, given how it was cued.

    ``emphasised``: the token is in capitals while its cue is not ("Use Code EXTRA").
    """
    if not _TOKEN.fullmatch(token):
        return False
    if token.upper() in _STOPWORDS:
        return (token.upper() in _OFFER_WORDS and token.isupper() and named and emphasised
                and strength >= Strength.MEDIUM)
    digits = sum(ch.isdigit() for ch in token)
    letters = [ch for ch in token if ch.isalpha()]
    if strength is Strength.BARE and not token.isupper():
        return False  # uncued: only the unmistakable SAVE20 / FREESHIP shape
    if not letters:
        # All digits: prices, dates, PINs, phone and order numbers look the same, so only
        # a cue that literally says "promo code" vouches for one.
        return (
            strength is Strength.STRONG
            and named
            and token.isdigit()
            and 4 <= len(token) <= _MAX_DIGITS
            and not _YEAR.fullmatch(token)
        )
    if digits > _MAX_DIGITS or _DIGIT_GROUPS.fullmatch(token) or _UNIT.fullmatch(token):
        return False
    if _COMPOUND.fullmatch(token):
        return False  # 10-year, 24-hour, 3-Day: a number and a word make an adjective
    if _serial_like(token) and not structured(token):
        return False  # ABCD-EFGHIJ-KLMN, FDG-7741-2290-KQ: gift-card claim codes and serials
    if _HEX_COLOUR.fullmatch(token) and digits:
        return False
    if not digits:
        word = "".join(letters)
        if word.islower() or (word[0].isupper() and word[1:].islower()):
            return quoted  # an ordinary word unless the sender quoted it
        if not word.isupper():
            return quoted or named  # CamelCase: PayPal, ShopPay ... unless named
        if strength is Strength.WEAK:
            return quoted or len(token) >= 5
        return len(token) >= 4 or strength is Strength.STRONG
    return strength > Strength.WEAK or any(ch.isupper() for ch in letters)


def _serial_like(token: str) -> bool:
    dashes = token.count("-")
    digit_parts = sum(part.isdigit() for part in token.split("-"))
    return dashes >= 3 or (dashes >= 2 and (len(token) >= 14 or digit_parts >= 2))


def structured(token: str) -> bool:
    """A code built from meaningful parts -- a word, a year, a small number: FALL-2026-25,
    SPRING_26_15, BF-2026-VIP -- rather than a serial of random groups (7741-2290, X7K2-PQ9M).
    At most three parts; no part a long number or more than one a letter-digit jumble."""
    parts = _SEPARATORS.split(token)
    if len(parts) > 3 or not all(parts):
        return False
    kinds = [_part_kind(part) for part in parts]
    return ("number" not in kinds and kinds.count("mixed") <= 1 and "word" in kinds
            and ("year" in kinds or "small" in kinds))


def _part_kind(part: str) -> str:
    if part.isdigit():
        if _YEAR.fullmatch(part):
            return "year"
        return "small" if len(part) <= 3 else "number"
    if part.isalpha():
        return "word"
    return "mixed"


def plain_word(word: str) -> bool:
    """An ordinary lower-case or Title-case word: a code only where the sender quotes it."""
    return word.isalpha() and (word.islower() or (word[0].isupper() and word[1:].islower()))


def possible(token: str) -> bool:
    """Whether ``token`` could be a code at all, however it was cued: ASCII letters, digits,
    ``-`` and ``_``, 3 to 25 characters -- and not a price, a unit, a date part, a colour or a
    number long enough to be an order or a phone number."""
    if not _TOKEN.fullmatch(token):
        return False
    digits = sum(ch.isdigit() for ch in token)
    if digits == len(token):
        return 4 <= len(token) <= _MAX_DIGITS and not _YEAR.fullmatch(token)
    upper = token.upper()
    if upper in _STOPWORDS and upper not in _OFFER_WORDS:
        return False  # the cue words themselves, function words, payment and carrier names
    if digits > _MAX_DIGITS or _DIGIT_GROUPS.fullmatch(token) or _UNIT.fullmatch(token):
        return False
    if _COMPOUND.fullmatch(token):
        return False  # 10-year, 24-hour, 3-Day: a number and a word make an adjective
    # ABCD-EFGHIJ-KLMN, X7K2-PQ9M-ZZ3R: gift-card claim codes and serials
    return not (_serial_like(token) and not structured(token))


def shape_kind(token: str) -> tuple[str, ...]:
    """The evidence.py shape features of a possible token: its class first, then modifiers."""
    upper = token.upper()
    letters = [ch for ch in token if ch.isalpha()]
    digits = len(token) - len(letters) - token.count("-") - token.count("_")
    if not letters:
        kind = "shape:digits"
    elif upper in _OFFER_WORDS:
        kind = "shape:offer_word" if token.isupper() else "shape:plain_word"
    elif digits:
        kind = "shape:caps_digits" if not any(ch.islower() for ch in letters) else "shape:mixed_digits"
    else:
        word = "".join(letters)
        if word.isupper():
            kind = "shape:caps_word" if len(word) >= 4 else "shape:caps_short"
        elif plain_word(word):
            kind = "shape:plain_word"
        else:
            kind = "shape:camel"
    extra: list[str] = []
    if ("-" in token or "_" in token) and structured(token):
        extra.append("shape:structured")
    if letters and digits > len(letters):
        extra.append("shape:digit_heavy")
    if len(token) >= 16:
        extra.append("shape:long")
    if digits and _HEX_COLOUR.fullmatch(token):
        extra.append("shape:hex")  # a colour (ff00aa) -- or a code spelt from A-F (BEEF10)
    return (kind, *extra)
