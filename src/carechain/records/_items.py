"""Reading a folded record's state: its lists of items, and the times they carry."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

__all__ = ["EARLIEST", "items_of", "when"]

EARLIEST = datetime.min.replace(tzinfo=UTC)


def when(value: object) -> datetime:
    """Return an ISO time as a datetime; a missing or unreadable one sorts first."""
    try:
        return datetime.fromisoformat(str(value)) if value else EARLIEST
    except ValueError:
        return EARLIEST


def items_of(state: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    """Return the folded items of one section (e.g. `refusals`), well-formed ones only."""
    found = state.get("items", {}).get(name, [])
    return [i for i in found if isinstance(i, Mapping)] if isinstance(found, list) else []
