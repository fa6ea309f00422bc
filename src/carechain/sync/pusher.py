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
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from websockets.asyncio.client import ClientConnection, connect

from carechain.entries.canonical import encode_pair
from carechain.errors import InvalidInput
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
from carechain.sync.wire import decode_message, encode_message
from carechain.transparency import log_id_from_key
from carechain.trust import Certificate

__all__ = ["StreamPusher", "push_forever"]

log = logging.getLogger("carechain.sync")

PAGE = 500
MAX_MESSAGE_BYTES = 64 * 1024 * 1024


@dataclass
class _Sent:
    number: int
    entries: list[Outgoing]
    cursor: int


class StreamPusher:
    """Push a node's entries to one hub or vault over a WebSocket as they are stored."""

    def __init__(self, node: Node, base_url: str, *, window: int = 4) -> None:
        self.node = node
        self.base_url = base_url.rstrip("/")
        self.window = window
        self.pushed = 0  # entries the peer newly stored, over this pusher's life
        self.connected = False

    async def run(self, stop: asyncio.Event) -> None:
        """Push until `stop` is set. Raises when the connection or the peer fails (the
        caller backs off and runs it again); a misbehaving hub raises `HubMisbehaved`."""
        cert = await asyncio.to_thread(self._learn)
        keeper = HeadKeeper(self.node.store, self.node.directory)
        if keeper.blocked(log_id_from_key(cert.sig_key)):
            raise HubMisbehaved(f"hub {cert.name} is blocked by an integrity alert")
        accepted = keeper.accepted(log_id_from_key(cert.sig_key))
        query = f"known={0 if accepted is None else accepted.size}"
        node = self.node
        headers = sign_request(node.keys, "GET", "/sync/v1/stream", query, b"", node.clock_ms())
        parts = urlsplit(self.base_url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        uri = f"{scheme}://{parts.netloc}/sync/v1/stream?{query}"
        wake = asyncio.Event()
        unlisten = node.notifier.listen_async(asyncio.get_running_loop(), wake)
        try:
            async with connect(
                uri, additional_headers=headers, max_size=MAX_MESSAGE_BYTES, compression=None
            ) as ws:
                self.connected = True
                await self._push(ws, cert, keeper, wake, stop)
        finally:
            self.connected = False
            unlisten()

    def _learn(self) -> Certificate:
        with httpx.Client(base_url=self.base_url, timeout=15.0) as http:
            cert, _ = introduce(self.node, http)
        if cert.role not in FULL_ROLES:
            raise InvalidInput(f"{cert.name} is a {cert.role} node: streams go to hubs and vaults")
        return cert

    async def _push(
        self,
        ws: ClientConnection,
        cert: Certificate,
        keeper: HeadKeeper,
        wake: asyncio.Event,
        stop: asyncio.Event,
    ) -> None:
        cursor_key = f"push:{cert.key_id.hex()}"
        sent_upto = int(self.node.store.get_meta(cursor_key) or b"0")
        in_flight: deque[_Sent] = deque()
        number = 0
        reading: asyncio.Task[Any] | None = None
        stopping = asyncio.ensure_future(stop.wait())
        try:
            while not stop.is_set():
                if len(in_flight) < self.window:
                    wake.clear()  # set again by any entry stored from here on
                    rows = await asyncio.to_thread(self.node.store.raw_since, sent_upto, PAGE)
                    if rows:
                        number += 1
                        sending = [
                            Outgoing(r.seq, r.id, encode_pair(r.signed, r.signature)) for r in rows
                        ]
                        message = {"n": number, "entries": [o.wire for o in sending]}
                        await ws.send(encode_message(message))
                        sent_upto = rows[-1].seq
                        in_flight.append(_Sent(number, sending, sent_upto))
                        continue
                waiting: set[asyncio.Future[Any]] = {stopping}
                if len(in_flight) < self.window:
                    waiting.add(asyncio.ensure_future(wake.wait()))
                if in_flight:
                    if reading is None:
                        reading = asyncio.ensure_future(ws.recv())
                    waiting.add(reading)
                done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                for other in waiting - done - {stopping, reading}:
                    other.cancel()
                if reading is not None and reading in done:
                    raw = reading.result()
                    reading = None
                    sent = in_flight.popleft()
                    await asyncio.to_thread(self._settle, cert, keeper, cursor_key, sent, raw)
        finally:
            stopping.cancel()
            if reading is not None:
                reading.cancel()
                with contextlib.suppress(BaseException):
                    await reading

    def _settle(
        self, cert: Certificate, keeper: HeadKeeper, cursor_key: str, sent: _Sent, raw: Any
    ) -> None:
        """Check one answer; mark its entries held by the hub and move the cursor."""
        answer = decode_message(raw if isinstance(raw, bytes) else raw.encode())
        if answer.get("n") != sent.number:
            raise PeerRefused(f"stream answer {answer.get('n')!r} is not for message {sent.number}")
        problem = answer.get("error")
        if problem is not None:
            detail = problem.get("detail", "") if isinstance(problem, dict) else str(problem)
            raise PeerRefused(f"stream message {sent.number}: {detail}")
        included = answer.get("consistency")

        def fetch(first: int, second: int) -> Sequence[bytes]:
            head = answer.get("head")
            if isinstance(included, list) and isinstance(head, bytes):
                # The proof the hub sent with the answer is from the size it believes this
                # node holds; any other pair is asked for as in a sync round.
                accepted = keeper.accepted(log_id_from_key(cert.sig_key))
                if accepted is not None and accepted.size == first:
                    return list(included)
            with httpx.Client(base_url=self.base_url, timeout=15.0) as http:
                return PeerClient(self.node, http).consistency(first, second)

        report = SyncReport(peer=cert.name, role=cert.role)
        marks: list[tuple[str, bytes]] = []
        stop_at = check_push_answer(
            self.node, fetch, cert, keeper, report, sent.entries, answer, marks
        )
        self.pushed += report.pushed
        cursor = sent.cursor if stop_at is None else stop_at - 1
        marks.append((cursor_key, str(cursor).encode()))
        current = int(self.node.store.get_meta(cursor_key) or b"0")
        if stop_at is None and current > cursor:
            marks.pop()  # a sync round got further meanwhile; never move the cursor back
        self.node.store.set_meta_many(marks)
        if stop_at is not None:
            raise PeerRefused(f"{cert.name} refused entries: {', '.join(report.refused)[:300]}")


async def push_forever(
    node: Node, base_url: str, stop: asyncio.Event, *, max_backoff_s: float = 60.0
) -> None:
    """Run a `StreamPusher` until stop is set, reconnecting with backoff after failures."""
    failures = 0
    pusher = StreamPusher(node, base_url)
    while not stop.is_set():
        try:
            await pusher.run(stop)
            failures = 0
        except Exception as exc:  # any failure: back off and reconnect
            failures += 1
            log.warning("stream to %s dropped: %s", base_url, getattr(exc, "detail", exc))
        if stop.is_set():
            return
        delay = min(max_backoff_s, 0.5 * 2 ** min(failures, 7))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=delay)
