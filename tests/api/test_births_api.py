"""A birth through the JSON API: the same operation as the crew app, so the baby's record
is opened and linked both ways; `birth.recorded` cannot be appended as a bare entry (it
would name a baby's record that does not exist), and a refused birth stores nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from carechain.accounts import AccountStore
from carechain.node import Node
from tests.api.conftest import client_for


@pytest.fixture
def client(crew: Node, accounts: AccountStore) -> TestClient:
    return client_for(crew, accounts, "P123456")


def _born_at() -> str:
    return (datetime.now(UTC) - timedelta(minutes=5)).isoformat()


def test_a_birth_opens_a_linked_record_for_the_baby(client: TestClient, crew: Node) -> None:
    mother = client.post("/records", json={"data": {"callsign": "RRV-412"}}).json()["record_id"]
    r = client.post(f"/records/{mother}/births",
                    json={"data": {"born_at": _born_at(), "sex": "male"}})
    assert r.status_code == 201, r.text
    baby = r.json()["baby_record_id"]
    assert baby != mother and len(baby) == 32
    baby_state = client.get(f"/records/{baby}").json()
    assert baby_state["maternity"]["links"][0]["record"] == mother
    assert baby_state["sections"]["patient"]["sex"] == "male"
    mother_state = client.get(f"/records/{mother}").json()
    [birth] = mother_state["items"]["births"]
    assert birth["baby_record"] == baby and birth["entry"] == r.json()["entry_id"]
    # An Apgar score is refused on the mother's record and accepted on the baby's.
    apgar = {"minute": 1, "appearance": 1, "pulse": 2, "grimace": 2, "activity": 2,
             "respiration": 2}
    refused = client.post(f"/records/{mother}/entries", json={"kind": "apgar.scored",
                                                               "data": apgar})
    assert refused.status_code == 422 and refused.json()["field"] == "kind"
    assert client.post(f"/records/{baby}/entries", json={"kind": "apgar.scored",
                                                         "data": apgar}).status_code == 201


def test_a_bare_birth_entry_or_a_refused_birth_stores_nothing(
    client: TestClient, crew: Node
) -> None:
    mother = client.post("/records", json={"data": {"callsign": "RRV-412"}}).json()["record_id"]
    before = crew.store.count()
    bare = client.post(f"/records/{mother}/entries", json={"kind": "birth.recorded", "data": {
        "baby_record": "00112233445566778899aabbccddeeff", "born_at": _born_at()}})
    assert bare.status_code == 422 and bare.json()["field"] == "kind"
    named = client.post(f"/records/{mother}/births", json={"data": {
        "born_at": _born_at(), "baby_record": "00112233445566778899aabbccddeeff"}})
    assert named.status_code == 422 and named.json()["field"] == "data.baby_record"
    wrong = client.post(f"/records/{mother}/births", json={"data": {
        "born_at": _born_at(), "placenta_delivered": False,
        "placenta_delivered_at": datetime.now(UTC).isoformat()}})
    assert wrong.status_code == 422
    assert wrong.json()["field"] == "data.placenta_delivered_at"
    future = client.post(f"/records/{mother}/births", json={"data": {
        "born_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}})
    assert future.status_code == 422 and future.json()["field"] == "data.born_at"
    assert crew.store.count() == before
