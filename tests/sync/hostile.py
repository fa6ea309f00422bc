"""A hostile hub for tests (DESIGN §10): tamper with its database, restart it from what is
on disk, clone it to fork its history, and alter its HTTP answers in flight.

Everything here works from outside the product: a second SQLite connection to the hub's
`store.db` (with the append-only triggers dropped, as an attacker with the file would),
a fresh `create_app(Node.open(...))` for a breached-and-restarted hub, and an
`httpx.BaseTransport` that rewrites the hub's responses before the node reads them.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from carechain.app import create_app
from carechain.entries import Entry, canonical, decode_signed
from carechain.node import Node, NodeHome
from carechain.sync.heads import Alert, HeadKeeper
from carechain.sync.wire import CBOR, decode_message
from carechain.transparency import leaf_hash, tiles_of
from tests.sync.harness import Chain

__all__ = [
    "HUB_SECRET",
    "HubDb",
    "Rewrite",
    "TamperedAnswers",
    "alerts",
    "backup_store",
    "clone_node",
    "find_plaintext",
    "restart_node",
    "restore_store",
    "rewrite_signed",
    "start_node",
    "stop_node",
]

HUB_SECRET = "operator-secret"  # carechain.testing.make_node's default operator secret
TRIGGERS = ("entries_append_only_update", "entries_append_only_delete",
            "tree_tiles_grow_only", "tree_tiles_no_delete")


@dataclass(frozen=True)
class Row:
    """One row of the hub's `entries` table, as stored."""

    seq: int
    id: bytes
    record: bytes
    signed: bytes
    signature: bytes


