"""Thin wrappers over libsodium (PyNaCl): the only cryptography carechain uses.

- signatures: Ed25519 (`crypto_sign`);
- entry bodies: XChaCha20-Poly1305 IETF AEAD with the entry header as associated data;
- content keys to recipients: X25519 sealed boxes (`crypto_box_seal`);
- secrets at rest: XSalsa20-Poly1305 secret box under an Argon2id-derived key.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import nacl.bindings as sodium
import nacl.exceptions
import nacl.public
import nacl.signing
import nacl.utils

__all__ = [
    "KEY_BYTES",
    "NONCE_BYTES",
    "aead_decrypt",
    "aead_encrypt",
    "key_id",
    "random_bytes",
    "seal",
    "sign",
    "unseal",
    "verify_many",
    "verify_signature",
]

KEY_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_KEYBYTES
NONCE_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES


def random_bytes(n: int) -> bytes:
    """Return n bytes from the system's secure random source."""
    return bytes(nacl.utils.random(n))


def key_id(public_key: bytes) -> bytes:
    """Return the 32-byte id of a public key."""
    return hashlib.sha256(b"carechain-key-v1:" + public_key).digest()


def aead_encrypt(key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """Encrypt and authenticate plaintext, binding the associated data."""
    return bytes(sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, aad, nonce, key))


def aead_decrypt(key: bytes, nonce: bytes, ciphertext: bytes, aad: bytes) -> bytes | None:
    """Return the plaintext, or None when ciphertext or associated data were altered."""
    try:
        return bytes(sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(ciphertext, aad, nonce, key))
    except nacl.exceptions.CryptoError:
        return None


def seal(recipient_public: bytes, data: bytes) -> bytes:
    """Seal data to an X25519 public key (anonymous sender)."""
    return bytes(nacl.public.SealedBox(nacl.public.PublicKey(recipient_public)).encrypt(data))


def unseal(private_key: bytes, sealed: bytes) -> bytes | None:
    """Open a sealed box, or return None when it was not sealed to this key or was altered."""
    try:
        return bytes(nacl.public.SealedBox(nacl.public.PrivateKey(private_key)).decrypt(sealed))
    except nacl.exceptions.CryptoError:
        return None


def sign(seed: bytes, message: bytes) -> bytes:
    """Return the Ed25519 signature of message under the key with this seed."""
    return bytes(nacl.signing.SigningKey(seed).sign(message).signature)


def verify_signature(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Return whether signature is a valid Ed25519 signature of message."""
    if len(public_key) != 32 or len(signature) != 64:
        return False
    try:
        sodium.crypto_sign_open(signature + message, public_key)
    except (nacl.exceptions.BadSignatureError, ValueError, TypeError):
        return False
    return True


# Batches at least this large are verified on a thread per core: libsodium runs without
# Python's GIL, so both cores verify while the caller's thread waits.
PARALLEL_FROM = 32
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def _verify_slice(items: Sequence[tuple[bytes, bytes, bytes]]) -> list[bool]:
    return [verify_signature(pk, msg, sig) for pk, msg, sig in items]


def verify_many(items: Sequence[tuple[bytes, bytes, bytes]]) -> list[bool]:
    """Verify (public key, message, signature) triples; answer for each, in order."""
    workers = _workers()
    if len(items) < PARALLEL_FROM or workers == 1:
        return _verify_slice(items)
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(workers, thread_name_prefix="carechain-verify")
        pool = _pool
    step = -(-len(items) // workers)
    slices = [pool.submit(_verify_slice, items[i : i + step]) for i in range(0, len(items), step)]
    return [ok for part in slices for ok in part.result()]
