"""No request does work that grows with the log: every statement that a pull page,
`/health`, `/sync/v1/info`, the admin pages and start-up run against the log's tables is
answered from an index, on both engines (a full count, scan or grouping of the log would
show in the database's own plan for it).

SQLite: every statement the store's connection runs is traced with its values and then
planned with `EXPLAIN QUERY PLAN`; a `SCAN` of `entries`, `access` or `records` fails.
PostgreSQL: `auto_explain` sends the plan of every statement the store's session runs to
the client, with sequential scans disabled so that even a tiny table is read by index
where an index can serve; a plan node reading one of those tables with neither a
sequential scan nor an unbounded index scan (no index condition) passes.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest
from fastapi.testclient import TestClient

from carechain.accounts import FAST_FOR_TESTS, AccountStore
from carechain.app import create_app
from carechain.node import Node
from carechain.store import Store
from carechain.store.postgres import PostgresStore
from carechain.store.sqlite import SqliteStore
from carechain.sync.client import sync_with
from carechain.testing import Trust, make_node
from carechain.web import accounts_key
from tests.store.engines import pg_url

__all__ = ["pg_url"]

SECRET = "operator-secret"
ADMIN, ADMIN_PASSWORD = "A9001", "lantern-quay-otter-1987"
TABLES = ("entries", "access", "records")
SCANS = ("Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Heap Scan", "Tid Range Scan")


class Plans:
    """The plans of the statements a store runs while watched, by phase."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.phase = "setup"
        self.sql: dict[str, list[str]] = {}
        self.pg: dict[str, list[dict[str, Any]]] = {}
        if isinstance(store, SqliteStore):
            store._db.set_trace_callback(self._traced)
        else:
            assert isinstance(store, PostgresStore)
            conn = store._conn
            conn.execute("LOAD 'auto_explain'")
            for setting, value in (
                ("auto_explain.log_min_duration", "0"),
                ("auto_explain.log_format", "json"),
                ("auto_explain.log_nested_statements", "on"),
                ("client_min_messages", "log"),
                ("enable_seqscan", "off"),
            ):
                conn.execute(f"SET {setting} = {value}")
            conn.add_notice_handler(self._noticed)

    def _traced(self, statement: str) -> None:
        head = statement.lstrip().split(None, 1)[0].upper()
        if head not in ("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "SAVEPOINT", "RELEASE"):
            self.sql.setdefault(self.phase, []).append(statement)

    def _noticed(self, diag: Any) -> None:
        text = str(diag.message_primary or "")
        if "plan:" in text:
            self.pg.setdefault(self.phase, []).append(json.loads(text.split("plan:", 1)[1]))

    def watched(self, phase: str) -> int:
        """Return how many statements were planned in `phase`."""
        return len(self.sql.get(phase, [])) + len(self.pg.get(phase, []))

    def unbounded(self) -> list[str]:
        """Return every statement that reads a log table without an index bounding it."""
        bad: list[str] = []
        if isinstance(self.store, SqliteStore):
            db = sqlite3.connect(self.store.path)
            try:
                for phase, statements in self.sql.items():
                    for statement in statements:
                        for row in db.execute(f"EXPLAIN QUERY PLAN {statement}"):
                            detail = str(row[3])
                            if any(detail.startswith(f"SCAN {t}") for t in TABLES):
                                bad.append(f"{phase}: {detail}: {statement[:200]}")
            finally:
                db.close()
            return bad
        for phase, plans in self.pg.items():
            for plan in plans:
                for node in _nodes(plan["Plan"]):
                    if node.get("Relation Name") not in TABLES or node["Node Type"] not in SCANS:
                        continue
                    bounded = "Index Cond" in node or "Recheck Cond" in node
                    if node["Node Type"] == "Seq Scan" or not bounded:
                        bad.append(
                            f"{phase}: {node['Node Type']} on {node['Relation Name']}: "
                            f"{plan.get('Query Text', '')[:200]}"
                        )
        return bad


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


@pytest.fixture(params=["sqlite", "postgresql"])
def hub_url(request: pytest.FixtureRequest) -> str | None:
    """The hub's store: its own SQLite file (None) or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return None
    return str(request.getfixturevalue("pg_url"))


def _open_hub(path: Path, trust: Trust, url: str | None) -> Node:
    make_node(path, trust, role="hub", name="hub", secret=SECRET).close()
    return Node.open(path, SECRET, store_url=url) if url else Node.open(path, SECRET)


def test_requests_read_the_log_only_through_indexes(
    tmp_path: Path, trust: Trust, hub_url: str | None
) -> None:
    hub = _open_hub(tmp_path / "hub", trust, hub_url)
    accounts = AccountStore(tmp_path / "accounts.db", accounts_key(hub), cost=FAST_FOR_TESTS)
    _, uri = accounts.create_person(ADMIN, "Robin Admin", "admin", ADMIN_PASSWORD,
                                    node_role="hub", now_ms=hub.clock_ms())
    assert uri
    client = TestClient(create_app(hub, accounts=accounts), base_url="http://127.0.0.1")
    crew = make_node(tmp_path / "crew", trust, name="crew-1")
    hospital = make_node(tmp_path / "hospital", trust, role="hospital", name="hospital-a")
    vault = make_node(tmp_path / "vault", trust, role="vault", name="vault")
    try:
        sync_with(hospital, client)
        sync_with(crew, client)
        for n in range(3):
            record, _ = crew.open_record(user="P1", data={"callsign": f"RRV-{n}"})
            crew.append(record=record, user="P1", kind="note.added", data={"text": "before"})
            if n != 1:
                crew.address_to(record=record, user="P1", node_name="hospital-a")
        sync_with(crew, client)

        plans = Plans(hub.store)
        plans.phase = "health"
        assert client.get("/health").status_code == 200
        plans.phase = "sync-info"
        assert client.get("/sync/v1/info").status_code == 200
        plans.phase = "hospital-pull"
        assert sync_with(hospital, client).pulled > 0
        plans.phase = "vault-pull"
        assert sync_with(vault, client).pulled > 0
        plans.phase = "crew-push"
        crew.append(record=record, user="P1", kind="note.added", data={"text": "after"})
        assert sync_with(crew, client).pushed == 1
        plans.phase = "login"
        page = client.post("/login", data={"staff_id": ADMIN, "secret": ADMIN_PASSWORD,
                                           "totp": pyotp.parse_uri(uri).now(), "next": "/"},
                           follow_redirects=False)
        assert page.status_code == 303
        plans.phase = "admin-overview"
        assert client.get("/admin").status_code == 200
        plans.phase = "admin-nodes"
        assert client.get("/admin/nodes").status_code == 200

        for phase in ("health", "sync-info", "hospital-pull", "vault-pull", "crew-push",
                      "admin-overview", "admin-nodes"):
            assert plans.watched(phase), f"no statement of {phase} was seen"
        assert plans.unbounded() == []
    finally:
        client.close()
        accounts.close()
        for n in (hub, crew, hospital, vault):
            n.close()


def test_start_up_reads_the_clock_and_the_size_without_scanning(
    tmp_path: Path, trust: Trust, hub_url: str | None
) -> None:
    hub = _open_hub(tmp_path / "hub", trust, hub_url)
    crew = make_node(tmp_path / "crew", trust, name="crew-1")
    client = TestClient(create_app(hub))
    try:
        sync_with(crew, client)
        crew.open_record(user="P1", data={"callsign": "RRV-1"})
        sync_with(crew, client)
        store = hub.store
        log = store.since(0, 1000)
        newest = max(s.entry.header.hlc for s in log)
        plans = Plans(store)
        plans.phase = "start-up"
        assert store.last_hlc() == newest
        assert store.count() == len(log) == log[-1].seq
        assert store.record_count() == len({s.entry.header.record for s in log})
        assert plans.watched("start-up") == 3
        assert plans.unbounded() == []
    finally:
        client.close()
        hub.close()
        crew.close()
