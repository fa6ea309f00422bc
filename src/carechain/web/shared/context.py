"""What every page handler needs: the door (the application layer: node and accounts), the
sync loop, the time, and whether the server is stopping (so live streams end at once)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from carechain.accounts import AccountStore, Outcome, audit_event
from carechain.accounts.models import Person
from carechain.node import Node
from carechain.operations import Actor, Door
from carechain.operations.readings import readings_of
from carechain.sync.loop import SyncLoop

__all__ = ["Closing", "WebContext"]


@dataclass
class Closing:
    """Whether the server is stopping, and a way to wake every waiting stream at once."""

    event: threading.Event = field(default_factory=threading.Event)
    _waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def is_set(self) -> bool:
        """Tell whether the server is stopping."""
        return self.event.is_set()

    def close(self) -> None:
        """Say the server is stopping and wake every stream and long poll (any thread)."""
        self.event.set()
        with self._lock:
            waiters = list(self._waiters)
        for loop, woken in waiters:
            with contextlib.suppress(RuntimeError):  # that loop has already closed
                loop.call_soon_threadsafe(woken.set)

    @contextlib.contextmanager
    def waking(self, node: Node, woken: asyncio.Event) -> Iterator[None]:
        """Set `woken` on each new log entry and when the server stops, for the block."""
        loop = asyncio.get_running_loop()
        stop = node.notifier.listen_async(loop, woken)
        held = readings_of(node)  # monitor readings held for their chunk, charted at once
        stop_held = held.changed.listen_async(loop, woken) if held is not None else None
        with self._lock:
            self._waiters.add((loop, woken))
        try:
            yield
        finally:
            stop()
            if stop_held is not None:
                stop_held()
            with self._lock:
                self._waiters.discard((loop, woken))


@dataclass
class WebContext:
    """The web layer's view of one node."""

    node: Node
    accounts: AccountStore
    sync_loop: SyncLoop | None = None
    closing: Closing = field(default_factory=Closing)
    door: Door = field(init=False)

    def __post_init__(self) -> None:
        self.door = Door(self.node, self.accounts)

    def now_ms(self) -> int:
        """Return the node's wall-clock time."""
        return self.node.clock_ms()

    @staticmethod
    def actor(person: Person) -> Actor:
        """Return the application layer's actor for a person logged in to a web app."""
        return Actor.person(person, "web")

    def audit(self, action: str, person: Person | None, *, outcome: Outcome = "success",
              record: str | None = None, detail: dict[str, Any] | None = None,
              staff_id: str | None = None) -> None:
        """Write one audit event through the door, on its own (for what writes nothing else)."""
        with self.door.unit() as uow:
            if person is not None:
                self.door.audit(self.actor(person), uow, action, outcome=outcome,
                                record=record, detail=detail)
                return
            event = audit_event(action, staff_id=staff_id, role=None, at_ms=self.now_ms(),
                                outcome=outcome, record=record,
                                detail={"interface": "web", **(detail or {})})
            self.door.audit_events(uow, [event])

    def write_events(self, events: list[dict[str, Any]]) -> None:
        """Write audit bodies the accounts package built (failed logins, locks)."""
        with self.door.unit() as uow:
            self.door.audit_events(uow, events)
