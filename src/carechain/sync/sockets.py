"""The opening of a sync WebSocket (`/live`, `/stream`): the same signed headers as any
sync request, and one cursor-like number in the query."""

from __future__ import annotations

from starlette.websockets import WebSocket

from carechain.errors import CarechainError
from carechain.sync.auth import check_request
from carechain.trust import Certificate, Directory

__all__ = ["signed_opening"]


async def signed_opening(
    websocket: WebSocket, directory: Directory, now_ms: int, param: str
) -> tuple[Certificate, int] | None:
    """Return the calling node and the value of `param` (0 if absent, never negative);
    or close the socket (policy violation, with the reason) and return None."""
    try:
        peer = check_request(
            directory,
            websocket.headers,
            "GET",
            websocket.url.path,
            websocket.url.query,
            b"",
            now_ms,
        )
        value = int(websocket.query_params.get(param, "0"))
        if value < 0:
            raise ValueError
    except (CarechainError, ValueError) as exc:
        reason = exc.detail if isinstance(exc, CarechainError) else f"{param} must be >= 0"
        await websocket.close(code=1008, reason=reason[:120])
        return None
    return peer, value
