"""A node's data directory: what each file holds and how it is created.

node.json        public facts: name, role, organisation, trust root public key
keys.sealed      the node's private keys, sealed under the operator secret (Argon2id)
request.cbor     the certificate request to take to the trust
keys.replaced.sealed, request.replaced.cbor
                 the keys and request a `carechain node rekey` replaced (to co-sign a hub
                 key transition, then destroy)
store.db         the append-only entry log (SQLite, WAL); bodies are end-to-end
                 encrypted, so it holds no clinical plaintext
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from carechain.entries import canonical, crypto, decode_entry
from carechain.errors import InvalidInput, KeyStoreLocked
from carechain.store import SqliteStore, open_store
from carechain.store.sealed import check_sealed, reseal
from carechain.trust import (
    ROLES,
    Certificate,
    CertRequest,
    Directory,
    KdfCost,
    NodeKeys,
    open_file,
    seal_file,
)

__all__ = ["NodeHome", "NodeInfo", "enroll", "init_node", "rekey"]


@dataclass(frozen=True)
class NodeInfo:
    """The public facts of a node."""

    name: str
    role: str
    org: str
    root_public: str = ""


@dataclass(frozen=True)
class NodeHome:
    """Paths in a node's data directory."""

    path: Path

    @property
    def info_file(self) -> Path:
        """Return the public facts file."""
        return self.path / "node.json"

    @property
    def keys_file(self) -> Path:
        """Return the sealed private keys."""
        return self.path / "keys.sealed"

    @property
    def request_file(self) -> Path:
        """Return the certificate request."""
        return self.path / "request.cbor"

    @property
    def store_file(self) -> Path:
        """Return the entry log."""
        return self.path / "store.db"

    @property
    def replaced_keys_file(self) -> Path:
        """Return the keys a rekey replaced."""
        return self.path / "keys.replaced.sealed"

    def info(self) -> NodeInfo:
        """Read the node's public facts."""
        if not self.info_file.exists():
            raise InvalidInput(f"{self.path} is not a carechain node directory (no node.json)")
        return NodeInfo(**json.loads(self.info_file.read_text()))

    def write_info(self, info: NodeInfo) -> None:
        """Write the node's public facts."""
        self.info_file.write_text(json.dumps(asdict(info), indent=2) + "\n")

    def keys(self, secret: str) -> NodeKeys:
        """Unseal the node's private keys with the operator secret."""
        value = open_file(self.keys_file, secret)
        if not isinstance(value, dict):
            raise KeyStoreLocked("key file holds no keys")
        return NodeKeys.from_secret(value)


def _request(keys: NodeKeys, name: str, role: str, org: str) -> CertRequest:
    body = {
        "name": name,
        "role": role,
        "org": org,
        "sig_key": keys.sign_public,
        "box_key": keys.box_public,
    }
    return CertRequest(signature=keys.sign(canonical.encode(body)), **body)  # type: ignore[arg-type]


def init_node(
    path: Path, *, name: str, role: str, org: str, secret: str, cost: KdfCost | None = None
) -> CertRequest:
    """Create a node's keys and certificate request in an empty directory."""
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}")
    home = NodeHome(path)
    path.mkdir(parents=True, exist_ok=True)
    if home.info_file.exists():
        raise InvalidInput(f"{path} already holds a node")
    keys = NodeKeys.generate()
    seal_file(home.keys_file, secret, keys.to_secret(), cost)
    request = _request(keys, name, role, org)
    home.request_file.write_bytes(request.to_bytes())
    home.write_info(NodeInfo(name=name, role=role, org=org))
    return request


def enroll(
    path: Path, *, root_public: bytes, certificate: bytes, empty_log: bool = False
) -> Certificate:
    """Install the trust root and this node's certificate entry into a node directory.

    With `empty_log` the certificate is checked but not stored: a hub enrolled under a new
    key to take over a lost log keeps its log empty for `carechain hub rebuild`, which puts
    the old log back from position 1; the certificate is imported after it.
    """
    home = NodeHome(path)
    info = home.info()
    request = CertRequest.from_bytes(home.request_file.read_bytes())
    entry = decode_entry(certificate)
    directory = Directory(root_public)
    directory.check_signature(entry)
    directory.absorb(entry)
    cert = next(
        (c[0] for k, c in directory.certs.items() if k == crypto.key_id(request.sig_key)), None
    )
    if cert is None:
        raise InvalidInput("this certificate is not for this node's key")
    if cert.role != info.role:
        raise InvalidInput(f"certificate is for role {cert.role!r}, node is {info.role!r}")
    if not empty_log:
        store = SqliteStore(home.store_file)
        try:
            store.append([entry])
        finally:
            store.close()
    home.write_info(
        NodeInfo(name=cert.name, role=cert.role, org=cert.org, root_public=root_public.hex())
    )
    return cert


def rekey(
    path: Path,
    *,
    secret: str,
    now_ms: int,
    store_url: str | None = None,
    cost: KdfCost | None = None,
) -> CertRequest:
    """Give an enrolled node new keys (its old ones lost or stolen) and a request for them.

    The store is first checked against the head the old key signed of it, then that head
    is signed again with the new key; the old keys file and request are kept beside the
    new ones as `keys.replaced.sealed` and `request.replaced.cbor`. Nothing is changed if
    the check finds anything.
    """
    home = NodeHome(path)
    info = home.info()
    old = CertRequest.from_bytes(home.request_file.read_bytes())
    store = open_store(store_url or home.store_file)
    try:
        findings = check_sealed(store, old.sig_key)
        if findings:
            raise InvalidInput(
                f"the log does not match the head the old key signed ({findings[0].code}: "
                f"{findings[0].detail}); run `carechain verify` and rebuild the node instead"
            )
        keys = NodeKeys.generate()
        request = _request(keys, info.name, info.role, info.org)
        if home.keys_file.exists():
            home.keys_file.replace(home.replaced_keys_file)
        home.request_file.replace(home.path / "request.replaced.cbor")
        seal_file(home.keys_file, secret, keys.to_secret(), cost)
        home.request_file.write_bytes(request.to_bytes())
        reseal(store, keys.signing_key, now_ms)
    finally:
        store.close()
    return request
