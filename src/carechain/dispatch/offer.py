"""A dispatch offer: a CAD delivery sealed to the crews it is assigned to, signed by a hub.

The hub keeps the routing metadata in the clear (incident number, revision, status, when,
to which receiving keys) and the CAD's raw JSON only as ciphertext: a random key encrypts
it (XChaCha20-Poly1305, the metadata bound as associated data) and is sealed (X25519
sealed box) to each assigned crew node and each records vault of the trust. The hub's
signature (Ed25519, its node key) covers all of it, so a crew node knows which hub vouched
for the offer and that nobody altered it. An offer is a message, not a record entry: the
record is written by the crew that accepts it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from carechain.entries import canonical, crypto
from carechain.entries.sealing import Signer
from carechain.errors import FieldInvalid

__all__ = ["Offer", "open_offer", "seal_offer"]

VERSION = 1


@dataclass(frozen=True)
class Offer:
    """One revision of one incident, sealed; `to` maps receiving key id → sealed key."""

    incident: str
    revision: int
    status: str
    at_ms: int
    to: dict[bytes, bytes]
    nonce: bytes
    ciphertext: bytes
    hub: bytes
    signature: bytes

    def _meta(self) -> dict[str, Any]:
        return {"v": VERSION, "inc": self.incident, "rev": self.revision, "st": self.status,
                "at": self.at_ms, "to": sorted(self.to), "hub": self.hub}

    def signed_bytes(self) -> bytes:
        """Return what the hub's signature covers."""
        return canonical.encode({**self._meta(), "to": [list(p) for p in sorted(self.to.items())],
                                 "n": self.nonce, "ct": self.ciphertext})

    def to_bytes(self) -> bytes:
        """Return the offer's canonical CBOR encoding (what is stored and sent)."""
        return canonical.encode({"o": self.signed_bytes(), "sig": self.signature})

    @classmethod
    def from_bytes(cls, data: bytes) -> Offer:
        """Decode an offer, or raise FieldInvalid."""
        try:
            outer = canonical.decode(data)
            inner = canonical.decode(outer["o"])
            return cls(str(inner["inc"]), int(inner["rev"]), str(inner["st"]), int(inner["at"]),
                       {bytes(k): bytes(v) for k, v in inner["to"]},
                       bytes(inner["n"]), bytes(inner["ct"]), bytes(inner["hub"]),
                       bytes(outer["sig"]))
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise FieldInvalid("offer", f"is not a dispatch offer ({e})") from None

    def describe(self) -> dict[str, Any]:
        """Return the offer's routing metadata (no clinical content)."""
        return {"incident_number": self.incident, "revision": self.revision,
                "status": self.status, "at_ms": self.at_ms}


def seal_offer(signer: Signer, *, incident: str, revision: int, status: str, at_ms: int,
               raw: bytes, recipients: dict[bytes, bytes]) -> Offer:
    """Seal `raw` to `recipients` (key id → X25519 public key), signed by `signer` (a node's
    keys: `key_id`, `sign`)."""
    key = crypto.random_bytes(crypto.KEY_BYTES)
    nonce = crypto.random_bytes(crypto.NONCE_BYTES)
    to = {kid: crypto.seal(pub, key) for kid, pub in recipients.items()}
    draft = Offer(incident, revision, status, at_ms, to, nonce, b"", bytes(signer.key_id), b"")
    ct = crypto.aead_encrypt(key, nonce, raw, canonical.encode(draft._meta()))
    body = Offer(incident, revision, status, at_ms, to, nonce, ct, draft.hub, b"")
    return Offer(incident, revision, status, at_ms, to, nonce, ct, draft.hub,
                 bytes(signer.sign(body.signed_bytes())))


def open_offer(offer: Offer, *, hub_sign_key: bytes, my_key_id: bytes,
               my_private: bytes) -> bytes:
    """Return the CAD's raw JSON of `offer`, checking the hub's signature; raise FieldInvalid
    if it is not signed by that hub, not sealed to this node, or altered."""
    if not crypto.verify_signature(hub_sign_key, offer.signed_bytes(), offer.signature):
        raise FieldInvalid("offer", "is not signed by the hub it names")
    sealed = offer.to.get(my_key_id)
    key = None if sealed is None else crypto.unseal(my_private, sealed)
    if key is None:
        raise FieldInvalid("offer", "is not sealed to this node")
    raw = crypto.aead_decrypt(key, offer.nonce, offer.ciphertext,
                              canonical.encode(offer._meta()))
    if raw is None:
        raise FieldInvalid("offer", "was altered")
    return raw
