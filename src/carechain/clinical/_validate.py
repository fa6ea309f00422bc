"""Shared checks for values entered at the bedside."""

from __future__ import annotations

from decimal import Decimal

from carechain.clinical.errors import ClinicalValueError


def check_int(name: str, value: object, low: int, high: int) -> None:
    """Raise unless `value` is None or a whole number from `low` to `high`."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise ClinicalValueError(name, "must be a whole number")
    if not low <= value <= high:
        raise ClinicalValueError(name, f"must be between {low} and {high}")


def as_decimal(value: object) -> Decimal | None:
    """Return a finite number as a Decimal (floats read by their shortest repr), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return None
    number = value if isinstance(value, Decimal) else Decimal(repr(value))
    return number if number.is_finite() else None


def check_positive(name: str, value: object) -> Decimal:
    """Return `value` as a Decimal, raising unless it is a finite number above zero."""
    number = as_decimal(value)
    if number is None or number <= 0:
        raise ClinicalValueError(name, "must be a number greater than 0")
    return number
