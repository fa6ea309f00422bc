"""Sync protocol v1 messages, as deterministic CBOR (see docs/sync-protocol.md).

Every message is a map with `"v": 1`. Entries travel in their stored wire form
(`[signed, signature]`), tree heads as 160 bytes (96-byte head ‖ 64-byte signature).
Decoders check shape and limits and raise `MalformedEntry`/`FieldInvalid` naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from carechain.entries import Entry, canonical, decode_entry
from carechain.errors import CarechainError, FieldInvalid, MalformedEntry
from carechain.transparency import SignedTreeHead, TreeHead

__all__ = [
    "MAX_BATCH",
    "MAX_SYNC_BYTES",
    "PROTOCOL_VERSION",
    "PullPage",
    "PushResult",
    "decode_head",
    "decode_heads",
    "decode_message",
    "encode_head",
    "encode_message",
]

PROTOCOL_VERSION = 1
MAX_BATCH = 1000
MAX_SYNC_BYTES = 32 * 1024 * 1024
CBOR = "application/cbor"


def encode_message(body: dict[str, Any]) -> bytes:
    """Encode a protocol message."""
    return canonical.encode({"v": PROTOCOL_VERSION, **body})


def decode_message(data: bytes) -> dict[str, Any]:
    """Decode a protocol message, checking its version."""
    value = canonical.decode(data)
    if not isinstance(value, dict):
        raise MalformedEntry("a sync message must be a map")
    if value.get("v") != PROTOCOL_VERSION:
        raise FieldInvalid("v", f"protocol version must be {PROTOCOL_VERSION}")
    return value


def encode_head(sth: SignedTreeHead) -> bytes:
    """Return a signed tree head's 160-byte wire form."""
    return sth.head.to_bytes() + sth.signature


def decode_head(data: Any, field: str = "head") -> SignedTreeHead:
    """Parse a signed tree head's wire form."""
    if not isinstance(data, bytes) or len(data) != 160:
        raise FieldInvalid(field, "must be a 160-byte signed tree head")
    try:
        return SignedTreeHead(TreeHead.from_bytes(data[:96]), data[96:])
    except ValueError as exc:
        raise FieldInvalid(field, str(exc)) from None


def decode_heads(value: Any) -> list[SignedTreeHead]:
    """Parse a list of gossiped heads."""
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > 64:
        raise FieldInvalid("heads", "must be a list of at most 64 signed tree heads")
    return [decode_head(h, f"heads[{i}]") for i, h in enumerate(value)]


def decode_entries(value: Any) -> list[Entry | CarechainError]:
    """Parse a batch of entries; a bad one becomes its error, in its place."""
    if not isinstance(value, list):
        raise FieldInvalid("entries", "must be a list of entries")
    if len(value) > MAX_BATCH:
        raise FieldInvalid("entries", f"must hold at most {MAX_BATCH} entries")
    out: list[Entry | CarechainError] = []
    for item in value:
        try:
            if not isinstance(item, bytes):
                raise MalformedEntry("each entry must be its wire bytes")
            out.append(decode_entry(item))
        except CarechainError as exc:
            out.append(exc)
    return out


@dataclass(frozen=True)
class PushResult:
    """The receiver's answer for one pushed entry."""

    id: bytes
    seq: int | None
    new: bool
    code: str | None = None
    detail: str | None = None
    proof: list[bytes] | None = None

    def to_wire(self) -> dict[str, Any]:
        """Return the result's map."""
        return {
            "id": self.id,
            "seq": self.seq,
            "new": self.new,
            "code": self.code,
            "detail": self.detail,
            "proof": self.proof,
        }

    @classmethod
    def from_wire(cls, m: Any) -> PushResult:
        """Parse a result map."""
        if not isinstance(m, dict) or not isinstance(m.get("id"), bytes):
            raise MalformedEntry("a push result is a map with an id")
        return cls(
            m["id"],
            m.get("seq"),
            bool(m.get("new")),
            m.get("code"),
            m.get("detail"),
            m.get("proof"),
        )


@dataclass(frozen=True)
class PullPage:
    """A page of entries after a cursor in the serving node's log."""

    entries: list[tuple[int, bytes, list[bytes] | None]]
    next: int
    more: bool
    head: SignedTreeHead | None
