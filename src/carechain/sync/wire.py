"""Sync protocol v1 messages, as deterministic CBOR (see docs/sync-protocol.md).

Every message is a map with `"v": 1`. Entries travel in their stored wire form
(`[signed, signature]`), tree heads as 160 bytes (96-byte head ‖ 64-byte signature).
Decoders check shape and limits and raise `MalformedEntry`/`FieldInvalid` naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import cbor2

from carechain.entries import Entry, canonical, decode_entry
from carechain.errors import CarechainError, FieldInvalid, MalformedEntry
from carechain.transparency import SignedTreeHead, TreeHead

__all__ = [
    "MAX_ASK",
    "MAX_BATCH",
    "MAX_POSITION",
    "MAX_SYNC_BYTES",
    "PROTOCOL_VERSION",
    "PullPage",
    "PushAnswer",
    "PushResult",
    "RangeProof",
    "RunProof",
    "decode_head",
    "decode_heads",
    "decode_message",
    "encode_head",
    "encode_message",
    "page_entries",
    "page_next",
    "page_runs",
]

PROTOCOL_VERSION = 1
MAX_BATCH = 1000
MAX_SYNC_BYTES = 32 * 1024 * 1024
# The largest log position or size a request may name: far beyond any log, and within
# what every store's integer column holds (so it is a field problem, never a 500).
MAX_POSITION = 2**62
MAX_ASK = 64  # entries asked for by id in one request
CBOR = "application/cbor"


def encode_message(body: dict[str, Any], *, deterministic: bool = True) -> bytes:
    """Encode a protocol message (built here, from known types: no type walk).

    `deterministic=False` leaves the map keys in the order given, at a quarter of the cost
    of sorting them: for a stream's answers, which their reader decodes with
    `strict=False` (nothing hashes or signs them).
    """
    message = {"v": PROTOCOL_VERSION, **body}
    return canonical.encode_own(message) if deterministic else bytes(cbor2.dumps(message))


def _hashes(value: Any, field: str) -> list[bytes]:
    if not isinstance(value, list) or not all(isinstance(h, bytes) for h in value):
        raise FieldInvalid(field, "must be a list of hashes")
    if len(value) > 128:
        raise FieldInvalid(field, "must hold at most 128 hashes")
    return list(value)


def decode_message(data: bytes, *, strict: bool = True) -> dict[str, Any]:
    """Decode a protocol message, checking its version.

    `strict=False` skips the check that the message is in deterministic encoding (each
    field is still checked by its reader): for the messages of a stream, a frame a second
    from each of a thousand tablets, where nothing hashes or signs the message itself.
    """
    value = canonical.decode(data) if strict else canonical.load(data)
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


def page_entries(page: dict[str, Any]) -> list[tuple[int, bytes, list[bytes] | None]]:
    """Return the `[seq, wire, proof]` items of a pull page or live message, checked."""
    items = page.get("entries")
    if not isinstance(items, list) or len(items) > 2 * MAX_BATCH:
        raise FieldInvalid("entries", "must be a list of [seq, entry, proof]")
    out: list[tuple[int, bytes, list[bytes] | None]] = []
    for item in items:
        if not isinstance(item, list) or len(item) not in (2, 3):
            raise FieldInvalid("entries", "each item must be [seq, entry, proof]")
        seq, wire = item[0], item[1]
        proof = item[2] if len(item) == 3 else None
        if not isinstance(seq, int) or isinstance(seq, bool) or not 0 < seq <= MAX_POSITION:
            raise FieldInvalid("entries", "each seq must be a log position")
        if not isinstance(wire, bytes):
            raise FieldInvalid("entries", "each entry must be its wire bytes")
        out.append((seq, wire, None if proof is None else _hashes(proof, "entries.proof")))
    return out


def page_next(page: dict[str, Any]) -> tuple[int, bool]:
    """Return where a pull page or live message ends (`next`) and whether `more` follow."""
    cursor, more = page.get("next"), page.get("more", False)
    if not isinstance(cursor, int) or isinstance(cursor, bool):
        raise FieldInvalid("next", "must be a log position")
    if not 0 <= cursor <= MAX_POSITION:
        raise FieldInvalid("next", "must be a log position")
    if not isinstance(more, bool):
        raise FieldInvalid("more", "must be true or false")
    return cursor, more


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

    def to_wire(self) -> list[Any]:
        """Return the result as `[id, seq, new]`, then `code, detail` and `proof` if any.

        An array, not a map: a push of 500 entries is answered 500 times, and arrays
        encode and decode about three times faster.
        """
        if self.proof is not None:
            return [self.id, self.seq, self.new, self.code, self.detail, self.proof]
        if self.code is not None:
            return [self.id, self.seq, self.new, self.code, self.detail]
        return [self.id, self.seq, self.new]

    @classmethod
    def from_wire(cls, m: Any) -> PushResult:
        """Parse a result array."""
        if not isinstance(m, list) or len(m) not in (3, 5, 6) or not isinstance(m[0], bytes):
            raise MalformedEntry("a push result is [id, seq, new] (then code, detail, proof)")
        seq = m[1]
        if seq is not None and (not isinstance(seq, int) or isinstance(seq, bool)):
            raise MalformedEntry("a push result's seq must be a log position or null")
        code = m[3] if len(m) > 3 else None
        detail = m[4] if len(m) > 4 else None
        proof = m[5] if len(m) > 5 else None
        if proof is not None and (
            not isinstance(proof, list) or not all(isinstance(h, bytes) for h in proof)
        ):
            raise MalformedEntry("a push result's proof must be a list of hashes")
        return cls(m[0], seq, bool(m[2]), code, detail, proof)


@dataclass(frozen=True)
class RangeProof:
    """One proof that a push's newly stored entries are in the log (see `verify_range`).

    The new entries of one push are stored in one transaction, so they hold consecutive
    log positions `first`, `first + 1`, … in the order they were pushed. `left` holds
    the hashes of the full subtrees of the log before `first`; `consistency` proves the
    log that ends with them is a prefix of the answer's signed head.
    """

    first: int
    left: list[bytes]
    consistency: list[bytes]

    def to_wire(self) -> dict[str, Any]:
        """Return the proof's map."""
        return {"first": self.first, "left": self.left, "consistency": self.consistency}

    @classmethod
    def from_wire(cls, m: Any) -> RangeProof | None:
        """Parse a range proof (None if the answer carries none)."""
        if m is None:
            return None
        if not isinstance(m, dict):
            raise FieldInvalid("range", "must be a map")
        first = m.get("first")
        if not isinstance(first, int) or isinstance(first, bool) or first < 1:
            raise FieldInvalid("range.first", "must be a log position (1 or more)")
        return cls(
            first,
            _hashes(m.get("left"), "range.left"),
            _hashes(m.get("consistency"), "range.consistency"),
        )


