"""Node and trust-root key pairs."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import nacl.public
import nacl.signing

from carechain.entries import crypto

__all__ = ["NodeKeys", "RootKey"]


@dataclass(frozen=True)
class NodeKeys:
    """A node's Ed25519 signing key and X25519 receiving key."""

    seed: bytes = field(repr=False)
    box_private: bytes = field(repr=False)

    @classmethod
    def generate(cls) -> NodeKeys:
        """Return fresh random keys."""
        return cls(crypto.random_bytes(32), bytes(nacl.public.PrivateKey.generate()))

    # Derived once per key pair (each derivation is a curve operation), then kept.

    @cached_property
    def signing_key(self) -> nacl.signing.SigningKey:
        """Return the Ed25519 signing key (built from the seed once)."""
        return nacl.signing.SigningKey(self.seed)

    @cached_property
    def sign_public(self) -> bytes:
        """Return the Ed25519 public key."""
        return bytes(self.signing_key.verify_key)

    @cached_property
    def box_public(self) -> bytes:
        """Return the X25519 public key."""
        return bytes(nacl.public.PrivateKey(self.box_private).public_key)

    @cached_property
    def key_id(self) -> bytes:
        """Return the id of the signing key: the author id of this node's entries."""
        return crypto.key_id(self.sign_public)

    @cached_property
    def box_key_id(self) -> bytes:
        """Return the id of the receiving key: the recipient id in grants."""
        return crypto.key_id(self.box_public)

    def sign(self, message: bytes) -> bytes:
        """Sign message with the node key."""
        return bytes(self.signing_key.sign(message).signature)

    def to_secret(self) -> dict[str, bytes]:
        """Return the form sealed in the key store."""
        return {"seed": self.seed, "box": self.box_private}

    @classmethod
    def from_secret(cls, value: dict[str, bytes]) -> NodeKeys:
        """Rebuild keys from the key store's form."""
        return cls(value["seed"], value["box"])


@dataclass(frozen=True)
class RootKey:
    """The trust root's Ed25519 key, meant to live offline."""

    seed: bytes = field(repr=False)

    @classmethod
    def generate(cls) -> RootKey:
        """Return a fresh random root key."""
        return cls(crypto.random_bytes(32))

    @property
    def public(self) -> bytes:
        """Return the root public key."""
        return bytes(nacl.signing.SigningKey(self.seed).verify_key)

    @property
    def key_id(self) -> bytes:
        """Return the root key id: the author id of directory entries."""
        return crypto.key_id(self.public)

    def sign(self, message: bytes) -> bytes:
        """Sign message with the root key."""
        return crypto.sign(self.seed, message)
