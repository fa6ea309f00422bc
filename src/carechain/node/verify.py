"""Check every entry of a store: encoding, id, signature, certificate, revocation,
decryptability where this node is a recipient, and the parent graph; and the log as a
whole against the node's own signed head of it (store/sealed.py).

Findings name the entry (log position and id) and the rule it breaks, or, for the log as a
whole, the first position affected; a clean store gives no findings. docs/storage.md says
exactly what this proves and what it cannot.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from carechain.entries import Entry, decode_signed, open_body, open_grant
from carechain.errors import CarechainError, Undecryptable
from carechain.node.service import Node
from carechain.store import RawRow
from carechain.store.sealed import check_sealed
from carechain.trust import DIRECTORY_RECORD, Directory

__all__ = ["Finding", "verify_node", "verify_record"]


@dataclass(frozen=True)
class Finding:
    """One bad entry and what is wrong with it."""

    seq: int
    entry: str
    code: str
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """Return the finding as JSON."""
        return {"seq": self.seq, "entry": self.entry, "code": self.code, "detail": self.detail}


def _decode(rows: Iterable[RawRow], findings: list[Finding]) -> list[tuple[int, Entry]]:
    good: list[tuple[int, Entry]] = []
    for row in rows:
        try:
            entry = decode_signed(row.signed, row.signature)
        except CarechainError as exc:
            findings.append(Finding(row.seq, row.id.hex(), exc.code, exc.detail))
            continue
        if hashlib.sha256(row.signed).digest() != row.id:
            findings.append(
                Finding(
                    row.seq,
                    row.id.hex(),
                    "bad-id",
                    f"content hashes to {entry.hex}, not the stored id",
                )
            )
            continue
        if entry.header.record != row.record:
            findings.append(
                Finding(
                    row.seq,
                    row.id.hex(),
                    "bad-encoding",
                    "stored record column differs from the signed header",
                )
            )
            continue
        good.append((row.seq, entry))
    return good


def _check(
    node: Node, directory: Directory, entries: list[tuple[int, Entry]], findings: list[Finding]
) -> None:
    by_id = {e.id: e for _, e in entries}
    keys: dict[bytes, bytes] = {}
    for seq, e in entries:
        try:
            directory.check_signature(e)
            for p in e.header.parents:
                parent = by_id.get(p)
                if parent is None or parent.header.record != e.header.record:
                    raise CarechainError(f"parent {p.hex()} is missing or of another record")
            if e.header.cls == "grant" and node.keys.box_key_id in e.header.recipients:
                key = open_grant(e, node.keys.box_key_id, node.keys.box_private)
                if key is None:
                    raise Undecryptable("grant names this node but holds no key for it")
                keys.setdefault(e.header.record, key)
        except CarechainError as exc:
            code = "bad-parents" if type(exc) is CarechainError else exc.code
            findings.append(Finding(seq, e.hex, code, exc.detail))
    for seq, e in entries:
        if (
            e.header.cls in ("grant", "directory")
            or node.keys.box_key_id not in e.header.recipients
        ):
            continue
        key = keys.get(e.header.record)
        try:
            if key is None:
                raise Undecryptable("no grant to this node holds the record's key")
            open_body(e, key)
        except CarechainError as exc:
            findings.append(Finding(seq, e.hex, exc.code, exc.detail))


def _directory(node: Node, entries: list[tuple[int, Entry]], findings: list[Finding]) -> Directory:
    directory = Directory(node.directory.root_public)
    for seq, e in entries:
        if e.header.record != DIRECTORY_RECORD:
            continue
        try:
            directory.check_signature(e)
            directory.absorb(e)
        except CarechainError as exc:
            findings.append(Finding(seq, e.hex, exc.code, exc.detail))
    return directory


def verify_node(node: Node) -> list[Finding]:
    """Verify every entry in the node's store, and the log against the node's own head."""
    findings: list[Finding] = []
    entries = _decode(node.store.raw(), findings)
    directory = _directory(node, entries, findings)
    rest = [(s, e) for s, e in entries if e.header.record != DIRECTORY_RECORD]
    _check(node, directory, rest, findings)
    for f in check_sealed(node.store, node.keys.sign_public):
        findings.append(Finding(f.seq, "", f.code, f.detail))
    return sorted(findings, key=lambda f: f.seq)


def verify_record(node: Node, record: bytes) -> list[Finding]:
    """Verify the entries of one record against the node's directory."""
    findings: list[Finding] = []
    rows = node.store.raw_record(record)
    entries = _decode(rows, findings)
    _check(node, node.directory, entries, findings)
    return sorted(findings, key=lambda f: f.seq)
