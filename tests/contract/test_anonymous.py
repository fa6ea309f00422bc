"""One door: every route the app serves refuses an anonymous caller, except one allow-list.

The routes come from each node role's own router (HTTP and WebSocket), not a hand-kept
list, so a route added later is covered the day it is added.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.websockets import WebSocketDisconnect

from carechain.edge import is_public
from carechain.errors import PROBLEM_BASE
from carechain.testing import Trust
from tests.contract.door_support import NODE_ROLES, routes, site_of
from tests.web.conftest import Site


@pytest.fixture(params=NODE_ROLES)
def site(request: pytest.FixtureRequest, tmp_path: Path, trust: Trust) -> Iterator[Site]:
    made = site_of(tmp_path, trust, request.param)
    yield made
    made.client.close()
    made.accounts.close()
    made.node.close()


def test_every_route_but_the_allow_list_answers_an_anonymous_program_401(site: Site) -> None:
    checked = 0
    for route in routes(site.client.app):  # type: ignore[arg-type]
        if route.method == "WS" or is_public(route.method, route.path):
            continue
        r = site.client.request(route.method, route.path, headers={"Accept": "application/json"},
                                follow_redirects=False)
        assert r.status_code == 401, f"{route.method} {route.template}: {r.status_code}"
        if route.template.startswith("/fhir/"):  # the FHIR API answers in FHIR
            assert r.headers["content-type"].startswith("application/fhir+json")
            assert r.json()["resourceType"] == "OperationOutcome"
            assert r.json()["issue"][0]["code"] == "login"
        else:
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["type"] == PROBLEM_BASE + "not-authenticated"
        assert "Bearer" in r.headers["www-authenticate"]
        checked += 1
    assert checked >= 3


def test_an_anonymous_browser_is_sent_to_the_login_page_never_shown_a_page(site: Site) -> None:
    for route in routes(site.client.app):  # type: ignore[arg-type]
        if route.method != "GET" or is_public(route.method, route.path):
            continue
        r = site.client.get(route.path, headers={"Accept": "text/html"}, follow_redirects=False)
        assert r.status_code in (303, 401), f"GET {route.template}: {r.status_code}"
        if r.status_code == 303:
            assert r.headers["location"].startswith("/login?next=")


def test_the_allow_list_is_reachable_anonymously(site: Site) -> None:
    for route in routes(site.client.app):  # type: ignore[arg-type]
        if route.method == "WS" or not is_public(route.method, route.path):
            continue
        if route.template.startswith("/sync/v1/"):
            continue  # open to the gate; the sync protocol signs its own (below)
        r = site.client.request(route.method, route.path, follow_redirects=False)
        assert r.status_code != 401, f"{route.method} {route.template}"


def test_sync_routes_refuse_an_unsigned_caller_themselves(site: Site) -> None:
    for route in routes(site.client.app):  # type: ignore[arg-type]
        if not route.template.startswith("/sync/v1/") or route.template.endswith(
            ("/info", "/directory")
        ):
            continue
        if route.method == "WS":
            with (
                pytest.raises(WebSocketDisconnect) as closed,
                site.client.websocket_connect(route.path) as ws,
            ):
                ws.receive_bytes()
            assert closed.value.code == 1008
            continue
        r = site.client.request(route.method, route.path)
        assert r.status_code == 401, f"{route.method} {route.template}: {r.status_code}"
