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

from typing import Any

import cbor2

from carechain.errors import BadEncoding

MAX_KEY_BYTES = 23

__all__ = ["decode", "encode"]


def _check(value: Any, path: str) -> None:
    """Refuse any value outside the signed subset of CBOR."""
    if value is None or isinstance(value, bool | int | str | bytes):
        return
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check(item, f"{path}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or len(key.encode()) > MAX_KEY_BYTES:
                raise BadEncoding(f"{path}: map keys must be text of at most 23 bytes")
            _check(item, f"{path}.{key}")
        return
    raise BadEncoding(f"{path}: type {type(value).__name__} is not allowed in signed data")


def encode(value: Any) -> bytes:
    """Encode a value in core deterministic CBOR."""
    _check(value, "$")
    return bytes(cbor2.dumps(value, canonical=True))


def decode(data: bytes) -> Any:
    """Decode core deterministic CBOR, refusing any other encoding of the same value."""
    try:
        value = cbor2.loads(data)
    except Exception as exc:  # cbor2 raises several unrelated types for bad input
        raise BadEncoding(f"not valid CBOR: {exc}") from None
    if encode(value) != data:
        raise BadEncoding("not the deterministic encoding of its own value")
    return value
