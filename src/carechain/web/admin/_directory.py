"""Enrol and revoke from the console: check an uploaded directory entry file and store it.

The console never holds the trust root key. `carechain trust certify` and `carechain trust
revoke`, run where the root is kept, write a directory entry (its wire bytes); an admin
uploads that file here. The node checks that it is a directory entry of the expected
kind, signed by the trust root it was enrolled with, and stores it in its directory
record, from where sync carries it to every node. A refused file stores nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

from carechain.entries import Entry, canonical, decode_entry
from carechain.errors import CarechainError, FieldInvalid
from carechain.node import Node
from carechain.trust import DIRECTORY_RECORD, Certificate

__all__ = ["MAX_FILE_BYTES", "DirectoryChange", "Kind", "store_upload"]

Kind = Literal["certificate", "revocation"]

# A certificate or revocation entry is a few hundred bytes; anything much larger is not one.
MAX_FILE_BYTES = 16 * 1024

_MADE_BY = {"certificate": "carechain trust certify", "revocation": "carechain trust revoke"}
_OTHER_FORM = {"certificate": "Enrol", "revocation": "Revoke"}


@dataclass(frozen=True)
class DirectoryChange:
    """What an accepted upload put in (or found already in) the directory."""

    kind: Kind
    entry: Entry
    key_id: bytes
    new: bool
    name: str | None = None
    role: str | None = None
    org: str | None = None
    at_ms: int | None = None
    reason: str | None = None

    def audit_detail(self) -> dict[str, Any]:
        """Return the specifics the audit event records."""
        detail: dict[str, Any] = {"directory": self.kind, "node": self.name,
                                  "key": self.key_id.hex(), "entry": self.entry.hex,
                                  "changed": self.new}
        if self.kind == "certificate":
            detail.update(node_role=self.role, org=self.org)
        else:
            detail.update(at_ms=self.at_ms, reason=self.reason)
        return detail


def _refuse(rule: str) -> FieldInvalid:
    return FieldInvalid("file", rule)


def _parse(node: Node, data: bytes, expected: Kind) -> tuple[Entry, dict[str, Any]]:
    """Return the entry and its body if the file is a root-signed directory entry of the
    expected kind, else raise FieldInvalid("file", why)."""
    made_by = _MADE_BY[expected]
    if not data:
        raise _refuse(f"Choose the {expected} entry file that \"{made_by}\" wrote.")
    if len(data) > MAX_FILE_BYTES:
        raise _refuse(f"This file is too large to be a {expected} entry "
                      f"(at most {MAX_FILE_BYTES // 1024} KB).")
    try:
        entry = decode_entry(data)
    except CarechainError:
        raise _refuse(f"This file is not a carechain entry: upload the file that "
                      f"\"{made_by}\" wrote.") from None
    if entry.header.cls != "directory" or entry.header.record != DIRECTORY_RECORD:
        raise _refuse(f"This is a {entry.header.cls} entry, not a directory entry: upload "
                      f"the file that \"{made_by}\" wrote.")
    try:
        node.directory.check_signature(entry)
    except CarechainError:
        raise _refuse("This entry is not signed by this trust's root key (root "
                      f"{node.directory.root_id.hex()[:16]}…): it was made by another "
                      "trust, or altered after signing. Nothing was stored.") from None
    try:
        body = canonical.decode(entry.body)
    except CarechainError as exc:
        raise _refuse(f"The entry's body is malformed ({exc.detail}).") from None
    if not isinstance(body, dict) or body.get("kind") not in _MADE_BY:
        raise _refuse("The entry's body is neither a certificate nor a revocation.")
    if body["kind"] != expected:
        raise _refuse(f"This is a {body['kind']} entry: use the "
                      f"{_OTHER_FORM[body['kind']]} form for it.")
    return entry, body


def _describe(node: Node, entry: Entry, body: dict[str, Any], new: bool) -> DirectoryChange:
    if body["kind"] == "certificate":
        cert = Certificate.from_map(body.get("cert"), node.directory.root_public)
        return DirectoryChange("certificate", entry, cert.key_id, new, name=cert.name,
                               role=cert.role, org=cert.org)
    key, at = body.get("key"), body.get("at")
    if not isinstance(key, bytes) or len(key) != 32 or isinstance(at, bool) \
            or not isinstance(at, int):
        raise _refuse("The revocation is malformed: it needs a 32-byte key id and a time.")
    certs = node.directory.certs.get(key) or []
    name = max(certs, key=lambda c: c.exp).name if certs else None
    return DirectoryChange("revocation", entry, key, new, name=name, at_ms=at,
                           reason=str(body.get("reason", "")))


def store_upload(node: Node, data: bytes, expected: Kind) -> DirectoryChange:
    """Verify an uploaded directory entry file and store it; raise FieldInvalid("file")."""
    entry, body = _parse(node, data, expected)
    try:
        change = _describe(node, entry, body, False)  # check the certificate before storing
    except CarechainError as exc:
        if isinstance(exc, FieldInvalid) and exc.field == "file":
            raise
        raise _refuse(f"The {expected} in this entry is not valid: {exc.detail}") from None
    result = node.ingest([entry])[0]
    if result.error is not None:
        raise _refuse(f"The node refused this entry: {result.error.detail}")
    return replace(change, new=result.new)
