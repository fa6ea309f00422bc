"""Incidents from dispatch: the hub's webhook (create, update, cancel, duplicate, refusals
that name the field and store nothing), delivery to the assigned crews by the sync
protocol, and a crew member accepting the offer through the door."""

from __future__ import annotations

import json
from typing import Any

import pytest

from carechain.testing import api_token
from tests.web.conftest import Site

from .conftest import CAD, SECRET_TEXT, Hub, audit_of, bearer, offers_of


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
    assert not hub.files_hold(SECRET_TEXT) and not hub.files_hold(b"10-D-01")
    (event,) = audit_of(hub.node, "dispatch.receive")
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
    assert [e["detail"]["duplicate"] for e in audit_of(hub.node, "dispatch.receive")] == [
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
    assert offers_of(two, hub) == []  # sealed to crew-1 only: crew-2 is not sent it
    (offer,) = offers_of(one, hub)
    assert offer["incident_number"] == CAD["incident_number"] and offer["record"] is None
    assert offer["incident"]["location"]["address"].startswith("14 Example Road")
    headers = bearer(one)
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
    (event,) = audit_of(one.node, "dispatch.accept")
    assert event["record"] == record and event["staff_id"] == "P100234"
    assert offers_of(one, hub)[0]["record"] == record


def test_updates_reach_the_crews_and_are_shown_as_such(
    hub: Hub, crews: tuple[Site, Site]
) -> None:
    one, two = crews
    assert hub.post(CAD).status_code == 201
    upgraded = {**CAD, "category": 1, "resources": [
        *CAD["resources"], {"callsign": "BRAVO-2", "node": "crew-2"}]}
    assert hub.post(upgraded).json()["revision"] == 2
    (offer,) = offers_of(one, hub)
    assert offer["revision"] == 2 and offer["incident"]["category"] == 1
    assert offer["updates"][1]["changes"] == ["category changed from 2 to 1",
                                              "extra crew assigned: BRAVO-2"]
    (theirs,) = offers_of(two, hub)  # the extra crew has it from this revision on
    assert theirs["revision"] == 2
    cancelled = {**upgraded, "status": "cancelled", "cancel_reason": "Duplicate call"}
    assert hub.post(cancelled).status_code == 201
    (offer,) = offers_of(one, hub)
    assert offer["status"] == "cancelled"
    assert offer["updates"][2]["changes"] == ["cancelled: Duplicate call"]
    r = one.client.post(f"/dispatch/offers/{CAD['incident_number']}/accept",
                        headers=bearer(one))
    assert r.status_code == 422 and "cancelled" in r.json()["detail"]
    late = hub.post({**CAD, "category": 3})
    assert late.status_code == 422 and late.json()["field"] == "status"


def test_a_crew_stood_down_is_told(hub: Hub, crews: tuple[Site, Site]) -> None:
    one, _ = crews
    assert hub.post(CAD).status_code == 201
    moved = {**CAD, "resources": [{"callsign": "BRAVO-2", "node": "crew-2"}]}
    assert hub.post(moved).status_code == 201
    (offer,) = offers_of(one, hub)
    assert "this crew was stood down" in offer["updates"][1]["changes"]


def test_a_change_back_is_a_new_revision_when_the_cad_says_when(
    hub: Hub, crews: tuple[Site, Site]
) -> None:
    one, _ = crews
    first = {**CAD, "updated_at": "2026-12-03T14:03:00Z"}
    assert hub.post(first).status_code == 201
    assert hub.post({**CAD, "category": 1, "updated_at": "2026-12-03T14:05:00Z"}).json()[
        "revision"] == 2
    back = hub.post({**CAD, "updated_at": "2026-12-03T14:07:00Z"})
    assert back.status_code == 201 and back.json()["revision"] == 3
    assert hub.post(first).json() | {"at_ms": 0} == {
        "incident_number": CAD["incident_number"], "revision": 1, "status": "active",
        "at_ms": 0, "duplicate": True, "nodes": ["crew-1"]}  # a late retry changes nothing
    (offer,) = offers_of(one, hub)
    assert offer["incident"]["category"] == 2
    assert offer["updates"][2]["changes"] == ["category changed from 1 to 2"]
