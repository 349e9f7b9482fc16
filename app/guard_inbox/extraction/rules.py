"""Cue-based text rules: a code is the token a sentence tells the shopper to type.

Mail is full of code-shaped strings -- order and tracking numbers, one-time passwords, locker
PINs, CSS colours, URL parameters -- so a token counts only when a cue such as "use code" or
"promo code:" points at it, and then it still has to survive context and shape filters.
Precision comes first: a false code wastes the user's time at checkout and erodes trust in
every other code we show, while a missed one is merely a missed saving.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from email.utils import parseaddr

from guard_inbox.domain.models import FoundCode, MailMessage
from guard_inbox.extraction.details import day_first_hint, find_discount, find_expiry
from guard_inbox.extraction.text import message_text, normalise_whitespace

SOURCE = "rules"


class Strength(enum.IntEnum):
    """How sure a cue is that the next token is a shopper's code."""

    BARE = 0  # no "code" word, only a discount beside it: "use SAVE20 for 20% off"
    WEAK = 1  # "code: X" -- also says "verification code: X"
    MEDIUM = 2  # "use code X", "with code X"
    STRONG = 3  # "promo code X", "enter X at checkout"


# Between a cue and its token: spaces, at most one blank line (label and value often sit in
# separate table cells), and ":" / "-" / "is".
_SEP = r"(?:\s*(?:\bis\b|[:=\-\u2013\u2014]))*\s*"
_RAW = r"(?P<raw>\S{1,40})"
_STRONG_CUE = (
    r"\b(?:(?:promo(?:tion(?:al)?)?|coupon|discount|voucher|offer|sale|savings?|rebate)"
    r"[\s-]?codes?|promocodes?|gutscheincode|rabattcode|aktionscode|kortingscode|rabattkod"
    r"|alennuskoodi|kod\s+(?:rabatowy|promocyjny)|code\s+(?:promo|de\s+r[ée]duction)"
    r"|c[oó]digo\s+(?:de\s+)?(?:descuento|promocional|promo)|codice\s+(?:sconto|promo\w*))\b"
)
_CHECKOUT = r"(?:at|during|in|on)\s+(?:the\s+)?(?:checkout|check-out|check\s+out|basket|cart|bag)"
_LEAD = (
    r"(?:(?:use|using|with|enter|entering|apply|applying|redeem|type|add|quote|mention)"
    r"\s+(?:the\s+|our\s+|this\s+|my\s+|your\s+|exclusive\s+|special\s+)?"
    r"|(?:exclusive|special|personal|unique|secret|vip|welcome|birthday|bonus|shopping)\s+)"
)
# "use code X", "your exclusive code: X", and "(use the) code below/at checkout: X", whose
# filler word must be consumed with the cue or it would be taken for the code.
_MEDIUM_CUE = rf"\b(?:{_LEAD}?code(?:\s+(?:below|here|underneath)|\s+{_CHECKOUT})|{_LEAD}code)\b"
_OFF = r"(?:\d{1,2}\s?%|[$£€]\s?\d{1,4})"
_CUES: tuple[tuple[Strength, re.Pattern[str]], ...] = (
    (Strength.STRONG, re.compile(_STRONG_CUE + _SEP + _RAW, re.IGNORECASE)),
    (
        Strength.STRONG,
        re.compile(r"\b(?:coupon|voucher)\b(?![\s-]*codes?\b)" + _SEP + _RAW, re.IGNORECASE),
    ),
    (
        Strength.STRONG,
        re.compile(
            r"\b(?:use|enter|apply|redeem|type|add|input|paste|code|coupon)\s+(?:code\s+)?"
            + _RAW
            + r"\s+"
            + _CHECKOUT,
            re.IGNORECASE,
        ),
    ),
    (Strength.MEDIUM, re.compile(_MEDIUM_CUE + _SEP + _RAW, re.IGNORECASE)),
    (Strength.WEAK, re.compile(r"\bcode\b" + _SEP + _RAW, re.IGNORECASE)),
    (
        Strength.BARE,
        re.compile(
            r"\b(?:with|use|using|enter|apply)\s+" + _RAW + r"\s+(?:for|to\s+(?:get|save|take)"
            r"|and\s+(?:get|save|take))\s+(?:an?\s+)?(?:extra\s+)?(?:up\s+to\s+)?" + _OFF,
            re.IGNORECASE,
        ),
    ),
    (
        Strength.BARE,
        re.compile(
            _OFF + r"\s+off\b[^.!?\n]{0,40}?\b(?:with|using)\s+" + _RAW + r"(?=\s*(?:[.!,]|$))",
            re.IGNORECASE | re.MULTILINE,
        ),
    ),
)
# A cue that says "code"/"coupon" itself, as opposed to "enter X at checkout".
_NAMES_CODE = re.compile(r"c[oó]d[eio]|coupon|voucher|gutschein|rabatt|korting|koodi", re.IGNORECASE)

