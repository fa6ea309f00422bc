"""Codes in, record back: every entry checked by `Node.ingest`, and nothing partial kept.

The entries are first ingested into a scratch copy of this node (its keys, its directory
and what it already holds of the record) in a temporary store: only when every entry
passes there (signature, certificate, revocation, parents, and a body addressed to this
node that opens) are they ingested into the node itself, in one transaction.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from carechain.entries import Entry, canonical, decode_entry
from carechain.errors import CarechainError, Forbidden, MalformedEntry, NotFound
from carechain.exports.qr._codes import join_codes, pack_entries, split_payload, unpack_entries
from carechain.node import Node
from carechain.store import SqliteStore
from carechain.trust import DIRECTORY_RECORD
from carechain.trust.directory import Directory

__all__ = ["Imported", "import_codes", "record_codes"]


def _authors_certificates(node: Node, authors: set[bytes]) -> list[Entry]:
    """Return the directory entries that certify these authors, and every revocation."""
    out = []
    for stored in node.store.record(DIRECTORY_RECORD):
        try:
            body = canonical.decode(stored.entry.body)
        except (ValueError, CarechainError):  # `carechain verify` reports a bad one
            continue
        if not isinstance(body, dict):
            continue
        if body.get("kind") == "revocation":
            out.append(stored.entry)
        elif body.get("kind") == "certificate":
            probe = Directory(node.directory.root_public)
            try:
                probe.absorb(stored.entry)
            except CarechainError:
                continue
            if authors & set(probe.certs):
                out.append(stored.entry)
    return out


def record_codes(node: Node, record: bytes) -> list[bytes]:
    """Return the codes that carry a record's signed entries, with its authors' certificates."""
    entries = [s.entry for s in node.store.record(record)]
    if not entries or record == DIRECTORY_RECORD:
        raise NotFound(f"no record {record.hex()}")
    authors = {e.header.author for e in entries}
    return split_payload(record, pack_entries(_authors_certificates(node, authors) + entries))


@dataclass(frozen=True)
class Imported:
    """What an import did."""

    record: bytes
    entries: int
    new: int
    codes: int


def _decode(payload: bytes) -> list[Entry]:
    out = []
    for i, wire in enumerate(unpack_entries(payload), start=1):
        try:
            out.append(decode_entry(wire))
        except CarechainError as exc:
            raise MalformedEntry(f"entry {i} in the codes: {exc.detail}") from None
    return out


def _addressed(node: Node, record: bytes, entries: Sequence[Entry]) -> None:
    """Refuse a record this node could never read: it is not among its recipients."""
    mine = node.keys.box_key_id
    granted = {r for e in entries if e.header.cls == "grant" and e.header.record == record
               for r in e.header.recipients}
    granted |= node.recipients(record) if node.store.record(record) else set()
    if mine in granted:
        return
    certs = [node.directory.certificate_for_box_key(r) for r in granted]
    names = sorted({c.name for c in certs if c is not None})
    raise Forbidden(
        f"record {record.hex()} is not addressed to {node.info.name}: its entries are "
        f"encrypted to {', '.join(names) or 'other nodes'} only; import the codes there"
    )


def _rehearse(node: Node, record: bytes, entries: Sequence[Entry]) -> None:
    """Ingest into a scratch copy of the node; raise the first refusal."""
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore(Path(tmp) / "rehearsal.db")
        try:
            store.append([s.entry for s in node.store.record(DIRECTORY_RECORD)])
            held = [s.entry for s in node.store.record(record)]
            if held:
                store.append(held)
            scratch = Node(info=node.info, keys=node.keys, store=store, clock=node.wall,
                           formulary=node.formulary)
            for result in scratch.ingest(list(entries)):
                if result.error is not None:
                    raise result.error
        finally:
            store.close()


def import_codes(node: Node, codes: Sequence[bytes]) -> Imported:
    """Check and store the record the codes carry; refuse all of it if any part fails."""
    joined = join_codes(codes)
    entries = _decode(joined.payload)
    others = {e.header.record for e in entries} - {joined.record, DIRECTORY_RECORD}
    if others:
        raise MalformedEntry(f"the codes of record {joined.record.hex()} hold entries of "
                             "another record")
    _addressed(node, joined.record, entries)
    _rehearse(node, joined.record, entries)
    results = node.ingest(entries)
    failed = [r.error for r in results if r.error is not None]
    if failed:  # changed between the rehearsal and now (say, a revocation synced in)
        raise failed[0]
    mine = [r for r, e in zip(results, entries, strict=True) if e.header.record == joined.record]
    return Imported(joined.record, len(mine), sum(1 for r in mine if r.new), joined.total)
