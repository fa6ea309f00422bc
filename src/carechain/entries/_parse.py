"""The fast, strict reader of an entry's bytes: no general-purpose decoder involved.

An entry's wire form and signed map have one shape and one encoding (docs/
canonical-encoding.md), so they are read field by field in that exact order, each head
checked to be the shortest, each value its exact type. Anything else — another key,
order, type, head, a tag, an indefinite length, trailing bytes — returns None, and the
caller decodes the bytes the slow, bounded way to say precisely what is wrong. What is
accepted here is exactly what the slow way accepts, at about half its cost.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["Fields", "parse_pair", "parse_signed"]


class Fields(NamedTuple):
    """The fields of a signed map, as read."""

    record: bytes
    cls: str
    author: bytes
    sealed_user: bytes
    ms: int
    counter: int
    parents: tuple[bytes, ...]
    recipients: tuple[bytes, ...]
    nonce: bytes
    body: bytes

_CLASSES = {
    bytes([0x60 + len(c)]) + c.encode(): c
    for c in ("clinical", "grant", "stream", "audit", "directory")
}
_KEYS = (b"\x61v", b"\x63aut", b"\x63cls", b"\x63hlc", b"\x63len", b"\x63non", b"\x63par",
         b"\x63rcp", b"\x63rec", b"\x63usr", b"\x64body")
_MINIMUM = (0, 24, 256, 65536, 2**32)  # the least value each head width may carry


class _Bad(Exception):
    """Not the fast shape: let the slow reader explain."""


def _head(data: bytes, i: int, major: int) -> tuple[int, int]:
    """Read a shortest-form head of this major type at i; return (argument, next i)."""
    b = data[i]
    if b >> 5 != major:
        raise _Bad
    ai = b & 31
    if ai < 24:
        return ai, i + 1
    if ai > 27:
        raise _Bad
    width = 1 << (ai - 24)
    value = int.from_bytes(data[i + 1 : i + 1 + width], "big")
    if value < _MINIMUM[ai - 23] or i + 1 + width > len(data):
        raise _Bad
    return value, i + 1 + width


def _bytes(data: bytes, i: int) -> tuple[bytes, int]:
    n, i = _head(data, i, 2)
    end = i + n
    if end > len(data):
        raise _Bad
    return data[i:end], end


def _hashes(data: bytes, i: int, limit: int) -> tuple[tuple[bytes, ...], int]:
    count, i = _head(data, i, 4)
    if count > limit:
        raise _Bad
    out = []
    for _ in range(count):
        if data[i : i + 2] != b"\x58\x20":
            raise _Bad
        out.append(data[i + 2 : i + 34])
        i += 34
    if i > len(data) or out != sorted(set(out)):
        raise _Bad
    return tuple(out), i


def _key(data: bytes, i: int, key: bytes) -> int:
    if data[i : i + len(key)] != key:
        raise _Bad
    return i + len(key)


def parse_signed(data: bytes, limits: tuple[int, int, int, int]) -> Fields | None:
    """Return the fields of a signed map, or None when it is not exactly the canonical
    encoding of a well-formed entry within `limits` (most parents, recipients, sealed user
    bytes, body bytes)."""
    max_parents, max_recipients, max_user, max_body = limits
    try:
        if data[:1] != b"\xab":
            return None
        i = _key(data, 1, _KEYS[0])
        if data[i : i + 1] != b"\x01":
            return None
        i = _key(data, i + 1, _KEYS[1])
        author, i = _bytes(data, i)
        i = _key(data, i, _KEYS[2])
        n, j = _head(data, i, 3)
        cls = _CLASSES.get(data[i : j + n])
        if cls is None:
            return None
        i = _key(data, j + n, _KEYS[3])
        if data[i : i + 1] != b"\x82":
            return None
        ms, i = _head(data, i + 1, 0)
        counter, i = _head(data, i, 0)
        i = _key(data, i, _KEYS[4])
        length, i = _head(data, i, 0)
        i = _key(data, i, _KEYS[5])
        nonce, i = _bytes(data, i)
        i = _key(data, i, _KEYS[6])
        parents, i = _hashes(data, i, max_parents)
        i = _key(data, i, _KEYS[7])
        recipients, i = _hashes(data, i, max_recipients)
        i = _key(data, i, _KEYS[8])
        record, i = _bytes(data, i)
        i = _key(data, i, _KEYS[9])
        user, i = _bytes(data, i)
        i = _key(data, i, _KEYS[10])
        body, i = _bytes(data, i)
    except (_Bad, IndexError):
        return None
    if (
        i != len(data)
        or len(author) != 32
        or len(record) != 16
        or length != len(body)
        or len(body) > max_body
        or len(user) > max_user
    ):
        return None
    return Fields(record, cls, author, user, ms, counter, parents, recipients, nonce, body)


def parse_pair(data: bytes) -> tuple[bytes, bytes] | None:
    """Return the two byte strings of an entry's wire form `[signed, signature]`, or None
    when the bytes are not exactly its canonical encoding."""
    try:
        if data[:1] != b"\x82":
            return None
        signed, i = _bytes(data, 1)
        signature, i = _bytes(data, i)
    except (_Bad, IndexError):
        return None
    return (signed, signature) if i == len(data) else None
