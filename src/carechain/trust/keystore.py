"""Secrets at rest: a file sealed under a key derived from an operator secret with Argon2id.

File format (deterministic CBOR): {"v": 1, "kdf": "argon2id13", "ops": opslimit,
"mem": memlimit, "salt": 16 bytes, "nonce": 24 bytes, "box": XSalsa20-Poly1305 secret box}.
Without the secret the file gives up nothing but its parameters.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import nacl.exceptions
import nacl.pwhash
import nacl.secret

from carechain.entries import canonical, crypto
from carechain.errors import KeyStoreLocked

__all__ = ["KdfCost", "open_file", "seal_file"]

SALT_BYTES = nacl.pwhash.argon2id.SALTBYTES


class KdfCost:
    """Argon2id cost settings; `interactive` is libsodium's interactive profile."""

    def __init__(self, ops: int, mem: int) -> None:
        self.ops = ops
        self.mem = mem

    @classmethod
    def interactive(cls) -> KdfCost:
        """Return libsodium's interactive profile (about 0.1 s, 64 MiB)."""
        return cls(
            nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE, nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE
        )

    @classmethod
    def moderate(cls) -> KdfCost:
        """Return libsodium's moderate profile (about 0.7 s, 256 MiB), for the trust root."""
        return cls(nacl.pwhash.argon2id.OPSLIMIT_MODERATE, nacl.pwhash.argon2id.MEMLIMIT_MODERATE)


def _derive(secret: str, salt: bytes, ops: int, mem: int) -> bytes:
    if not secret:
        raise KeyStoreLocked("the operator secret is empty")
    return bytes(
        nacl.pwhash.argon2id.kdf(
            nacl.secret.SecretBox.KEY_SIZE, secret.encode(), salt, opslimit=ops, memlimit=mem
        )
    )


def seal_file(path: Path, secret: str, payload: Any, cost: KdfCost | None = None) -> None:
    """Write payload to path, sealed under the operator secret, durably."""
    cost = cost or KdfCost.interactive()
    salt = crypto.random_bytes(SALT_BYTES)
    key = _derive(secret, salt, cost.ops, cost.mem)
    nonce = crypto.random_bytes(nacl.secret.SecretBox.NONCE_SIZE)
    box = nacl.secret.SecretBox(key).encrypt(canonical.encode(payload), nonce).ciphertext
    data = canonical.encode(
        {
            "v": 1,
            "kdf": "argon2id13",
            "ops": cost.ops,
            "mem": cost.mem,
            "salt": salt,
            "nonce": nonce,
            "box": bytes(box),
        }
    )
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    os.chmod(path, 0o600)


def open_file(path: Path, secret: str) -> Any:
    """Return the payload sealed in path, or raise KeyStoreLocked if the secret is wrong."""
    try:
        sealed = canonical.decode(path.read_bytes())
    except FileNotFoundError:
        raise KeyStoreLocked(f"no key file at {path.name}") from None
    if not isinstance(sealed, dict) or sealed.get("kdf") != "argon2id13":
        raise KeyStoreLocked(f"{path.name} is not a carechain key file")
    key = _derive(secret, sealed["salt"], sealed["ops"], sealed["mem"])
    try:
        plain = nacl.secret.SecretBox(key).decrypt(sealed["box"], sealed["nonce"])
    except nacl.exceptions.CryptoError:
        raise KeyStoreLocked("wrong operator secret") from None
    return canonical.decode(bytes(plain))
