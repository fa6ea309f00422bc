"""Every node role served with one account of each role it allows, and the app's routes
enumerated from its own router (HTTP and WebSocket), with their path parameters filled."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from fastapi.routing import APIRoute, APIWebSocketRoute
from starlette.routing import Mount, WebSocketRoute

from carechain.accounts import ROLES_ON_NODE
from carechain.testing import Trust
from tests.web.conftest import PASSWORD, PIN, Site, make_site

NODE_ROLES = ("crew", "hospital", "hub", "vault")
STAFF = {"paramedic": "P1", "technician": "T1", "clinical_lead": "C1", "ed_clinician": "E1",
         "auditor": "AU1", "admin": "A1", "dispatcher": "D1"}
FILL = {"record_id": "00112233445566778899aabbccddeeff", "entry": "ab" * 32,
        "slug": "observations", "path": "app.css", "incident": "INC-1"}


@dataclass(frozen=True)
class Route:
    """One method and path the app serves."""

    method: str  # an HTTP method, or WS for a WebSocket
    template: str
    route: object

    @property
    def path(self) -> str:
        return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: FILL.get(m.group(1), "x"), self.template)


def _flat(routes: list[object]) -> Iterator[tuple[object, str]]:
    """Yield each route with its full path, looking inside included routers."""
    for r in routes:
        contexts = getattr(r, "effective_route_contexts", None)
        if contexts is not None:  # a router included into the app (FastAPI ≥ 0.160)
            for context in contexts():
                original = context.original_route
                yield original, context.path or getattr(original, "path", "")
        else:
            yield r, getattr(r, "path", "")


def routes(app: FastAPI) -> Iterator[Route]:
    """Yield every route of the app, from its router."""
    for r, path in _flat(list(app.routes)):
        if isinstance(r, APIRoute):
            for method in sorted(r.methods - {"HEAD"}):
                yield Route(method, path, r)
        elif isinstance(r, APIWebSocketRoute | WebSocketRoute):
            yield Route("WS", path, r)
        elif isinstance(r, Mount):
            yield Route("GET", path + "/{path}", r)
        else:  # the OpenAPI document and its viewers
            for method in sorted(getattr(r, "methods", None) or {"GET"}):
                if method != "HEAD":
                    yield Route(method, path, r)


def site_of(tmp_path: Path, trust: Trust, node_role: str) -> Site:
    """Serve a node of `node_role` with one person of every role it allows."""
    people = [
        (STAFF[role], f"{role} person", role, PIN if node_role == "crew" else PASSWORD)
        for role in sorted(ROLES_ON_NODE[node_role])  # type: ignore[index]
    ]
    return make_site(tmp_path / node_role, trust, node_role, f"{node_role}-1", people)


def declared(route: object) -> tuple[str, ...] | None:
    """Return the actions a route declares it needs (one of them), read off its
    dependencies (`api.deps.Needs`, `web.session.require`); None if it needs none."""
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return None
    stack = list(dependant.dependencies)
    while stack:
        dep = stack.pop()
        actions = getattr(dep.call, "actions", None)
        if actions is not None:
            return tuple(actions)
        stack.extend(dep.dependencies)
    return None


def needs(route: Route) -> str:
    """Return what the route needs, as the docs' table says it: `anyone`, `login`, or the
    actions, comma-separated."""
    from carechain.edge import is_public

    if route.template.startswith("/sync/v1/") and not route.template.endswith(
        ("/info", "/directory")
    ):
        return "node signature"  # the sync protocol authenticates the calling node itself
    if is_public(route.method if route.method != "WS" else "GET", route.path):
        return "anyone"
    found = declared(route.route)
    return "login" if found is None else ", ".join(sorted(found))
