"""Checks on the plain values the accounts API takes: staff ids, names, record ids, times."""

from __future__ import annotations

import re
import unicodedata

from carechain.errors import FieldInvalid

__all__ = ["check_display_name", "check_ms", "check_record", "check_staff_id"]

# The same shape as a staff id in a record body (carechain.records.kinds.StaffId).
STAFF_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@:-]{0,63}")
RECORD_HEX = re.compile(r"[0-9a-f]{32}")
DISPLAY_NAME_MAX = 100


def check_staff_id(value: object) -> str:
    """Return `value` if it is a staff id: 1 to 64 letters, digits or . _ @ : -."""
    if not isinstance(value, str) or not STAFF_ID.fullmatch(value):
        raise FieldInvalid("staff_id", "must be 1 to 64 letters, digits or . _ @ : - (no spaces)")
    return value


def check_display_name(value: object) -> str:
    """Return `value` stripped if it is a printable name of 1 to 100 characters."""
    if not isinstance(value, str) or not value.strip():
        raise FieldInvalid("display_name", "must not be empty")
    value = value.strip()
    if len(value) > DISPLAY_NAME_MAX:
        raise FieldInvalid("display_name", f"must be at most {DISPLAY_NAME_MAX} characters")
    if any(unicodedata.category(c).startswith("C") for c in value):
        raise FieldInvalid("display_name", "must not contain control characters")
    return value


def check_record(value: object, field: str = "record") -> str:
    """Return a record id as 32 lower-case hex digits (16 bytes), accepting upper case."""
    if not isinstance(value, str) or not RECORD_HEX.fullmatch(value.lower()):
        raise FieldInvalid(field, "must be a record id: 32 hex digits")
    return value.lower()


def check_ms(value: object, field: str) -> int:
    """Return `value` if it is a whole number of milliseconds since the epoch."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise FieldInvalid(field, "must be a whole number of milliseconds, 0 or more")
    return value
