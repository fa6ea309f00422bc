"""Group commit: every push waiting at a moment is verified and stored in one transaction.

One writer thread per process takes all the pushes that arrived while it was busy (from
HTTP `/push` requests and `/stream` sockets alike), stores them with one
`SyncService.push_many` — one durable transaction, one fsync, one signed tree head — and
answers each push's future. The event loop never waits on the disk, and a thousand
tablets each pushing a frame a second cost a few dozen commits a second, not a thousand.
A push's entries are stored in the order they came, after every push submitted before it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future

from carechain.entries import Entry
from carechain.errors import CarechainError, StoreError
from carechain.sync.service import SyncService
from carechain.sync.wire import PushAnswer
from carechain.trust import Certificate

__all__ = ["GroupWriter"]

log = logging.getLogger("carechain.sync")

# Most entries stored in one transaction; a push is never split between two.
GROUP_ENTRIES = 4000

_Batch = tuple[Certificate, Sequence[Entry | CarechainError]]


class GroupWriter:
    """A writer thread that stores queued pushes together and answers each."""

    def __init__(self, service: SyncService, group_entries: int = GROUP_ENTRIES) -> None:
        self.service = service
        self.group_entries = group_entries
        self._queue: deque[tuple[_Batch, Future[PushAnswer]]] = deque()
        self._ready = threading.Condition()
        self._closed = False
        self._thread: threading.Thread | None = None
        self.commits = 0  # transactions so far (the admin console and benchmarks read it)

    def submit(
        self, peer: Certificate, items: Sequence[Entry | CarechainError]
    ) -> Future[PushAnswer]:
        """Queue a push; the future holds its answer once it is durably stored."""
        future: Future[PushAnswer] = Future()
        with self._ready:
            if self._closed:
                raise StoreError("this node is shutting down; push again")
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="carechain-writer", daemon=True
                )
                self._thread.start()
            self._queue.append(((peer, items), future))
            self._ready.notify()
        return future

    async def push(self, peer: Certificate, items: Sequence[Entry | CarechainError]) -> PushAnswer:
        """Queue a push and wait for its answer without blocking the event loop."""
        return await asyncio.wrap_future(self.submit(peer, items))

    def close(self) -> None:
        """Answer what is queued, then stop the thread."""
        with self._ready:
            self._closed = True
            self._ready.notify()
            thread = self._thread
        if thread is not None:
            thread.join(30)

    def _take(self) -> list[tuple[_Batch, Future[PushAnswer]]]:
        with self._ready:
            while not self._queue and not self._closed:
                self._ready.wait()
            group: list[tuple[_Batch, Future[PushAnswer]]] = []
            size = 0
            while self._queue and (
                not group or size + len(self._queue[0][0][1]) <= self.group_entries
            ):
                item = self._queue.popleft()
                size += len(item[0][1])
                group.append(item)
            return group

    def _run(self) -> None:
        while True:
            group = self._take()
            if not group:
                return  # closed, and nothing left to answer
            live = [(batch, f) for batch, f in group if f.set_running_or_notify_cancel()]
            if not live:
                continue
            try:
                answers = self.service.push_many([batch for batch, _ in live])
            except Exception as exc:  # every waiting push hears of it; the next group retries
                log.exception("group commit of %d pushes failed", len(live))
                for _, future in live:
                    future.set_exception(exc)
                continue
            self.commits += 1
            for (_, future), answer in zip(live, answers, strict=True):
                future.set_result(answer)