class HubDb:
    """A second connection to a node's store.db, with the append-only triggers dropped."""

    def __init__(self, store_file: Path) -> None:
        self.db = sqlite3.connect(str(store_file), isolation_level=None)
        for trigger in TRIGGERS:
            self.db.execute(f"DROP TRIGGER IF EXISTS {trigger}")

    def __enter__(self) -> HubDb:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (the triggers stay dropped: the hub is owned)."""
        self.db.close()

    def rows(self) -> list[Row]:
        """Return every entry row in log order."""
        got = self.db.execute(
            "SELECT seq, id, record, signed, signature FROM entries ORDER BY seq").fetchall()
        return [Row(int(s), bytes(i), bytes(r), bytes(g), bytes(sig)) for s, i, r, g, sig in got]

    def row(self, entry_id: bytes) -> Row:
        """Return the row of one entry."""
        [found] = [r for r in self.rows() if r.id == entry_id]
        return found

    def set_signed(self, entry_id: bytes, signed: bytes, *, fix_id: bool = False) -> bytes:
        """Replace an entry's signed bytes; with fix_id, also its id column. Return the id."""
        digest = hashlib.sha256(signed).digest() if fix_id else entry_id
        self.db.execute("UPDATE entries SET signed = ?, id = ? WHERE id = ?",
                        (signed, digest, entry_id))
        self.retile()
        return digest

    def set_signature(self, entry_id: bytes, signature: bytes) -> None:
        """Replace an entry's signature column."""
        self.db.execute("UPDATE entries SET signature = ? WHERE id = ?", (signature, entry_id))

    def set_record(self, entry_id: bytes, record: bytes) -> None:
        """Replace an entry's `record` routing column (not the signed header)."""
        self.db.execute("UPDATE entries SET record = ? WHERE id = ?", (record, entry_id))

    def delete(self, entry_id: bytes) -> int:
        """Drop an entry and renumber the log densely behind it, so the hub's tree, pages
        and proofs stay self-consistent (a careful attacker). Return the dropped seq."""
        seq = self.row(entry_id).seq
        self.db.execute("BEGIN IMMEDIATE")
        self.db.execute("DELETE FROM entries WHERE seq = ?", (seq,))
        # Two steps, so no intermediate seq collides with a row not yet moved.
        self.db.execute("UPDATE entries SET seq = -seq WHERE seq > ?", (seq,))
        self.db.execute("UPDATE entries SET seq = -seq - 1 WHERE seq < 0")
        self.db.execute("UPDATE access SET seq = seq - 1 WHERE seq > ?", (seq,))
        self.db.execute("UPDATE sqlite_sequence SET seq = seq - 1 WHERE name = 'entries'")
        self.db.execute("COMMIT")
        self.retile()
        return seq

    def insert(self, entry: Entry, *, record: bytes | None = None) -> int:
        """Append an entry row the hub never received (with its access rows if a grant)."""
        h = entry.header
        cur = self.db.execute(
            "INSERT INTO entries (id, record, cls, author, hlc_ms, hlc_counter, signed,"
            " signature, stored_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (entry.id, record or h.record, h.cls, h.author, h.hlc.ms, h.hlc.counter,
             entry.signed, entry.signature, time.time_ns() // 1_000_000),
        )
        seq = int(cur.lastrowid or 0)
        if h.cls == "grant":
            self.db.executemany("INSERT OR IGNORE INTO access (record, key, seq) VALUES (?, ?, ?)",
                                [(record or h.record, k, seq) for k in h.recipients])
        self.retile()
        return seq

    def retile(self) -> None:
        """Write the tree's tiles again from the entries as they now are, so the hub's tree
        is the tree of what the attacker left (a careful attacker: the hub then signs and
        proves the altered log, and only the nodes' own checks can catch it). The node's
        own signed head of its log goes too: without the hub's key it cannot be signed
        again, and the hub would refuse tiles that disagree with it."""
        leaves = [leaf_hash(r.id) for r in self.rows()]
        self.db.execute("BEGIN IMMEDIATE")
        self.db.execute("DELETE FROM meta WHERE key IN ('log:head', 'log:frontier')")
        self.db.execute("DELETE FROM tree_tiles")
        self.db.executemany(
            "INSERT INTO tree_tiles (level, idx, width, hashes) VALUES (?, ?, ?, ?)",
            [(lv, i, len(h) // 32, h) for (lv, i), h in tiles_of(leaves).items()])
        self.db.execute("COMMIT")


def rewrite_signed(signed: bytes, **fields: Any) -> bytes:
    """Return an entry's signed map with some fields replaced, re-encoded canonically (so
    it still decodes as an entry)."""
    m = canonical.decode(signed)
    m.update(fields)
    if "body" in fields:
        m["len"] = len(fields["body"])
    out = canonical.encode(m)
    decode_signed(out, bytes(64))  # still a well-formed entry
    return out


def start_node(chain: Chain, home: Path, name: str = "hub") -> Node:
    """Open a node from its directory on disk and serve it under `name` in the chain."""
    node = Node.open(home / name, HUB_SECRET)
    chain.nodes[name] = node
    chain.clients[name] = TestClient(create_app(node))
    return node


def stop_node(chain: Chain, name: str = "hub") -> None:
    """Close a node's app and store (SQLite checkpoints its WAL on the last close)."""
    chain.clients[name].close()
    chain.nodes[name].close()


def restart_node(chain: Chain, home: Path, name: str = "hub") -> Node:
    """Stop a node and start it again from its directory: a hub rebuilds its transparency
    log from whatever its store now holds."""
    stop_node(chain, name)
    return start_node(chain, home, name)


def backup_store(store_file: Path, to: Path) -> Path:
    """Take a consistent copy of a live SQLite store (the online backup API)."""
    src = sqlite3.connect(str(store_file))
    dst = sqlite3.connect(str(to))
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
    return to


def restore_store(chain: Chain, home: Path, copy: Path, name: str = "hub") -> Node:
    """Stop a node, put an earlier copy of its store back, and start it again."""
    stop_node(chain, name)
    store = NodeHome(home / name).store_file
    for suffix in ("-wal", "-shm"):
        Path(f"{store}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(copy, store)
    return start_node(chain, home, name)


def clone_node(chain: Chain, home: Path, source: str, name: str) -> Node:
    """Copy a node's directory (same keys, a copy of its store) and serve it as `name`: a
    second face of the same hub, free to grow a different history."""
    src, dst = NodeHome(home / source), NodeHome(home / name)
    dst.path.mkdir()
    for f in (src.info_file, src.keys_file, src.request_file):
        if f.exists():
            shutil.copyfile(f, dst.path / f.name)
    backup_store(src.store_file, dst.store_file)
    return start_node(chain, home, name)


Rewrite = Callable[[httpx.Request, dict[str, Any]], dict[str, Any]]


class TamperedAnswers(httpx.BaseTransport):
    """Send requests to a real node, then rewrite its CBOR answers on chosen paths."""

    def __init__(self, inner: httpx.Client, rewrites: dict[str, Rewrite]) -> None:
        self.inner = inner
        self.rewrites = rewrites
        self.seen: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.send(request)
        response.read()
        rewrite = self.rewrites.get(request.url.path)
        if rewrite is None or response.status_code != 200:
            headers = [(k, v) for k, v in response.headers.multi_items()
                       if k.lower() not in ("content-length", "content-encoding")]
            return httpx.Response(response.status_code, headers=headers,
                                  content=response.content)
        self.seen.append(request.url.path)
        message = rewrite(request, decode_message(response.content))
        return httpx.Response(200, headers={"content-type": CBOR},
                              content=canonical.encode(message))


def alerts(node: Node) -> list[Alert]:
    """Return a node's integrity alerts, oldest first."""
    return HeadKeeper(node.store, node.directory).alerts()


def _encodings(value: str) -> Iterator[tuple[str, bytes]]:
    for codec in ("utf-8", "utf-16-le", "utf-16-be"):
        yield codec, value.encode(codec).lower()


def find_plaintext(files: Iterable[Path], needles: Iterable[str]) -> list[tuple[str, str, str]]:
    """Return (file name, needle, codec) for every needle found in any file,
    case-insensitively, in UTF-8, UTF-16-LE and UTF-16-BE."""
    blobs = {f: f.read_bytes().lower() for f in files if f.is_file()}
    found = []
    for needle in needles:
        for codec, pattern in _encodings(needle):
            found += [(f.name, needle, codec) for f, blob in blobs.items() if pattern in blob]
    return found
