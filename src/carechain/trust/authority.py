"""The trust's side: a root key kept in its own directory, certifying and revoking nodes.

root.sealed   the root signing key, sealed under the trust secret (Argon2id)
root.pub      the root public key, hex: what every node is enrolled with
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from carechain.entries import HLC, Entry, canonical, crypto
from carechain.errors import InvalidInput, KeyStoreLocked
from carechain.trust.certificate import Certificate, CertRequest
from carechain.trust.directory import certificate_entry, revocation_entry, transition_entry
from carechain.trust.keys import NodeKeys, RootKey
from carechain.trust.keystore import KdfCost, open_file, seal_file
from carechain.trust.transition import KeyTransition

__all__ = ["DAY_MS", "TrustHome", "certify", "hand_over", "revoke"]

DAY_MS = 86_400_000


@dataclass(frozen=True)
class TrustHome:
    """A trust root's directory."""

    path: Path

    @property
    def sealed_file(self) -> Path:
        """Return the sealed root key."""
        return self.path / "root.sealed"

    @property
    def public_file(self) -> Path:
        """Return the root public key file."""
        return self.path / "root.pub"

    def init(self, secret: str, cost: KdfCost | None = None) -> RootKey:
        """Create a new trust root in an empty directory."""
        self.path.mkdir(parents=True, exist_ok=True)
        if self.sealed_file.exists():
            raise InvalidInput(f"{self.path} already holds a trust root")
        root = RootKey.generate()
        seal_file(self.sealed_file, secret, {"seed": root.seed}, cost or KdfCost.moderate())
        self.public_file.write_text(root.public.hex() + "\n")
        return root

    def public(self) -> bytes:
        """Return the root public key."""
        return bytes.fromhex(self.public_file.read_text().strip())

    def unlock(self, secret: str) -> RootKey:
        """Return the root key, unsealed with the trust secret."""
        value = open_file(self.sealed_file, secret)
        if not isinstance(value, dict) or not isinstance(value.get("seed"), bytes):
            raise KeyStoreLocked("root key file holds no key")
        return RootKey(value["seed"])


def certify(
    root: RootKey, request: CertRequest, *, not_before_ms: int, days: int, org: str | None = None
) -> tuple[Certificate, Entry]:
    """Sign a node's request; return the certificate and the directory entry publishing it."""
    if days < 1 or days > 3650:
        raise InvalidInput("days must be between 1 and 3650")
    body = {
        "name": request.name,
        "role": request.role,
        "org": org or request.org,
        "sig_key": request.sig_key,
        "box_key": request.box_key,
        "nbf": not_before_ms,
        "exp": not_before_ms + days * DAY_MS,
        "iss": root.key_id,
    }
    cert = Certificate(signature=root.sign(canonical.encode(body)), **body)  # type: ignore[arg-type]
    return cert, certificate_entry(root, cert, HLC(not_before_ms))


def revoke(root: RootKey, *, sig_key: bytes, at_ms: int, reason: str) -> Entry:
    """Return the directory entry revoking a node's signing key from a time on."""
    return revocation_entry(root, crypto.key_id(sig_key), at_ms, reason, HLC(at_ms))


def hand_over(
    root: RootKey,
    *,
    old_key: bytes,
    new_key: bytes,
    size: int,
    tree_root: bytes,
    at_ms: int,
    old_keys: NodeKeys | None = None,
) -> tuple[KeyTransition, Entry]:
    """Return the statement moving a hub's log from `old_key` to `new_key` (public keys)
    after the head (`size`, `tree_root`) the trust vouches for, and the directory entry
    publishing it; co-signed by the old key when its keys are given."""
    old_id, new_id = crypto.key_id(old_key), crypto.key_id(new_key)
    statement = KeyTransition(old_id, new_id, size, tree_root, at_ms)
    if old_keys is not None:
        if old_keys.key_id != old_id:
            raise InvalidInput("the old keys given are not the old hub key's")
        signature = old_keys.sign(statement.handover_message())
        statement = KeyTransition(old_id, new_id, size, tree_root, at_ms, signature)
    KeyTransition.from_body(statement.to_body())  # the same checks every node runs
    return statement, transition_entry(root, statement)
