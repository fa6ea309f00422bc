"""Incidents from dispatch: the hub's webhook (create, update, cancel, duplicate, refusals
that name the field and store nothing), delivery to the assigned crews by the sync
protocol, and a crew member accepting the offer through the door."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from carechain.accounts import FAST_FOR_TESTS, AccountStore
from carechain.app import create_app
from carechain.node import Node
from carechain.node.audit import read_audit
from carechain.operations.door import accounts_key
from carechain.sync.client import sync_with
from carechain.testing import Trust, api_token, make_node
from tests.web.conftest import PASSWORD, PIN, Site, make_site

CAD = {
    "incident_number": "INC-20261203-0042",
    "call_received": "2026-12-03T14:02:11Z",
    "category": 2,
    "chief_complaint": "Chest pain",
    "triage": [{"system": "AMPDS", "code": "10-D-01", "text": "Chest pain: not alert"}],
    "location": {"address": "14 Example Road, Exampletown EX1 2AB", "lat": 51.5, "lon": -0.12},
    "resources": [{"callsign": "ALPHA-1", "node": "crew-1"}],
}
SECRET_TEXT = b"14 Example Road"  # on the hub only as ciphertext


@dataclass
class Hub:
    node: Node
    accounts: AccountStore
    client: TestClient
    token: str

    def post(self, body: Any, token: str | None = None, raw: bytes | None = None) -> Any:
        data = raw if raw is not None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if token != "":
            headers["Authorization"] = f"Bearer {token or self.token}"
        return self.client.post("/dispatch/v1/incidents", content=data, headers=headers)

    def kept(self) -> list[tuple[str, bytes]]:
        return self.node.store.meta_items("dispatch/")


@pytest.fixture
def hub(tmp_path: Path, trust: Trust) -> Iterator[Hub]:
    node = make_node(tmp_path / "hub", trust, role="hub", name="hub")
    accounts = AccountStore(tmp_path / "hub" / "accounts.db", accounts_key(node),
                            cost=FAST_FOR_TESTS)
    accounts.create_person("AU1", "Ari Auditor", "auditor", PASSWORD, node_role="hub",
                           now_ms=node.clock_ms())  # the accounts are a hub's
    _, token = accounts.issue_client("Example CAD", role="dispatcher", staff_id=None,
                                     expires_ms=node.clock_ms() + 86_400_000,
                                     issued_by="tests", now_ms=node.clock_ms())
    client = TestClient(create_app(node, accounts=accounts), base_url="http://127.0.0.1")
    yield Hub(node, accounts, client, token)
    client.close()
    accounts.close()
    node.close()


def _crew(tmp_path: Path, trust: Trust, name: str, hub: Hub) -> Site:
    site = make_site(tmp_path / name, trust, "crew", name,
                     [("P100234", "Sam Patel", "paramedic", PIN)])
    sync_with(site.node, hub.client)  # the hub learns the crew node's certificate
    return site


@pytest.fixture
def crews(tmp_path: Path, trust: Trust, hub: Hub) -> Iterator[tuple[Site, Site]]:
    one, two = _crew(tmp_path, trust, "crew-1", hub), _crew(tmp_path, trust, "crew-2", hub)
    yield one, two
    for site in (one, two):
        site.client.close()
        site.accounts.close()
        site.node.close()


def _bearer(site: Site) -> dict[str, str]:
    return {"Authorization": "Bearer " + api_token(site.accounts, site.node)}


def _offers(site: Site, hub: Hub) -> list[dict[str, Any]]:
    sync_with(site.node, hub.client)
    r = site.client.get("/dispatch/offers", headers=_bearer(site))
    assert r.status_code == 200, r.text
    out: list[dict[str, Any]] = r.json()
    return out


def _audit(node: Node, action: str) -> list[dict[str, Any]]:
    return [e for e in read_audit(node) if e["action"] == action]


def test_a_new_incident_is_kept_sealed_and_audited_with_its_routing_only(
    hub: Hub, crews: tuple[Site, Site]
) -> None:
    r = hub.post(CAD)
    assert r.status_code == 201, r.text
    assert r.json() == {"incident_number": CAD["incident_number"], "revision": 1,
                        "status": "active", "at_ms": r.json()["at_ms"], "duplicate": False,
                        "nodes": ["crew-1"]}
    assert len([k for k, _ in hub.kept() if k.startswith("dispatch/offer/")]) == 1
    assert not any(SECRET_TEXT in v for _, v in hub.kept())  # the hub keeps no plaintext
    (event,) = _audit(hub.node, "dispatch.receive")
    assert event["detail"]["incident_number"] == CAD["incident_number"]
    assert event["staff_id"].startswith("client:") and event["role"] == "dispatcher"
    assert "Chest" not in json.dumps(event)


def test_a_duplicate_delivery_is_answered_as_such_and_stores_nothing(
    hub: Hub, crews: tuple[Site, Site]
) -> None:
    assert hub.post(CAD).status_code == 201
    before = hub.kept()
    again = hub.post(None, raw=json.dumps(CAD, indent=2).encode())  # same value, new spacing
    assert again.status_code == 200
    assert again.json()["duplicate"] is True and again.json()["revision"] == 1
    assert hub.kept() == before
    assert [e["detail"]["duplicate"] for e in _audit(hub.node, "dispatch.receive")] == [
        False, True]


@pytest.mark.parametrize(("change", "field"), [
    ({"incident_number": None}, "incident_number"),
    ({"incident_number": "has space"}, "incident_number"),
    ({"category": 7}, "category"),
    ({"call_received": "yesterday"}, "call_received"),
    ({"call_received": "2026-12-03T14:02:11"}, "call_received"),  # no offset
    ({"location": {"lat": 100, "lon": 0}}, "location.lat"),
    ({"resources": []}, "resources"),
    ({"resources": [{"callsign": "X-9", "node": "crew-9"}]}, "resources[0].node"),
    ({"triage": [{"system": "AMPDS"}]}, "triage[0].code"),
    ({"status": "cancelled"}, "cancel_reason"),
    ({"priority": 1}, "priority"),
])
def test_a_malformed_incident_is_refused_naming_the_field_and_stores_nothing(
    hub: Hub, crews: tuple[Site, Site], change: dict[str, Any], field: str
) -> None:
    body = {k: v for k, v in {**CAD, **change}.items() if v is not None}
    r = hub.post(body)
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["type"].endswith("field-invalid") and problem["field"] == field
    assert field in problem["detail"]
    assert hub.kept() == []


@pytest.mark.parametrize("raw", [b"", b"not json", b"[1, 2]", b"\xff\xfe"])
def test_a_body_that_is_no_json_object_is_refused(
    hub: Hub, crews: tuple[Site, Site], raw: bytes
) -> None:
    r = hub.post(None, raw=raw)
    assert r.status_code == 422 and r.json()["field"] == "body"
    assert hub.kept() == []


def test_only_a_dispatcher_may_deliver(hub: Hub, crews: tuple[Site, Site]) -> None:
    anonymous = hub.post(CAD, token="")
    assert anonymous.status_code == 401
    wrong = hub.post(CAD, token="cct_not-a-token")
    assert wrong.status_code == 401
    lead = api_token(hub.accounts, hub.node, staff_id="C100001", role="clinical_lead")
    refused = hub.post(CAD, token=lead)
    assert refused.status_code == 403 and "dispatch.receive" in refused.json()["detail"]
    assert hub.kept() == []


def test_the_assigned_crew_gets_the_offer_and_accepting_it_opens_the_record(
    hub: Hub, crews: tuple[Site, Site]
) -> None:
    one, two = crews
    assert hub.post(CAD).status_code == 201
    assert _offers(two, hub) == []  # sealed to crew-1 only: crew-2 is not sent it
    (offer,) = _offers(one, hub)
    assert offer["incident_number"] == CAD["incident_number"] and offer["record"] is None
    assert offer["incident"]["location"]["address"].startswith("14 Example Road")
    headers = _bearer(one)
    r = one.client.post(f"/dispatch/offers/{CAD['incident_number']}/accept", headers=headers)
    assert r.status_code == 201, r.text
    record = r.json()["record_id"]
    state = one.client.get(f"/records/{record}", headers=headers).json()
    text = json.dumps(state)
    for expected in ("INC-20261203-0042", "14 Example Road", "AMPDS 10-D-01", "ALPHA-1",
                     "2026-12-03T14:02:11"):
        assert expected in text, expected
    again = one.client.post(f"/dispatch/offers/{CAD['incident_number']}/accept",
                            headers=headers)
    assert again.json()["record_id"] == record  # accepted once
    (event,) = _audit(one.node, "dispatch.accept")
    assert event["record"] == record and event["staff_id"] == "P100234"
    assert _offers(one, hub)[0]["record"] == record


def test_updates_reach_the_crews_and_are_shown_as_such(
    hub: Hub, crews: tuple[Site, Site]
) -> None:
    one, two = crews
    assert hub.post(CAD).status_code == 201
    upgraded = {**CAD, "category": 1, "resources": [
        *CAD["resources"], {"callsign": "BRAVO-2", "node": "crew-2"}]}
    assert hub.post(upgraded).json()["revision"] == 2
    (offer,) = _offers(one, hub)
    assert offer["revision"] == 2 and offer["incident"]["category"] == 1
    assert offer["updates"][1]["changes"] == ["category changed from 2 to 1",
                                              "extra crew assigned: BRAVO-2"]
    (theirs,) = _offers(two, hub)  # the extra crew has it from this revision on
    assert theirs["revision"] == 2
    cancelled = {**upgraded, "status": "cancelled", "cancel_reason": "Duplicate call"}
    assert hub.post(cancelled).status_code == 201
    (offer,) = _offers(one, hub)
    assert offer["status"] == "cancelled"
    assert offer["updates"][2]["changes"] == ["cancelled: Duplicate call"]
    r = one.client.post(f"/dispatch/offers/{CAD['incident_number']}/accept",
                        headers=_bearer(one))
    assert r.status_code == 422 and "cancelled" in r.json()["detail"]
    late = hub.post({**CAD, "category": 3})
    assert late.status_code == 422 and late.json()["field"] == "status"


def test_a_crew_stood_down_is_told(hub: Hub, crews: tuple[Site, Site]) -> None:
    one, _ = crews
    assert hub.post(CAD).status_code == 201
    moved = {**CAD, "resources": [{"callsign": "BRAVO-2", "node": "crew-2"}]}
    assert hub.post(moved).status_code == 201
    (offer,) = _offers(one, hub)
    assert "this crew was stood down" in offer["updates"][1]["changes"]
