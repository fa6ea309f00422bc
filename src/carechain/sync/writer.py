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
import contextlib
import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

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
_Checked = Sequence[bool | None] | None  # the batch's signatures, if verified beforehand


class GroupWriter:
    """A writer thread that stores queued pushes together and answers each."""

    def __init__(self, service: SyncService, group_entries: int = GROUP_ENTRIES) -> None:
        self.service = service
        self.group_entries = group_entries
        self._queue: deque[tuple[_Batch, _Waiter, _Checked]] = deque()
        self._ready = threading.Condition()
        self._closed = False
        self._thread: threading.Thread | None = None
        self.commits = 0  # transactions so far

    def submit(
        self,
        peer: Certificate,
        items: Sequence[Entry | CarechainError],
        signatures: _Checked = None,
    ) -> asyncio.Future[PushAnswer]:
        """Queue a push (from the event loop); the future holds its answer once stored.

        An asyncio future, answered by the writer through `call_soon_threadsafe`: lighter
        than a `concurrent.futures.Future` (no lock and condition per push).
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[PushAnswer] = loop.create_future()
        with self._ready:
            if self._closed:
                raise StoreError("this node is shutting down; push again")
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="carechain-writer", daemon=True
                )
                self._thread.start()
            self._queue.append(((peer, items), _Waiter(loop, future), signatures))
            self._ready.notify()
        return future

    async def push(self, peer: Certificate, items: Sequence[Entry | CarechainError]) -> PushAnswer:
        """Queue a push and wait for its answer without blocking the event loop."""
        return await self.submit(peer, items)

    def close(self) -> None:
        """Answer what is queued, then stop the thread."""
        with self._ready:
            self._closed = True
            self._ready.notify()
            thread = self._thread
        if thread is not None:
            thread.join(30)

    def _take(self) -> list[tuple[_Batch, _Waiter, _Checked]]:
        with self._ready:
            while not self._queue and not self._closed:
                self._ready.wait()
            group: list[tuple[_Batch, _Waiter, _Checked]] = []
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
            # A push whose caller has gone (cancelled) is stored all the same: pushes are
            # idempotent, and a stream's later messages may build on it.
            try:
                answers = self.service.push_many(
                    [batch for batch, _, _ in group], [checked for _, _, checked in group]
                )
            except Exception as exc:  # every waiting push hears of it; the next group retries
                log.exception("group commit of %d pushes failed", len(group))
                for _, waiter, _ in group:
                    waiter.fail(exc)
                continue
            self.commits += 1
            for (_, waiter, _), answer in zip(group, answers, strict=True):
                waiter.answer(answer)


class _Waiter:
    """Where the writer thread answers one push: an asyncio future on its own loop."""

    __slots__ = ("future", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop, future: asyncio.Future[PushAnswer]):
        self.loop = loop
        self.future = future

    def answer(self, answer: PushAnswer) -> None:
        self._call(self._set_result, answer)

    def fail(self, exc: BaseException) -> None:
        self._call(self._set_exception, exc)

    def _call(self, fn: Callable[[Any], None], value: Any) -> None:
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody is waiting any more
            self.loop.call_soon_threadsafe(fn, value)

    def _set_result(self, answer: PushAnswer) -> None:
        if not self.future.done():
            self.future.set_result(answer)

    def _set_exception(self, exc: BaseException) -> None:
        if not self.future.done():
            self.future.set_exception(exc)
