"""Push-on-write: keep a stream open to a hub (or vault) and push each entry once stored.

A monitored patient's tablet writes a `vitals.frame` a second; a sync round per frame (four
requests or more) would cost the hub more than the frame. `StreamPusher` keeps one
`/sync/v1/stream` WebSocket (see carechain.sync.stream) and sends whatever this node has
stored past its push cursor for that peer, as soon as the node's notifier says it is
stored, with up to `window` messages in flight. Each answer is checked exactly as a sync
round's push answer is (`check_push_answer`: per-entry results, the signed head as a
proven extension of the last one, the range proof) before the entries are marked held
by the hub and the cursor moves. The cursor is the same one `sync_with` keeps, so either
can take over from the other, and anything not yet acknowledged is sent again (pushes
are idempotent).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect

from carechain.entries.canonical import encode_pair
from carechain.node import Node
from carechain.sync.auth import sign_request
from carechain.sync.client import (
    Outgoing,
    PeerClient,
    PeerRefused,
    SyncReport,
    check_push_answer,
    introduce,
)
from carechain.sync.heads import HeadKeeper, HubMisbehaved
from carechain.sync.policy import FULL_ROLES
from carechain.sync.tls import DEFAULT_TLS, PeerTLS
from carechain.sync.wire import decode_head, decode_message, encode_message
from carechain.transparency import log_id_from_key
from carechain.trust import Certificate

__all__ = ["NotStreamed", "StreamPusher"]

log = logging.getLogger("carechain.sync")

PAGE = 500
MAX_MESSAGE_BYTES = 64 * 1024 * 1024


class NotStreamed(Exception):
    """The peer takes no stream from this node (only hubs and vaults take everything)."""


@dataclass
class _Sent:
    number: int
    entries: list[Outgoing]
    cursor: int


class StreamPusher:
    """Push a node's entries to one hub or vault over a WebSocket as they are stored."""

    def __init__(
        self,
        node: Node,
        base_url: str,
        *,
        window: int = 4,
        on_settled: Callable[[list[Outgoing]], None] | None = None,
        peer: Certificate | None = None,
        settle_in_thread: bool = True,
        tls: PeerTLS = DEFAULT_TLS,
    ) -> None:
        self.node = node
        self.tls = tls
        self.peer = peer  # the peer's certificate, if known: else asked for (`/info`)
        # Answers are checked and their marks written (fsync'd) on a worker thread, so the
        # next entry goes out meanwhile; a caller whose store never waits on a disk (many
        # simulated tablets on one loop) checks them on the loop instead.
        self.settle_in_thread = settle_in_thread
        self.base_url = base_url.rstrip("/")
        self.window = window
        self.on_settled = on_settled  # called with each acknowledged, checked batch
        self.pushed = 0  # entries the peer newly stored, over this pusher's life
        self._hub_known = 0
        self.connected = False

    async def run(self, stop: asyncio.Event) -> None:
        """Push until `stop` is set. Raises when the connection or the peer fails (the
        caller backs off and runs it again); a misbehaving hub raises `HubMisbehaved`."""
        if self.node.info.role == "hub":
            raise NotStreamed("a hub pushes nothing: its peers pull and follow it")
        cert = self.peer if self.peer is not None else await asyncio.to_thread(self._learn)
        if cert.role not in FULL_ROLES:
            raise NotStreamed(f"{cert.name} is a {cert.role} node: streams go to hubs and vaults")
        keeper = HeadKeeper(self.node.store, self.node.directory)
        if keeper.blocked(log_id_from_key(cert.sig_key)):
            raise HubMisbehaved(f"hub {cert.name} is blocked by an integrity alert")
        accepted = keeper.accepted(log_id_from_key(cert.sig_key))
        # The size the hub proves each answer's head from: this, then each answer's head.
        self._hub_known = 0 if accepted is None else accepted.size
        query = f"known={self._hub_known}"
        node = self.node
        headers = sign_request(node.keys, "GET", "/sync/v1/stream", query, b"", node.clock_ms())
        parts = urlsplit(self.base_url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        uri = f"{scheme}://{parts.netloc}/sync/v1/stream?{query}"
        wake = asyncio.Event()
        unlisten = node.notifier.listen_async(asyncio.get_running_loop(), wake)
        try:
            async with connect(
                uri, additional_headers=headers, max_size=MAX_MESSAGE_BYTES, compression=None,
                ssl=self.tls.websocket(self.base_url),
            ) as ws:
                self.connected = True
                await self._push(ws, cert, keeper, wake, stop)
        finally:
            self.connected = False
            unlisten()

    async def run_forever(self, stop: asyncio.Event, *, max_backoff_s: float = 60.0) -> None:
        """Push until stop is set, reconnecting with backoff after failures. Returns at once
        for a peer that is not a hub or vault (a round gives it only what it may have)."""
        failures = 0
        while not stop.is_set():
            try:
                await self.run(stop)
                failures = 0
            except NotStreamed:
                return
            except Exception as exc:  # any failure: back off and reconnect
                failures += 1
                log.info("stream to %s dropped: %s", self.base_url, getattr(exc, "detail", exc))
            delay = min(max_backoff_s, 0.5 * 2 ** min(failures, 7))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)

    def _learn(self) -> Certificate:
        with self.tls.http(self.base_url, 15.0) as http:
            cert, _ = introduce(self.node, http)
        return cert

    async def _push(
        self,
        ws: ClientConnection,
        cert: Certificate,
        keeper: HeadKeeper,
        wake: asyncio.Event,
        stop: asyncio.Event,
    ) -> None:
        """Send as entries are stored; check answers as they come (two tasks, so checking
        an answer never holds up the next entry)."""
        cursor_key = f"push:{cert.key_id.hex()}"
        in_flight: asyncio.Queue[_Sent] = asyncio.Queue()
        room = asyncio.Semaphore(self.window)
        start = keeper.resume_cursor("push", cert)
        sending = asyncio.create_task(self._send(ws, start, in_flight, room, wake))
        settling = asyncio.create_task(
            self._settle_all(ws, cert, keeper, cursor_key, in_flight, room)
        )
        stopping = asyncio.create_task(stop.wait())
        tasks = {sending, settling, stopping}
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done - {stopping}:
                task.result()  # a failed send or a refused answer ends this connection
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _send(
        self,
        ws: ClientConnection,
        sent_upto: int,
        in_flight: asyncio.Queue[_Sent],
        room: asyncio.Semaphore,
        wake: asyncio.Event,
    ) -> None:
        number = 0
        while True:
            await room.acquire()
            while True:
                wake.clear()  # set again by any entry stored from here on
                # Read on the loop: a few rows, no fsync (this runs in the sync loop's thread).
                rows = self.node.store.raw_since(sent_upto, PAGE)
                if rows:
                    break
                await wake.wait()
            number += 1
            sending = [Outgoing(r.seq, r.id, encode_pair(r.signed, r.signature)) for r in rows]
            await ws.send(encode_message({"n": number, "entries": [o.wire for o in sending]}))
            sent_upto = rows[-1].seq
            in_flight.put_nowait(_Sent(number, sending, sent_upto))

    async def _settle_all(
        self,
        ws: ClientConnection,
        cert: Certificate,
        keeper: HeadKeeper,
        cursor_key: str,
        in_flight: asyncio.Queue[_Sent],
        room: asyncio.Semaphore,
    ) -> None:
        while True:
            raw = await ws.recv()
            if in_flight.empty():
                raise PeerRefused("the stream answered a message that was not sent")
            sent = in_flight.get_nowait()
            room.release()
            if self.settle_in_thread:
                await asyncio.to_thread(self._settle, cert, keeper, cursor_key, sent, raw)
            else:
                self._settle(cert, keeper, cursor_key, sent, raw)

    def _settle(
        self, cert: Certificate, keeper: HeadKeeper, cursor_key: str, sent: _Sent, raw: Any
    ) -> None:
        """Check one answer; mark its entries held by the hub and move the cursor."""
        answer = decode_message(raw if isinstance(raw, bytes) else raw.encode(), strict=False)
        if answer.get("n") != sent.number:
            raise PeerRefused(f"stream answer {answer.get('n')!r} is not for message {sent.number}")
        problem = answer.get("error")
        if problem is not None:
            detail = problem.get("detail", "") if isinstance(problem, dict) else str(problem)
            raise PeerRefused(f"stream message {sent.number}: {detail}")
        included = answer.get("consistency")
        proven_from = self._hub_known
        head = answer.get("head")
        if isinstance(head, bytes):
            self._hub_known = decode_head(head).size  # the hub moves its idea on alike

        def fetch(first: int, second: int) -> Sequence[bytes]:
            # The proof sent with the answer is from the size the hub believes this node
            # holds. A sync round may have accepted another head meanwhile: any other pair
            # is asked for, as in a round.
            if _hashes(included) and first == proven_from:
                return list(included)  # type: ignore[arg-type]
            with self.tls.http(self.base_url, 15.0) as http:
                return PeerClient(self.node, http).consistency(first, second)

        report = SyncReport(peer=cert.name, role=cert.role)
        marks: list[tuple[str, bytes]] = []
        stop_at = check_push_answer(
            self.node, fetch, cert, keeper, report, sent.entries, answer, marks, pending=False
        )
        self.pushed += report.pushed
        cursor = sent.cursor if stop_at is None else stop_at - 1
        marks.append((cursor_key, str(cursor).encode()))
        current = int(self.node.store.get_meta(cursor_key) or b"0")
        if stop_at is None and current > cursor:
            marks.pop()  # a sync round got further meanwhile; never move the cursor back
        self.node.store.set_meta_many(marks)
        if stop_at is None and self.on_settled is not None:
            self.on_settled(sent.entries)
        if stop_at is not None:
            raise PeerRefused(f"{cert.name} refused entries: {', '.join(report.refused)[:300]}")


def _hashes(value: object) -> bool:
    """Return whether a proof from the peer is a list of 32-byte hashes."""
    return isinstance(value, list) and all(type(h) is bytes and len(h) == 32 for h in value)
