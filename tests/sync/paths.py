"""The ways a node receives entries, driven from a test: a sync round's pull, following a
live stream, a crew's push stream to a hub, and a direct crew → hospital round.

Each runs against real nodes: live and stream over real WebSockets to a uvicorn-served
app (`served`), pull and direct rounds over Starlette's in-process client (`Chain`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterator

from carechain.app import create_app
from carechain.node import Node
from carechain.sync.follow import follow
from carechain.sync.pusher import StreamPusher
from carechain.testing import ServedApp

__all__ = ["follow_until", "served", "stream_until"]


@contextlib.contextmanager
def served(node: Node) -> Iterator[ServedApp]:
    """Serve a node's app over HTTP and WebSockets on 127.0.0.1 for the block."""
    app = ServedApp(create_app(node))
    try:
        yield app
    finally:
        app.stop()


def follow_until(
    node: Node, url: str, peer: Node, done: Callable[[], bool] = lambda: False,
    timeout: float = 8.0,
) -> BaseException | None:
    """Follow a peer's live stream until `done()` holds, `timeout` passes, or following
    fails; return what it failed with (None if it did not)."""

    async def run() -> BaseException | None:
        stop = asyncio.Event()
        task = asyncio.create_task(follow(node, url, peer.keys.key_id.hex(), stop=stop))
        deadline = time.monotonic() + timeout
        while not done() and not task.done() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        stop.set()
        try:
            await asyncio.wait_for(task, 10)
        except Exception as exc:
            return exc
        return None

    return asyncio.run(run())


def stream_until(
    node: Node, url: str, done: Callable[[], bool], timeout: float = 8.0
) -> tuple[StreamPusher, BaseException | None]:
    """Run a node's push stream to a hub until `done()` holds, `timeout` passes or the
    stream fails; return the pusher and what it failed with (None if it did not)."""

    async def run() -> tuple[StreamPusher, BaseException | None]:
        pusher = StreamPusher(node, url)
        stop = asyncio.Event()
        task = asyncio.create_task(pusher.run(stop))
        deadline = time.monotonic() + timeout
        while not done() and not task.done() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        stop.set()
        try:
            await asyncio.wait_for(task, 10)
        except Exception as exc:
            return pusher, exc
        return pusher, None

    return asyncio.run(run())
