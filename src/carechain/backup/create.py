"""Make a backup of a node while it serves: one snapshot of its log, copied as stored.

The log, `meta` and `access` come from one consistent snapshot of the store. SQLite: a copy
of the database file with the online backup API (one read transaction), sent as the file.
PostgreSQL: one REPEATABLE READ transaction read in pages of `ENTRY_PAGE` rows. The
accounts come from SQLite's online backup API.
Everything is encrypted under a fresh content key in a secretstream, and the manifest,
signed by the node's key, commits to every chunk. No entry is decoded on the way.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from carechain.backup._accounts import dump_accounts
from carechain.backup._content import ENTRY_PAGE, LogRoot, encode_message
from carechain.backup._format import BackupWriter, manifest_message, new_content_key
from carechain.backup._image import image_facts, image_pieces
from carechain.backup._pipeline import ahead
from carechain.backup.errors import BackupError
from carechain.entries import canonical, crypto
from carechain.node import Node
from carechain.node.home import NodeHome
from carechain.store import SqliteStore
from carechain.store.bulk import BulkStore, Snapshot
from carechain.trust import DIRECTORY_RECORD, Certificate

__all__ = ["ACCOUNTS_PIECE", "META_PAGE", "BackupResult", "create_backup", "recipients"]

META_PAGE = 20_000  # meta or access rows per chunk
ACCOUNTS_PIECE = 4 << 20  # bytes of the accounts dump per chunk


@dataclass(frozen=True)
class BackupResult:
    """A backup just written: where, what its manifest says, and how long it took."""

    path: Path
    manifest: dict[str, Any]
    seconds: float
    bytes: int

    @property
    def entries(self) -> int:
        """Return how many log entries it holds."""
        return int(self.manifest["entries"])


def recipients(node: Node) -> list[Certificate]:
    """Return whom the content key is sealed to: this node, then every records vault
    in its directory whose key is not revoked."""
    own = _own_certificate(node)
    out = [own]
    for cert in sorted(node.directory.nodes("vault"), key=lambda c: c.name):
        if cert.key_id not in node.directory.revoked and cert.box_key != own.box_key:
            out.append(cert)
    return out


def _own_certificate(node: Node) -> Certificate:
    certs = node.directory.certs.get(node.keys.key_id, [])
    if not certs:
        raise BackupError(f"node {node.info.name!r} holds no certificate of its own key")
    return max(certs, key=lambda c: c.exp)


def _certificate_entry(node: Node, cert: Certificate) -> bytes:
    """Return the directory entry that publishes the node's certificate, as on the wire."""
    for stored in node.store.record(DIRECTORY_RECORD):
        body = canonical.decode(stored.entry.body)
        if isinstance(body, dict) and body.get("kind") == "certificate":
            inner = body.get("cert")
            if isinstance(inner, dict) and inner.get("sig") == cert.signature:
                return stored.entry.to_wire()
    raise BackupError(f"the directory entry of {node.info.name!r}'s certificate is missing")


def _header(node: Node, home: NodeHome, key: bytes, engine: str) -> dict[str, Any]:
    own = _own_certificate(node)
    to = [
        {"key": c.box_key_id, "name": c.name, "role": c.role, "box": crypto.seal(c.box_key, key)}
        for c in recipients(node)
    ]
    return {
        "node": node.info.name,
        "role": node.info.role,
        "engine": engine,
        "cert": _certificate_entry(node, own),
        "keys": home.keys_file.read_bytes(),
        "info": home.info_file.read_bytes(),
        "to": to,
    }


def _push_files(writer: BackupWriter, home: NodeHome, database: str | None) -> dict[str, Any]:
    """Push the data directory's files and the accounts; return the accounts facts."""
    if home.request_file.exists():
        writer.push(encode_message("file", home.request_file.name, home.request_file.read_bytes()))
    accounts = dump_accounts(home.path, database)
    if accounts is not None:
        for i in range(0, max(len(accounts.data), 1), ACCOUNTS_PIECE):
            writer.push(
                encode_message("accounts", accounts.engine, accounts.data[i : i + ACCOUNTS_PIECE])
            )
    return {
        "accounts": accounts.people if accounts else 0,
        "accounts_engine": accounts.engine if accounts else "",
    }


