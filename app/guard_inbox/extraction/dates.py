"""When a code stops working, read from the words around it (seven languages).

Only what the text states is reported: an explicit date ("valid until 31/03/2025", "gültig
bis 20.04.", "ends Nov 24"), a day relative to when the mail was sent ("ends tonight", "nur
heute", "ends Sunday") or a span from it ("48 hours only").  A date whose year cannot be pinned
down, or a relative one in a message without a date, stays unknown: a wrong date would make
the app nag about a dead code or stay silent about a live one.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from email.utils import parsedate_to_datetime

from guard_inbox.domain.models import MailMessage
from guard_inbox.extraction.cues import led_by

_MONTH_NAMES = {
    1: "jan january enero janvier januar jänner jaenner gennaio janeiro stycznia styczeń styczen",
    2: "feb february febrero février fevrier februar febbraio fevereiro lutego luty",
    3: "mar march marzo mars märz maerz março marco marca marzec",
    4: "apr april abril avril aprile kwietnia kwiecień kwiecien",
    5: "may mayo mai maggio maio maja maj",
    6: "jun june junio juin juni giugno junho czerwca czerwiec",
    7: "jul july julio juillet juli luglio julho lipca lipiec",
    8: "aug august agosto août aout sierpnia sierpień sierpien",
    9: "sep sept september septiembre setiembre septembre settembre setembro września wrzesnia wrzesień",
    10: "oct october octubre octobre oktober ottobre outubro października pazdziernika październik",
    11: "nov november noviembre novembre novembro listopada listopad",
    12: "dec december diciembre décembre decembre dezember dicembre dezembro grudnia grudzień",
}  # fmt: skip
_MONTHS = {name: number for number, names in _MONTH_NAMES.items() for name in names.split()}
_MONTH = "(?:" + "|".join(sorted(map(re.escape, _MONTHS), key=len, reverse=True)) + ")"
_WEEKDAY_NAMES = (
    "monday|lunes|lundi|montag|lunedì|lunedi|segunda(?:-feira)?|poniedziałek|poniedzialku|poniedziałku",
    "tuesday|martes|mardi|dienstag|martedì|martedi|terça(?:-feira)?|terca|wtorek|wtorku",
    "wednesday|miércoles|miercoles|mercredi|mittwoch|mercoledì|mercoledi|quarta(?:-feira)?|środa|środy|sroda",
    "thursday|jueves|jeudi|donnerstag|giovedì|giovedi|quinta(?:-feira)?|czwartek|czwartku",
    "friday|viernes|vendredi|freitag|venerdì|venerdi|sexta(?:-feira)?|piątek|piątku|piatek",
    "saturday|sábado|sabado|samedi|samstag|sabato|sobota|soboty",
    "sunday|domingo|dimanche|sonntag|domenica|niedziela|niedzieli",
)
_WEEKDAY_INDEX = {
    name: index
    for index, names in enumerate(_WEEKDAY_NAMES)
    for name in names.replace("(?:-feira)?", "").split("|")
}
_ANY_WEEKDAY = "(?:" + "|".join(_WEEKDAY_NAMES) + ")"
_WEEKDAY_PREFIX = rf"(?:(?:{_ANY_WEEKDAY}|(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)\.?),?\s+)"
_CUE = (
    r"(?:expires?|expiring|expiration(?:\s+date)?|exp\.|valid\s+(?:until|till|through|thru|to)|"
    r"good\s+(?:until|till|through|thru)|(?:offer\s+|sale\s+|promo(?:tion)?\s+|access\s+)?ends?|"
    r"ending|until|till|through|thru|(?:use|redeem|valid|book|order|shop|buy|purchase)\s+by|"
    r"last\s+day(?:\s+is)?|v[áa]lid[oa]\s+hasta(?:\s+el)?|hasta\s+el|vence\s+el|finaliza\s+el|"
    r"termina\s+el|valable\s+jusqu.au|jusqu.au|expire\s+le|se\s+termine\s+le|g[üu]ltig\s+bis(?:\s+zum)?|"
    r"einl[öo]sbar\s+bis(?:\s+zum)?|bis\s+zum|bis|endet\s+am|valid[oa]\s+fino\s+al|fino\s+al|"
    r"entro\s+il|scade\s+il|termina\s+il|v[áa]lid[oa]\s+até(?:\s+o\s+dia)?|até|termina\s+em|"
    r"expira\s+em|wa[żz]n[ya]\s+do(?:\s+dnia)?|do\s+dnia|ko[ńn]czy\s+si[ęe])"
)
_EXPIRY = led_by(
    "evgospautrblhfjwdk",
    rf"\b{_CUE}[\s:,]*(?:on\s+|le\s+|am\s+|el\s+|il\s+)?(?:(?:at\s+)?(?:midnight|\d{{1,2}}(?::\d{{2}})?\s?[ap]\.?m\.?)"
    r"(?:\s+[a-z]{2,4}\b)?[\s,]+(?:on\s+)?)?"
    rf"{_WEEKDAY_PREFIX}?(?:the\s+)?"
    r"(?:(?P<iy>\d{4})[-/.](?P<im>\d{1,2})[-/.](?P<id>\d{1,2})"
    r"|(?P<a>\d{1,2})[/.](?P<b>\d{1,2})(?:[/.](?P<y>\d{4}|\d{2}))?\.?"
    rf"|(?P<d1>\d{{1,2}})(?:st|nd|rd|th|er|º|\.)?\s+(?:of\s+|de\s+)?(?P<m1>{_MONTH})\.?(?:,?\s+(?:de\s+)?(?P<y1>\d{{4}}))?"
    rf"|(?P<m2>{_MONTH})\.?\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<y2>\d{{4}}))?)"
    r"(?![\d/.]*\d)",
)
_LOOSE_WORD = re.compile(r"(?:until|till|through|thru|bis\b|até\b|hasta\s+el|fino\s+al|jusqu)", re.IGNORECASE)
_RELATIVE_DAY = {
    "today": 0, "tonight": 0, "tomorrow": 1, "hoy": 0, "esta noche": 0, "mañana": 1, "manana": 1,
    "aujourd'hui": 0, "ce soir": 0, "demain": 1, "heute": 0, "heute nacht": 0, "morgen": 1,
    "oggi": 0, "stasera": 0, "domani": 1, "hoje": 0, "amanhã": 1, "amanha": 1,
    "dziś": 0, "dzis": 0, "dzisiaj": 0, "jutro": 1, "midnight": 0,
}  # fmt: skip
_REL = "|".join(sorted(map(re.escape, _RELATIVE_DAY), key=len, reverse=True))
_RELATIVE = led_by(
    "defghjklnostuv",
    r"\b(?:ends?|ending|expires?|expiring|valid|good|only|just|solo|s[oó]lo|nur|s[óo]|tylko|seulement|"
    r"v[áa]lid[oa]|g[üu]ltig|endet|termina|finaliza|ko[ńn]czy\s+si[ęe]|se\s+termine|last\s+day\s+is|"
    r"until|till)\b[^.\n]{0,12}?\b(?:at\s+)?(?P<rel>" + _REL + r")\b"
    r"|\b(?P<rel2>today|tonight|hoy|heute|oggi|hoje|dzi[śs])\s+(?:only|solo|nur|apenas|tylko)\b",
)
_WEEKDAY_END = led_by(
    "abdefhjtuv",
    r"\b(?:ends?|ending|expires?|until|till|through|thru|by|bis|hasta\s+el|jusqu.(?:à|a|au)|"
    rf"fino\s+a|até|do|valid\s+until)\s+(?:this\s+|next\s+)?(?P<day>{_ANY_WEEKDAY})\b",
)
_SPAN = led_by(
    "acdefinopsvw",
    r"\b(?:(?:for|in|within)\s+the\s+next|next|(?:ends?|expires?|valid|available|only|sale|offer|deal|code)"
    r"\s+(?:\w+\s+){0,2}?(?:in|for|within)|durante|pendant|w\s+ci[ąa]gu|nächsten|próximas|prochaines|prossime)"
    r"\s+(?P<n>\d{1,3})\s*(?P<unit>hours?|hrs?|h|days?|horas|heures|stunden|ore|godzin|d[ií]as|jours|tage|giorni|dni)\b"
    r"|(?P<n2>\d{1,3})\s*[-\s]?(?P<unit2>hours?|hrs?|h)\s+only\b",
    r"\d",
)
_HOUR_UNITS = frozenset(["hour", "hours", "hr", "hrs", "h", "horas", "heures", "stunden", "ore", "godzin"])
_DAY_FIRST_TLD_LIST = (
    "uk ie au nz in za de fr es it nl be pl pt at ch dk se no fi cz sk hu ro bg gr br ar "
    "cl co mx sg my hk ph ae sa il tr ru ua eu"
)
_DAY_FIRST_TLDS = frozenset(_DAY_FIRST_TLD_LIST.split())
_NEAR = 300  # characters either side of a code that count as "about this code"
_FAR = 30_000  # explicit wording further away is looked for this far into the text
# A yearless date this long before the message is taken to mean next year.
_ROLLOVER = timedelta(days=60)


def sent_at(message: MailMessage) -> datetime | None:
    """When the message was sent, in the sender's own time zone where the Date header says.

    "Ends tonight" means the sender's night: the decoded ``message.date`` is in UTC, so the
    raw header is read again for its offset.
    """
    raw = message.header("Date")
    if raw:
        try:
            parsed = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError, OverflowError):
            parsed = None
        if parsed is not None:
            return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    if message.date is None:
        return None
    return message.date if message.date.tzinfo is not None else message.date.replace(tzinfo=UTC)


def day_first_hint(text: str, sender_domain: str) -> bool:
    """Whether ``03/04`` in this message means 3 April: from the sender's country domain,
    else from the currency it quotes (pounds and euros but no dollars)."""
    tld = sender_domain.rsplit(".", 1)[-1].lower() if "." in sender_domain else ""
    if tld in _DAY_FIRST_TLDS:
        return True
    if tld in ("com", "us", "net", "org", "ca"):
        return False
    return ("£" in text or "€" in text) and "$" not in text


def _end_of(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=zone)


def _build(year: int | None, month: int, day: int, sent: datetime | None, zone: tzinfo) -> datetime | None:
    if year is None:
        if sent is None:
            return None  # never invent a year
        year = sent.year
        try:
            if date(year, month, day) < sent.date() - _ROLLOVER:
                year += 1
        except ValueError:
            return None
    elif year < 100:
        year += 2000
    try:
        return _end_of(date(year, month, day), zone)
    except ValueError:
        return None


def _from_match(
    match: re.Match[str], sent: datetime | None, day_first: bool, zone: tzinfo
) -> datetime | None:
    group = match.group
    if group("iy"):
        return _build(int(group("iy")), int(group("im")), int(group("id")), sent, zone)
    year_text = group("y") or group("y1") or group("y2")
    year = int(year_text) if year_text else None
    if group("a"):
        first, second = int(group("a")), int(group("b"))
        if first > 12 or (day_first and second <= 12):
            first, second = second, first
        return _build(year, first, second, sent, zone)
    month = _MONTHS.get((group("m1") or group("m2")).lower())
    if month is None:
        return None
    return _build(year, month, int(group("d1") or group("d2")), sent, zone)


def _relative(text: str, lo: int, hi: int, sent: datetime) -> datetime | None:
    """ "Ends tonight", "nur heute", "ends Sunday", "48 hours only": relative to the send time."""
    match = _RELATIVE.search(text, lo, hi)
    if match is not None:
        word = (match.group("rel") or match.group("rel2")).lower()
        return _end_of(sent.date() + timedelta(days=_RELATIVE_DAY.get(word, 0)), sent.tzinfo or UTC)
    weekday = _WEEKDAY_END.search(text, lo, hi)
    if weekday is not None:
        wanted = _WEEKDAY_INDEX.get(weekday.group("day").lower())
        if wanted is not None:
            ahead = (wanted - sent.weekday()) % 7
            return _end_of(sent.date() + timedelta(days=ahead), sent.tzinfo or UTC)
    span = _SPAN.search(text, lo, hi)
    if span is not None:
        amount = int(span.group("n") or span.group("n2"))
        unit = (span.group("unit") or span.group("unit2")).lower()
        if unit in _HOUR_UNITS:
            return sent + timedelta(hours=amount)
        return _end_of(sent.date() + timedelta(days=amount), sent.tzinfo or UTC)
    return None


def find_expiry(
    text: str, start: int, end: int, *, sent: datetime | None, day_first: bool
) -> datetime | None:
    """The end date stated nearest to ``text[start:end]``, else one stated plainly elsewhere.

    The result is the last second of that day in the message's own time zone (UTC when the
    message has none); None when the text states no date or no year can be resolved.  Far
    from the code only explicit wording counts ("offer expires", "valid until"), because a
    bare "until January 31" in the footer is as likely the returns window.
    """
    if sent is not None and sent.tzinfo is None:
        sent = sent.replace(tzinfo=UTC)
    zone = sent.tzinfo if sent is not None and sent.tzinfo is not None else UTC
    lo, hi = max(0, start - _NEAR), min(len(text), end + _NEAR)
    near = list(_EXPIRY.finditer(text, lo, hi))
    if not near and sent is not None:
        relative = _relative(text, lo, hi, sent)
        if relative is not None:
            return relative
    candidates = near or [m for m in _EXPIRY.finditer(text, 0, _FAR) if not _LOOSE_WORD.match(m.group(0))]
    for match in sorted(candidates, key=lambda m: abs(m.start() - start)):
        moment = _from_match(match, sent, day_first, zone)
        if moment is not None:
            return moment
    return None
