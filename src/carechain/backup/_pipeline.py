"""Two stages at once: the database works (reading or inserting, without the GIL) while
Python encrypts, hashes and encodes the neighbouring page, so a backup or restore keeps
both cores busy."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

__all__ = ["Behind", "ahead"]

T = TypeVar("T")
_DONE = object()
DEPTH = 3  # pages in flight between the two stages: a few MB each


def ahead(items: Iterator[T], depth: int = DEPTH) -> Iterator[T]:
    """Yield the items of `items`, produced by a thread of their own up to `depth` ahead."""
    pending: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        pending.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            pending.put(_DONE)
        except BaseException as exc:  # handed to the consumer, raised there
            pending.put(exc)

    worker = threading.Thread(target=produce, name="carechain-backup-read", daemon=True)
    worker.start()
    try:
        while True:
            item = pending.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        worker.join()


class Behind:
    """Run calls on one thread of their own, in order, at most `depth` behind the caller;
    `finish` waits for all and raises the first failure."""

    def __init__(self, depth: int = DEPTH) -> None:
        self._depth = depth
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="carechain-restore")
        self._pending: list[Future[None]] = []

    def submit(self, call: Callable[[T], None], item: T) -> None:
        """Queue one call; raise the failure of an earlier one."""
        self._pending.append(self._pool.submit(call, item))
        while len(self._pending) > self._depth:
            self._pending.pop(0).result()

    def finish(self) -> None:
        """Wait until every call is done; raise the first failure."""
        try:
            while self._pending:
                self._pending.pop(0).result()
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)
