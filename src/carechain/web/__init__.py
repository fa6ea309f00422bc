"""Server-rendered web apps on each node, a package each: the crew app (`crew`), the hospital
dashboard (`hospital`), the admin console (`admin`), the audit view (`audit`), printing
(`print`) and the vault's quality indicators (`quality`); what they share (logging in,
sessions, rendering, the live vitals, the headline NEWS2) is in `shared`, with the
templates and static files beside them. Each app calls the node only through the
application layer (`carechain.operations`)."""

from __future__ import annotations

import importlib
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from carechain.accounts import AccountStore
from carechain.edge.outcome import is_fhir
from carechain.edge.problems import error_response, problem
from carechain.errors import Forbidden, NotFound
from carechain.node import Node
from carechain.operations.door import accounts_key, open_accounts
from carechain.sync.loop import SyncLoop
from carechain.web.shared import login
from carechain.web.shared.context import WebContext
from carechain.web.shared.render import render
from carechain.web.shared.session import LoginRequired
from carechain.web.shared.too_large import HtmlTooLarge

__all__ = ["APPS", "HtmlTooLarge", "WebContext", "accounts_key", "install_web", "open_accounts"]

# The web apps, each a module with `router` and `ROLES` (the node roles that serve it).
APPS = ("crew", "hospital", "admin", "audit", "print", "quality")

STATIC = Path(__file__).parent / "static"


def install_web(app: FastAPI, node: Node, accounts: AccountStore,
                sync_loop: SyncLoop | None = None) -> None:
    """Add the pages for this node's role to its app."""
    app.state.web = WebContext(node, accounts, sync_loop)
    door = getattr(app.state, "door", None)
    if door is not None:  # the app's own door: one lookup queue for the API and the pages
        app.state.web.door = door
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(login.router)
    for name in APPS:
        module = importlib.import_module(f"carechain.web.{name}")
        if node.info.role in module.ROLES:
            app.include_router(module.router)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        path = request.url.path
        if path.startswith(("/crew/api", "/hospital/api")) or path.endswith("/events"):
            return problem(401, exc.code, exc.title, "log in first")
        return RedirectResponse(f"/login?next={exc.detail}", status_code=303)

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> Response:
        if is_fhir(request.url.path):
            return error_response(request, exc)
        if "text/html" in request.headers.get("accept", ""):
            return render(request, "error.html", None, status=404, title="Not found",
                          message=exc.detail)
        return problem(404, exc.code, exc.title, exc.detail, **exc.extra)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        if is_fhir(request.url.path):
            return error_response(request, exc)
        accept = request.headers.get("accept", "")
        if "text/html" in accept:
            return render(request, "error.html", None, status=403, title="Not allowed",
                          message=exc.detail)
        return problem(403, exc.code, exc.title, exc.detail, **exc.extra)


