"""Background sync: a thread per node that syncs with each peer in turn, forever, backing
off when a peer is unreachable. It never holds the node's lock except to store a batch, so
the crew keeps documenting whatever the network does.

Beside the rounds, a second thread runs the streams: to each hub or vault peer, a
`StreamPusher` sends every entry the moment it is stored (a monitor's frame a second
included), and from each `live` peer, `follow` takes entries as they arrive. While a
peer's stream is up, a new entry no longer starts a whole round with that peer."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from carechain.errors import CarechainError
from carechain.node import Node
from carechain.sync.client import introduce, sync_with
from carechain.sync.follow import follow
from carechain.sync.pusher import StreamPusher
from carechain.sync.tls import DEFAULT_TLS, PeerTLS
from carechain.trust import Certificate

__all__ = ["PeerStatus", "SyncLoop"]

log = logging.getLogger("carechain.sync")
MAX_BACKOFF_S = 60.0


@dataclass
class PeerStatus:
    """What the loop knows of one peer."""

    url: str
    name: str | None = None
    role: str | None = None
    reachable: bool = False
    last_ok_ms: int | None = None
    last_error: str | None = None
    failures: int = 0
    next_try: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """Return the status as JSON."""
        return {
            "url": self.url,
            "name": self.name,
            "role": self.role,
            "reachable": self.reachable,
            "last_ok_ms": self.last_ok_ms,
            "last_error": self.last_error,
            "failures": self.failures,
        }


class SyncLoop:
    """Sync with every peer every `interval` seconds, with exponential backoff on failure."""

    def __init__(
        self,
        node: Node,
        peers: tuple[str, ...],
        live: tuple[str, ...] = (),
        interval: float = 5.0,
        tls: PeerTLS = DEFAULT_TLS,
    ) -> None:
        self.node = node
        self.tls = tls
        self.interval = interval
        self.peers = {url: PeerStatus(url) for url in peers}
        self.live = live
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []
        self._live_stop: asyncio.Event | None = None
        self._live_loop: asyncio.AbstractEventLoop | None = None
        self._unlisten: Callable[[], None] | None = None
        self.pushers = {url: StreamPusher(node, url, tls=tls) for url in peers}

    def start(self) -> None:
        """Start the sync thread (and a live-follow thread if asked); sync at once whenever
        this node stores something new, so a pre-alert leaves as soon as it is written."""
        self._unlisten = self.node.notifier.listen(lambda _seq: self._stored())
        t = threading.Thread(target=self._run, name="carechain-sync", daemon=True)
        t.start()
        self._threads.append(t)
        if self.live or self.pushers:
            t = threading.Thread(target=self._run_live, name="carechain-live", daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self) -> None:
        """Stop and wait for the threads."""
        self._stop.set()
        self._wake.set()
        if self._unlisten is not None:
            self._unlisten()
        if self._live_loop is not None and self._live_stop is not None:
            # The streams' thread may have ended already (no stream to run): nothing to stop.
            with contextlib.suppress(RuntimeError):
                self._live_loop.call_soon_threadsafe(self._live_stop.set)
        for t in self._threads:
            t.join(10)

    def kick(self) -> None:
        """Sync now rather than at the next interval (after a new entry, say)."""
        for status in self.peers.values():
            status.next_try = min(status.next_try, time.monotonic())
        self._wake.set()

    def _stored(self) -> None:
        """A new entry: a round with every peer it is not already streaming to."""
        if not self.peers:
            return  # a hub with no peers of its own: nothing to wake for
        now = time.monotonic()
        for url, status in self.peers.items():
            if not self.pushers[url].connected:
                status.next_try = min(status.next_try, now)
        self._wake.set()

    def status(self) -> list[dict[str, Any]]:
        """Return every peer's status."""
        return [s.to_dict() for s in self.peers.values()]

    def sync_peer(self, status: PeerStatus) -> None:
        """Run one round with one peer and update its status."""
        try:
            with self.tls.http(status.url, 15.0) as http:
                report = sync_with(self.node, http)
        except (httpx.HTTPError, CarechainError, OSError) as exc:
            status.reachable = not isinstance(exc, httpx.TransportError | OSError)
            status.failures += 1
            status.last_error = getattr(exc, "detail", None) or str(exc) or type(exc).__name__
            backoff = min(MAX_BACKOFF_S, self.interval * 2 ** min(status.failures, 6))
            status.next_try = time.monotonic() + backoff * random.uniform(0.5, 1.0)
            log.warning("sync with %s failed: %s", status.url, status.last_error)
            return
        status.name, status.role, status.reachable = report.peer, report.role, True
        status.failures, status.last_error = 0, None
        status.last_ok_ms = self.node.clock_ms()
        status.next_try = time.monotonic() + self.interval
        log.info("sync %s", report.summary())

    def _run(self) -> None:
        while not self._stop.is_set():
            now = time.monotonic()
            for status in self.peers.values():
                if self._stop.is_set():
                    return
                if status.next_try <= now:
                    self.sync_peer(status)
            soonest = min((s.next_try for s in self.peers.values()), default=now + self.interval)
            self._wake.wait(max(0.05, soonest - time.monotonic()))
            self._wake.clear()

    def _run_live(self) -> None:
        loop = asyncio.new_event_loop()
        self._live_loop = loop
        self._live_stop = asyncio.Event()
        try:
            loop.run_until_complete(self._follow_all(self._live_stop))
        finally:
            loop.close()

    async def _follow_all(self, stop: asyncio.Event) -> None:
        await asyncio.gather(
            *(self._follow_one(url, stop) for url in self.live),
            *(p.run_forever(stop) for p in self.pushers.values()),
        )

    async def _follow_one(self, url: str, stop: asyncio.Event) -> None:
        failures = 0
        while not stop.is_set():
            try:
                cert = await asyncio.to_thread(self._introduce, url)
                await follow(self.node, url, cert.key_id.hex(), stop=stop, tls=self.tls)
                failures = 0
            except Exception as exc:  # any failure: back off and reconnect
                failures += 1
                detail = getattr(exc, "detail", None) or exc
                log.warning("live stream from %s dropped: %s", url, detail)
                delay = min(MAX_BACKOFF_S, 0.5 * 2 ** min(failures, 7))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=delay)

    def _introduce(self, url: str) -> Certificate:
        """Swap directories with a peer and return its certificate (a worker thread)."""
        with self.tls.http(url, 10.0) as http:
            cert, _ = introduce(self.node, http)
        return cert
