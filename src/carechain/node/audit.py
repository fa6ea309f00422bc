"""Every access leaves a trace (P6): audit events as `audit` entries in the signed log.

Each node keeps its audit events in one record of its own, whose id is derived from the
node's key; like any record it is end-to-end encrypted, granted to the node itself and to
the trust's records vaults, signed, and synced. The bodies come from
`carechain.accounts.audit_event`.
"""

from __future__ import annotations

from typing import Any

from carechain.entries import crypto, make_grant
from carechain.errors import NotFound
from carechain.node.service import Node, Unit, Written
from carechain.records import kinds
from carechain.trust.directory import audit_record_of

__all__ = ["audit_record", "read_audit", "write_audit"]


def audit_record(node: Node) -> bytes:
    """Return the id of this node's audit record."""
    return audit_record_of(node.keys.key_id)


def write_audit(node: Node, event: dict[str, Any], *, uow: Unit | None = None) -> Written:
    """Append one audit event, creating the audit record on first use.

    In the caller's unit of work, if given (stored with what it records, or not at all);
    else durably, on its own.
    """
    record = audit_record(node)
    data = kinds.validate_body("audit.event", event)
    with node._joined(uow) as unit:
        if not node._shape(record).heads:
            key = crypto.random_bytes(crypto.KEY_BYTES)
            draft = node._draft(record, "grant", node.info.name, ())
            unit.add(make_grant(draft, node.keys, key, node.default_recipients()))
            unit.keep_key(record, key)
        user = str(event.get("staff_id") or node.info.name)
        return node._append_body(unit, record, user, "audit.event", data)


def read_audit(node: Node) -> list[dict[str, Any]]:
    """Return this node's audit events, oldest first."""
    try:
        state = node.state(audit_record(node))
    except NotFound:
        return []
    events: list[dict[str, Any]] = state["items"].get("audit", [])
    # The fold lists them in write order; a stable sort by time keeps it for equal times.
    return sorted(events, key=lambda e: int(e.get("at_ms", 0)))
