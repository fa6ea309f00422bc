"""Read a folded record state defensively: anything missing or odd reads as absent."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

_EMPTY: Mapping[str, Any] = {}


def mapping(value: object) -> Mapping[str, Any]:
    """Return `value` if it is a mapping, else an empty one."""
    return value if isinstance(value, Mapping) else _EMPTY


def section(state: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    """Return one single-valued section of the state."""
    return mapping(mapping(state.get("sections")).get(name))


def items(state: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    """Return the items of one multi-valued section, skipping anything not a mapping."""
    found = mapping(state.get("items")).get(name)
    if not isinstance(found, Sequence) or isinstance(found, str | bytes):
        return []
    return [item for item in found if isinstance(item, Mapping)]


def score(state: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    """Return one decision-support score, or an empty mapping."""
    return mapping(mapping(state.get("scores")).get(name))


def text(value: object) -> str | None:
    """Return non-empty text, stripped, or None."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def number(value: object) -> int | float | None:
    """Return a number (never a bool), or None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def time(value: object) -> datetime | None:
    """Return an ISO 8601 date-time as an aware datetime (naive read as UTC), or None."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def strings(value: object) -> list[str]:
    """Return the non-empty texts in a list, or an empty list."""
    if not isinstance(value, Sequence) or isinstance(value, str | bytes):
        return []
    return [t for t in (text(v) for v in value) if t is not None]
