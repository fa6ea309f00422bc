"""The JSON API through the door: the author is the token's, every read leaves exactly one
audit entry naming the interface and why, roles and relationships are enforced."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from carechain.accounts import AccountStore
from carechain.app import create_app
from carechain.node import Node
from carechain.node.audit import read_audit
from carechain.testing import Trust, api_token, make_node
from tests.api.conftest import client_for

OBS = {"taken_at": "2026-11-26T10:05:00+00:00", "pulse": 118, "spo2": 93}


def _open(client: TestClient) -> str:
    r = client.post("/records", json={"data": {"callsign": "RRV-412"}})
    assert r.status_code == 201, r.text
    return str(r.json()["record_id"])


def _events(node: Node, action: str | None = None) -> list[dict[str, Any]]:
    return [e for e in read_audit(node) if action is None or e["action"] == action]


def test_the_author_is_the_tokens_person_and_a_body_user_is_refused(
    crew: Node, accounts: AccountStore
) -> None:
    client = client_for(crew, accounts, "P100234")
    rid = _open(client)
    r = client.post(f"/records/{rid}/entries",
                    json={"user": "SOMEONE-ELSE", "kind": "note.added", "data": {"text": "x"}})
    assert r.status_code == 422 and r.json()["field"] == "user"
    history = client.get(f"/records/{rid}/history").json()
    assert {h["user"] for h in history} == {"P100234"}


@pytest.mark.parametrize(
    ("path", "what"),
    [("", "state"), ("/history", "history"), ("/handover", "handover"),
     ("/replication", "replication"), ("/verify", "verify")],
)
def test_every_read_leaves_exactly_one_audit_entry(
    crew: Node, accounts: AccountStore, path: str, what: str
) -> None:
    client = client_for(crew, accounts, "P100234")
    rid = _open(client)
    before = len(_events(crew, "record.view"))
    assert client.get(f"/records/{rid}{path}").status_code == 200
    views = _events(crew, "record.view")
    assert len(views) == before + 1
    view = views[-1]
    assert view["staff_id"] == "P100234" and view["record"] == rid
    assert view["detail"]["interface"] == "json" and view["detail"]["what"] == what
    assert view["detail"]["why"] == "crew" and view["detail"]["actor"] == "client"


def test_each_write_is_audited_with_what_it_wrote(crew: Node, accounts: AccountStore) -> None:
    client = client_for(crew, accounts, "P100234")
    rid = _open(client)
    r = client.post(f"/records/{rid}/entries", json={"kind": "observation.recorded", "data": OBS})
    assert r.status_code == 201
    writes = [(e["record"], e["detail"]["kind"]) for e in _events(crew, "record.write")]
    assert writes == [(rid, "record.opened"), (rid, "observation.recorded")]


def test_a_listing_is_audited_once(crew: Node, accounts: AccountStore) -> None:
    client = client_for(crew, accounts, "P100234")
    _open(client)
    _open(client)
    assert len(client.get("/records").json()) == 2
    listed = _events(crew, "record.list")
    assert len(listed) == 1 and listed[0]["detail"]["count"] == 2


def test_a_refused_write_stores_nothing(crew: Node, accounts: AccountStore) -> None:
    client = client_for(crew, accounts, "P100234")
    rid = _open(client)
    before = crew.store.count()
    r = client.post(f"/records/{rid}/entries",
                    json={"kind": "observation.recorded", "data": {**OBS, "pulse": -5}})
    assert r.status_code == 422
    assert crew.store.count() == before  # neither the entry nor an audit entry


def test_a_clinical_lead_may_read_but_not_write_on_a_crew_node(
    crew: Node, accounts: AccountStore
) -> None:
    writer = client_for(crew, accounts, "P100234")
    rid = _open(writer)
    lead = client_for(crew, accounts, "C1", role="clinical_lead")
    assert lead.get(f"/records/{rid}").status_code == 200
    r = lead.post(f"/records/{rid}/entries", json={"kind": "note.added", "data": {"text": "x"}})
    assert r.status_code == 403 and r.json()["type"].endswith("/forbidden")


def test_a_revoked_or_unknown_token_is_refused(crew: Node, accounts: AccountStore) -> None:
    client = client_for(crew, accounts, "P100234")
    assert client.get("/records").status_code == 200
    for c in accounts.list_clients():
        accounts.revoke_client(c.client_id, now_ms=crew.clock_ms())
    r = client.get("/records")
    assert r.status_code == 401 and r.json()["type"].endswith("/not-authenticated")
    other = TestClient(create_app(crew, accounts=accounts))
    r = other.get("/records", headers={"Authorization": "Bearer cct_not-a-token"})
    assert r.status_code == 401


def test_a_browser_session_needs_its_csrf_token_to_write(
    crew: Node, accounts: AccountStore
) -> None:
    accounts.create_person("P9", "Pat Nine", "paramedic", "482913", node_role="crew",
                           now_ms=crew.clock_ms())
    person = accounts.authenticate("P9", "482913", now_ms=crew.clock_ms())
    session = accounts.create_session(person, now_ms=crew.clock_ms())
    client = TestClient(create_app(crew, accounts=accounts))
    client.cookies.set("carechain_session", session.token)
    assert client.get("/records").status_code == 200
    r = client.post("/records", json={"data": {"callsign": "RRV-1"}})
    assert r.status_code == 403
    r = client.post("/records", json={"data": {"callsign": "RRV-1"}},
                    headers={"X-CSRF-Token": session.csrf_token})
    assert r.status_code == 201
    assert _events(crew, "record.write")[-1]["detail"]["interface"] == "json"


def test_a_hospital_reads_what_is_addressed_to_it_and_break_glass_is_audited(
    tmp_path: Path, trust: Trust
) -> None:
    from tests.web.hospital_support import CASES, CLINICIAN, make_ward

    ward = make_ward(tmp_path, trust)
    try:
        hospital = ward.hospital
        addressed = ward.document(CASES["stemi"](), eta_minutes=10)
        diverted = ward.document(CASES["trauma"](), eta_minutes=10)
        ward.node("hospital-b", "hospital")
        ward.crew.append(record=diverted, user="P1", kind="disposition.recorded",
                         data={"hospital_node": "hospital-b"})
        ward.deliver()
        token = api_token(ward.site.accounts, hospital, staff_id=CLINICIAN)
        client = TestClient(create_app(hospital, accounts=ward.site.accounts))
        client.headers["Authorization"] = f"Bearer {token}"
        assert client.get(f"/records/{addressed.hex()}").status_code == 200
        assert _events(hospital, "record.view")[-1]["detail"]["why"] == "addressed"
        r = client.get(f"/records/{diverted.hex()}")
        assert r.status_code == 403 and "Pemberton" not in r.text
        refused = _events(hospital, "record.view")[-1]
        assert refused["outcome"] == "refused" and refused["record"] == diverted.hex()
        assert [x["record_id"] for x in client.get("/records").json()] == [addressed.hex()]
        ward.site.accounts.break_glass(ward.site.accounts.person(CLINICIAN),  # type: ignore[arg-type]
                                       diverted.hex(), "Self-presented to resus, unresponsive",
                                       now_ms=hospital.clock_ms())
        assert client.get(f"/records/{diverted.hex()}").status_code == 200
        assert _events(hospital, "record.view")[-1]["detail"]["why"] == "break-glass"
        assert client.post(f"/records/{addressed.hex()}/entries",
                           json={"kind": "note.added", "data": {"text": "x"}}).status_code == 403
    finally:
        ward.close()


def test_a_hub_serves_no_record_api(tmp_path: Path, trust: Trust) -> None:
    hub = make_node(tmp_path / "hub", trust, role="hub", name="hub")
    try:
        paths = {getattr(r, "path", "") for r in create_app(hub).routes}
        assert not any(p.startswith("/records") for p in paths)
    finally:
        hub.close()


def test_a_second_clinician_confirms_a_dose_through_the_api(
    crew: Node, accounts: AccountStore
) -> None:
    from datetime import UTC, datetime, timedelta

    client = client_for(crew, accounts, "P100234")
    accounts.create_person("P100999", "Jo Grey", "paramedic", "573920", node_role="crew",
                           now_ms=crew.clock_ms())
    rid = _open(client)
    allergy = {"substance": "penicillin", "reaction": "anaphylaxis",
               "severity": "life-threatening"}
    assert client.post(f"/records/{rid}/entries", json={
        "kind": "history.recorded", "data": {"allergies": [allergy]}}).status_code == 201
    at = (datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)).isoformat()
    dose = {"drug": "benzylpenicillin", "dose": 1200, "unit": "mg", "route": "IV",
            "given_at": at, "given_by": "P100234",
            "override_reason": "Anaphylaxis to penicillin recorded in error per GP summary"}
    before = crew.store.count()
    r = client.post(f"/records/{rid}/entries",
                    json={"kind": "medication.administered", "data": dose})
    assert r.status_code == 422 and r.json()["second_clinician"] is True
    r = client.post(f"/records/{rid}/entries", json={
        "kind": "medication.administered", "data": dose,
        "confirmation": {"staff_id": "P100999", "pin": "000000"}})
    assert r.status_code == 422 and r.json()["field"] == "confirmation.pin"
    assert [e["action"] for e in _events(crew) if e.get("staff_id") == "P100999"] == [
        "login.failed"]  # the wrong PIN is in the trail, nothing else was written
    assert crew.store.count() == before + 1  # that audit event, and nothing else
    r = client.post(f"/records/{rid}/entries", json={
        "kind": "medication.administered", "data": dose,
        "confirmation": {"staff_id": "P100999", "pin": "573920"}})
    assert r.status_code == 201, r.text
    state = client.get(f"/records/{rid}").json()
    assert state["items"]["overrides"][0]["confirmed_by"]["staff_id"] == "P100999"
    assert "573920" not in json.dumps(state)
