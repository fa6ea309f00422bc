"""Who made a backup, checked with nothing but the trust's public key; and who can open it.

The header carries the node's certificate (a directory entry signed by the trust root) in
the clear: the manifest must be signed by the key that certificate names, for the node
and role it names, at a time the certificate covers. The content key is sealed (X25519
sealed box) to the node's own receiving key and to each records vault's.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from carechain.backup._format import FORMAT, BackupReader, manifest_message
from carechain.backup.errors import BackupCorrupt, BackupForeign, BackupSealed
from carechain.entries import crypto, decode_entry
from carechain.errors import CarechainError
from carechain.node.home import NodeHome
from carechain.trust import Certificate, Directory, NodeKeys, open_file

__all__ = [
    "BackupInfo",
    "KeyOpener",
    "check_manifest",
    "content_key",
    "node_dir_opener",
    "own_keys_opener",
]

# Given the header, return the receiving key (id, private key) that opens the content key.
KeyOpener = Callable[[dict[str, Any]], tuple[bytes, bytes]]

_COUNTS = ("entries", "meta", "access", "accounts", "first_seq", "last_seq", "tree_size",
           "created")


@dataclass(frozen=True)
class BackupInfo:
    """What a checked manifest says, and the certificate that vouches for it."""

    manifest: dict[str, Any]
    certificate: Certificate

    @property
    def node(self) -> str:
        """Return the backed-up node's name."""
        return str(self.manifest["node"])

    def count(self, name: str) -> int:
        """Return one of the manifest's counts."""
        return int(self.manifest[name])


def check_manifest(
    reader: BackupReader, root_public: bytes, *, expect_node: str | None = None
) -> BackupInfo:
    """Check the manifest's signature, its certificate from this trust, and the header hash."""
    manifest, header = reader.manifest, reader.header
    if manifest.get("format") != FORMAT or header.get("format") != FORMAT:
        raise BackupCorrupt(f"the manifest or header is not backup format {FORMAT}")
    for name in _COUNTS:
        if type(manifest.get(name)) is not int or manifest[name] < 0:
            raise BackupCorrupt(f"the manifest's {name!r} is missing or not a count")
    for name in ("node", "role"):
        if not isinstance(manifest.get(name), str):
            raise BackupCorrupt(f"the manifest's {name!r} is missing")
    cert_wire = header.get("cert")
    if not isinstance(cert_wire, bytes):
        raise BackupCorrupt("the header holds no certificate")
    directory = Directory(root_public)
    try:
        cert_entry = decode_entry(cert_wire)
        directory.check_signature(cert_entry)
        directory.absorb(cert_entry)
    except CarechainError as exc:
        raise BackupForeign(
            f"the backup's certificate is not signed by this trust's root ({exc.detail})"
        ) from exc
    certs = [c for cs in directory.certs.values() for c in cs]
    if len(certs) != 1:
        raise BackupCorrupt("the header's certificate entry holds no certificate")
    cert = certs[0]
    # The signature first: any altered byte of the manifest is named as such.
    if not crypto.verify_signature(cert.sig_key, manifest_message(manifest), reader.signature):
        raise BackupCorrupt(
            f"the manifest's signature does not verify under the key of {cert.name!r}: "
            "the manifest was altered, or signed by another key"
        )
    if manifest.get("key") != cert.key_id:
        raise BackupForeign(
            f"the manifest names key {_hex(manifest.get('key'))}, but the certificate in the "
            f"backup is for key {cert.key_id.hex()[:16]} of {cert.name!r}"
        )
    if (manifest["node"], manifest["role"]) != (cert.name, cert.role):
        raise BackupForeign(
            f"the manifest says {manifest['role']} node {manifest['node']!r}, the certificate "
            f"is for {cert.role} node {cert.name!r}"
        )
    if not cert.valid_at(manifest["created"]):
        raise BackupForeign(
            f"the certificate of {cert.name!r} was not valid when the backup was made"
        )
    if manifest.get("header") != reader.header_hash:
        raise BackupCorrupt("the header differs from the one the signed manifest hashes")
    if expect_node is not None and cert.name != expect_node:
        raise BackupForeign(
            f"this is a backup of {cert.role} node {cert.name!r}, not of {expect_node!r}"
        )
    return BackupInfo(manifest, cert)


def _hex(value: object) -> str:
    return value.hex()[:16] if isinstance(value, bytes) else repr(value)


def content_key(header: dict[str, Any], opener: KeyOpener) -> bytes:
    """Open the backup's content key with the caller's receiving key."""
    key_id, private = opener(header)
    for sealed in header.get("to", []):
        if isinstance(sealed, dict) and sealed.get("key") == key_id:
            box = sealed.get("box")
            key = crypto.unseal(private, box) if isinstance(box, bytes) else None
            if key is None:
                raise BackupCorrupt("the content key sealed to this key does not open")
            return key
    names = ", ".join(
        f"{s.get('role')} {s.get('name')!r}" for s in header.get("to", []) if isinstance(s, dict)
    )
    raise BackupSealed(f"the backup's content key is sealed to {names}, not to this key")


def own_keys_opener(secret: str) -> KeyOpener:
    """Open with the backed-up node's own keys, sealed in the header, and its operator secret."""

    def opener(header: dict[str, Any]) -> tuple[bytes, bytes]:
        sealed = header.get("keys")
        if not isinstance(sealed, bytes):
            raise BackupCorrupt("the header holds no sealed key file")
        with tempfile.TemporaryDirectory(prefix="carechain-keys-") as tmp:
            path = Path(tmp) / "keys.sealed"
            path.write_bytes(sealed)
            value = open_file(path, secret)  # KeyStoreLocked on a wrong secret
        keys = NodeKeys.from_secret(value)
        return keys.box_key_id, keys.box_private

    return opener


def node_dir_opener(path: Path, secret: str) -> KeyOpener:
    """Open with the keys of a node's data directory (the trust's records vault)."""

    def opener(header: dict[str, Any]) -> tuple[bytes, bytes]:
        del header
        keys = NodeHome(path).keys(secret)
        return keys.box_key_id, keys.box_private

    return opener
