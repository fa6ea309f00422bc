"""The record's signed entries as QR code payloads: framed, compressed, split "n of m".

One code's bytes (QR byte mode):

    b"CCQR1" | record id (16) | n (1) | m (1) | digest (8) | a slice of the payload

where the payload is zlib-compressed `length (4, big-endian) | entry wire bytes` for each
entry in order, and `digest` is the first 8 bytes of SHA-256 over the compressed payload:
every code of one print carries the same digest, so codes of two prints of one record are
never mixed, and a changed code is caught before any entry is parsed. What vouches for the
content is each entry's own signature, checked when the entries are ingested.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from carechain.entries import Entry
from carechain.entries.model import MAX_BODY_BYTES
from carechain.errors import FieldInvalid, MalformedEntry

__all__ = ["CHUNK_BYTES", "MAGIC", "Codes", "join_codes", "pack_entries", "split_payload",
           "unpack_entries"]

MAGIC = b"CCQR1"
HEADER = struct.Struct(">5s16sBB8s")
CHUNK_BYTES = 600  # QR version 19 at error correction M: readable at 150 dpi when printed
MAX_CODES = 255
MAX_PAYLOAD = 64 * 1024 * 1024  # decompressed: bounds a hostile zip bomb
MAX_ENTRY = MAX_BODY_BYTES + 4096


def pack_entries(entries: Iterable[Entry]) -> bytes:
    """Return the compressed payload of entries, in order."""
    raw = b"".join(struct.pack(">I", len(w)) + w for w in (e.to_wire() for e in entries))
    return zlib.compress(raw, 9)


def unpack_entries(payload: bytes) -> list[bytes]:
    """Return the wire bytes of each entry in a payload (not yet decoded or checked)."""
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(payload, MAX_PAYLOAD)
    except zlib.error:
        raise MalformedEntry("the codes' payload does not decompress") from None
    if inflater.unconsumed_tail:
        raise MalformedEntry(f"the codes' payload is larger than {MAX_PAYLOAD} bytes")
    out, at = [], 0
    while at < len(raw):
        if at + 4 > len(raw):
            raise MalformedEntry("the codes' payload ends inside an entry's length")
        (size,) = struct.unpack_from(">I", raw, at)
        if size > MAX_ENTRY or at + 4 + size > len(raw):
            raise MalformedEntry("the codes' payload holds an entry of impossible length")
        out.append(raw[at + 4 : at + 4 + size])
        at += 4 + size
    return out


def split_payload(record: bytes, payload: bytes, chunk: int = CHUNK_BYTES) -> list[bytes]:
    """Return the codes' bytes, each labelled n of m."""
    digest = hashlib.sha256(payload).digest()[:8]
    pieces = [payload[i : i + chunk] for i in range(0, len(payload), chunk)] or [b""]
    if len(pieces) > MAX_CODES:
        raise FieldInvalid("record", f"needs {len(pieces)} codes; at most {MAX_CODES} fit "
                           "one print")
    total = len(pieces)
    return [HEADER.pack(MAGIC, record, n, total, digest) + piece
            for n, piece in enumerate(pieces, start=1)]


@dataclass(frozen=True)
class Codes:
    """The codes of one print, put back together."""

    record: bytes
    total: int
    payload: bytes


def join_codes(codes: Sequence[bytes]) -> Codes:
    """Put codes back together: one record, one print, every n of m, checksum intact."""
    if not codes:
        raise FieldInvalid("codes", "no carechain code was found")
    parts: dict[int, bytes] = {}
    first: tuple[bytes, int, bytes] | None = None
    for i, code in enumerate(codes, start=1):
        if len(code) < HEADER.size or not code.startswith(MAGIC):
            raise FieldInvalid("codes", f"code {i} read is not a carechain record code")
        _, record, n, total, digest = HEADER.unpack_from(code)
        if first is None:
            first = (record, total, digest)
        elif record != first[0]:
            raise FieldInvalid("codes", f"code {n} of {total} belongs to record "
                               f"{record.hex()}, not {first[0].hex()}: one record at a time")
        elif (total, digest) != first[1:]:
            raise FieldInvalid("codes", f"code {n} of {total} comes from another print of "
                               "this record: use the codes of one print")
        if not 1 <= n <= total:
            raise FieldInvalid("codes", f"code labelled {n} of {total} is not a valid label")
        parts[n] = code[HEADER.size :]  # the same code read twice is the same bytes
    assert first is not None
    record, total, digest = first
    missing = [n for n in range(1, total + 1) if n not in parts]
    if missing:
        said = ", ".join(f"{n} of {total}" for n in missing)
        raise FieldInvalid("codes", f"missing code{'s' if len(missing) > 1 else ''} {said}: "
                           "scan every code")
    payload = b"".join(parts[n] for n in range(1, total + 1))
    if hashlib.sha256(payload).digest()[:8] != digest:
        raise FieldInvalid("codes", "the codes were altered: their content does not match "
                           "the checksum they carry")
    return Codes(record, total, payload)
