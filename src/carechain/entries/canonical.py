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

__all__ = ["decode", "decode_shape", "encode", "encode_own", "encode_pair", "load"]


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


def decode(data: bytes) -> Any:
    """Decode core deterministic CBOR, refusing any other encoding of the same value."""
    try:
        value = cbor2.loads(data)
    except Exception as exc:  # cbor2 raises several unrelated types for bad input
        raise BadEncoding(f"not valid CBOR: {exc}") from None
    _check(value, "$")
    if cbor2.dumps(value, canonical=True) != data:
        raise BadEncoding("not the deterministic encoding of its own value")
    return value


def load(data: bytes) -> Any:
    """Decode CBOR without requiring the deterministic encoding: for messages that are
    neither hashed nor signed, whose every field the reader checks."""
    try:
        return cbor2.loads(data)
    except Exception as exc:  # cbor2 raises several unrelated types for bad input
        raise BadEncoding(f"not valid CBOR: {exc}") from None


def decode_shape(data: bytes) -> Any:
    """Decode core deterministic CBOR without walking the value's types.

    For callers that check the type of every field of what they get back (an entry's
    signed map, its wire pair): the bytes are still refused unless they are the one
    deterministic encoding of the decoded value, and the caller refuses any field whose
    type is not exactly the expected one, so nothing outside the signed subset passes.
    """
    try:
        value = cbor2.loads(data)
    except Exception as exc:  # cbor2 raises several unrelated types for bad input
        raise BadEncoding(f"not valid CBOR: {exc}") from None
    try:
        again = cbor2.dumps(value, canonical=True)
    except Exception as exc:  # a value cbor2 decodes but cannot encode is not ours
        raise BadEncoding(f"not re-encodable: {exc}") from None
    if again != data:
        raise BadEncoding("not the deterministic encoding of its own value")
    return value