@dataclass(frozen=True)
class PushAnswer:
    """A receiver's whole answer to a push: per entry, the head, and the range proof."""

    results: list[PushResult]
    head: SignedTreeHead | None
    range: RangeProof | None = None

    def to_wire(self) -> dict[str, Any]:
        """Return the answer's fields (without the gossip a route adds)."""
        return {
            "results": [r.to_wire() for r in self.results],
            "head": None if self.head is None else encode_head(self.head),
            "range": None if self.range is None else self.range.to_wire(),
        }


@dataclass(frozen=True)
class RunProof:
    """One proof for a run of consecutive log positions in a pulled page or a live message.

    The page's items at positions `first` … `first + count - 1` come without proofs of
    their own: `left` holds the hashes of the full subtrees of the log before `first`, and
    `consistency` proves that the log ending with the run is a prefix of the page's signed
    head (`verify_range`). O(run + log size) hashes instead of an inclusion proof each.
    """

    first: int
    count: int
    left: list[bytes]
    consistency: list[bytes]

    def to_wire(self) -> list[Any]:
        """Return the proof as `[first, count, left, consistency]`."""
        return [self.first, self.count, self.left, self.consistency]


def page_runs(page: dict[str, Any]) -> list[RunProof]:
    """Return the run proofs of a pull page or live message (none if it carries none)."""
    value = page.get("runs")
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_BATCH:
        raise FieldInvalid("runs", "must be a list of [first, count, left, consistency]")
    out: list[RunProof] = []
    for item in value:
        if not isinstance(item, list) or len(item) != 4:
            raise FieldInvalid("runs", "each run must be [first, count, left, consistency]")
        first, count = item[0], item[1]
        for name, number in (("first", first), ("count", count)):
            if not isinstance(number, int) or isinstance(number, bool):
                raise FieldInvalid(f"runs.{name}", "must be a whole number")
        if not 0 < first <= MAX_POSITION or not 0 < count <= 2 * MAX_BATCH:
            raise FieldInvalid("runs", "each run must name log positions within the page")
        left = _hashes(item[2], "runs.left")
        out.append(RunProof(first, count, left, _hashes(item[3], "runs.consistency")))
    return out


@dataclass(frozen=True)
class PullPage:
    """A page of entries after a cursor in the serving node's log."""

    entries: list[tuple[int, bytes, list[bytes] | None]]
    next: int
    more: bool
    head: SignedTreeHead | None
    runs: list[RunProof] = field(default_factory=list)
