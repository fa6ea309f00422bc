"""The opening of a sync WebSocket (`/live`, `/stream`): the same signed headers as any
sync request, and cursor-like numbers in the query."""

from __future__ import annotations

import asyncio

from starlette.websockets import WebSocket

from carechain.errors import CarechainError
from carechain.sync.auth import check_request
from carechain.sync.wire import MAX_POSITION
from carechain.trust import Certificate, Directory

__all__ = ["signed_opening"]


async def signed_opening(
    websocket: WebSocket, directory: Directory, now_ms: int, *params: str
) -> tuple[Certificate, tuple[int, ...]] | None:
    """Return the calling node and the value of each of `params` (0 if absent); or close
    the socket (policy violation, with the reason) and return None. The signature is
    checked on a worker thread, not on the event loop."""
    values: list[int] = []
    try:
        peer = await asyncio.to_thread(
            check_request,
            directory,
            websocket.headers,
            "GET",
            websocket.url.path,
            websocket.url.query,
            b"",
            now_ms,
        )
        for param in params:
            raw = websocket.query_params.get(param, "0")
            value = int(raw) if len(raw) <= 20 and raw.isdigit() else -1
            if not 0 <= value <= MAX_POSITION:
                raise ValueError(f"{param} must be a log position from 0 to {MAX_POSITION}")
            values.append(value)
    except (CarechainError, ValueError) as exc:
        reason = exc.detail if isinstance(exc, CarechainError) else str(exc)
        await websocket.close(code=1008, reason=reason[:120])
        return None
    return peer, tuple(values)