# Words that, shortly before a cue, show the "code" belongs to an order, a parcel or a login.
_NEG_BEFORE = re.compile(
    r"\b(?:order|booking|reservation|reference|ref|tracking|shipment|parcel|package|invoice"
    r"|receipt|account|member(?:ship)?|customer|serial|case|ticket|transaction|confirmation)"
    r"\s*(?:number|no\b\.?|num\b|#|id\b|code)"
    r"|\b(?:tracking|confirmation|verification|verify|one[\s-]?time(?!\s+use)|otp|passcode|password"
    r"|passwort|pin|pick[\s-]?up|locker|gift[\s-]?cards?|gift\s+certificates?|post\s?code"
    r"|zip\s?code|postal|security|authentication|2fa|two[\s-]factor|mfa|activation"
    r"|ready\s+for\s+collection|click\s*(?:&|and)\s*collect)\b",
    re.IGNORECASE,
)
# Words directly in front of a bare "code" that make it some other kind of code.
_NEG_ADJACENT = re.compile(
    r"\b(?:access|activation|area|auth|bank|bar|booking|collection|colou?r|confirmation"
    r"|claim|country|css|delivery|dialling|dialing|door|dress|embed|entry|error|example|exit|gate"
    r"|gift|html|invitation|invite|item|log[\s-]?in|login|order|otp|pickup|pin|post|postal"
    r"|product|qr|reference|referral|reservation|response|return|sample|security|sign[\s-]?in"
    r"|sms|sort|source|status|style|swift|tracking|verification|zip)[\s-]*$",
    re.IGNORECASE,
)
# Words just after the token that show it is for a driver, a locker or a login.
_NEG_AFTER = re.compile(
    r"\b(?:locker|pick[\s-]?up|collect|driver|courier|verify|verification|sign[\s-]?in"
    r"|log[\s-]?in|password|passcode|2fa|do\s+not\s+share|don'?t\s+share|never\s+share"
    r"|one[\s-]?time\s+(?:password|passcode|code|pin)"
    r"|(?:on|into)\s+(?:your|the)\s+(?:tv|device|screen|console|television)"
    r"|to\s+(?:activate|confirm|complete|continue|reset|link|pair|access))\b"
    r"|\b(?:expires?|valid)\s+(?:in|for)\s+\d+\s*(?:seconds?|secs?|minutes?|mins?|hours?)\b",
    re.IGNORECASE,
)
# Subjects of mail that is about an order, a parcel or a login rather than a sale; there
# only a cue that names a code as a discount counts.
_TRANSACTIONAL = re.compile(
    r"\b(?:verification|verify|one[\s-]?time|otp|passcode|password|sign[\s-]?in|log[\s-]?in"
    r"|security\s+code|pick[\s-]?up|ready\s+for\s+collection|delivered|out\s+for\s+delivery"
    r"|shipped|dispatched|tracking|arriving|order\s+(?:confirmation|#|number)|your\s+delivery"
    r"|delivery\s+(?:update|attempt|exception|notification|scheduled)"
    r"|receipt|invoice)\b",
    re.IGNORECASE,
)
# Something that says "money off" near a weak cue.
_PROMO_SIGNAL = re.compile(
    r"\d\s?%|[$£€]\s?\d|\b(?:off|checkout|save|savings|discount|promo|coupon|voucher|sale"
    r"|deal|free\s+(?:shipping|delivery|gift))\b",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)|\n\n")

_LEADING = "\"'\u201c\u201d\u2018\u2019\u00ab\u00bb\u201e*_([{<`"
_TRAILING = "\"'\u201c\u201d\u2018\u2019\u00ab\u00bb*_)]}>`.,;:!?"
_QUOTES = "\"'\u201c\u201d\u2018\u2019\u00ab\u00bb\u201e`"
_TOKEN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_-]{1,18})[A-Za-z0-9]")
_DIGIT_GROUPS = re.compile(r"[\d_-]+")
_YEAR = re.compile(r"(?:19|20)\d\d")
_UNIT = re.compile(
    r"\d+(?:am|pm|st|nd|rd|th|h|hr|hrs|min|mins|x|k|g|gb|mb|tb|kg|lb|lbs|oz|ml|cm|mm|km|m|in"
    r"|ft|px|em|pt|s|ms|d|yo|p|fps|hz|khz|mhz|ghz|usd|eur|gbp|pln|aud|cad)",
    re.IGNORECASE,
)
_HEX_COLOUR = re.compile(r"[0-9a-f]{3}|[0-9a-f]{6}")
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
    VENMO ZIP UPS USPS DHL FEDEX COD VISA AMEX MASTERCARD AUTOMATIC DIGITAL
