"""Wake live subscribers when the log grows: from this process, or (PostgreSQL) another."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

__all__ = ["LogNotifier"]


class LogNotifier:
    """Tell every registered listener the latest stored sequence number."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: list[Callable[[int], None]] = []
        self.latest = 0

    def notify(self, seq: int) -> None:
        """Record that entries up to seq are stored, and wake the listeners."""
        with self._lock:
            if seq <= self.latest:
                return
            self.latest = seq
            listeners = list(self._listeners)
        for listener in listeners:
            listener(seq)

    def listen(self, callback: Callable[[int], None]) -> Callable[[], None]:
        """Call back on every new seq (from any thread); return a function that stops it."""
        with self._lock:
            self._listeners.append(callback)

        def stop() -> None:
            with self._lock:
                if callback in self._listeners:
                    self._listeners.remove(callback)

        return stop

    def listen_async(
        self, loop: asyncio.AbstractEventLoop, event: asyncio.Event
    ) -> Callable[[], None]:
        """Set an asyncio event on its own loop at every new seq."""

        def wake(_seq: int) -> None:
            loop.call_soon_threadsafe(event.set)

        return self.listen(wake)
