"""The entry: a signed header over an encrypted body, named by the hash of both.

Signed map (deterministic CBOR, see docs/canonical-encoding.md):

    {"v": 1, "rec": record id (16 bytes), "cls": entry class, "aut": author key id (32),
     "usr": the author user id sealed under the record's key, "hlc": [ms, counter],
     "par": sorted parent ids,
     "rcp": sorted recipient key ids, "non": AEAD nonce (24 bytes, or empty),
     "len": body length, "body": body bytes}

The id is SHA-256 of that encoding; the signature is Ed25519 over the id. The AEAD's
associated data is the same map without "body", so a ciphertext cannot be moved to
another record, author or recipient set without failing to decrypt.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from carechain.entries import canonical
from carechain.entries._parse import parse_pair, parse_signed
from carechain.entries.hlc import HLC
from carechain.errors import BadEncoding, BadId, CarechainError, MalformedEntry

__all__ = [
    "ENTRY_CLASSES",
    "MAX_BODY_BYTES",
    "MAX_SEALED_USER_BYTES",
    "MAX_USER_BYTES",
    "Entry",
    "Header",
    "decode_entry",
    "decode_signed",
]

FORMAT_VERSION = 1
ENTRY_CLASSES = ("clinical", "grant", "stream", "audit", "directory")
MAX_BODY_BYTES = 256 * 1024
MAX_PARENTS = 64
MAX_RECIPIENTS = 64
MAX_USER_CHARS = 128
MAX_USER_BYTES = 4 * MAX_USER_CHARS  # UTF-8
USER_BLOCK = 32  # a sealed user id is padded to a multiple of this: its length says little
# nonce, the padded id (at least one byte of padding), the AEAD tag
MAX_SEALED_USER_BYTES = 24 + (MAX_USER_BYTES // USER_BLOCK + 1) * USER_BLOCK + 16
RECORD_ID_BYTES = 16
HASH_BYTES = 32


@dataclass(frozen=True)
class Header:
    """Routing metadata that the hub may read, all of it signed.

    `sealed_user` is the acting person's staff id sealed under the record's content key
    (`carechain.entries.sealing.seal_user`), empty for directory entries: the hub sees
    that someone acted, not who."""

    record: bytes
    cls: str
    author: bytes
    sealed_user: bytes
    hlc: HLC
    parents: tuple[bytes, ...] = ()
    recipients: tuple[bytes, ...] = ()
    nonce: bytes = b""

    def aad_map(self, body_length: int) -> dict[str, Any]:
        """Return the signed map without the body: the AEAD's associated data."""
        return {
            "v": FORMAT_VERSION,
            "rec": self.record,
            "cls": self.cls,
            "aut": self.author,
            "usr": self.sealed_user,
            "hlc": self.hlc.to_wire(),
            "par": list(self.parents),
            "rcp": list(self.recipients),
            "non": self.nonce,
            "len": body_length,
        }

    def aad(self, body_length: int) -> bytes:
        """Return the associated data bound into the body's AEAD."""
        return canonical.encode(self.aad_map(body_length))


@dataclass(frozen=True)
class Entry:
    """An immutable, signed entry; `signed` is its exact canonical encoding."""

    header: Header
    body: bytes
    signature: bytes
    signed: bytes = field(repr=False)
    id: bytes

    @classmethod
    def assemble(
        cls, header: Header, body: bytes, signature: bytes, *, aad: bytes | None = None
    ) -> Entry:
        """Encode a header and body and name the result.

        `aad`, if the caller has it, is `header.aad(len(body))`: the signed map is that map
        with `"body"` added, and `"body"` is its last key in deterministic order (the
        longest), so the encoding is the AAD's items under an 11-item map head, then the
        body: no second encoding of the header.
        """
        if aad is not None and aad[:1] == _AAD_HEAD:
            signed = _SIGNED_HEAD + aad[1:] + _BODY_KEY + canonical.encode_own(body)
        else:
            signed_map = header.aad_map(len(body))
            signed_map["body"] = body
            signed = canonical.encode(signed_map)
        return cls(header, body, signature, signed, hashlib.sha256(signed).digest())

    def signed_with(self, signature: bytes) -> Entry:
        """Return this entry with a signature over its id (the encoding is unchanged)."""
        return Entry(self.header, self.body, signature, self.signed, self.id)

    def aad(self) -> bytes:
        """Return the associated data its body was sealed with: `header.aad(len(body))`.

        That is the signed map without `"body"`, which is its last key: the signed
        encoding's items but the last, under a 10-item map head (see `assemble`). Taken
        from the signed bytes when they have that shape, so opening a body re-encodes
        nothing; otherwise encoded from the header.
        """
        tail = _BODY_KEY + canonical.encode_own(self.body)
        if self.signed[:1] == _SIGNED_HEAD and self.signed.endswith(tail):
            return _AAD_HEAD + self.signed[1 : len(self.signed) - len(tail)]
        return self.header.aad(len(self.body))

    @property
    def hex(self) -> str:
        """Return the id as lowercase hex."""
        return self.id.hex()

    def to_wire(self) -> bytes:
        """Return the entry as it travels and is stored: [signed map bytes, signature]."""
        return canonical.encode_pair(self.signed, self.signature)


