"""Who is logged in: the session cookie, page guards, and the CSRF check on every form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request

from carechain.accounts import can
from carechain.accounts.models import Person, Session
from carechain.edge import actor_of
from carechain.errors import CarechainError, Forbidden
from carechain.web.shared.context import WebContext

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
    """Return the person the edge found by the session cookie (looked up once per request,
    in `carechain.edge`), or None: a bearer token opens no web page."""
    user = actor_of(request)
    if user is None or user.session is None or user.person is None:
        return None
    return Viewer(user.person, user.session)


def _required(request: Request) -> Viewer:
    viewer = _viewer(request)
    if viewer is None:
        raise LoginRequired(quote(str(request.url.path)))
    return viewer


class _Require:
    """A page's permission: a logged-in person allowed one of `actions` (the route → action
    table in docs/accounts.md is read off these)."""

    def __init__(self, actions: tuple[str, ...], refusal: str | None) -> None:
        self.actions = actions
        self.refusal = refusal

    def __call__(self, viewer: Annotated[Viewer, Depends(_required)]) -> Viewer:
        if not any(viewer.can(a) for a in self.actions):
            rule = self.refusal or " or ".join(self.actions)
            raise Forbidden(f"a {viewer.person.role} may not {rule}")
        return viewer


def require(*actions: str, refusal: str | None = None) -> object:
    """Return a dependency that needs a logged-in person allowed one of `actions`."""
    return Depends(_Require(actions, refusal))


OptionalViewer = Annotated[Viewer | None, Depends(_viewer)]
ViewerDep = Annotated[Viewer, Depends(_required)]
