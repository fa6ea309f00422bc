"""Who is calling, resolved once at the edge (Starlette's `AuthenticationMiddleware`).

A request carries either a bearer token (`Authorization: Bearer cct_…`, an API client
issued by an admin) or the web apps' session cookie. The backend looks either up in the
node's accounts (off the event loop) and puts an `ActorUser` in `request.user`; a bad
bearer token is refused at once. `Gate` then refuses an anonymous caller on every route
outside the allow-list (`carechain.edge.public`): 401 problem details, or, for a browser
asking for a page of a web app (a GET that does not ask for JSON), a redirect to the
login page.

A request authenticated by its cookie that changes anything through the JSON API must
also carry the session's CSRF token in `X-CSRF-Token` (the web forms carry it in a field).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import anyio.to_thread
from starlette.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    BaseUser,
)
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from carechain.accounts import Person, Session
from carechain.edge.outcome import is_fhir, outcome
from carechain.edge.public import is_public
from carechain.errors import PROBLEM_BASE
from carechain.operations import Actor, Door, Interface

__all__ = ["SESSION_COOKIE", "ActorUser", "CallerBackend", "Gate", "actor_of", "install_auth"]

SESSION_COOKIE = "carechain_session"
BEARER = "bearer "
# Paths that never need the caller resolved: static files, and the sync protocol, which
# authenticates each request by the calling node's signature (no session is touched).
UNRESOLVED = ("/static/", "/sync/v1/")
# Paths a program calls: an anonymous caller gets 401 problem details there, never a page.
API_PREFIXES = ("/records", "/fhir", "/crew/api/", "/hospital/api/", "/sync/", "/admin/api/")


@dataclass(frozen=True)
class ActorUser(BaseUser):
    """The caller as Starlette sees it: the actor, and the session if a cookie brought it."""

    actor: Actor
    session: Session | None = None
    person: Person | None = None

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return self.actor.name

    @property
    def identity(self) -> str:
        return self.actor.user


def _interface(path: str, cookie: bool) -> Interface:
    if path.startswith("/fhir"):
        return "fhir"
    if path.startswith("/records") or not cookie:
        return "json"
    return "web"


class CallerBackend(AuthenticationBackend):
    """Resolve the caller from a bearer token or the session cookie."""

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        door: Door | None = getattr(conn.app.state, "door", None)
        if door is None or conn.url.path.startswith(UNRESOLVED):
            return None
        header = conn.headers.get("authorization", "")
        if header[: len(BEARER)].lower() == BEARER:
            token = header[len(BEARER):].strip()
            found = await anyio.to_thread.run_sync(
                lambda: door.accounts.client(token, now_ms=door.now_ms())
            )
            if found is None:
                raise AuthenticationError("the bearer token is unknown, expired or revoked")
            actor = Actor.client(found[0], found[1], _interface(conn.url.path, False))
            return AuthCredentials(["authenticated"]), ActorUser(actor, None, found[1])
        cookie = conn.cookies.get(SESSION_COOKIE)
        if not cookie:
            return None
        live = await anyio.to_thread.run_sync(
            lambda: door.accounts.session(cookie, now_ms=door.now_ms())
        )
        if live is None:
            return None
        person, session = live
        actor = Actor.person(person, _interface(conn.url.path, True))
        return AuthCredentials(["authenticated"]), ActorUser(actor, session, person)


def actor_of(conn: HTTPConnection) -> ActorUser | None:
    """Return the authenticated caller of a request, or None."""
    user = conn.scope.get("user")
    return user if isinstance(user, ActorUser) else None


def _problem(status: int, code: str, title: str, detail: str) -> tuple[bytes, list[Any]]:
    body = json.dumps(
        {"type": PROBLEM_BASE + code, "title": title, "status": status, "detail": detail}
    ).encode()
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
        (b"www-authenticate", b'Bearer realm="carechain"'),
    ]
    return body, headers


async def _refuse(send: Send, detail: str) -> None:
    body, headers = _problem(401, "not-authenticated", "Not authenticated", detail)
    await send({"type": "http.response.start", "status": 401, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class Gate:
    """Refuse anonymous callers everywhere but the allow-list."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        method = scope.get("method", "GET") if scope["type"] == "http" else "GET"
        path = scope["path"]
        user = scope.get("user")
        if is_public(method, path) or isinstance(user, ActorUser):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008, "reason": "log in first"})
            return
        conn = HTTPConnection(scope)
        if _page(method, path, conn.headers.get("accept", "")):
            target = quote(path)
            await send({"type": "http.response.start", "status": 303,
                        "headers": [(b"location", f"/login?next={target}".encode()),
                                    (b"content-length", b"0")]})
            await send({"type": "http.response.body", "body": b""})
            return
        detail = "log in, or send a bearer token: Authorization: Bearer <token>"
        if is_fhir(path):
            await outcome(401, "not-authenticated", detail)(scope, receive, send)
            return
        await _refuse(send, detail)


def _page(method: str, path: str, accept: str) -> bool:
    """Return whether an anonymous request is a browser asking for a page of a web app
    (sent to the login page) rather than a program (answered 401)."""
    if method not in ("GET", "HEAD") or path.startswith(API_PREFIXES) or path.endswith("/events"):
        return False
    return "json" not in accept


def _on_error(conn: HTTPConnection, exc: AuthenticationError) -> Any:
    from starlette.responses import Response

    if is_fhir(conn.url.path):
        return outcome(401, "not-authenticated", str(exc))
    body, headers = _problem(401, "not-authenticated", "Not authenticated", str(exc))
    return Response(body, status_code=401, headers={k.decode(): v.decode() for k, v in headers})


def install_auth(app: Any) -> None:
    """Put the gate behind the authentication middleware (added last, so it runs first)."""
    app.add_middleware(Gate)
    app.add_middleware(AuthenticationMiddleware, backend=CallerBackend(), on_error=_on_error)
