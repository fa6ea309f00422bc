"""The audit view, on every node: this node's audit events, newest first, with a filter.

    GET /audit?staff_id=&action=&record=&from=YYYY-MM-DD&to=YYYY-MM-DD

Needs `audit.read` (auditors and admins). Dates are whole UTC days, both inclusive. A bad
filter value answers 422 with the message next to its field; break-glass rows stand out.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from carechain.accounts import AUDIT_ACTIONS, filter_audit
from carechain.errors import FieldInvalid
from carechain.node import Node
from carechain.node.audit import audit_record, read_audit
from carechain.web.shared.render import render
from carechain.web.shared.session import Viewer, context, require
from carechain.web.shared.wording import STAFF_ID, STAFF_ID_RULE

__all__ = ["MAX_ROWS", "ROLES", "router"]

ROLES = ("crew", "hub", "hospital", "vault")
MAX_ROWS = 500

router = APIRouter(include_in_schema=False)

AuditReader = Annotated[Viewer, require("audit.read")]

DAY_MS = 86_400_000
ACTION_NAMES = {
    "login": "Log in", "login.failed": "Failed log in", "logout": "Log out",
    "record.view": "Record viewed", "record.export": "Record exported",
    "key.grant": "Key grant", "break_glass": "Break-glass access",
    "account.create": "Account created", "account.lock": "Account lock change",
    "handover.accept": "Handover accepted",
}


@dataclass(frozen=True)
class Filters:
    """A checked filter: what `filter_audit` takes."""

    staff_id: str | None = None
    action: str | None = None
    record: str | None = None
    since_ms: int | None = None
    until_ms: int | None = None

    @property
    def any(self) -> bool:
        """Return whether any filter is set."""
        return any(v is not None for v in (self.staff_id, self.action, self.record,
                                           self.since_ms, self.until_ms))


def _day_ms(value: str, field: str, label: str) -> int | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise FieldInvalid(field, f"{label}: enter a date as YYYY-MM-DD, e.g. 2024-08-31.") \
            from None
    ms = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)
    if ms < 0:
        raise FieldInvalid(field, f"{label}: enter a date in 1970 or later.")
    return ms


def _check(staff_id: str, action: str, record: str, since: str,
           until: str) -> tuple[Filters, dict[str, str]]:
    """Return the filters and, per form field, what is wrong with them."""
    errors: dict[str, str] = {}
    if staff_id and not STAFF_ID.fullmatch(staff_id):
        errors["staff_id"] = STAFF_ID_RULE
    if action and action not in AUDIT_ACTIONS:
        errors["action"] = "Choose one of the actions listed."
    record = record.lower()
    if record and not re.fullmatch(r"[0-9a-f]{32}", record):
        errors["record"] = "A record id is 32 hexadecimal digits (0-9, a-f)."
    since_ms = until_ms = None
    for field, value, label in (("from", since, "From"), ("to", until, "To")):
        try:
            ms = _day_ms(value, field, label)
        except FieldInvalid as exc:
            errors[field] = exc.rule
            continue
        if field == "from":
            since_ms = ms
        elif ms is not None:
            until_ms = ms + DAY_MS  # the whole "to" day is included
    if since_ms is not None and until_ms is not None and until_ms <= since_ms:
        errors["to"] = "To must be the same day as From or later."
    filters = Filters(staff_id or None, action or None, record or None, since_ms, until_ms)
    return filters, errors


def _is_time(key: str, value: Any) -> bool:
    return key.endswith("_ms") and isinstance(value, int) and not isinstance(value, bool)


def _label(key: str, value: Any) -> str:
    """Return a detail key as a label: `until_ms` holding a time reads "until"."""
    return (key.removesuffix("_ms") if _is_time(key, value) else key).replace("_", " ")


def _show(key: str, value: Any) -> str:
    """Return one detail value as a person reads it."""
    if _is_time(key, value):
        return datetime.fromtimestamp(value / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _row(event: dict[str, Any]) -> dict[str, Any]:
    given = event.get("detail")
    detail: dict[str, Any] = given if isinstance(given, dict) else {}
    reason = detail.get("reason") if event.get("action") == "break_glass" else None
    return {
        **event,
        "action_name": ACTION_NAMES.get(str(event.get("action")), str(event.get("action"))),
        "break_glass": event.get("action") == "break_glass",
        "reason": reason,
        "details": [(_label(k, v), _show(k, v)) for k, v in detail.items()
                    if not (reason is not None and k == "reason")],
    }


def _newest_first(node: Node) -> list[dict[str, Any]]:
    """Return the node's audit events newest first; events of one millisecond (a failed
    login and the lock it caused) keep the order they were written in."""
    written = {s.entry.hex: s.seq for s in node.store.record(audit_record(node))}
    events = read_audit(node)
    events.sort(key=lambda e: (e.get("at_ms", 0), written.get(str(e.get("entry")), 0)),
                reverse=True)
    return events


@router.get("/audit")
def audit_page(request: Request, viewer: AuditReader, staff_id: str = "", action: str = "",
               record: str = "", since: Annotated[str, Query(alias="from")] = "",
               to: str = "") -> Response:
    raw = {"staff_id": staff_id.strip(), "action": action.strip(),
           "record": record.strip(), "from": since.strip(), "to": to.strip()}
    filters, errors = _check(raw["staff_id"], raw["action"], raw["record"], raw["from"],
                             raw["to"])
    events = _newest_first(context(request).node)
    total = len(events)
    if errors:
        matched: list[dict[str, Any]] = []
    else:
        matched = filter_audit(events, staff_id=filters.staff_id, action=filters.action,
                               record=filters.record, since_ms=filters.since_ms,
                               until_ms=filters.until_ms)
    return render(request, "audit.html", viewer, status=422 if errors else 200,
                  rows=[_row(e) for e in matched[:MAX_ROWS]], matched=len(matched),
                  total=total, max_rows=MAX_ROWS, filters=raw, filtered=filters.any,
                  errors=errors, actions=[(a, ACTION_NAMES.get(a, a)) for a in AUDIT_ACTIONS])
