"""Make entries: encrypt a body under the record's content key, sign, and grant keys.

A record's content key is random (32 bytes). A `grant` entry carries it sealed to each
recipient's X25519 key as `record id || content key`, so an opened grant also proves which
record the key belongs to. A sealed box does not say who sealed it; the author's
signature over the grant's id does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

import nacl.bindings as sodium
import nacl.exceptions

from carechain.entries import canonical, crypto
from carechain.entries.hlc import HLC
from carechain.entries.model import (
    MAX_USER_BYTES,
    MAX_USER_CHARS,
    RECORD_ID_BYTES,
    USER_BLOCK,
    Entry,
    Header,
)
from carechain.errors import MalformedEntry, Undecryptable

__all__ = [
    "Signer",
    "encode_plain",
    "make_encrypted",
    "make_grant",
    "make_plain",
    "new_record_id",
    "open_body",
    "open_grant",
    "open_user",
    "seal_user",
]

_USER_PURPOSE = b"carechain-usr-v1"


class Signer(Protocol):
    """Whatever holds a signing key: a node, or the trust root."""

    @property
    def key_id(self) -> bytes:
        """Return the id of the signing public key."""
        ...

    def sign(self, message: bytes) -> bytes:
        """Return an Ed25519 signature of message."""
        ...


@dataclass(frozen=True)
class Draft:
    """The parts of a header the author chooses."""

    record: bytes
    cls: str
    user: str
    hlc: HLC
    parents: tuple[bytes, ...]
    recipients: tuple[bytes, ...]


def new_record_id() -> bytes:
    """Return a fresh random record id."""
    return crypto.random_bytes(RECORD_ID_BYTES)


def encode_plain(body: dict[str, Any]) -> bytes:
    """Encode a clinical body as compact, key-sorted UTF-8 JSON."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def seal_user(
    content_key: bytes, record: bytes, author: bytes, user: str, nonce: bytes | None = None
) -> bytes:
    """Return a staff id sealed under the record's content key (a random nonce unless
    one is given, for test vectors)."""
    if len(user) > MAX_USER_CHARS:
        raise MalformedEntry(f"a user id is longer than {MAX_USER_CHARS} characters")
    nonce = crypto.random_bytes(crypto.NONCE_BYTES) if nonce is None else nonce
    padded = bytes(sodium.sodium_pad(user.encode(), USER_BLOCK))
    return nonce + crypto.aead_encrypt(content_key, nonce, padded, _USER_PURPOSE + record + author)


def open_user(entry: Entry, content_key: bytes) -> str:
    """Return the staff id sealed in an entry's header ("" for none), or raise
    Undecryptable."""
    sealed = entry.header.sealed_user
    if not sealed:
        return ""
    n = crypto.NONCE_BYTES
    aad = _USER_PURPOSE + entry.header.record + entry.header.author
    padded = crypto.aead_decrypt(content_key, sealed[:n], sealed[n:], aad)
    if padded is None:
        raise Undecryptable(f"entry {entry.hex}: the sealed user id does not open")
    try:
        plain = bytes(sodium.sodium_unpad(padded, USER_BLOCK))
        if len(plain) > MAX_USER_BYTES:
            raise ValueError
        return plain.decode()
    except (nacl.exceptions.CryptoError, ValueError):
        raise Undecryptable(f"entry {entry.hex}: the sealed user id is malformed") from None


def _header(draft: Draft, signer: Signer, nonce: bytes, sealed_user: bytes) -> Header:
    return Header(
        record=draft.record,
        cls=draft.cls,
        author=signer.key_id,
        sealed_user=sealed_user,
        hlc=draft.hlc,
        parents=tuple(sorted(set(draft.parents))),
        recipients=tuple(sorted(set(draft.recipients))),
        nonce=nonce,
    )


def _finish(header: Header, body: bytes, signer: Signer, aad: bytes | None = None) -> Entry:
    unsigned = Entry.assemble(header, body, b"", aad=aad)
    return unsigned.signed_with(signer.sign(unsigned.id))


def make_encrypted(draft: Draft, signer: Signer, content_key: bytes, body: dict[str, Any]) -> Entry:
    """Return a signed entry whose body is encrypted under the record's content key."""
    plaintext = encode_plain(body)
    nonce = crypto.random_bytes(crypto.NONCE_BYTES)
    user = seal_user(content_key, draft.record, signer.key_id, draft.user)
    header = _header(draft, signer, nonce, user)
    aad = header.aad(len(plaintext) + 16)
    return _finish(header, crypto.aead_encrypt(content_key, nonce, plaintext, aad), signer, aad)


def make_plain(draft: Draft, signer: Signer, body: Any, *, sealed_user: bytes = b"") -> Entry:
    """Return a signed entry whose body is public CBOR (directory entries: no user id)."""
    return _finish(_header(draft, signer, b"", sealed_user), canonical.encode(body), signer)


def make_grant(
    draft: Draft, signer: Signer, content_key: bytes, recipients: dict[bytes, bytes]
) -> Entry:
    """Return a grant sealing the content key to each recipient (key id → X25519 key)."""
    sealed = [
        [rid, crypto.seal(pub, draft.record + content_key)]
        for rid, pub in sorted(recipients.items())
    ]
    d = Draft(draft.record, "grant", draft.user, draft.hlc, draft.parents, tuple(recipients))
    user = seal_user(content_key, draft.record, signer.key_id, draft.user)
    return make_plain(d, signer, {"keys": sealed}, sealed_user=user)


def open_grant(entry: Entry, my_key_id: bytes, my_private: bytes) -> bytes | None:
    """Return the content key a grant holds for this node, or None if none is for it."""
    body = canonical.decode(entry.body, max_items=4 * 64 + 8)  # a map of key pairs
    keys = body.get("keys") if isinstance(body, dict) else None
    if not isinstance(keys, list):
        raise MalformedEntry("grant body must hold a list of keys")
    for item in keys:
        if isinstance(item, list) and len(item) == 2 and item[0] == my_key_id:
            if item[0] not in entry.header.recipients:
                raise Undecryptable("grant holds a key for a recipient its header does not name")
            opened = crypto.unseal(my_private, item[1])
            if opened is None or len(opened) != RECORD_ID_BYTES + crypto.KEY_BYTES:
                raise Undecryptable(f"grant {entry.hex} does not open with this node's key")
            if opened[:RECORD_ID_BYTES] != entry.header.record:
                raise Undecryptable(f"grant {entry.hex} holds the key of another record")
            return opened[RECORD_ID_BYTES:]
    return None


def open_body(entry: Entry, content_key: bytes) -> dict[str, Any]:
    """Decrypt and parse an encrypted body, or raise Undecryptable."""
    aad = entry.aad()
    plaintext = crypto.aead_decrypt(content_key, entry.header.nonce, entry.body, aad)
    if plaintext is None:
        raise Undecryptable(
            f"entry {entry.hex} does not decrypt: its ciphertext or header was altered, "
            "or it was moved from another record"
        )
    try:
        value = json.loads(plaintext)
    except (ValueError, RecursionError):  # signed by a certified node, but not a body
        raise Undecryptable(f"entry {entry.hex} body is not JSON") from None
    if not isinstance(value, dict):
        raise Undecryptable(f"entry {entry.hex} body is not an object")
    return value
