"""The backup file: a clear header, encrypted chunks, and a signed manifest at the end.

    MAGIC                      b"CCBACKUP" then the format version as 2 bytes
    u32 length, header         deterministic CBOR, in the clear (see `docs/backup.md`)
    (u32 length, chunk)*       libsodium secretstream XChaCha20-Poly1305 messages
    u32 0                      no more chunks
    manifest                   deterministic CBOR {"m": manifest, "sig": Ed25519 signature}
    u32 length of manifest
    END                        b"CCBK-END"

Lengths are big-endian. Every chunk is pushed with the SHA-256 of the header bytes as
associated data, the last one with the secretstream FINAL tag. The manifest holds the
SHA-256 of the header and of every chunk as written, so a signature over it commits to the
whole file; it is checked without any key but the trust's public one.
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import nacl.bindings as sodium
import nacl.exceptions

from carechain.backup.errors import BackupCorrupt, BackupError, BackupTruncated
from carechain.entries import canonical

__all__ = [
    "FORMAT",
    "MANIFEST_CONTEXT",
    "BackupReader",
    "BackupWriter",
    "manifest_message",
    "new_content_key",
]

FORMAT = 1
MAGIC = b"CCBACKUP" + FORMAT.to_bytes(2, "big")
END = b"CCBK-END"
MANIFEST_CONTEXT = b"carechain-backup-manifest-v1\x00"
MAX_HEADER = 1 << 20  # a node's sealed keys, certificate and a few sealed content keys
MAX_CHUNK = 64 << 20
MAX_MANIFEST = 64 << 20
_U32 = struct.Struct(">I")
_TAIL = _U32.size + len(END)
_TAG_MESSAGE = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
_TAG_FINAL = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL


def manifest_message(manifest: dict[str, Any]) -> bytes:
    """Return the bytes the node signs for a manifest (context-separated)."""
    return MANIFEST_CONTEXT + canonical.encode(manifest)


def new_content_key() -> bytes:
    """Return a fresh random secretstream key."""
    return bytes(sodium.crypto_secretstream_xchacha20poly1305_keygen())


class BackupWriter:
    """Write a backup file: header, then chunks as they come, then the signed manifest."""

    def __init__(self, out: BinaryIO, key: bytes, header: dict[str, Any]) -> None:
        self._out = out
        self._state = sodium.crypto_secretstream_xchacha20poly1305_state()
        stream = sodium.crypto_secretstream_xchacha20poly1305_init_push(self._state, key)
        encoded = canonical.encode({**header, "format": FORMAT, "stream": bytes(stream)})
        self.header_hash = hashlib.sha256(encoded).digest()
        self.chunks: list[bytes] = []
        self.size = 0
        self._write(MAGIC + _U32.pack(len(encoded)) + encoded)

    def _write(self, data: bytes) -> None:
        self._out.write(data)
        self.size += len(data)

    def push(self, plaintext: bytes, *, final: bool = False) -> None:
        """Encrypt one chunk, write it and remember its hash."""
        tag = _TAG_FINAL if final else _TAG_MESSAGE
        sealed = sodium.crypto_secretstream_xchacha20poly1305_push(
            self._state, plaintext, self.header_hash, tag
        )
        self.chunks.append(hashlib.sha256(sealed).digest())
        self._write(_U32.pack(len(sealed)))
        self._write(sealed)

    def finish(self, manifest: dict[str, Any], signature: bytes) -> None:
        """Write the end of the chunks, the signed manifest and the end mark; flush to disk."""
        signed = canonical.encode({"m": manifest, "sig": signature})
        self._write(_U32.pack(0) + signed + _U32.pack(len(signed)) + END)
        self._out.flush()
        os.fsync(self._out.fileno())


@dataclass(frozen=True)
class _Layout:
    header: dict[str, Any]
    header_hash: bytes
    chunks_start: int
    chunks_end: int  # where the u32 0 that ends the chunks starts
    manifest: dict[str, Any]
    signature: bytes
    manifest_hash: bytes


def _cbor_map(data: bytes, what: str) -> dict[str, Any]:
    try:
        value = canonical.decode(data)
    except Exception as exc:  # any decoding failure means altered bytes
        raise BackupCorrupt(f"the {what} is not valid deterministic CBOR") from exc
    if not isinstance(value, dict):
        raise BackupCorrupt(f"the {what} is not a map")
    return value


def _layout(f: BinaryIO, size: int, name: str) -> _Layout:
    start = f.read(len(MAGIC) + _U32.size)
    if len(start) < len(MAGIC) + _U32.size or not start.startswith(MAGIC[:8]):
        if len(start) < len(MAGIC) and MAGIC.startswith(start):
            raise BackupTruncated(f"{name} ends within its first bytes ({size} bytes)")
        raise BackupCorrupt(f"{name} is not a carechain backup (no CCBACKUP mark)")
    if start[: len(MAGIC)] != MAGIC:
        raise BackupError(f"{name} is backup format {int.from_bytes(start[8:10], 'big')}, "
                          f"this carechain reads format {FORMAT}")
    (header_len,) = _U32.unpack(start[len(MAGIC) :])
    if header_len > MAX_HEADER:
        raise BackupCorrupt(f"{name}: header length {header_len} is over {MAX_HEADER}")
    raw = f.read(header_len)
    if len(raw) < header_len:
        raise BackupTruncated(f"{name} ends within its header")
    header = _cbor_map(raw, "header")
    if size < f.tell() + _U32.size + _TAIL:
        raise BackupTruncated(f"{name} ends after {size} bytes, before its manifest and end mark")
    f.seek(size - _TAIL)
    tail = f.read(_TAIL)
    if tail[_U32.size :] != END:
        raise BackupTruncated(
            f"{name} does not end with the end mark: it was cut short ({size} bytes)"
        )
    (manifest_len,) = _U32.unpack(tail[: _U32.size])
    chunks_end = size - _TAIL - manifest_len - _U32.size
    chunks_start = len(MAGIC) + _U32.size + header_len
    if manifest_len > MAX_MANIFEST or chunks_end < chunks_start:
        raise BackupCorrupt(f"{name}: manifest length {manifest_len} does not fit the file")
    f.seek(chunks_end)
    if f.read(_U32.size) != _U32.pack(0):
        raise BackupCorrupt(f"{name}: the chunks do not end where the manifest begins")
    signed_raw = f.read(manifest_len)
    signed = _cbor_map(signed_raw, "manifest")
    manifest, signature = signed.get("m"), signed.get("sig")
    if set(signed) != {"m", "sig"} or not isinstance(manifest, dict) or not isinstance(
        signature, bytes
    ):
        raise BackupCorrupt(f"{name}: the manifest is not {{m, sig}}")
    return _Layout(
        header,
        hashlib.sha256(raw).digest(),
        chunks_start,
        chunks_end,
        manifest,
        signature,
        hashlib.sha256(signed_raw).digest(),
    )


class BackupReader:
    """An open backup file: its header and manifest, and its chunks on demand."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._f: BinaryIO = open(path, "rb")  # noqa: SIM115 - closed by close()
        except OSError as exc:
            raise BackupError(f"cannot read {path.name}: {exc.strerror}") from exc
        try:
            self.size = os.fstat(self._f.fileno()).st_size
            layout = _layout(self._f, self.size, path.name)
        except BaseException:
            self._f.close()
            raise
        self.header = layout.header
        self.header_hash = layout.header_hash
        self.manifest = layout.manifest
        self.signature = layout.signature
        self.manifest_hash = layout.manifest_hash
        self._start, self._end = layout.chunks_start, layout.chunks_end

    def chunks(self) -> Iterator[bytes]:
        """Yield every encrypted chunk, each checked against the manifest's hash of it."""
        expected = self.manifest.get("chunks")
        if not isinstance(expected, list):
            raise BackupCorrupt("the manifest lists no chunk hashes")
        self._f.seek(self._start)
        position, index = self._start, 0
        while position < self._end:
            head = self._f.read(_U32.size)
            (length,) = _U32.unpack(head)
            position += _U32.size
            if length == 0 or length > MAX_CHUNK or position + length > self._end:
                raise BackupCorrupt(f"chunk {index}: length {length} does not fit the file")
            data = self._f.read(length)
            position += length
            if index >= len(expected):
                raise BackupCorrupt(
                    f"the file holds more chunks than the {len(expected)} its manifest lists"
                )
            if hashlib.sha256(data).digest() != expected[index]:
                raise BackupCorrupt(
                    f"chunk {index} (bytes {position - length}-{position}) differs from the "
                    "hash the signed manifest gives for it: the file was altered"
                )
            yield data
            index += 1
        if position != self._end:
            raise BackupCorrupt("the chunks overrun the manifest")
        if index != len(expected):
            raise BackupTruncated(
                f"the file holds {index} chunks, its manifest lists {len(expected)}"
            )

    def decrypt(self, key: bytes) -> Iterator[bytes]:
        """Yield every chunk's plaintext, in order; the last must carry the FINAL tag."""
        stream = self.header.get("stream")
        if not isinstance(stream, bytes):
            raise BackupCorrupt("the header holds no stream header")
        state = sodium.crypto_secretstream_xchacha20poly1305_state()
        try:
            sodium.crypto_secretstream_xchacha20poly1305_init_pull(state, stream, key)
        except (nacl.exceptions.CryptoError, ValueError) as exc:
            raise BackupCorrupt("the stream header does not fit the content key") from exc
        final = False
        for index, sealed in enumerate(self.chunks()):
            if final:
                raise BackupCorrupt(f"chunk {index} follows the final chunk")
            try:
                plain, tag = sodium.crypto_secretstream_xchacha20poly1305_pull(
                    state, sealed, self.header_hash
                )
            except nacl.exceptions.CryptoError as exc:
                raise BackupCorrupt(
                    f"chunk {index} does not decrypt under the content key"
                ) from exc
            final = tag == _TAG_FINAL
            yield bytes(plain)
        if not final:
            raise BackupTruncated("the last chunk is not marked final: the stream was cut short")

    def close(self) -> None:
        """Close the file."""
        self._f.close()

    def __enter__(self) -> BackupReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

