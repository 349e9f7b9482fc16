"""Short human wording for times and sizes, as the codes table shows them.

Calendar words ("today", "tomorrow") are computed in the time zone of ``now``: pass a local,
aware ``now`` (``datetime.now().astimezone()``) and the wording matches the user's clock.
Naive datetimes are taken as UTC. Dates are written one way everywhere in the codes list:
the user's locale's short date (``QLocale``, no widgets needed), with the long form and the
time in tooltips.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QDate, QDateTime, QLocale, QTime

_DAYS_AS_WEEKS = 14
_DAYS_AS_DATE = 60
_SIZE_UNITS = ("KB", "MB", "GB", "TB")
_KIB = 1024


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _day_difference(then: datetime, now: datetime) -> int:
    """Whole calendar days from ``now`` to ``then``, counted in ``now``'s time zone."""
    now = _aware(now)
    return (_aware(then).astimezone(now.tzinfo).date() - now.date()).days


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def short_date(value: datetime, now: datetime) -> str:
    """``12 Mar`` this year, ``12 Mar 2025`` otherwise (in ``now``'s time zone)."""
    local = _aware(value).astimezone(_aware(now).tzinfo)
    if local.year == _aware(now).year:
        return f"{local.day} {local:%b}"
    return f"{local.day} {local:%b %Y}"


def _local(value: datetime, now: datetime) -> datetime:
    return _aware(value).astimezone(_aware(now).tzinfo)


def local_date(value: datetime | None, now: datetime, locale: QLocale | None = None) -> str:
    """The locale's short date (``05/12/2026``, ``12/5/26``, ``05.12.26``) in ``now``'s zone."""
    if value is None:
        return ""
    local = _local(value, now)
    date = QDate(local.year, local.month, local.day)
    return (locale or QLocale()).toString(date, QLocale.FormatType.ShortFormat)


def local_datetime(value: datetime, now: datetime, locale: QLocale | None = None) -> str:
    """The locale's long date and short time, for tooltips (``Saturday, 5 December 2026 14:30``)."""
    local = _local(value, now)
    moment = QDateTime(QDate(local.year, local.month, local.day), QTime(local.hour, local.minute))
    locale = locale or QLocale()
    return (f"{locale.toString(moment.date(), QLocale.FormatType.LongFormat)} "
            f"{locale.toString(moment.time(), QLocale.FormatType.ShortFormat)}")


def relative_expiry(expires: datetime | None, now: datetime) -> str:
    """``in 3 days``, ``tomorrow``, ``today``, ``expired yesterday``, ``expired 2 days ago``,
    ``in 6 months``: words only, so the date beside them is written one way (local_date)."""
    if expires is None:
        return ""
    days = _day_difference(expires, now)
    if _aware(expires) < _aware(now):
        if days >= 0:
            return "expired today"
        if days == -1:
            return "expired yesterday"
        if -days < _DAYS_AS_DATE:
            return f"expired {_plural(-days, 'day')} ago"
        return f"expired {_plural(-days // 30, 'month')} ago"
    if days <= 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days < _DAYS_AS_WEEKS:
        return f"in {_plural(days, 'day')}"
    if days < _DAYS_AS_DATE:
        return f"in {_plural(days // 7, 'week')}"
    return f"in {_plural(days // 30, 'month')}"  # the date itself: local_date


def relative_time(dt: datetime | None, now: datetime) -> str:
    """How long ago ``dt`` was: ``just now``, ``5 min ago``, ``3 h ago``, ``yesterday``, ``4 days ago``."""
    if dt is None:
        return ""
    delta = _aware(now) - _aware(dt)
    if delta < timedelta(0):
        return relative_expiry(dt, now)  # the future reads like an expiry: "in 3 days"
    if delta < timedelta(minutes=1):
        return "just now"
    if delta < timedelta(hours=1):
        return f"{int(delta.total_seconds() // 60)} min ago"
    days = -_day_difference(dt, now)
    if days == 0:
        return f"{int(delta.total_seconds() // 3600)} h ago"
    if days == 1:
        return "yesterday"
    if days < _DAYS_AS_WEEKS:
        return f"{days} days ago"
    return short_date(dt, now)


def is_expiring(expires: datetime | None, now: datetime, days: int = 3) -> bool:
    """Still valid, but for at most ``days`` more days."""
    if expires is None:
        return False
    return _aware(now) <= _aware(expires) <= _aware(now) + timedelta(days=days)


def is_expired(expires: datetime | None, now: datetime) -> bool:
    return expires is not None and _aware(expires) < _aware(now)


def human_size(size: int) -> str:
    """``512 bytes``, ``1.5 KB``, ``23 MB`` (binary units, one decimal under 10)."""
    if size < _KIB:
        return _plural(size, "byte")
    value, unit = size / _KIB, 0
    while value >= _KIB and unit < len(_SIZE_UNITS) - 1:
        value, unit = value / _KIB, unit + 1
    return f"{value:.1f} {_SIZE_UNITS[unit]}" if value < 10 else f"{value:.0f} {_SIZE_UNITS[unit]}"