_FIELDS = {"v", "rec", "cls", "aut", "usr", "hlc", "par", "rcp", "non", "len", "body"}
_ORDER = canonical.key_order(_FIELDS)
_AAD_HEAD = b"\xaa"  # a map of the 10 header fields
_SIGNED_HEAD = b"\xab"  # a map of those and "body"
_BODY_KEY = b"\x64body"


def _need(m: dict[str, Any], key: str, kind: type) -> Any:
    value = m.get(key)
    if type(value) is not kind:
        raise MalformedEntry(f"entry field {key!r} is missing or has the wrong type")
    return value


def _hash_list(m: dict[str, Any], key: str, limit: int) -> tuple[bytes, ...]:
    items = _need(m, key, list)
    if len(items) > limit:
        raise MalformedEntry(f"entry field {key!r} has more than {limit} items")
    if not all(type(i) is bytes and len(i) == HASH_BYTES for i in items):
        raise MalformedEntry(f"entry field {key!r} must hold 32-byte ids")
    if items != sorted(set(items)):
        raise BadEncoding(f"entry field {key!r} must be sorted and without repeats")
    return tuple(items)


_LIMITS = (MAX_PARENTS, MAX_RECIPIENTS, MAX_SEALED_USER_BYTES, MAX_BODY_BYTES)
# The most items a well-formed signed map holds: 11 keys and values, the HLC's 2, the
# parents and recipients; the slow reader refuses more before decoding.
_MAX_ITEMS = 2 * len(_FIELDS) + 2 + MAX_PARENTS + MAX_RECIPIENTS


def decode_signed(signed: bytes, signature: bytes) -> Entry:
    """Parse a signed map and signature, checking encoding and shape (not the signature)."""
    f = parse_signed(signed, _LIMITS) if isinstance(signed, bytes) else None
    if f is None:
        raise _explain(signed)
    if not isinstance(signature, bytes) or len(signature) != 64:
        raise MalformedEntry("entry signature must be 64 bytes")
    header = Header(
        record=f.record,
        cls=f.cls,
        author=f.author,
        sealed_user=f.sealed_user,
        hlc=HLC(f.ms, f.counter),
        parents=f.parents,
        recipients=f.recipients,
        nonce=f.nonce,
    )
    return Entry(header, f.body, signature, signed, hashlib.sha256(signed).digest())


def _explain(signed: Any) -> CarechainError:
    """Say why bytes are not a well-formed, canonically encoded signed map."""
    m = canonical.load(signed, max_items=_MAX_ITEMS)  # bounded: scanned before decoding
    if not isinstance(m, dict):
        raise MalformedEntry("an entry must be a map")
    if m.keys() != _FIELDS:
        raise MalformedEntry(f"entry fields must be exactly {sorted(_FIELDS)}")
    if list(m) != _ORDER:
        raise BadEncoding("entry fields are not in deterministic order")
    if type(m["v"]) is not int or m["v"] != FORMAT_VERSION:
        raise MalformedEntry(f"entry format version {m['v']!r} is not supported")
    if len(_need(m, "rec", bytes)) != RECORD_ID_BYTES:
        raise MalformedEntry("entry field 'rec' must be 16 bytes")
    cls_ = _need(m, "cls", str)
    if cls_ not in ENTRY_CLASSES:
        raise MalformedEntry(f"entry class {cls_!r} is not one of {', '.join(ENTRY_CLASSES)}")
    if len(_need(m, "aut", bytes)) != HASH_BYTES:
        raise MalformedEntry("entry field 'aut' must be 32 bytes")
    if len(_need(m, "usr", bytes)) > MAX_SEALED_USER_BYTES:
        raise MalformedEntry(f"entry field 'usr' is longer than {MAX_SEALED_USER_BYTES} bytes")
    try:
        HLC.from_wire(m["hlc"])
    except ValueError as exc:
        raise MalformedEntry(f"entry field 'hlc': {exc}") from None
    _need(m, "non", bytes)
    body = _need(m, "body", bytes)
    if len(body) > MAX_BODY_BYTES:
        raise MalformedEntry(f"entry body is larger than {MAX_BODY_BYTES} bytes")
    if _need(m, "len", int) != len(body):
        raise MalformedEntry("entry field 'len' does not match the body length")
    _hash_list(m, "par", MAX_PARENTS)
    _hash_list(m, "rcp", MAX_RECIPIENTS)
    # Every field has its exact type and the keys their order: what is left is an
    # encoding that is not the shortest (a long head, say).
    return BadEncoding("not the deterministic encoding of its own value")


def decode_entry(wire: bytes, *, expected_id: bytes | None = None) -> Entry:
    """Parse an entry from its wire form; check its id against `expected_id` if given."""
    pair = parse_pair(wire) if isinstance(wire, bytes) else None
    if pair is None:
        found = canonical.load(wire, max_items=16)  # bounded: scanned before decoding
        if type(found) is not list or len(found) != 2 or not all(type(p) is bytes for p in found):
            raise MalformedEntry("an entry travels as [signed bytes, signature]")
        raise BadEncoding("not the deterministic encoding of its own value")
    entry = decode_signed(pair[0], pair[1])
    if expected_id is not None and entry.id != expected_id:
        raise BadId(f"entry content hashes to {entry.hex}, not {expected_id.hex()}")
    return entry
