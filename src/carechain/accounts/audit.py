"""Audit event bodies: pure builders the node writes as `audit` entries, and a filter.

The accounts package never writes to the signed log itself; it returns plain JSON-able
dicts of one fixed shape, and the node appends each as an `audit`-class entry in the same
unit of work as whatever it records (DESIGN P6).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Literal

from carechain.accounts._validate import check_ms, check_record, check_staff_id
from carechain.accounts.roles import ROLES
from carechain.errors import FieldInvalid

__all__ = ["AUDIT_ACTIONS", "AUDIT_VERSION", "OUTCOMES", "Outcome", "audit_event", "filter_audit"]

AUDIT_VERSION = 1
AUDIT_ACTIONS = (
    "login",
    "login.failed",
    "logout",
    "record.view",
    "record.export",
    "key.grant",
    "break_glass",
    "account.create",
    "account.lock",
    "handover.accept",
    "hub.unblock",
    "record.write",
    "record.list",
    "account.totp_reset",
    "client.issue",
    "client.revoke",
    "verification.file",
    "device.attach",
    "device.detach",
    "dispatch.receive",
    "dispatch.accept",
    "patient.lookup",
    "previous_calls.request",
)
NEEDS_RECORD = frozenset({"record.view", "record.export", "key.grant", "break_glass",
                          "handover.accept", "record.write",
                          "device.attach", "device.detach", "dispatch.accept",
                          "patient.lookup", "previous_calls.request"})
Outcome = Literal["success", "failure", "refused"]
OUTCOMES: tuple[str, ...] = ("success", "failure", "refused")
DETAIL_MAX_BYTES = 4096


def _check_action(action: object) -> str:
    if action not in AUDIT_ACTIONS:
        raise FieldInvalid("action", "must be one of " + ", ".join(AUDIT_ACTIONS))
    return str(action)


def _check_detail(detail: object) -> dict[str, Any]:
    if detail is None:
        return {}
    if not isinstance(detail, dict) or not all(isinstance(k, str) for k in detail):
        raise FieldInvalid("detail", "must be an object with text keys")
    try:
        text = json.dumps(detail, allow_nan=False, ensure_ascii=False)
        size = len(text.encode("utf-8"))
    except (TypeError, ValueError) as exc:  # UnicodeEncodeError is a ValueError
        raise FieldInvalid("detail", "must hold only JSON values") from exc
    if size > DETAIL_MAX_BYTES:
        raise FieldInvalid("detail", f"must be at most {DETAIL_MAX_BYTES} bytes as JSON")
    loaded: dict[str, Any] = json.loads(text)  # a deep copy the caller cannot change later
    return loaded


def audit_event(
    action: str,
    *,
    staff_id: str | None,
    role: str | None,
    at_ms: int,
    outcome: Outcome,
    record: str | None = None,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Return a validated audit body; only `login.failed` may lack a staff id or role."""
    action = _check_action(action)
    if staff_id is not None:
        check_staff_id(staff_id)
    elif action != "login.failed":
        raise FieldInvalid("staff_id", f"is required for {action}")
    if role is not None and role not in ROLES:
        raise FieldInvalid("role", "must be one of " + ", ".join(ROLES))
    if role is None and action != "login.failed":
        raise FieldInvalid("role", f"is required for {action}")
    if outcome not in OUTCOMES:
        raise FieldInvalid("outcome", "must be one of " + ", ".join(OUTCOMES))
    if record is not None:
        record = check_record(record)
    elif action in NEEDS_RECORD:
        raise FieldInvalid("record", f"is required for {action}")
    return {
        "v": AUDIT_VERSION,
        "action": action,
        "staff_id": staff_id,
        "role": role,
        "at_ms": check_ms(at_ms, "at_ms"),
        "outcome": outcome,
        "record": record,
        "detail": _check_detail(detail),
    }


def filter_audit(
    events: Iterable[dict[str, Any]],
    *,
    staff_id: str | None = None,
    action: str | None = None,
    record: str | None = None,
    since_ms: int | None = None,
    until_ms: int | None = None,
) -> list[dict[str, Any]]:
    """Return the events matching every given filter, in the order given.

    `since_ms` is inclusive and `until_ms` exclusive, so consecutive windows never overlap.
    """
    if action is not None:
        _check_action(action)
    if record is not None:
        record = check_record(record)
    if since_ms is not None:
        check_ms(since_ms, "since_ms")
    if until_ms is not None:
        check_ms(until_ms, "until_ms")
    out: list[dict[str, Any]] = []
    for event in events:
        at = event.get("at_ms")
        if staff_id is not None and event.get("staff_id") != staff_id:
            continue
        if action is not None and event.get("action") != action:
            continue
        if record is not None and event.get("record") != record:
            continue
        if since_ms is not None and not (isinstance(at, int) and at >= since_ms):
            continue
        if until_ms is not None and not (isinstance(at, int) and at < until_ms):
            continue
        out.append(event)
    return out
