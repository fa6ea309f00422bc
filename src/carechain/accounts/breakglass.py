"""Break-glass: a clinician opens a record with no care relationship, giving a reason.

Access lasts `BREAK_GLASS_MS` (4 hours) from the moment of the request; each request is
kept in the accounts file and returned as an audit body for the signed log.
"""

from __future__ import annotations

from typing import Any

from carechain.accounts._db import Database
from carechain.accounts._validate import check_ms, check_record
from carechain.accounts.audit import audit_event
from carechain.accounts.models import Person
from carechain.accounts.roles import require
from carechain.errors import FieldInvalid

__all__ = [
    "BREAK_GLASS_MS",
    "REASON_MAX",
    "REASON_MIN",
    "break_glass",
    "check_reason",
    "has_break_glass",
]

BREAK_GLASS_MS = 4 * 60 * 60 * 1000
REASON_MIN = 10
REASON_MAX = 500


def check_reason(reason: object) -> str:
    """Return a break-glass reason stripped, if it has 10 to 500 characters."""
    reason = reason.strip() if isinstance(reason, str) else ""
    if len(reason) < REASON_MIN:
        raise FieldInvalid("reason", f"must be at least {REASON_MIN} characters")
    if len(reason) > REASON_MAX:
        raise FieldInvalid("reason", f"must be at most {REASON_MAX} characters")
    return reason


def break_glass(db: Database, *, person: Person, record: str, reason: str,
                now_ms: int) -> dict[str, Any]:
    """Grant `person` emergency access to a record; return the audit body to write."""
    require(person, "break_glass")
    record = check_record(record)
    check_ms(now_ms, "now_ms")
    reason = check_reason(reason)
    event = audit_event("break_glass", staff_id=person.staff_id, role=person.role,
                        at_ms=now_ms, outcome="success", record=record,
                        detail={"reason": reason, "until_ms": now_ms + BREAK_GLASS_MS})
    with db.tx() as conn:
        conn.execute(
            "INSERT INTO break_glass (staff_id, record, reason, at_ms) VALUES (?, ?, ?, ?)",
            (person.staff_id, record, reason, now_ms),
        )
    return event


def has_break_glass(db: Database, *, staff_id: str, record: str, now_ms: int) -> bool:
    """Return whether `staff_id` broke the glass on `record` within the last 4 hours."""
    record = check_record(record)
    check_ms(now_ms, "now_ms")
    rows = db.read(
        "SELECT 1 FROM break_glass WHERE staff_id = ? AND record = ? AND at_ms <= ?"
        " AND at_ms > ? LIMIT 1",
        (staff_id, record, now_ms, now_ms - BREAK_GLASS_MS),
    )
    return bool(rows)
