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
from collections.abc import Awaitable, Sequence
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from carechain.entries import Entry
from carechain.entries.crypto import PARALLEL_FROM
from carechain.errors import CarechainError, FieldInvalid
from carechain.sync.service import SyncService
from carechain.sync.sockets import signed_opening
from carechain.sync.wire import PushAnswer, decode_entries, decode_message, encode_message
from carechain.sync.writer import GroupWriter
from carechain.trust import Certificate

__all__ = ["IN_FLIGHT", "serve_stream"]

IN_FLIGHT = 8

_Job = tuple[int | None, "Awaitable[PushAnswer] | CarechainError", int]


async def serve_stream(websocket: WebSocket, service: SyncService, writer: GroupWriter) -> None:
    """Authenticate a pushing node, then store and answer its messages until it hangs up."""
    node = service.node
    opening = await signed_opening(websocket, node.directory, node.clock_ms(), "known")
    if opening is None:
        return
    peer, known = opening
    await websocket.accept(headers=[(b"carechain-stream", b"1")])
    now = node.clock_ms()
    if service.seen_due(peer, now):
        await asyncio.to_thread(service.note_seen, peer, now)
    jobs: asyncio.Queue[_Job] = asyncio.Queue(IN_FLIGHT)
    answering = asyncio.create_task(_answer(websocket, service, jobs, known))
    queued: asyncio.Future[None] | None = None  # done once the message before is queued
    try:
        while not answering.done():
            data = await websocket.receive_bytes()
            number, job, told, queued = _start(writer, service, peer, data, queued)
            await jobs.put((number, job, told))
    except (WebSocketDisconnect, RuntimeError):
        pass  # the peer hung up (RuntimeError: a message after the close frame)
    finally:
        answering.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
            await answering
        while not jobs.empty():  # answers no one will read; what was queued is still stored
            _, job, _ = jobs.get_nowait()
            if isinstance(job, asyncio.Task):
                job.cancel()


def _start(
    writer: GroupWriter,
    service: SyncService,
    peer: Certificate,
    data: bytes,
    before: asyncio.Future[None] | None,
) -> tuple[int | None, Awaitable[PushAnswer] | CarechainError, int, asyncio.Future[None] | None]:
    """Decode a message and queue its entries for the writer (or keep why it cannot be).

    A large batch has its signatures verified on the verification threads first, while
    this socket goes on reading and decoding the next message and the writer stores the
    one before: a backlog flows through decode, verification and storage at once. The
    writer still gets the messages in the order they came (`before`). A frame or two is
    verified by the writer (a thread hop would cost more than it saves). Returns the
    message number, its answer to come (or why it has none), the caller's `known` size,
    and a future done once this message is queued.
    """
    number: int | None = None
    try:
        message = decode_message(data, strict=False)
        number = message.get("n")
        if not isinstance(number, int) or isinstance(number, bool):
            number = None
            raise FieldInvalid("n", "each stream message needs its number n")
        known = message.get("known", -1)
        if not isinstance(known, int) or isinstance(known, bool):
            raise FieldInvalid("known", "must be a tree size")
        items = decode_entries(message.get("entries"))
    except CarechainError as exc:
        return number, exc, -1, before
    entries = [i for i in items if isinstance(i, Entry)]
    if len(entries) < PARALLEL_FROM and (before is None or before.done()):
        return number, writer.submit(peer, items, None), known, None
    queued: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    job = asyncio.create_task(_verify_then_queue(writer, service, peer, items, before, queued))
    return number, job, known, queued


async def _verify_then_queue(
    writer: GroupWriter,
    service: SyncService,
    peer: Certificate,
    items: Sequence[Entry | CarechainError],
    before: asyncio.Future[None] | None,
    queued: asyncio.Future[None],
) -> PushAnswer:
    try:
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
    return await answer


async def _answer(
    websocket: WebSocket, service: SyncService, jobs: asyncio.Queue[_Job], known: int
) -> None:
    """Send each message's answer in the order the messages came."""
    while True:
        number, job, told = await jobs.get()
        known = told if told >= 0 else known
        body: dict[str, Any] = {"n": number}
        if isinstance(job, CarechainError):
            body["error"] = _problem(job)
        else:
            try:
                answer = await job
            except CarechainError as exc:
                body["error"] = _problem(exc)
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
