"""The read path's choices, with in-memory stores and a fake clock: which store answers,
when a failed replica is tried again, and how long a lagging one is waited for. (The real
thing, with a PostgreSQL standby: tests/sync/test_read_replica.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from carechain.config import Settings
from carechain.errors import FieldInvalid, StoreError
from carechain.store import open_store
from carechain.store.base import Store
from carechain.store.replica import ReadPath
from tests.store.test_contract import _record


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 0.001  # every reading moves time on, as the waits' sleeps would
        return self.now


class Replica:
    """A replica holding the first `size` entries of the primary, until it is stopped."""

    def __init__(self, primary: Store, size: int) -> None:
        self.primary, self.size, self.up, self.opened = primary, size, True, 0

    def open(self, url: str) -> Store:
        del url
        if not self.up:
            raise StoreError("cannot open the PostgreSQL store: connection refused")
        self.opened += 1
        return self  # type: ignore[return-value]

    def count(self) -> int:
        if not self.up:
            raise StoreError("count failed: server closed the connection")
        return min(self.size, self.primary.count())

    def raw_since(self, seq: int, limit: int) -> list[object]:
        if not self.up:
            raise StoreError("raw_since failed: server closed the connection")
        return [r for r in self.primary.raw_since(seq, limit) if r.seq <= self.size]

    def close(self) -> None:
        pass


@pytest.fixture
def primary(tmp_path: Path) -> Store:
    store = open_store(f"sqlite:///{tmp_path / 'primary.db'}")
    store.append(_record(9))  # 10 entries
    return store


def test_reads_go_to_the_replica_then_the_primary_while_it_is_down(primary: Store) -> None:
    replica, clock = Replica(primary, 10), Clock()
    reads = ReadPath(primary, "postgresql://standby/db", retry_s=5, clock=clock,
                     open_replica=replica.open)
    assert reads.read(lambda s: s.count()) == 10 and reads.replica_reads == 1
    replica.up = False
    assert reads.read(lambda s: s.count()) == 10  # failed there, done again on the primary
    assert (reads.failovers, reads.primary_reads) == (1, 1)
    replica.up = True
    reads.read(lambda s: s.count())
    assert reads.primary_reads == 2 and replica.opened == 1  # left alone for 5 s
    clock.now += 5
    reads.read(lambda s: s.count())
    assert reads.replica_reads == 2 and replica.opened == 2  # tried again, and back


def test_a_lagging_replica_is_waited_for_then_the_primary_answers(primary: Store) -> None:
    replica = Replica(primary, 6)
    reads = ReadPath(primary, "postgresql://standby/db", lag_wait_s=0.05, clock=Clock(),
                     open_replica=replica.open)
    assert [r.seq for r in reads.rows_after(0, 100)] == list(range(1, 11))
    assert reads.primary_reads == 1 and reads.replica_reads > 1  # it was asked, then passed over
    replica.size = 10
    assert [r.seq for r in reads.rows_after(4, 3)] == [5, 6, 7]  # a full page: no waiting
    assert [r.seq for r in reads.rows_after(6, 100)] == [7, 8, 9, 10]
    assert reads.primary_reads == 1


def test_without_a_replica_every_read_is_the_primarys(primary: Store) -> None:
    reads = ReadPath(primary)
    assert [r.seq for r in reads.rows_after(8, 100)] == [9, 10]
    assert (reads.replica_reads, reads.failovers) == (0, 0)


@pytest.mark.parametrize(
    ("database", "replica"),
    [
        (None, "postgresql://standby/db"),
        ("sqlite:///hub.db", "postgresql://standby/db"),
        ("postgresql://primary/db", "sqlite:///copy.db"),
    ],
)
def test_a_read_replica_needs_postgresql_on_both_sides(database: str | None,
                                                      replica: str) -> None:
    with pytest.raises(FieldInvalid) as caught:
        Settings(data_dir=Path("n"), database_url=database, read_replica_url=replica)
    assert caught.value.field == "read_replica_url"
    ok = Settings(data_dir=Path("n"), database_url="postgresql://primary/db",
                  read_replica_url="postgresql://standby/db")
    assert ok.read_replica_url == "postgresql://standby/db"
