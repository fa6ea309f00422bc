"""Certificate requests and node certificates.

A request is the node's public keys, role, organisation and name, signed by the node's own
key (proof that it holds the private key). A certificate is the trust root's signature over
the same keys with a validity window. Both are deterministic CBOR maps.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from carechain.entries import canonical, crypto
from carechain.errors import CertificateInvalid, MalformedEntry

__all__ = ["ROLES", "CertRequest", "Certificate"]

ROLES = ("crew", "hub", "hospital", "vault")


def _fields(m: Any, required: Mapping[str, type]) -> dict[str, Any]:
    if not isinstance(m, dict) or set(m) != set(required):
        raise MalformedEntry(f"expected exactly the fields {sorted(required)}")
    for key, kind in required.items():
        if not isinstance(m[key], kind):
            raise MalformedEntry(f"field {key!r} must be {kind.__name__}")
    if m["role"] not in ROLES:
        raise MalformedEntry(f"role must be one of {', '.join(ROLES)}")
    return m


_REQ = {"name": str, "role": str, "org": str, "sig_key": bytes, "box_key": bytes}
_CERT = {**_REQ, "nbf": int, "exp": int, "iss": bytes}


@dataclass(frozen=True)
class CertRequest:
    """A node's request to be certified."""

    name: str
    role: str
    org: str
    sig_key: bytes
    box_key: bytes
    signature: bytes

    def body(self) -> dict[str, Any]:
        """Return the signed map."""
        return {
            "name": self.name,
            "role": self.role,
            "org": self.org,
            "sig_key": self.sig_key,
            "box_key": self.box_key,
        }

    def to_bytes(self) -> bytes:
        """Return the request file's contents."""
        return canonical.encode({"req": self.body(), "sig": self.signature})

    @classmethod
    def from_bytes(cls, data: bytes) -> CertRequest:
        """Parse and check a request file, including its proof of possession."""
        m = canonical.decode(data)
        if not isinstance(m, dict) or set(m) != {"req", "sig"}:
            raise MalformedEntry("a certificate request is {req, sig}")
        body = _fields(m["req"], _REQ)
        req = cls(signature=m["sig"], **body)
        if not crypto.verify_signature(req.sig_key, canonical.encode(body), req.signature):
            raise CertificateInvalid("the request is not signed by the key it names")
        return req


@dataclass(frozen=True)
class Certificate:
    """The trust root's statement that a node key belongs to a role and organisation."""

    name: str
    role: str
    org: str
    sig_key: bytes
    box_key: bytes
    nbf: int
    exp: int
    iss: bytes
    signature: bytes

    def body(self) -> dict[str, Any]:
        """Return the signed map."""
        return {
            "name": self.name,
            "role": self.role,
            "org": self.org,
            "sig_key": self.sig_key,
            "box_key": self.box_key,
            "nbf": self.nbf,
            "exp": self.exp,
            "iss": self.iss,
        }

    @property
    def key_id(self) -> bytes:
        """Return the id of the certified signing key."""
        return crypto.key_id(self.sig_key)

    @property
    def box_key_id(self) -> bytes:
        """Return the id of the certified receiving key."""
        return crypto.key_id(self.box_key)

    def to_map(self) -> dict[str, Any]:
        """Return the certificate as a CBOR-ready map."""
        return {"cert": self.body(), "sig": self.signature}

    @classmethod
    def from_map(cls, m: Any, root_public: bytes) -> Certificate:
        """Parse a certificate and check the root's signature over it."""
        if not isinstance(m, dict) or set(m) != {"cert", "sig"}:
            raise MalformedEntry("a certificate is {cert, sig}")
        body = _fields(m["cert"], _CERT)
        cert = cls(signature=m["sig"], **body)
        if cert.iss != crypto.key_id(root_public) or not crypto.verify_signature(
            root_public, canonical.encode(body), cert.signature
        ):
            raise CertificateInvalid(f"certificate for {cert.name!r} is not signed by this trust")
        return cert

    def valid_at(self, ms: int) -> bool:
        """Return whether the certificate's window covers the time."""
        return self.nbf <= ms <= self.exp
