"""Turn result dataclasses into plain JSON values (dict, list, str, int, float, bool, None)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any


def to_json(value: object) -> Any:
    """Return `value` as plain JSON types, recursing into dataclasses and containers."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Mapping):
        return {str(key): to_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(item) for item in value]
    if isinstance(value, Decimal):
        # Whole numbers stay integers so "300 mg" does not turn into 300.0.
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def as_dict(value: object) -> dict[str, Any]:
    """Return a dataclass instance as a JSON-ready dict."""
    result: dict[str, Any] = to_json(value)
    return result
