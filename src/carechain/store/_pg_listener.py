"""Live fan-out between hub processes: a LISTEN connection that wakes a callback."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import TupleRow

from carechain.errors import StoreError
from carechain.store._pg_schema import channel_for

__all__ = ["PgListener"]

log = logging.getLogger(__name__)

# Notice a peer that vanished without closing the socket within about a minute.
_KEEPALIVES: dict[str, Any] = {
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}


class PgListener:
    """Call `callback(seq)` whenever the log at `url` grows, from any process.

    `start` connects (autocommit), runs `LISTEN` on the store's channel and returns once
    it listens, so every append committed afterwards is seen. A daemon thread then waits
    on `conn.notifies(timeout=poll)` and calls the callback with each payload: the highest
    seq an append stored. If the connection drops, the thread reconnects with exponential
    backoff (`min_backoff` doubling up to `max_backoff` seconds) and, because notices sent
    while it was away are lost, calls the callback once with the log's current highest seq.

    A seq is a wake-up, not a delivery: it may repeat, and the receiver reads the log from
    its own cursor (`Store.since`). The callback runs on the listener's thread; an
    exception it raises is logged and the listener carries on. `stop` ends the thread
    within about `poll` seconds.
    """

    def __init__(
        self, url: str, *, poll: float = 0.5, min_backoff: float = 0.1, max_backoff: float = 5.0
    ) -> None:
        self._url = url
        self._poll = poll
        self._min_backoff = min_backoff
        self._max_backoff = max_backoff
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._conn: psycopg.Connection[TupleRow] | None = None
        self.channel: str | None = None
        self.reconnects = 0

    @property
    def backend_pid(self) -> int | None:
        """Return the server process id of the listening connection, if connected."""
        conn = self._conn
        return None if conn is None or conn.closed else conn.info.backend_pid

    def start(self, callback: Callable[[int], None]) -> None:
        """Connect, LISTEN, and start calling `callback` from a daemon thread."""
        if self._thread is not None:
            raise RuntimeError("the listener is already started")
        try:
            conn = self._listen()
        except psycopg.Error as exc:
            raise StoreError(f"cannot listen for new entries: {exc}") from exc
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._run, args=(conn, callback), name="carechain-pg-listener", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop listening and wait up to `timeout` seconds for the thread to end."""
        self._stopping.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)

    def _listen(self) -> psycopg.Connection[TupleRow]:
        given = conninfo_to_dict(self._url)
        extra = {k: v for k, v in _KEEPALIVES.items() if k not in given}
        conn = psycopg.connect(self._url, autocommit=True, **extra)
        try:
            row = conn.execute("SELECT current_schema()").fetchone()
            if row is None or row[0] is None:
                raise StoreError("no schema of the URL's search_path exists")
            self.channel = channel_for(str(row[0]))
            conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        return conn

    def _deliver(self, callback: Callable[[int], None], payload: str) -> None:
        try:
            seq = int(payload)
        except ValueError:
            log.warning("ignoring a notification with payload %r", payload)
            return
        try:
            callback(seq)
        except Exception:
            log.exception("the new-entries callback failed")

    def _run(
        self, conn: psycopg.Connection[TupleRow] | None, callback: Callable[[int], None]
    ) -> None:
        backoff = self._min_backoff
        while not self._stopping.is_set():
            try:
                if conn is None:
                    conn = self._listen()
                    self.reconnects += 1
                    row = conn.execute("SELECT coalesce(max(seq), 0) FROM entries").fetchone()
                    if row and row[0]:
                        self._deliver(callback, str(row[0]))  # what passed while away
                    backoff = self._min_backoff
                for note in conn.notifies(timeout=self._poll):
                    if note.channel == self.channel:
                        self._deliver(callback, note.payload)
                    if self._stopping.is_set():
                        break
            except (psycopg.Error, StoreError) as exc:
                log.warning("listener connection lost (%s); retrying in %.1fs", exc, backoff)
                if conn is not None:
                    conn.close()
                conn = None
                if self._stopping.wait(backoff):
                    break
                backoff = min(backoff * 2, self._max_backoff)
        if conn is not None:
            conn.close()
