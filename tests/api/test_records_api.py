"""The crew node's HTTP API: open, append, read, history, verify; bad input stores nothing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from carechain.accounts import AccountStore
from carechain.api import MAX_REQUEST_BYTES
from carechain.errors import PROBLEM_BASE
from carechain.node import Node
from tests.api.conftest import client_for

STAFF = "P123456"

OBS = {
    "taken_at": "2026-11-26T10:05:00+00:00",
    "respiratory_rate": 24,
    "spo2": 93,
    "oxygen": False,
    "systolic_bp": 98,
    "pulse": 118,
    "acvpu": "A",
    "temperature_c": 38.6,
}


@pytest.fixture
def client(crew: Node, accounts: AccountStore) -> TestClient:
    return client_for(crew, accounts, STAFF)


def _open(client: TestClient) -> str:
    r = client.post("/records", json={"data": {"callsign": "RRV-412"}})
    assert r.status_code == 201, r.text
    return str(r.json()["record_id"])


def test_open_append_read_history_verify(client: TestClient) -> None:
    rid = _open(client)
    r = client.post(
        f"/records/{rid}/entries",
        json={"kind": "observation.recorded", "data": OBS},
    )
    assert r.status_code == 201, r.text
    state = client.get(f"/records/{rid}").json()
    assert state["items"]["observations"][0]["pulse"] == 118
    assert state["scores"]["news2"]["aggregate"] >= 5
    history = client.get(f"/records/{rid}/history").json()
    assert [h["kind"] for h in history] == [None, "record.opened", "observation.recorded"]
    assert {h["author"] for h in history} == {"crew-1"}
    assert all(h["user"] == "P123456" and h["time"] for h in history)
    assert client.get(f"/records/{rid}/verify").json() == {
        "record_id": rid,
        "ok": True,
        "findings": [],
    }
    listed = client.get("/records").json()
    assert listed[0]["record_id"] == rid and listed[0]["summary"]["record"]["callsign"] == "RRV-412"


def test_amendment_keeps_original_in_history(client: TestClient) -> None:
    rid = _open(client)
    r = client.post(
        f"/records/{rid}/entries",
        json={"kind": "note.added", "data": {"text": "GCS 13"}},
    )
    eid = r.json()["entry_id"]
    r = client.post(
        f"/records/{rid}/amendments",
        json={"supersedes": eid, "reason": "misread", "data": {"text": "GCS 15"}},
    )
    assert r.status_code == 201, r.text
    state = client.get(f"/records/{rid}").json()
    assert [n["text"] for n in state["items"]["notes"]] == ["GCS 15"]
    history = client.get(f"/records/{rid}/history").json()
    original = next(h for h in history if h["entry"] == eid)
    assert original["data"]["text"] == "GCS 13" and original["superseded_by"]


def test_openapi_schema_is_served(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {
        "/records",
        "/records/{record_id}/entries",
        "/records/{record_id}/history",
        "/records/{record_id}/verify",
    } <= set(paths)


BAD: list[tuple[str, dict[str, Any], int, str, str]] = [
    (
        "out of range",
        {"kind": "observation.recorded", "data": {**OBS, "pulse": 400}},
        422,
        "field-invalid",
        "data.pulse",
    ),
    (
        "wrong type",
        {"kind": "observation.recorded", "data": {**OBS, "spo2": "high"}},
        422,
        "field-invalid",
        "data.spo2",
    ),
    ("unknown kind", {"kind": "observation.guessed", "data": {}}, 422, "unknown-kind", ""),
    (
        "unknown field",
        {"kind": "note.added", "data": {"text": "x", "colour": "red"}},
        422,
        "field-invalid",
        "data.colour",
    ),
    ("missing data", {"kind": "note.added"}, 422, "field-invalid", "data"),
    ("reserved kind", {"kind": "entry.amended", "data": {}}, 422, "field-invalid", "kind"),
]


@pytest.mark.parametrize(
    ("name", "payload", "status", "code", "field"), BAD, ids=[b[0] for b in BAD]
)
def test_bad_input_is_a_problem_naming_the_field_and_stores_nothing(
    client: TestClient,
    crew: Node,
    name: str,
    payload: dict[str, Any],
    status: int,
    code: str,
    field: str,
) -> None:
    rid = _open(client)
    before = crew.store.count()
    r = client.post(f"/records/{rid}/entries", json={**payload})
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["type"] == PROBLEM_BASE + code and body["status"] == status
    if field:
        assert body["field"] == field and body["rule"]
    assert crew.store.count() == before


def test_oversized_body_is_refused_and_stores_nothing(client: TestClient, crew: Node) -> None:
    rid = _open(client)
    before = crew.store.count()
    big = {"kind": "note.added", "data": {"text": "x" * (MAX_REQUEST_BYTES + 1)}}
    r = client.post(f"/records/{rid}/entries", json=big)
    assert r.status_code == 413
    assert r.json()["type"] == PROBLEM_BASE + "body-too-large"
    assert crew.store.count() == before


def test_malformed_json_and_unknown_record(client: TestClient) -> None:
    r = client.post("/records", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["type"] == PROBLEM_BASE + "malformed-json"
    r = client.get("/records/" + "00" * 15 + "01")
    assert r.status_code == 404 and r.json()["type"] == PROBLEM_BASE + "not-found"
    r = client.get("/records/nothex")
    assert r.status_code == 404


def test_times_out_of_order_name_both_times(client: TestClient, crew: Node) -> None:
    rid = _open(client)
    r = client.post(
        f"/records/{rid}/entries",
        json={
            "kind": "incident.recorded",
            "data": {"mobile": "2026-11-26T10:07:00+00:00"},
        },
    )
    assert r.status_code == 201, r.text
    before = crew.store.count()
    r = client.post(
        f"/records/{rid}/entries",
        json={
            "kind": "incident.recorded",
            "data": {"on_scene": "2026-11-26T10:05:00+00:00"},
        },
    )
    assert r.status_code == 422
    assert "mobile" in r.json()["rule"] and "on_scene" in r.json()["rule"]
    assert crew.store.count() == before
