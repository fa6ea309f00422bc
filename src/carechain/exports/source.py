"""What an export reads from a node: who signed each entry, and which records it can read.

Who may export, and the `record.export` audit entry every export leaves (P6), are the
application layer's (`carechain.operations.exports`).
"""

from __future__ import annotations

import base64

from carechain.errors import CarechainError
from carechain.exports.fhir import Signer
from carechain.node import Node
from carechain.node.audit import audit_record
from carechain.trust import DIRECTORY_RECORD

__all__ = ["exportable_records", "signers_of"]


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
