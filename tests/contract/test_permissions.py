"""The permission matrix: the route table in docs/accounts.md is the routes' own, and every
role the node allows, calling every route, is refused (403) exactly where the table and
the permissions table say so."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from carechain.accounts import PERMISSIONS, ROLES_ON_NODE
from carechain.testing import Trust
from tests.contract.door_support import NODE_ROLES, STAFF, Route, routes, site_of
from tests.contract.door_support import needs as needs_of
from tests.web.conftest import Site

DOCS = Path(__file__).resolve().parents[2] / "docs" / "accounts.md"


def _table() -> dict[tuple[str, str], tuple[set[str], str]]:
    text = DOCS.read_text()
    section = text.split("## Routes and permissions", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(\w+) (\S+)` \| ([\w, ]+) \| ([\w., ]+) \|$", section, re.M)
    assert rows, "docs/accounts.md has no route table"
    return {(m, p): ({n.strip() for n in nodes.split(",")}, needs) for m, p, nodes, needs in rows}


@pytest.fixture(params=NODE_ROLES)
def site(request: pytest.FixtureRequest, tmp_path: Path, trust: Trust) -> Iterator[Site]:
    made = site_of(tmp_path, trust, request.param)
    yield made
    made.client.close()
    made.accounts.close()
    made.node.close()


def test_the_docs_route_table_is_the_routers(tmp_path: Path, trust: Trust) -> None:
    found: dict[tuple[str, str], tuple[set[str], str]] = {}
    for node_role in NODE_ROLES:
        made = site_of(tmp_path, trust, node_role)
        try:
            for route in routes(made.client.app):  # type: ignore[arg-type]
                key = (route.method, route.template)
                nodes, _ = found.setdefault(key, (set(), needs_of(route)))
                nodes.add(node_role)
        finally:
            made.client.close()
            made.accounts.close()
            made.node.close()
    assert found == _table()


def _allowed(role: str, needs: str) -> bool:
    if needs in ("anyone", "login", "node signature"):
        return True
    return any(role in PERMISSIONS[action] for action in needs.split(", "))


def _relationship_refusal(text: str) -> bool:
    """Tell a refusal for want of a care relationship (allowed role, unknown record: the
    answer must not say whether the record exists) from a refusal of the role."""
    return any(sign in text for sign in (
        "care relationship", 'data-testid="record-forbidden"', "not addressed to this hospital",
        "Only a record addressed to this hospital"))


def _call(site: Site, route: Route, role: str) -> tuple[int, str]:
    """Call a route with a fresh session of a person of `role`, CSRF token included."""
    person = site.accounts.person(STAFF[role])
    assert person is not None
    session = site.accounts.create_session(person, now_ms=site.node.clock_ms())
    site.client.cookies.set("carechain_session", session.token)
    headers = {"X-CSRF-Token": session.csrf_token, "Accept": "application/json"}
    params = {"wait": "0", "lifetime": "0"}
    if route.method == "GET":
        r = site.client.get(route.path, headers=headers, params=params, follow_redirects=False)
    elif route.template.startswith("/records"):
        r = site.client.request(route.method, route.path, headers=headers, json={},
                                follow_redirects=False)
    else:
        r = site.client.request(route.method, route.path, headers=headers,
                                data={"csrf": session.csrf_token}, follow_redirects=False)
    return r.status_code, r.text


def test_every_role_against_every_route(site: Site) -> None:
    node_role = site.node.info.role
    checked = 0
    for route in routes(site.client.app):  # type: ignore[arg-type]
        needs = needs_of(route)
        if route.method == "WS" or needs in ("anyone", "node signature"):
            continue
        if route.template == "/logout":
            continue  # ends the session: allowed to everyone (checked elsewhere)
        for role in sorted(ROLES_ON_NODE[node_role]):  # type: ignore[index]
            status, text = _call(site, route, role)
            label = f"{node_role}: {role} {route.method} {route.template} → {status}"
            if _allowed(role, needs):
                assert status != 401, label
                assert status != 403 or _relationship_refusal(text), label
            else:
                assert status == 403 and not _relationship_refusal(text), label
            checked += 1
    assert checked > 10
