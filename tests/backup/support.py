"""Builders for the backup tests (this module holds no tests): a trust with a records
vault, a node on either engine with records, people and bookkeeping, and helpers that
read a store's rows exactly as stored."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from carechain.accounts import FAST_FOR_TESTS, AccountStore
from carechain.node import Node
from carechain.store import Store
from carechain.store.bulk import BulkStore
from carechain.testing import Trust, make_node
from carechain.trust import DIRECTORY_RECORD
from carechain.web import accounts_key
from tests.conftest import OPENED
from tests.store.engines import PG_URL

SECRET = "operator-secret"
VAULT_SECRET = "vault-secret"


def fresh_pg() -> str:
    """Return the URL of a new, existing, empty PostgreSQL schema (drop it afterwards)."""
    from carechain.store.postgres import create_schema

    url = f"{PG_URL}?options=-csearch_path%3Dcc_{uuid.uuid4().hex[:12]}"
    create_schema(url)
    return url


@dataclass
class World:
    """A trust with a records vault, and one node whose backups are made."""

    trust: Trust
    vault: Path
    home: Path
    database: str | None
    node: Node

    def reopen(self) -> Node:
        """Close and open the node again (as a new process would)."""
        self.node.close()
        self.node = Node.open(self.home, SECRET, store_url=self.database)
        return self.node


def make_world(tmp: Path, trust: Trust, *, database: str | None, role: str = "hub",
               name: str = "hub-1", records: int = 3, notes: int = 5) -> World:
    """Return a node of `role` (log in `database`, or its SQLite file) holding records,
    the vault's certificate, two people and some bookkeeping."""
    vault = make_node(tmp / "vault", trust, role="vault", name="vault-records",
                      secret=VAULT_SECRET)
    vault_cert = [s.entry for s in vault.store.record(DIRECTORY_RECORD)]
    vault.close()
    home = tmp / name
    make_node(home, trust, role=role, name=name, secret=SECRET).close()
    node = Node.open(home, SECRET, store_url=database)
    assert all(r.error is None for r in node.ingest(vault_cert))
    world = World(trust, tmp / "vault", home, database, node)
    author = make_node(tmp / "crew-author", trust, name="crew-author") if role == "hub" else node
    for r in range(records):
        record, _ = author.open_record(user="P100234", data=OPENED)
        for n in range(notes):
            author.append(record=record, user="P100234", kind="note.added",
                          data={"text": f"record {r} note {n}"})
    if author is not node:
        author_dir = [s.entry for s in author.store.record(DIRECTORY_RECORD)]
        rest = [s.entry for s in author.store.since(0, 100_000)
                if s.entry.header.record != DIRECTORY_RECORD]
        assert all(r.error is None for r in node.ingest(author_dir + rest))
        author.close()
    node.store.set_meta_many([("pull:" + "ab" * 32, b"17"), ("head:x", b"\x00\x01")])
    # The accounts live where the node's log does: its PostgreSQL database, or its directory.
    accounts = AccountStore(database or home / "accounts.db", accounts_key(node),
                            cost=FAST_FOR_TESTS)
    for staff, display, role_ in (("A9001", "Robin Admin", "admin"),
                                  ("AU7001", "Avery Quinn", "auditor")):
        accounts.create_person(staff, display, role_, "lantern-quay-otter-1987",
                               node_role=node.info.role, now_ms=node.clock_ms())
    accounts.close()
    return world


def rows(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Return every row of the log, access and meta tables, exactly as stored."""
    assert isinstance(store, BulkStore)
    snapshot = store.snapshot()
    try:
        entries = [tuple(bytes(v) if isinstance(v, memoryview) else v for v in r)
                   for page in snapshot.entry_pages(1000) for r in page]
        return {"entries": entries, "access": snapshot.access_rows(),
                "meta": snapshot.meta_rows()}
    finally:
        snapshot.close()


def leftovers(parent: Path, name: str) -> list[str]:
    """Return what a restore to `parent/name` left behind: the target or staging dirs."""
    return sorted(p.name for p in parent.iterdir() if p.name == name
                  or p.name.startswith(f".{name}.restore-"))
