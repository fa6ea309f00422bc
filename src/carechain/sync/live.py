"""Live delivery: new entries pushed to subscribers over a WebSocket the moment they are stored.

A subscriber (a hospital dashboard, a vault, any node) opens `/sync/v1/live?after=N&known=K`
with the same signed headers as any sync request (`after` its cursor in this log, `known`
the size of the last head of this hub it accepted, 0 if none). It first receives every
entry after its cursor that it may receive (as a pull would give it), then each new one as
soon as it is stored — by this process, or by another hub process sharing the PostgreSQL
database (their `NOTIFY` wakes this one). Messages are CBOR `{"v": 1, "entries": [[seq,
wire, proof], …], "next": cursor, "head": signed tree head, "consistency": proof}`: from a
hub, every entry comes with its inclusion proof against the message's head, and the head
with a consistency proof from the last head this subscriber was sent (or `known`), so the
subscriber checks each message as it checks a pulled page, without another request. A
subscriber that reconnects with its last `next` misses nothing.

A crew node also names `offers=N`, its cursor in the hub's dispatch offers (the one
`GET /sync/v1/offers` keeps): after the catch-up it is sent the offers sealed to it past
that cursor, then each new one as soon as the hub keeps it, as `{"v": 1, "offers":
[offer, …], "offers_last": n}` (docs/dispatch.md). An offer is kept in the same unit of
work as its audit entry, so the entry's append wakes the dispatcher, which reads the
newest offer's number once and looks further only when it moved.

One dispatcher per process reads each new entry once, proves it once, and hands it to
every subscriber entitled to it, so the cost of a new entry does not grow with a query per
subscriber. Nothing is decoded on the event loop (a grant's recipients are read on a
worker thread).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

from starlette.websockets import WebSocket, WebSocketDisconnect

from carechain.dispatch.held import newest_offer, offers_since
from carechain.entries import decode_signed
from carechain.entries.canonical import encode_pair
from carechain.store import RawRow
from carechain.sync.policy import ALL, FULL_ROLES
from carechain.sync.service import SyncService
from carechain.sync.sockets import signed_opening
from carechain.sync.wire import PullPage, encode_head, encode_message
from carechain.transparency import SignedTreeHead
from carechain.trust import DIRECTORY_RECORD, Certificate

__all__ = ["LiveHub"]

READ_PAGE = 1000
QUEUE_LIMIT = 10_000
OFFER_PAGE = 100  # what `offers_since` answers at most


@dataclass(frozen=True)
class Batch:
    """What one dispatch hands one subscriber: (seq, wire, backfill) items, and what
    proves them — the inclusion proof of each seq and the consistency proofs to the head
    from each size a receiving subscriber last had (all shared by all subscribers)."""

    items: list[tuple[int, bytes, bool]]
    proofs: dict[int, list[bytes]]
    head: SignedTreeHead | None
    steps: dict[int, list[bytes]] = field(default_factory=dict)
    offers: list[bytes] = field(default_factory=list)  # dispatch offers, for a crew
    offers_last: int = 0


@dataclass(eq=False)
class Subscriber:
    """One live connection and what it may receive."""

    peer: Certificate
    records: set[bytes] | None
    known: int = 0  # the size of the last head it was sent (or named when it opened)
    queue: asyncio.Queue[Batch] = field(default_factory=lambda: asyncio.Queue(QUEUE_LIMIT))
    overflowed: bool = False
    offers: int | None = None  # a crew's cursor in the hub's dispatch offers

    def offer(self, batch: Batch) -> None:
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
        self._newest_offer = 0
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
        reads = self.service.reads  # a read replica, if the hub has one
        while True:
            await self._event.wait()
            self._event.clear()
            while True:
                page = await asyncio.to_thread(reads.rows_after, self.cursor, READ_PAGE)
                if not page:
                    break
                self.cursor = page[-1].seq
                await self._hand_out(page)
            await self._hand_offers()

    async def _hand_out(self, page: list[RawRow]) -> None:
        batches: dict[Subscriber, list[tuple[int, bytes, bool]]] = {}
        grants = [row for row in page if row.cls == "grant"] if self._by_key else []
        recipients = await asyncio.to_thread(_recipients, grants) if grants else {}
        for row in page:
            if row.seq in recipients:
                await self._grant(row, recipients[row.seq], batches)
            wire = encode_pair(row.signed, row.signature)
            for sub in (*self._everything, *self._by_record.get(row.record, ())):
                batches.setdefault(sub, []).append((row.seq, wire, False))
        if not batches:
            return
        seqs = {seq for items in batches.values() for seq, _, _ in items}
        knowns = {sub.known for sub in batches}
        # One trip to a worker thread proves everything this dispatch sends, to everyone.
        head, proofs, steps = await asyncio.to_thread(self._prove, seqs, knowns)
        for sub, items in batches.items():
            sub.offer(Batch(items, proofs, head, steps))

    async def _hand_offers(self) -> None:
        """Queue for each crew subscriber the dispatch offers kept since it was last sent
        some (one read of the newest offer's number when none is new)."""
        crews = [sub for sub in self.subscribers if sub.offers is not None]
        if not crews:
            return
        newest = await asyncio.to_thread(newest_offer, self.service.node)
        if newest <= self._newest_offer:
            return
        self._newest_offer = newest
        for sub in crews:
            found, last = await self._offers_for(sub)
            if found:
                sub.offer(Batch([], {}, None, offers=found, offers_last=last))

    async def _offers_for(self, sub: Subscriber) -> tuple[list[bytes], int]:
        """Return the offers sealed to a crew subscriber past its cursor, and move it."""
        assert sub.offers is not None
        found: list[bytes] = []
        while True:
            page, last = await asyncio.to_thread(
                offers_since, self.service.node, sub.peer.box_key_id, sub.offers
            )
            found += page
            more = last > sub.offers and len(page) >= OFFER_PAGE
            sub.offers = max(sub.offers, last)
            if not more:
                return found, sub.offers

    def _prove(
        self, seqs: set[int], knowns: set[int]
    ) -> tuple[SignedTreeHead | None, dict[int, list[bytes]], dict[int, list[bytes]]]:
        """Sign a head over what is stored now, prove each seq in it, and prove it extends
        each size the receiving subscribers last had (on a worker thread)."""
        service = self.service
        head = service.head()
        if head is None or service.log is None:
            return None, {}, {}
        proofs = {seq: service.log.inclusion(seq, head.size) for seq in seqs if seq <= head.size}
        steps = {k: service.consistency(k, head.size) for k in knowns if 0 < k < head.size}
        return head, proofs, steps

    async def _grant(
        self,
        row: RawRow,
        recipients: tuple[bytes, ...],
        batches: dict[Subscriber, list[tuple[int, bytes, bool]]],
    ) -> None:
        """A record newly granted to a subscriber: it gets the record's earlier entries too."""
        for key in recipients:
            for sub in list(self._by_key.get(key, ())):
                if sub.records is None or row.record in sub.records:
                    continue
                sub.records.add(row.record)
                self._by_record.setdefault(row.record, set()).add(sub)
                store = self.service.node.store
                older = await asyncio.to_thread(store.raw_record, row.record)
                batches.setdefault(sub, []).extend(
                    (o.seq, encode_pair(o.signed, o.signature), True)
                    for o in older
                    if o.seq < row.seq
                )

    async def serve(self, websocket: WebSocket) -> None:
        """Authenticate a subscriber, catch it up from its cursor, then stream."""
        node = self.service.node
        opening = await signed_opening(
            websocket, node.directory, node.clock_ms(), "after", "known", "offers"
        )
        if opening is None:
            return
        peer, (after, known, offers) = opening
        await websocket.accept()
        self._ensure_running()
        records = (
            None
            if peer.role in FULL_ROLES
            else set(await asyncio.to_thread(node.store.granted_between, peer.box_key_id, 0, ALL))
        )
        if records is not None:
            records.add(DIRECTORY_RECORD)
        sub = Subscriber(peer, records, known, offers=offers if peer.role == "crew" else None)
        self._add(sub)
        closed: asyncio.Future[object] | None = None
        try:
            sent = await self._catch_up(websocket, sub, after)
            if sub.offers is not None:  # the offers kept while it was away
                found, last = await self._offers_for(sub)
                await websocket.send_bytes(_offers_message(found, last))
            hangup: asyncio.Future[object] = asyncio.ensure_future(websocket.receive())
            closed = hangup  # the peer hanging up, noticed while waiting for entries
            while not sub.overflowed:
                getting: asyncio.Future[object] = asyncio.ensure_future(sub.queue.get())
                await asyncio.wait({getting, hangup}, return_when=asyncio.FIRST_COMPLETED)
                if hangup.done():
                    getting.cancel()
                    return
                batch = cast(Batch, getting.result())
                if batch.offers:
                    await websocket.send_bytes(_offers_message(batch.offers, batch.offers_last))
                    continue
                fresh = [
                    (seq, wire) for seq, wire, backfill in batch.items if backfill or seq > sent
                ]
                if fresh:
                    sent = max([sent] + [seq for seq, _, backfill in batch.items if not backfill])
                    entries = [[seq, wire, batch.proofs.get(seq)] for seq, wire in fresh]
                    message = await self._message(sub, entries, sent, batch.head, batch.steps)
                    await websocket.send_bytes(message)
            await websocket.close(code=1013, reason="subscriber fell behind; resume by cursor")
        except WebSocketDisconnect:
            pass
        finally:
            self._remove(sub)
            if closed is not None and not closed.done():
                closed.cancel()

    async def _message(
        self,
        sub: Subscriber,
        entries: Sequence[Sequence[object]],
        cursor: int,
        head: SignedTreeHead | None,
        steps: dict[int, list[bytes]] | None = None,
    ) -> bytes:
        """Encode one live message: its entries, the head that proves them, and the proof
        that this head extends the last one the subscriber was sent."""
        body: dict[str, object] = {"entries": entries, "next": cursor, "head": None}
        if head is not None:
            body["head"] = encode_head(head)
            body["consistency"] = None
            if 0 < sub.known < head.size:
                if steps is not None and sub.known in steps:
                    body["consistency"] = steps[sub.known]
                else:
                    found = self.service.consistency_known(sub.known, head.size)
                    if found is None:
                        found = await asyncio.to_thread(
                            self.service.consistency, sub.known, head.size
                        )
                    body["consistency"] = found
            sub.known = max(sub.known, head.size)
        return encode_message(body)

    async def _catch_up(self, websocket: WebSocket, sub: Subscriber, after: int) -> int:
        floor = self.cursor
        cursor = after
        while True:
            page: PullPage = await asyncio.to_thread(self.service.pull, sub.peer, cursor, 500, True)
            entries = [[seq, wire, proof] for seq, wire, proof in page.entries]
            cursor = page.next
            done = not page.more and cursor >= floor
            if entries or done:
                await websocket.send_bytes(await self._message(sub, entries, cursor, page.head))
            if done:
                return cursor

    async def close(self) -> None:
        """Stop the dispatcher, and stop listening for new entries (the node outlives this
        app: its notifier must not wake a loop that is gone)."""
        stop = self._stop_listening
        if callable(stop):
            stop()
            self._stop_listening = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


def _offers_message(offers: list[bytes], last: int) -> bytes:
    """Encode the dispatch offers sent to a crew, and its cursor after them."""
    return encode_message({"offers": offers, "offers_last": last})


def _discard(index: dict[bytes, set[Subscriber]], key: bytes, sub: Subscriber) -> None:
    subs = index.get(key)
    if subs is not None:
        subs.discard(sub)
        if not subs:
            del index[key]


def _recipients(rows: list[RawRow]) -> dict[int, tuple[bytes, ...]]:
    """Return the recipients of each grant row, by seq (decoded on a worker thread)."""
    return {row.seq: decode_signed(row.signed, row.signature).header.recipients for row in rows}
