"""Where a hub's pull pages and live delivery read the log: a streaming replica, or the primary.

A hub on PostgreSQL may name a read replica (a hot standby fed by streaming replication).
Writes always go to the primary; the reads that carry the bulk of a hub's traffic (pull
pages, live delivery, catching a subscriber up) go to the replica while it answers, and to
the primary when it does not.

Why a page read from a replica never breaks a proof: a physical replica holds a prefix of
the primary's log, so everything one read sees is entries 1 … n of the primary's log for
some n no larger than the primary's size. A page is computed from one source from start to
end (its size, its rows, its backfill); the hub's Merkle tree is fed from the primary, so
the signed head served with it has a size of at least n and proves every entry of the page.
A replica that lags only serves a shorter page: the page's `next` never passes what that
source holds, so nothing is skipped, and heads never shrink (they come from the primary).

Failover: a read that fails on the replica (stopped, unreachable) is done again on the
primary, and the replica is left alone for `retry_s` seconds before it is tried again.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from carechain.errors import StoreError
from carechain.store.base import RawRow, Store

__all__ = ["ReadPath"]

T = TypeVar("T")
log = logging.getLogger(__name__)

RETRY_S = 5.0  # how long a failed replica is left alone
LAG_WAIT_S = 0.2  # how long live delivery waits for the replica to apply a woken entry
_LAG_STEP_S = 0.005


class ReadPath:
    """The store a read goes to: the replica when one is named and answers, else the primary."""

    def __init__(
        self,
        primary: Store,
        replica_url: str | None = None,
        *,
        retry_s: float = RETRY_S,
        lag_wait_s: float = LAG_WAIT_S,
        clock: Callable[[], float] = time.monotonic,
        open_replica: Callable[[str], Store] | None = None,
    ) -> None:
        self.primary = primary
        self.replica_url = replica_url
        self._retry_s = retry_s
        self._lag_wait_s = lag_wait_s
        self._clock = clock
        self._open = open_replica or _open_postgres
        self._replica: Store | None = None
        self._down_until = 0.0
        self._lock = threading.Lock()
        self.replica_reads = 0  # reads the replica answered (for operations and tests)
        self.primary_reads = 0  # reads the primary answered
        self.failovers = 0  # times the replica failed and a read went to the primary

    def _open_replica(self) -> Store | None:
        """Return the replica's store, opening it if due; None while it is left alone."""
        if self.replica_url is None:
            return None
        with self._lock:
            if self._replica is not None:
                return self._replica
            if self._clock() < self._down_until:
                return None
            try:
                self._replica = self._open(self.replica_url)
            except StoreError as exc:
                self._mark_down(exc)
                return None
            return self._replica

    def _mark_down(self, exc: Exception) -> None:
        """Leave the replica alone for a while (the caller holds the lock)."""
        log.warning("read replica unavailable, reading from the primary: %s", exc)
        self.failovers += 1
        self._down_until = self._clock() + self._retry_s
        replica, self._replica = self._replica, None
        if replica is not None:
            with contextlib.suppress(StoreError):
                replica.close()

    def read(self, fn: Callable[[Store], T]) -> T:
        """Run one whole read on one source: the replica if it answers, else the primary."""
        replica = self._open_replica()
        if replica is not None:
            try:
                out = fn(replica)
            except StoreError as exc:
                with self._lock:
                    if self._replica is replica:
                        self._mark_down(exc)
            else:
                self.replica_reads += 1
                return out
        out = fn(self.primary)
        self.primary_reads += 1
        return out

    def read_current(self, fn: Callable[[Store], T], reached: Callable[[T, int], bool]) -> T:
        """Run a read that must not end behind the primary's size as it was when asked.

        `reached(result, size)` says whether a result covers the primary's `size` (or says
        more follows). A replica that has not applied that far is given `lag_wait_s`, then
        the read runs on the primary: a replica that stopped applying delays nothing."""
        if self.replica_url is None:
            return self.read(fn)
        target = self.primary.count()
        deadline = self._clock() + self._lag_wait_s
        out = self.read(fn)
        while not reached(out, target) and self._clock() < deadline:
            time.sleep(_LAG_STEP_S)
            out = self.read(fn)
        if reached(out, target):
            return out
        self.primary_reads += 1
        return fn(self.primary)

    def rows_after(self, cursor: int, limit: int) -> list[RawRow]:
        """Return up to `limit` rows after `cursor`, for live delivery, not behind the primary.

        A wake-up comes from the primary at commit, usually before the replica has applied
        the entry: see `read_current`."""

        def reached(rows: list[RawRow], size: int) -> bool:
            return len(rows) == limit or (rows[-1].seq if rows else cursor) >= size

        return self.read_current(lambda s: s.raw_since(cursor, limit), reached)

    def close(self) -> None:
        """Close the replica's connection (the primary belongs to the node)."""
        with self._lock:
            replica, self._replica = self._replica, None
        if replica is not None:
            replica.close()


def _open_postgres(url: str) -> Store:
    """Open the replica's store (imported here: SQLite-only nodes never load psycopg)."""
    from carechain.store.postgres import PostgresStore

    return PostgresStore(url)
