"""What an export reads from a node: a record's state, who signed each entry, the audit.

Every export of a record leaves a `record.export` audit event in the node's signed log
(P6), written with `carechain.node.audit.write_audit`.
"""

from __future__ import annotations

import base64
from typing import Any

from carechain.accounts import audit_event
from carechain.errors import CarechainError
from carechain.exports.fhir import Signer
from carechain.node import Node
from carechain.node.audit import audit_record, write_audit
from carechain.trust import DIRECTORY_RECORD

__all__ = ["audit_export", "exportable_records", "signers_of"]


def signers_of(node: Node, record: bytes) -> dict[str, Signer]:
    """Return entry id (hex) -> who signed it, for every entry of a record on this node."""
    out: dict[str, Signer] = {}
    for stored in node.store.record(record):
        entry = stored.entry
        out[entry.hex] = Signer(
            node=node.author_name(entry.header.author),
            key=entry.header.author.hex(),
            signature=base64.b64encode(entry.signature).decode("ascii"),
        )
    return out


def exportable_records(node: Node) -> list[bytes]:
    """Return the records on this node that it can read (not its directory or audit log)."""
    skip = {DIRECTORY_RECORD, audit_record(node)}
    found = []
    for summary in node.store.records():
        if summary.record in skip:
            continue
        try:
            node.content_key(summary.record)
        except CarechainError:  # a record this node cannot open is left out
            continue
        found.append(summary.record)
    return found


def audit_export(node: Node, *, staff_id: str, role: str, record: bytes, fmt: str,
                 outcome: str = "success", detail: dict[str, Any] | None = None) -> None:
    """Write the `record.export` audit event of one record's export."""
    event = audit_event(
        "record.export",
        staff_id=staff_id,
        role=role,
        at_ms=node.clock_ms(),
        outcome=outcome,  # type: ignore[arg-type]
        record=record.hex(),
        detail={"format": fmt, **(detail or {})},
    )
    write_audit(node, event)
