"""Clock times as clinicians read them: stored times (UTC, ISO 8601) shown in UK time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["display_zone", "iso_time", "local_time", "parse_time"]


def display_zone() -> Any:
    """Return the zone clinicians read clocks in: UK time (UTC without a zone database)."""
    try:
        return ZoneInfo("Europe/London")
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def parse_time(value: object) -> datetime | None:
    """Return an aware datetime from a stored ISO time, or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def local_time(value: object, fmt: str = "%H:%M") -> str | None:
    """Return a stored time as UK clock time, or None."""
    moment = parse_time(value)
    return None if moment is None else moment.astimezone(display_zone()).strftime(fmt)


def iso_time(ms: int) -> str:
    """Return epoch milliseconds as ISO 8601 UTC."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="milliseconds")
