"""A hub on PostgreSQL serving pull and live from a real streaming replica (a hot standby
started with PostgreSQL's own tools): a hospital following through it gets every entry, in
order, with valid proofs, also while the replica lags and after it stops."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from carechain.app import create_app
from carechain.node import Node
from carechain.node.verify import verify_node
from carechain.store.replica import ReadPath
from carechain.sync.client import sync_with
from carechain.sync.follow import follow
from carechain.sync.heads import HeadKeeper
from carechain.sync.policy import page_for
from carechain.sync.service import SyncService
from carechain.testing import ServedApp, Trust, make_node
from carechain.transparency import leaf_hash, log_id_from_key, verify_inclusion
from tests.store.engines import PG_URL, pg_url
from tests.store.standby import Standby

__all__ = ["pg_url"]

SECRET = "operator-secret"


@pytest.fixture(scope="module")
def standby() -> Iterator[Standby]:
    """A hot standby of the test server for this module's tests (stopped and removed after)."""
    s = Standby(PG_URL)
    try:
        yield s.start()
    finally:
        s.remove()


class Chain:
    """A hub on the primary with a read replica, a crew node and a hospital node."""

    def __init__(self, tmp_path: Path, trust: Trust, pg_url: str, standby: Standby) -> None:
        self.replica_url = standby.url(pg_url)
        make_node(tmp_path / "hub", trust, role="hub", name="hub", secret=SECRET).close()
        self.hub = Node.open(tmp_path / "hub", SECRET, store_url=pg_url)
        standby.wait_for(self.replica_url, "SELECT to_regclass('entries') IS NOT NULL")
        self.app = create_app(self.hub, read_replica=self.replica_url)
        self.sync: SyncService = self.app.state.sync
        self.served = ServedApp(self.app)
        self.crew = make_node(tmp_path / "crew", trust, name="crew-1")
        self.hospital = make_node(tmp_path / "hospital", trust, role="hospital", name="hospital-a")
        self.http = httpx.Client(base_url=self.served.url, timeout=30)
        sync_with(self.hospital, self.http)
        sync_with(self.crew, self.http)
        self.record, _ = self.crew.open_record(user="P1", data={"callsign": "RRV-1"})
        self.crew.address_to(record=self.record, user="P1", node_name="hospital-a")
        sync_with(self.crew, self.http)

    @property
    def reads(self) -> ReadPath:
        return self.sync.reads

    def note(self, text: str) -> None:
        """Write a note on the crew node and push it to the hub."""
        self.crew.append(record=self.record, user="P1", kind="note.added", data={"text": text})
        sync_with(self.crew, self.http)

    def notes(self) -> list[str]:
        return [n["text"] for n in self.hospital.state(self.record)["items"].get("notes", [])]

    def check_hospital(self, texts: list[str]) -> None:
        """The hospital holds the notes in order, every entry in the hub's order, no alert."""
        assert self.notes() == texts
        assert HeadKeeper(self.hospital.store, self.hospital.directory).alerts() == []
        assert verify_node(self.hospital) == []
        log_id = log_id_from_key(self.hub.keys.sign_public)
        noted = self.hospital.store.positioned(log_id, 0, 10_000)
        hub_seq = self.hub.store.seqs_of([p.id for p in noted])
        # Each entry the hospital took is noted where the hub's log holds it, in its order.
        assert [p.seq for p in noted] == [hub_seq[p.id] for p in noted]
        assert [p.seq for p in noted] == sorted(p.seq for p in noted)
        # Every entry of the record the hub holds (the hospital's own, pushed, included).
        hub_ids = {s.entry.id for s in self.hub.store.record(self.record)}
        assert hub_ids <= {s.entry.id for s in self.hospital.store.record(self.record)}

    def close(self) -> None:
        self.http.close()
        self.served.stop()
        for n in (self.hub, self.crew, self.hospital):
            n.close()


@pytest.fixture
def chain(tmp_path: Path, trust: Trust, pg_url: str, standby: Standby) -> Iterator[Chain]:
    c = Chain(tmp_path, trust, pg_url, standby)
    try:
        yield c
    finally:
        c.close()


def _on_standby(standby: Standby, url: str, statement: str) -> None:
    with psycopg.connect(standby.url(url), autocommit=True) as conn:
        conn.execute(statement)