def _push_rows(writer: BackupWriter, snapshot: Snapshot) -> dict[str, Any]:
    """Push the log, meta and access rows of a snapshot; return their facts."""
    meta = snapshot.meta_rows()
    for i in range(0, len(meta), META_PAGE):
        writer.push(encode_message("meta", [list(r) for r in meta[i : i + META_PAGE]]))
    access = snapshot.access_rows()
    for i in range(0, len(access), META_PAGE):
        writer.push(encode_message("access", [list(r) for r in access[i : i + META_PAGE]]))
    positions = snapshot.position_rows()
    for i in range(0, len(positions), META_PAGE):
        writer.push(encode_message("positions", [list(r) for r in positions[i : i + META_PAGE]]))
    tree = LogRoot()
    first = last = 0
    for rows in ahead(snapshot.entry_pages(ENTRY_PAGE)):
        columns = list(zip(*rows, strict=True))
        if not first:
            first = columns[0][0]
        last = columns[0][-1]
        tree.add(columns[1])
        writer.push(encode_message("entries", *columns))
    # Counted in the manifest only when there are some: a backup without them reads as
    # backups made before hubs' positions were kept.
    kept = {"positions": len(positions)} if positions else {}
    return kept | {
        "entries": tree.size,
        "meta": len(meta),
        "access": len(access),
        "first_seq": int(first),
        "last_seq": int(last),
        "tree_size": tree.size,
        "tree_root": tree.root(),
    }


def _push_image(writer: BackupWriter, store: SqliteStore, image: Path) -> dict[str, Any]:
    """Push a consistent copy of a SQLite store's file; return its facts."""
    store.copy_to(image)
    facts = image_facts(image)
    for piece in ahead(image_pieces(image)):
        writer.push(encode_message("sqlite", piece))
    return facts


def create_backup(node: Node, home: Path, out: Path, *, now_ms: int | None = None) -> BackupResult:
    """Write a backup of `node` (data directory `home`) to `out`, atomically."""
    started = time.monotonic()
    store = node.store
    if not isinstance(store, BulkStore):
        raise BackupError("this store engine cannot be backed up")
    node_home = NodeHome(home)
    out = out.absolute()
    if out.is_dir():
        raise BackupError(f"{out} is a directory: give the backup file's name")
    partial = out.with_name(f".{out.name}.partial-{os.getpid()}")
    key = new_content_key()
    image = out.with_name(f".{out.name}.image-{os.getpid()}")
    engine = "sqlite" if isinstance(store, SqliteStore) else "postgresql"
    try:
        header = _header(node, node_home, key, engine)
        with open(partial, "wb") as f:
            os.fchmod(f.fileno(), 0o600)
            writer = BackupWriter(f, key, header)
            facts = _push_files(writer, node_home, getattr(store, "url", None))
            if isinstance(store, SqliteStore):
                facts |= _push_image(writer, store, image)
            else:
                snapshot = store.snapshot()
                try:
                    facts |= _push_rows(writer, snapshot)
                finally:
                    snapshot.close()
            writer.push(encode_message("end"), final=True)
            manifest = {
                "format": 1,
                "node": node.info.name,
                "role": node.info.role,
                "key": node.keys.key_id,
                "created": node.clock_ms() if now_ms is None else now_ms,
                "engine": engine,
                **facts,
                "header": writer.header_hash,
                "chunks": writer.chunks,
            }
            writer.finish(manifest, node.keys.sign(manifest_message(manifest)))
        os.replace(partial, out)
        _sync_dir(out.parent)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        image.unlink(missing_ok=True)
    return BackupResult(out, manifest, time.monotonic() - started, writer.size)


def _sync_dir(path: Path) -> None:
    """Make a rename in this directory durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
