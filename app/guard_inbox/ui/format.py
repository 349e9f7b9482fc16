"""Short human wording for times and sizes, as the codes table shows them.

Calendar words ("today", "tomorrow") are computed in the time zone of ``now``: pass a local,
aware ``now`` (``datetime.now().astimezone()``) and the wording matches the user's clock.
Naive datetimes are taken as UTC. Pure functions, no Qt, so they are trivial to test.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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


def relative_expiry(expires: datetime | None, now: datetime) -> str:
    """``in 3 days``, ``tomorrow``, ``today``, ``expired yesterday``, ``expired 2 days ago``."""
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
        return f"expired {short_date(expires, now)}"
    if days <= 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days < _DAYS_AS_WEEKS:
        return f"in {_plural(days, 'day')}"
    if days < _DAYS_AS_DATE:
        return f"in {_plural(days // 7, 'week')}"
    return f"on {short_date(expires, now)}"


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


def is_expiring(expires: datetime | None, now: datetime, days: int = 2) -> bool:
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