def test_a_lagging_replica_serves_only_what_it_applied_and_pulls_still_get_everything(
    chain: Chain, standby: Standby, pg_url: str
) -> None:
    _on_standby(standby, pg_url, "SELECT pg_wal_replay_pause()")
    try:
        replica_size = chain.reads.read(lambda s: s.count())
        chain.note("written while the replica is paused")
        assert chain.hub.store.count() > replica_size
        # A page read on the replica alone ends at what it applied, and the hub's head
        # (fed by the primary, never smaller) proves every entry on it.
        peer = chain.hub.directory.nodes("hospital")[0]
        page = chain.reads.read(lambda s: page_for(s, peer, 0, 1000))
        assert page.next == replica_size and not page.more
        head = chain.sync.head()
        assert head is not None and head.size >= page.next
        for row in page.entries:
            proof = chain.sync.log.inclusion(row.seq, head.size)  # type: ignore[union-attr]
            verify_inclusion(leaf_hash(row.id), row.seq - 1, head.size, proof, head.root)
        # A pull waits briefly for the replica, then reads the primary: nothing held back.
        before = chain.reads.primary_reads
        sync_with(chain.hospital, chain.http)
        assert chain.reads.primary_reads > before
        chain.check_hospital(["written while the replica is paused"])
    finally:
        _on_standby(standby, pg_url, "SELECT pg_wal_replay_resume()")
    size = chain.hub.store.count()
    standby.wait_for(chain.replica_url, f"SELECT max(seq) >= {size} FROM entries")
    before = chain.reads.replica_reads
    sync_with(chain.hospital, chain.http)
    assert chain.reads.replica_reads > before


def test_live_delivery_does_not_wait_on_a_replica_that_stopped_applying(
    chain: Chain, standby: Standby, pg_url: str
) -> None:
    key = chain.crew.directory.nodes("hub")[0].key_id.hex()

    async def scenario() -> float:
        stop = asyncio.Event()
        task = asyncio.create_task(follow(chain.hospital, chain.served.url, key, stop=stop))
        await asyncio.sleep(0.3)
        _on_standby(standby, pg_url, "SELECT pg_wal_replay_pause()")
        try:
            sent = time.monotonic()
            await asyncio.to_thread(chain.note, "while the replica is paused")
            while chain.notes() != ["while the replica is paused"]:
                assert not task.done() and time.monotonic() - sent < 30
                await asyncio.sleep(0.02)
            return time.monotonic() - sent
        finally:
            _on_standby(standby, pg_url, "SELECT pg_wal_replay_resume()")
            stop.set()
            await asyncio.wait_for(task, 10)

    before = chain.reads.primary_reads
    asyncio.run(scenario())
    assert chain.reads.primary_reads > before  # the woken entry was read on the primary
    chain.check_hospital(["while the replica is paused"])


def test_a_hospital_follows_through_the_replica_and_fails_over_when_it_stops(
    chain: Chain, standby: Standby
) -> None:
    texts = [f"note {i}" for i in range(12)]
    key = chain.crew.directory.nodes("hub")[0].key_id.hex()

    async def scenario() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(follow(chain.hospital, chain.served.url, key, stop=stop))

        async def arrived(n: int) -> None:
            deadline = time.monotonic() + 30
            while len(chain.notes()) < n:
                if task.done():
                    task.result()  # raises what stopped the follower
                assert time.monotonic() < deadline, f"{chain.notes()} after 30 s"
                await asyncio.sleep(0.02)

        await asyncio.sleep(0.3)
        for i, text in enumerate(texts):
            if i == 6:
                await arrived(6)
                assert chain.reads.replica_reads > 0 and chain.reads.failovers == 0
                await asyncio.to_thread(standby.stop)  # mid-follow, as a crash would
            await asyncio.to_thread(chain.note, text)
        await arrived(len(texts))
        stop.set()
        await asyncio.wait_for(task, 10)

    asyncio.run(scenario())
    assert chain.reads.failovers >= 1
    chain.check_hospital(texts)
    # A later pull, with the replica gone, is served by the primary.
    sync_with(chain.hospital, chain.http)
    chain.check_hospital(texts)