"""
_STOPWORDS = frozenset(_STOPWORD_LIST.split())


@dataclass(frozen=True, slots=True)
class Candidate:
    """A token some cue pointed at, with where the cue and the token sit in the text."""

    token: str
    quoted: bool
    strength: Strength
    named: bool  # the cue itself says "code", "coupon" or "voucher"
    cue_start: int
    token_start: int
    token_end: int


def _unwrap(raw: str) -> tuple[str, bool, int]:
    """Strip quotes/emphasis around a raw chunk: (token, was_quoted, chars_stripped_left)."""
    stripped_left = raw.lstrip(_LEADING)
    offset = len(raw) - len(stripped_left)
    quoted = any(ch in _QUOTES for ch in raw[:offset])
    return stripped_left.rstrip(_TRAILING), quoted, offset


def token_shape_ok(cand: Candidate) -> bool:
    """Whether the cued token looks like something typed at checkout, given how it was cued."""
    token, strength = cand.token, cand.strength
    if not _TOKEN.fullmatch(token) or token.upper() in _STOPWORDS:
        return False
    digits = sum(ch.isdigit() for ch in token)
    letters = [ch for ch in token if ch.isalpha()]
    if strength is Strength.BARE and not (digits and token.isupper()):
        return False  # uncued: only the unmistakable SAVE20 shape
    if not letters:
        # All digits: prices, dates, PINs, phone and order numbers look the same, so only
        # a cue that literally says "promo code" vouches for one.
        return (
            strength is Strength.STRONG
            and cand.named
            and token.isdigit()
            and 4 <= len(token) <= _MAX_DIGITS
            and not _YEAR.fullmatch(token)
        )
    if digits > _MAX_DIGITS or _DIGIT_GROUPS.fullmatch(token) or _UNIT.fullmatch(token):
        return False
    if token.count("-") >= 2 and len(token) >= 14:
        return False  # ABCD-EFGHIJ-KLMN: gift-card claim codes and serials
    if _HEX_COLOUR.fullmatch(token) and digits:
        return False
    if not digits:
        word = "".join(letters)
        if word.islower() or (word[0].isupper() and word[1:].islower()):
            return cand.quoted  # an ordinary word unless the sender quoted it
        if not word.isupper():
            return cand.quoted or cand.named  # CamelCase: PayPal, ShopPay ... unless named
        if strength is Strength.WEAK:
            return cand.quoted or len(token) >= 5
        return True
    return strength > Strength.WEAK or any(ch.isupper() for ch in letters)


def _window_before(text: str, cue_start: int) -> str:
    before = text[max(0, cue_start - 80) : cue_start]
    ends = list(_SENTENCE_END.finditer(before))
    return before[ends[-1].end() :] if ends else before


def _window_after(text: str, token_end: int) -> str:
    after = text[token_end : token_end + 80]
    end = _SENTENCE_END.search(after)
    return after[: end.start()] if end else after


def context_ok(text: str, cand: Candidate, transactional: bool) -> bool:
    """Reject a candidate whose surroundings say order, parcel or login rather than shop."""
    before = _window_before(text, cand.cue_start)
    cue = text[cand.cue_start : cand.token_start]
    if _NEG_BEFORE.search(before + cue):
        return False
    if cue[:4].lower() == "code" and _NEG_ADJACENT.search(before):
        return False
    if _NEG_AFTER.search(_window_after(text, cand.token_end)):
        return False
    if cand.strength <= Strength.WEAK:
        if transactional:
            return False
        around = text[max(0, cand.cue_start - 120) : cand.token_end + 120]
        return bool(_PROMO_SIGNAL.search(around))
    return True


def find_candidates(text: str) -> list[Candidate]:
    """Every cued token in ``text``, keeping the strongest cue for each token position."""
    best: dict[int, Candidate] = {}
    for strength, pattern in _CUES:
        for match in pattern.finditer(text):
            token, quoted, offset = _unwrap(match.group("raw"))
            start = match.start("raw") + offset
            known = best.get(start)
            if known is not None and known.strength >= strength:
                continue
            best[start] = Candidate(
                token=token,
                quoted=quoted,
                strength=strength,
                named=bool(_NAMES_CODE.search(text, match.start(), start)),
                cue_start=match.start(),
                token_start=start,
                token_end=start + len(token),
            )
    return sorted(best.values(), key=lambda c: c.token_start)


def accepted_candidates(text: str, subject: str = "") -> list[Candidate]:
    """Candidates that pass shape and context filters, first occurrence of each code only."""
    transactional = bool(_TRANSACTIONAL.search(subject))
    seen: set[str] = set()
    kept: list[Candidate] = []
    for cand in find_candidates(text):
        key = cand.token.casefold()
        if key in seen:
            continue
        if token_shape_ok(cand) and context_ok(text, cand, transactional):
            seen.add(key)
            kept.append(cand)
    return kept


class RuleExtractor:
    """Extractor for promo codes named by cue phrases in the subject and body text."""

    def extract(self, message: MailMessage) -> list[FoundCode]:
        subject = normalise_whitespace(message.subject)
        text = f"{subject}\n\n{message_text(message)}" if subject else message_text(message)
        domain = parseaddr(message.sender)[1].rpartition("@")[2]
        day_first = day_first_hint(text, domain)
        found: list[FoundCode] = []
        for cand in accepted_candidates(text, subject):
            discount, min_spend = find_discount(text, cand.cue_start, cand.token_end)
            expires = find_expiry(
                text, cand.cue_start, cand.token_end, sent=message.date, day_first=day_first
            )
            found.append(
                FoundCode(
                    code=cand.token,
                    discount=discount,
                    expires=expires,
                    min_spend=min_spend,
                    source=SOURCE,
                )
            )
        return found
