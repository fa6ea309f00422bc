"""The node directory: certificates and revocations, as directory entries signed by the root.

Directory entries live in the reserved record `DIRECTORY_RECORD` (sixteen zero bytes),
have class `directory`, are authored by the trust root key, and carry a public CBOR body:

    {"kind": "certificate", "cert": {cert, sig}}
    {"kind": "revocation", "key": key id, "at": ms since epoch, "reason": text}
    {"kind": "hub-key-transition", ...}   (see `carechain.trust.transition`)
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from carechain.entries import HLC, Draft, Entry, canonical, crypto, make_plain
from carechain.errors import (
    BadSignature,
    CertificateInvalid,
    MalformedEntry,
    Revoked,
    RoleNotAllowed,
    UnknownAuthor,
)
from carechain.trust.certificate import Certificate
from carechain.trust.keys import RootKey
from carechain.trust.transition import TRANSITION_KIND, KeyTransition

__all__ = [
    "DIRECTORY_RECORD",
    "Directory",
    "audit_record_of",
    "certificate_entry",
    "revocation_entry",
    "transition_entry",
]

DIRECTORY_RECORD = bytes(16)


def audit_record_of(key_id: bytes) -> bytes:
    """Return the id of the audit record kept by the node with this signing key id."""
    return hashlib.sha256(b"carechain-audit-v1:" + key_id).digest()[:16]


def certificate_entry(root: RootKey, cert: Certificate, hlc: HLC) -> Entry:
    """Return the directory entry that publishes a certificate."""
    draft = Draft(DIRECTORY_RECORD, "directory", "trust-root", hlc, (), ())
    return make_plain(draft, root, {"kind": "certificate", "cert": cert.to_map()})


def revocation_entry(root: RootKey, key_id: bytes, at_ms: int, reason: str, hlc: HLC) -> Entry:
    """Return the directory entry that revokes a node key from a time on."""
    draft = Draft(DIRECTORY_RECORD, "directory", "trust-root", hlc, (), ())
    body = {"kind": "revocation", "key": key_id, "at": at_ms, "reason": reason}
    return make_plain(draft, root, body)


def transition_entry(root: RootKey, statement: KeyTransition) -> Entry:
    """Return the directory entry that publishes a hub key transition."""
    draft = Draft(DIRECTORY_RECORD, "directory", "trust-root", HLC(statement.at_ms), (), ())
    return make_plain(draft, root, statement.to_body())


@dataclass
class Directory:
    """What a node knows of the trust: its root key, certificates, revocations and hub key
    transitions."""

    root_public: bytes
    certs: dict[bytes, list[Certificate]] = field(default_factory=dict)
    revoked: dict[bytes, tuple[int, str]] = field(default_factory=dict)
    # Hub key transitions, by the new key's id and by the old key's id.
    transitions: dict[bytes, KeyTransition] = field(default_factory=dict)
    handed_over: dict[bytes, KeyTransition] = field(default_factory=dict)

    @property
    def root_id(self) -> bytes:
        """Return the trust root's key id."""
        return crypto.key_id(self.root_public)

    def signing_key(self, entry: Entry) -> bytes | None:
        """Return the public key the entry's signature must verify under, if one is known."""
        if entry.header.cls == "directory":
            return self.root_public if entry.header.author == self.root_id else None
        certs = self.certs.get(entry.header.author)
        return certs[0].sig_key if certs else None

    def verify_batch(self, entries: Sequence[Entry]) -> list[bool | None]:
        """Verify the signatures of many entries at once (on every core).

        For each entry: whether its signature verifies under its author's key, or None
        when no key of its author is known yet (it may be certified earlier in the same
        batch); pass the answer to `check_signature`, which does every other check.
        """
        keys = [self.signing_key(e) for e in entries]
        known = [
            (k, e.id, e.signature) for k, e in zip(keys, entries, strict=True) if k is not None
        ]
        answers = iter(crypto.verify_many(known))
        return [None if k is None else next(answers) for k in keys]

    def check_signature(self, entry: Entry, signature_ok: bool | None = None) -> Certificate | None:
        """Check who signed the entry and that they might; return their certificate.

        `signature_ok` is `verify_batch`'s answer for the entry, if it has one for it.
        """
        if signature_ok is not None and self.signing_key(entry) is None:
            signature_ok = None  # the answer was for a key this directory no longer knows
        if entry.header.cls == "directory":
            if entry.header.author != self.root_id:
                raise UnknownAuthor(f"directory entry {entry.hex} is not by the trust root")
            if not (
                signature_ok
                if signature_ok is not None
                else crypto.verify_signature(self.root_public, entry.id, entry.signature)
            ):
                raise BadSignature(f"entry {entry.hex}: signature does not verify")
            return None
        certs = self.certs.get(entry.header.author)
        if not certs:
            raise UnknownAuthor(
                f"entry {entry.hex}: author key {entry.header.author.hex()[:16]} has no "
                "certificate from this trust"
            )
        if not (
            signature_ok
            if signature_ok is not None
            else crypto.verify_signature(certs[0].sig_key, entry.id, entry.signature)
        ):
            raise BadSignature(f"entry {entry.hex}: signature does not verify")
        at = entry.header.hlc.ms
        valid = [c for c in certs if c.valid_at(at)]
        if not valid:
            raise CertificateInvalid(
                f"entry {entry.hex}: no certificate of {certs[0].name!r} is valid at its time"
            )
        revoked = self.revoked.get(entry.header.author)
        if revoked is not None and at >= revoked[0]:
            raise Revoked(
                f"entry {entry.hex}: key of {certs[0].name!r} was revoked before the entry's "
                f"time ({revoked[1]})"
            )
        # A hub relays records; it writes none, only its own audit trail.
        if valid[0].role == "hub" and entry.header.record != audit_record_of(entry.header.author):
            raise RoleNotAllowed(
                f"entry {entry.hex}: hub {valid[0].name!r} may write only its own audit record"
            )
        return valid[0]

    def absorb(self, entry: Entry) -> None:
        """Learn from a directory entry whose signature has been checked."""
        body: Any = canonical.decode(entry.body)
        if not isinstance(body, dict):
            raise MalformedEntry(f"directory entry {entry.hex} body is not a map")
        if body.get("kind") == "certificate":
            cert = Certificate.from_map(body.get("cert"), self.root_public)
            known = self.certs.setdefault(cert.key_id, [])
            if cert not in known:
                known.append(cert)
        elif body.get("kind") == "revocation":
            key, at = body.get("key"), body.get("at")
            if not isinstance(key, bytes) or not isinstance(at, int):
                raise MalformedEntry(f"revocation {entry.hex} needs key and at")
            current = self.revoked.get(key)
            if current is None or at < current[0]:
                self.revoked[key] = (at, str(body.get("reason", "")))
        elif body.get("kind") == TRANSITION_KIND:
            self._absorb_transition(KeyTransition.from_body(body))
        else:
            raise MalformedEntry(f"directory entry {entry.hex} has unknown kind")

    def _absorb_transition(self, statement: KeyTransition) -> None:
        old_certs = self.certs.get(statement.old)
        statement.check_old_signature(old_certs[0].sig_key if old_certs else None)
        known = self.transitions.get(statement.new) or self.handed_over.get(statement.old)
        if known is not None and known.core() != statement.core():
            # One key hands over once, to one key: two statements that differ are the
            # trust's own mistake (or its root's theft); the first one stands.
            return
        self.transitions[statement.new] = statement
        self.handed_over[statement.old] = statement

    def predecessors(self, key_id: bytes) -> list[KeyTransition]:
        """Return the transitions that led to a hub key, the newest first."""
        chain: list[KeyTransition] = []
        seen = {key_id}
        step = self.transitions.get(key_id)
        while step is not None and step.old not in seen:
            chain.append(step)
            seen.add(step.old)
            step = self.transitions.get(step.old)
        return chain

    def certificate_for_box_key(self, box_key_id: bytes) -> Certificate | None:
        """Return the certificate that holds a receiving key."""
        for certs in self.certs.values():
            for cert in certs:
                if cert.box_key_id == box_key_id:
                    return cert
        return None

    def nodes(self, role: str | None = None) -> list[Certificate]:
        """Return the newest certificate of every known node, optionally of one role."""
        newest = [max(c, key=lambda x: x.exp) for c in self.certs.values()]
        return [c for c in newest if role is None or c.role == role]
