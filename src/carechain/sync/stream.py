"""Streaming push: a node keeps one WebSocket open and pushes each entry as it is stored.

`/sync/v1/stream?known=N` opens with the same signed headers as any sync request (`known`:
the size of the last tree head of this hub the caller accepted, 0 if none). Then:

- the caller sends `{"v": 1, "n": k, "entries": [wire, …], "known": N}` (k counts up;
  `known` optional, as above);
- this node answers each message, in the order sent, with `{"v": 1, "n": k, "results",
  "head", "range", "consistency"}`: what a `/push` answers, plus a consistency proof from
  the caller's `known` size to the answer's head, so the caller accepts the new head
  without another request. A message that cannot be read is answered `{"v": 1, "n": k,
  "error": problem}` and nothing of it is stored; the socket stays open.

Pushes from every socket and every `/push` go through the one `GroupWriter`, so a socket
costs no HTTP parsing, no request signature and no fsync of its own per entry. Up to
`IN_FLIGHT` messages are read ahead of their answers; past that the socket is not read
(back-pressure), so a fast sender cannot queue unbounded work here.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from carechain.entries import Entry
from carechain.entries.crypto import PARALLEL_FROM
from carechain.errors import CarechainError, FieldInvalid
from carechain.sync.service import SyncService
from carechain.sync.sockets import signed_opening
from carechain.sync.wire import (
    MAX_POSITION,
    PushAnswer,
    decode_entries,
    decode_message,
    encode_message,
)
from carechain.sync.writer import GroupWriter
from carechain.trust import Certificate

__all__ = ["IN_FLIGHT", "serve_stream"]

IN_FLIGHT = 8

# A message's number (if it could be read), its answer or why it has none, and the
# caller's `known` size (-1 if it named none).
_Done = tuple[int | None, PushAnswer | CarechainError, int]


async def serve_stream(websocket: WebSocket, service: SyncService, writer: GroupWriter) -> None:
    """Authenticate a pushing node, then store and answer its messages until it hangs up."""
    node = service.node
    opening = await signed_opening(websocket, node.directory, node.clock_ms(), "known")
    if opening is None:
        return
    peer, (known,) = opening
    if peer.role == "hub":
        # What a hub holds, it gives by pull and live, where each entry has its proof.
        await websocket.close(code=1008, reason="a hub pushes nothing: pull or follow it")
        return
    await websocket.accept(headers=[(b"carechain-stream", b"1")])
    now = node.clock_ms()
    if service.seen_due(peer, now):
        await asyncio.to_thread(service.note_seen, peer, now)
    jobs: asyncio.Queue[asyncio.Task[_Done]] = asyncio.Queue(IN_FLIGHT)
    answering = asyncio.create_task(_answer(websocket, service, jobs, known))
    queued: asyncio.Future[None] | None = None  # done once the message before is queued
    try:
        while not answering.done():
            data = await websocket.receive_bytes()
            mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            job = asyncio.create_task(_take(writer, service, peer, data, queued, mine))
            queued = mine
            await jobs.put(job)
    except (WebSocketDisconnect, RuntimeError):
        pass  # the peer hung up (RuntimeError: a message after the close frame)
    finally:
        answering.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
            await answering
        while not jobs.empty():  # answers no one will read; what was queued is still stored
            jobs.get_nowait().cancel()


def _read(data: bytes) -> tuple[int | None, list[Entry | CarechainError] | CarechainError, int]:
    """Decode one message (on a worker thread): its number, its entries or why it cannot
    be read, and the caller's `known` size (-1 if none)."""
    number: int | None = None
    try:
        message = decode_message(data, strict=False)
        number = message.get("n")
        if not isinstance(number, int) or isinstance(number, bool):
            number = None
            raise FieldInvalid("n", "each stream message needs its number n")
        known = message.get("known", -1)
        if not isinstance(known, int) or isinstance(known, bool) or known > MAX_POSITION:
            raise FieldInvalid("known", "must be a tree size")
        return number, decode_entries(message.get("entries")), known
    except CarechainError as exc:
        return number, exc, -1


async def _take(
    writer: GroupWriter,
    service: SyncService,
    peer: Certificate,
    data: bytes,
    before: asyncio.Future[None] | None,
    queued: asyncio.Future[None],
) -> _Done:
    """Decode a message and queue its entries for the writer, in the order messages came.

    Decoding, and for a large batch the signatures, run on worker threads while this
    socket goes on reading the next message and the writer stores the one before: a
    backlog flows through decode, verification and storage at once. A frame or two is
    verified by the writer (a second thread hop would cost more than it saves).
    """
    try:
        number, items, known = await asyncio.to_thread(_read, data)
        if isinstance(items, CarechainError):
            return number, items, known
        entries = [i for i in items if isinstance(i, Entry)]
        checked = None
        if len(entries) >= PARALLEL_FROM:
            checked = await asyncio.to_thread(service.node.directory.verify_batch, entries)
        if before is not None:
            await before
        answer = writer.submit(peer, items, checked)
    finally:
        if not queued.done():
            queued.set_result(None)
    try:
        return number, await answer, known
    except CarechainError as exc:
        return number, exc, known


async def _answer(
    websocket: WebSocket,
    service: SyncService,
    jobs: asyncio.Queue[asyncio.Task[_Done]],
    known: int,
) -> None:
    """Send each message's answer in the order the messages came."""
    while True:
        number, answer, told = await (await jobs.get())
        known = told if told >= 0 else known
        body: dict[str, Any] = {"n": number}
        if isinstance(answer, CarechainError):
            body["error"] = _problem(answer)
        else:
            body.update(answer.to_wire())
            body["consistency"] = _consistency(service, answer, known)
            if answer.head is not None:
                known = answer.head.size
        await websocket.send_bytes(encode_message(body, deterministic=False))


def _consistency(service: SyncService, answer: PushAnswer, known: int) -> list[bytes] | None:
    head = answer.head
    if head is None or service.log is None or not 0 < known < head.size:
        return None
    return service.consistency(known, head.size)


def _problem(exc: CarechainError) -> dict[str, Any]:
    problem: dict[str, Any] = {"type": exc.code, "title": exc.title, "detail": exc.detail}
    problem.update({k: v for k, v in exc.extra.items() if isinstance(v, str | int)})
    return problem
