"""The demo's hub outage: an administrator stops the hub from its own admin console for a
chosen time, and it comes back by itself (issue 10 item 10).

Only `carechain demo` adds this route (to the hub it runs, never to a node served by
`carechain serve`). The hub's HTTP server and sync loop stop, so every other node finds
it unreachable (the crews keep recording, and hand over straight to the hospital), then
the same hub, with its store untouched, serves again on the same address. The demo prints
when the hub stops and when it is back.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response

from carechain.errors import FieldInvalid
from carechain.web.shared.render import check_csrf
from carechain.web.shared.session import Viewer, require

if TYPE_CHECKING:
    from carechain.demo.chain import DemoChain

__all__ = ["MAX_OUTAGE_S", "MIN_OUTAGE_S", "outage_router"]

MIN_OUTAGE_S = 10
MAX_OUTAGE_S = 600
STOP_AFTER_S = 0.5  # let the console's answer reach the browser before the server stops

AdminDep = Annotated[Viewer, require("node.admin")]


def check_seconds(value: str) -> int:
    """Return the outage's length in seconds, or raise FieldInvalid naming `seconds`."""
    rule = f"must be a whole number of seconds from {MIN_OUTAGE_S} to {MAX_OUTAGE_S}"
    try:
        seconds = int(value.strip())
    except ValueError as exc:
        raise FieldInvalid("seconds", rule) from exc
    if not MIN_OUTAGE_S <= seconds <= MAX_OUTAGE_S:
        raise FieldInvalid("seconds", rule)
    return seconds


def outage_router(chain: DemoChain) -> APIRouter:
    """Return the hub console's demo route: POST /admin/demo/outage (seconds, csrf)."""
    router = APIRouter(include_in_schema=False)

    @router.post("/admin/demo/outage")
    def outage(viewer: AdminDep,
               seconds: Annotated[str, Form(max_length=8)] = "60",
               csrf: Annotated[str, Form(max_length=128)] = "") -> Response:
        check_csrf(viewer, csrf)
        try:
            length = check_seconds(seconds)
        except FieldInvalid as exc:
            return RedirectResponse(f"/admin?outage_error={exc.rule.replace(' ', '+')}",
                                    status_code=303)
        threading.Timer(STOP_AFTER_S, chain.hub_outage, args=(length,)).start()
        return RedirectResponse(f"/admin?outage={length}", status_code=303)

    return router
