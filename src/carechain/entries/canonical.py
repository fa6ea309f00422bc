"""Deterministic CBOR (RFC 8949 §4.2.1, core deterministic encoding) for headers and ids.

carechain encodes only integers, byte strings, text strings, arrays, maps with text keys,
booleans and null in anything that is hashed or signed; floats never appear there. For
such values `cbor2`'s canonical mode is exactly the core deterministic encoding: shortest
heads, definite lengths, and map keys sorted by their encoded bytes (for text keys
shorter than 24 bytes that is length first, then bytewise). Keys are kept under 24 bytes.

Decoding is strict: bytes are accepted only if re-encoding the decoded value gives the
same bytes back, so every accepted value has exactly one encoding and one id.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import cbor2

from carechain.entries._scan import MAX_DEPTH, MAX_ITEMS, scan
from carechain.errors import BadEncoding

MAX_KEY_BYTES = 23

__all__ = [
    "MAX_DEPTH",
    "MAX_ITEMS",
    "decode",
    "encode",
    "encode_own",
    "encode_pair",
    "key_order",
    "load",
    "same_encoding",
    "scan",
]


_SCALARS = frozenset((type(None), bool, int, str, bytes))


def _key_bytes(key: str) -> int:
    return len(key) if key.isascii() else len(key.encode())


def _check(value: Any, path: str) -> None:
    """Refuse any value outside the signed subset of CBOR."""
    kind = type(value)
    if kind in _SCALARS or isinstance(value, bool | int | str | bytes):
        return
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            if type(item) not in _SCALARS:  # scalars need no call of their own
                _check(item, f"{path}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or _key_bytes(key) > MAX_KEY_BYTES:
                raise BadEncoding(f"{path}: map keys must be text of at most 23 bytes")
            if type(item) not in _SCALARS:
                _check(item, f"{path}.{key}")
        return
    raise BadEncoding(f"{path}: type {type(value).__name__} is not allowed in signed data")


def encode(value: Any) -> bytes:
    """Encode a value in core deterministic CBOR."""
    _check(value, "$")
    return bytes(cbor2.dumps(value, canonical=True))


def encode_pair(first: bytes, second: bytes) -> bytes:
    """Encode a two-item array of byte strings (an entry's wire form) without a type walk."""
    if type(first) is not bytes or type(second) is not bytes:
        raise BadEncoding("$: a pair must hold two byte strings")
    return bytes(cbor2.dumps([first, second]))


def encode_own(value: Any) -> bytes:
    """Encode a value this program built from known types (a protocol message), without
    the type walk `encode` does for data that will be hashed or signed."""
    return bytes(cbor2.dumps(value, canonical=True))


def decode(data: bytes, *, max_items: int = MAX_ITEMS) -> Any:
    """Decode core deterministic CBOR, refusing any other encoding of the same value.

    The bytes are scanned first (`scan`): tags, indefinite lengths, floats, deep nesting
    and more than `max_items` items are refused before cbor2 sees them."""
    if not isinstance(data, bytes):
        raise BadEncoding("expected CBOR bytes")
    scan(data, max_items=max_items)
    try:
        value = cbor2.loads(data)
    except Exception as exc:  # cbor2 raises several unrelated types for bad input
        raise BadEncoding(f"not valid CBOR: {exc}") from None
    _check(value, "$")
    if cbor2.dumps(value, canonical=True) != data:
        raise BadEncoding("not the deterministic encoding of its own value")
    return value


def load(data: bytes, *, max_items: int = MAX_ITEMS) -> Any:
    """Decode CBOR without requiring the deterministic encoding: for messages that are
    neither hashed nor signed, whose every field the reader checks. Scanned first, as
    `decode` is."""
    if not isinstance(data, bytes):
        raise BadEncoding("expected CBOR bytes")
    scan(data, max_items=max_items)
    try:
        return cbor2.loads(data)
    except Exception as exc:  # cbor2 raises several unrelated types for bad input
        raise BadEncoding(f"not valid CBOR: {exc}") from None


def same_encoding(value: Any, data: bytes) -> bool:
    """Return whether `data` is the deterministic encoding of `value`.

    Only for a value the caller has already checked to hold nothing but integers, byte and
    text strings and arrays of them, in maps whose keys it has checked to be in
    deterministic order (`key_order`): for such a value cbor2's plain encoder gives the
    deterministic bytes (shortest heads, definite lengths, keys as they come), at about
    half the cost of its canonical mode, which sorts every map again.
    """
    try:
        return bytes(cbor2.dumps(value)) == data
    except Exception:  # a value cbor2 decodes but cannot encode is not ours
        return False


def key_order(keys: Iterable[str]) -> list[str]:
    """Return text keys (under 24 bytes) in deterministic order: shortest first, then
    bytewise."""
    return sorted(keys, key=lambda k: (len(k.encode()), k.encode()))
