"""A hub key transition: the trust root's statement that a hub's log goes on under a new key.

When a hub's signing key is lost or suspected stolen, the trust certifies a new hub key and
publishes, as a directory entry signed by the root (so it travels as certificates and
revocations do), the body

    {"kind": "hub-key-transition", "old": old key id, "new": new key id,
     "size": n, "root": 32 bytes, "at": ms since epoch, "old_sig": 64 bytes (optional)}

`size` and `root` are the last head of the old key's log that the trust vouches for; the
new key's log must extend it, and a head signed by the old key beyond it (or after `at`)
is refused. `old_sig`, present when the old key is still at hand, is the old key's Ed25519
signature over `TRANSITION_CONTEXT` followed by the canonical encoding of the body without
`old_sig`: the old key agreeing to hand over.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from carechain.entries import canonical, crypto
from carechain.errors import BadSignature, MalformedEntry
from carechain.transparency import empty_root

__all__ = ["TRANSITION_CONTEXT", "TRANSITION_KIND", "KeyTransition"]

TRANSITION_KIND = "hub-key-transition"
TRANSITION_CONTEXT = b"carechain-hub-key-transition-v1"

_FIELDS: dict[str, type] = {
    "kind": str,
    "old": bytes,
    "new": bytes,
    "size": int,
    "root": bytes,
    "at": int,
}


@dataclass(frozen=True)
class KeyTransition:
    """A hub log's move from one signing key to another, as the trust vouches for it."""

    old: bytes  # key id of the old hub key
    new: bytes  # key id of the new hub key
    size: int  # the last head of the old key's log the trust vouches for ...
    root: bytes  # ... and its root
    at_ms: int  # from this time on the old key signs nothing the nodes take
    old_sig: bytes | None = None

    def core(self) -> dict[str, Any]:
        """Return the body without the old key's signature."""
        return {
            "kind": TRANSITION_KIND,
            "old": self.old,
            "new": self.new,
            "size": self.size,
            "root": self.root,
            "at": self.at_ms,
        }

    def to_body(self) -> dict[str, Any]:
        """Return the directory entry's body."""
        body = self.core()
        if self.old_sig is not None:
            body["old_sig"] = self.old_sig
        return body

    def handover_message(self) -> bytes:
        """Return what the old key signs to agree to the transition."""
        return TRANSITION_CONTEXT + canonical.encode(self.core())

    def check_old_signature(self, old_public: bytes | None) -> None:
        """Check the old key's signature, when the statement carries one."""
        if self.old_sig is None:
            return
        if old_public is None or crypto.key_id(old_public) != self.old:
            raise BadSignature("hub key transition: the old key is unknown to check its signature")
        if not crypto.verify_signature(old_public, self.handover_message(), self.old_sig):
            raise BadSignature("hub key transition: the old key's signature does not verify")

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> KeyTransition:
        """Parse a directory entry's body (its root signature is checked by the directory)."""
        keys = set(body)
        if keys != set(_FIELDS) and keys != {*_FIELDS, "old_sig"}:
            raise MalformedEntry(f"a hub key transition holds exactly {sorted(_FIELDS)}")
        for key, kind in _FIELDS.items():
            if not isinstance(body[key], kind) or isinstance(body[key], bool):
                raise MalformedEntry(f"hub key transition: {key!r} must be {kind.__name__}")
        if body["kind"] != TRANSITION_KIND:
            raise MalformedEntry(f"a hub key transition has kind {TRANSITION_KIND!r}")
        old_sig = body.get("old_sig")
        if old_sig is not None and (not isinstance(old_sig, bytes) or len(old_sig) != 64):
            raise MalformedEntry("hub key transition: 'old_sig' must be 64 bytes")
        t = cls(body["old"], body["new"], body["size"], body["root"], body["at"], old_sig)
        if t.old == t.new:
            raise MalformedEntry("hub key transition: the new key is the old key")
        if len(t.root) != 32 or t.size < 0 or t.at_ms < 0:
            raise MalformedEntry("hub key transition: bad size or root")
        if t.size == 0 and t.root != empty_root():
            raise MalformedEntry("hub key transition: an empty log has the empty-tree root")
        return t

