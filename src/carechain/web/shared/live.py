"""The live vital-sign stream both apps serve (Server-Sent Events), and how every open
stream and long poll ends at once when the node shuts down.

A stream reads the log after its cursor (`_vitals.read_update`), sends what is new, and
waits for the node's notifier; it ends after its lifetime (the browser reconnects and the
session and access are checked again), when `still_allowed` says no, or when the server
is stopping. Without that last rule uvicorn waited for every open stream (up to five
minutes) before a hospital node could exit on SIGTERM.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable

from fastapi import Request
from fastapi.responses import StreamingResponse

from carechain.web.shared.session import context
from carechain.web.shared.vitals import read_update

__all__ = ["HEARTBEAT_S", "STREAM_MAX_S", "start_cursor", "vitals_stream"]

STREAM_MAX_S = 300.0  # then the browser reconnects, and the session and access are checked again
HEARTBEAT_S = 15.0
ACCESS_RECHECK_S = 60.0


def start_cursor(request: Request, after: int | None) -> int:
    """Return where a stream starts: the browser's Last-Event-ID, `after`, or the newest."""
    newest = context(request).node.store.count()
    last = request.headers.get("last-event-id", "")
    cursor = int(last) if last.isdigit() else after if after is not None and after >= 0 \
        else newest
    return min(cursor, newest)  # a cursor from the future would wait for ever


def vitals_stream(request: Request, record: bytes, cursor: int, seconds: float,
                  still_allowed: Callable[[], Awaitable[bool]] | None = None
                  ) -> StreamingResponse:
    """Answer a text/event-stream of the record's new vital-sign points and NEWS2."""
    lifetime = min(max(seconds, 0.0), STREAM_MAX_S)
    return StreamingResponse(_events(request, record, cursor, lifetime, still_allowed),
                             media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


async def _events(request: Request, record: bytes, cursor: int, seconds: float,
                  still_allowed: Callable[[], Awaitable[bool]] | None) -> AsyncIterator[str]:
    ctx = context(request)
    node, closing = ctx.node, ctx.closing
    loop = asyncio.get_running_loop()
    woken = asyncio.Event()
    deadline = loop.time() + seconds
    checked = loop.time()
    with closing.waking(node, woken):
        yield "retry: 2000\n\n"
        while not closing.is_set():
            woken.clear()
            update = await asyncio.to_thread(read_update, node, record, cursor)
            moved = update.cursor != cursor
            cursor = update.cursor
            if not update.empty:
                yield f"id: {cursor}\nevent: vitals\ndata: {json.dumps(update.to_json())}\n\n"
            if still_allowed is not None and loop.time() - checked > ACCESS_RECHECK_S:
                checked = loop.time()
                if not await still_allowed():
                    yield "event: ended\ndata: {\"reason\": \"access ended\"}\n\n"
                    return
            left = deadline - loop.time()
            if left <= 0 or closing.is_set():
                return
            if moved:
                continue  # read on at once: there may be more pages after this one
            try:
                await asyncio.wait_for(woken.wait(), timeout=min(HEARTBEAT_S, left))
            except TimeoutError:
                yield ": keep-alive\n\n"
