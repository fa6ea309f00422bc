"""Who is logged in: the session cookie, page guards, and the CSRF check on every form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request

from carechain.accounts import can
from carechain.accounts.models import Person, Session
from carechain.errors import CarechainError, Forbidden
from carechain.web.context import WebContext

__all__ = [
    "COOKIE",
    "LoginRequired",
    "OptionalViewer",
    "Viewer",
    "ViewerDep",
    "context",
    "require",
]

COOKIE = "carechain_session"


class LoginRequired(CarechainError):
    """No live session: the page answers a redirect to the login page."""

    code = "login-required"
    status = 401
    title = "Login required"


@dataclass(frozen=True)
class Viewer:
    """The logged-in person and their session."""

    person: Person
    session: Session

    def can(self, action: str) -> bool:
        """Return whether this person's role allows the action."""
        return can(self.person.role, action)


def context(request: Request) -> WebContext:
    """Return the web context of the app."""
    ctx: WebContext = request.app.state.web
    return ctx


def _viewer(request: Request) -> Viewer | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    found = context(request).accounts.session(token, now_ms=context(request).now_ms())
    return None if found is None else Viewer(*found)


def _required(request: Request) -> Viewer:
    viewer = _viewer(request)
    if viewer is None:
        raise LoginRequired(quote(str(request.url.path)))
    return viewer


def require(action: str) -> object:
    """Return a dependency that needs a logged-in person allowed to do `action`."""

    def check(viewer: Annotated[Viewer, Depends(_required)]) -> Viewer:
        if not viewer.can(action):
            raise Forbidden(f"a {viewer.person.role} may not {action}")
        return viewer

    return Depends(check)


OptionalViewer = Annotated[Viewer | None, Depends(_viewer)]
ViewerDep = Annotated[Viewer, Depends(_required)]
