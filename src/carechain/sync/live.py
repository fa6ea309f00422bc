"""Live delivery: new entries pushed to subscribers over a WebSocket the moment they are stored.

A subscriber (a hospital dashboard, a vault, any node) opens `/sync/v1/live?after=N` with
the same signed headers as any sync request. It first receives every entry after its cursor
that it may receive (as a pull would give it), then each new one as soon as it is stored —
by this process, or by another hub process sharing the PostgreSQL database (their
`NOTIFY` wakes this one). Messages are CBOR `{"v": 1, "entries": [[seq, wire], …],
"next": cursor}`; a subscriber that reconnects with its last `next` misses nothing.

One dispatcher per process reads each new entry once and hands it to every subscriber
entitled to it, so the cost of a new entry does not grow with a query per subscriber.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import cast

from starlette.websockets import WebSocket, WebSocketDisconnect

from carechain.entries import decode_signed
from carechain.entries.canonical import encode_pair
from carechain.store import RawRow
from carechain.sync.policy import ALL, FULL_ROLES, page_for
from carechain.sync.service import SyncService
from carechain.sync.sockets import signed_opening
from carechain.sync.wire import encode_message
from carechain.trust import DIRECTORY_RECORD, Certificate

__all__ = ["LiveHub"]

READ_PAGE = 1000
QUEUE_LIMIT = 10_000


@dataclass(eq=False)
class Subscriber:
    """One live connection and what it may receive."""

    peer: Certificate
    records: set[bytes] | None
    queue: asyncio.Queue[list[tuple[int, bytes, bool]]] = field(
        default_factory=lambda: asyncio.Queue(QUEUE_LIMIT)
    )
    overflowed: bool = False

    def offer(self, batch: list[tuple[int, bytes, bool]]) -> None:
        """Queue entries for the connection; a full queue closes it (it resumes by cursor)."""
        try:
            self.queue.put_nowait(batch)
        except asyncio.QueueFull:
            self.overflowed = True


class LiveHub:
    """The per-process dispatcher of new entries to live subscribers.

    Subscribers are indexed by record (and by receiving key, for new grants), so a new
    entry costs a dictionary lookup and the subscribers entitled to it, however many are
    connected; each entry's wire bytes are read once, undecoded, and shared.
    """

    def __init__(self, service: SyncService) -> None:
        self.service = service
        self.subscribers: set[Subscriber] = set()
        self._everything: set[Subscriber] = set()  # hubs and vaults: every entry
        self._by_record: dict[bytes, set[Subscriber]] = {}
        self._by_key: dict[bytes, set[Subscriber]] = {}
        self.cursor = service.node.store.count()
        self._task: asyncio.Task[None] | None = None
        self._event: asyncio.Event | None = None
        self._stop_listening: object = None

    def _add(self, sub: Subscriber) -> None:
        self.subscribers.add(sub)
        if sub.records is None:
            self._everything.add(sub)
            return
        self._by_key.setdefault(sub.peer.box_key_id, set()).add(sub)
        for record in sub.records:
            self._by_record.setdefault(record, set()).add(sub)

    def _remove(self, sub: Subscriber) -> None:
        self.subscribers.discard(sub)
        self._everything.discard(sub)
        if sub.records is None:
            return
        _discard(self._by_key, sub.peer.box_key_id, sub)
        for record in sub.records:
            _discard(self._by_record, record, sub)

    def _ensure_running(self) -> None:
        if self._task is not None and not self._task.done():
            return
        loop = asyncio.get_running_loop()
        self._event = asyncio.Event()
        self._stop_listening = self.service.node.notifier.listen_async(loop, self._event)
        self.cursor = self.service.node.store.count()
        self._task = loop.create_task(self._dispatch())

    async def _dispatch(self) -> None:
        assert self._event is not None
        store = self.service.node.store
        while True:
            await self._event.wait()
            self._event.clear()
            while True:
                page = await asyncio.to_thread(store.raw_since, self.cursor, READ_PAGE)
                if not page:
                    break
                self.cursor = page[-1].seq
                await self._hand_out(page)

    async def _hand_out(self, page: list[RawRow]) -> None:
        batches: dict[Subscriber, list[tuple[int, bytes, bool]]] = {}
        for row in page:
            if row.cls == "grant" and self._by_key:
                await self._grant(row, batches)
            wire = encode_pair(row.signed, row.signature)
            for sub in (*self._everything, *self._by_record.get(row.record, ())):
                batches.setdefault(sub, []).append((row.seq, wire, False))
        for sub, batch in batches.items():
            sub.offer(batch)

    async def _grant(
        self, row: RawRow, batches: dict[Subscriber, list[tuple[int, bytes, bool]]]
    ) -> None:
        """A record newly granted to a subscriber: it gets the record's earlier entries too."""
        recipients = decode_signed(row.signed, row.signature).header.recipients
        for key in recipients:
            for sub in list(self._by_key.get(key, ())):
                if sub.records is None or row.record in sub.records:
                    continue
                sub.records.add(row.record)
                self._by_record.setdefault(row.record, set()).add(sub)
                store = self.service.node.store
                older = await asyncio.to_thread(store.record, row.record)
                batches.setdefault(sub, []).extend(
                    (o.seq, o.entry.to_wire(), True) for o in older if o.seq < row.seq
                )

    async def serve(self, websocket: WebSocket) -> None:
        """Authenticate a subscriber, catch it up from its cursor, then stream."""
        node = self.service.node
        opening = await signed_opening(websocket, node.directory, node.clock_ms(), "after")
        if opening is None:
            return
        peer, after = opening
        await websocket.accept()
        self._ensure_running()
        records = (
            None
            if peer.role in FULL_ROLES
            else set(await asyncio.to_thread(node.store.granted_between, peer.box_key_id, 0, ALL))
        )
        if records is not None:
            records.add(DIRECTORY_RECORD)
        sub = Subscriber(peer, records)
        self._add(sub)
        closed: asyncio.Future[object] | None = None
        try:
            sent = await self._catch_up(websocket, sub, after)
            hangup: asyncio.Future[object] = asyncio.ensure_future(websocket.receive())
            closed = hangup  # the peer hanging up, noticed while waiting for entries
            while not sub.overflowed:
                getting: asyncio.Future[object] = asyncio.ensure_future(sub.queue.get())
                await asyncio.wait({getting, hangup}, return_when=asyncio.FIRST_COMPLETED)
                if hangup.done():
                    getting.cancel()
                    return
                batch = cast(list[tuple[int, bytes, bool]], getting.result())
                while not sub.queue.empty():
                    batch += sub.queue.get_nowait()
                fresh = [[seq, wire] for seq, wire, backfill in batch if backfill or seq > sent]
                if fresh:
                    sent = max([sent] + [seq for seq, _, backfill in batch if not backfill])
                    await websocket.send_bytes(encode_message({"entries": fresh, "next": sent}))
            await websocket.close(code=1013, reason="subscriber fell behind; resume by cursor")
        except WebSocketDisconnect:
            pass
        finally:
            self._remove(sub)
            if closed is not None and not closed.done():
                closed.cancel()

    async def _catch_up(self, websocket: WebSocket, sub: Subscriber, after: int) -> int:
        store = self.service.node.store
        floor = self.cursor
        cursor = after
        while True:
            page = await asyncio.to_thread(page_for, store, sub.peer, cursor, 500)
            if page.entries:
                await websocket.send_bytes(
                    encode_message(
                        {
                            "entries": [
                                [r.seq, encode_pair(r.signed, r.signature)] for r in page.entries
                            ],
                            "next": page.next,
                        }
                    )
                )
            cursor = page.next
            if not page.more and cursor >= floor:
                if not page.entries:
                    await websocket.send_bytes(encode_message({"entries": [], "next": cursor}))
                return cursor

    async def close(self) -> None:
        """Stop the dispatcher."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


def _discard(index: dict[bytes, set[Subscriber]], key: bytes, sub: Subscriber) -> None:
    subs = index.get(key)
    if subs is not None:
        subs.discard(sub)
        if not subs:
            del index[key]
