"""Two realistic cases driven through the crew node's HTTP API end to end, their handover
summaries checked field by field; formulary safety through the API."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from carechain.accounts import AccountStore
from carechain.demo import CASES, cardiac_arrest_rosc, chest_pain_stemi, motorcyclist_femur
from carechain.errors import PROBLEM_BASE
from carechain.node import Node
from tests.api.conftest import client_for

STAFF = "P100234"

# The call came an hour ago (the handover speaks of times relative to now).
BASE = (datetime.now(UTC) - timedelta(hours=1)).replace(second=0, microsecond=0)


def hhmm(minutes: int) -> str:
    """Return the time `minutes` after the call as the handover writes it (UTC)."""
    return (BASE + timedelta(minutes=minutes)).strftime("%H:%M")


@pytest.fixture
def client(crew: Node, accounts: AccountStore) -> TestClient:
    return client_for(crew, accounts, STAFF)


def _play(client: TestClient, case_name: str) -> str:
    cases = {"stemi": chest_pain_stemi, "femur": motorcyclist_femur,
             "arrest": cardiac_arrest_rosc}
    case = cases[case_name]()
    r = client.post("/records", json={"data": case.opened})
    assert r.status_code == 201, r.text
    rid = str(r.json()["record_id"])
    for kind, data in case.at(BASE):
        r = client.post(
            f"/records/{rid}/entries", json={"kind": kind, "data": data}
        )
        assert r.status_code == 201, (kind, r.text)
    return rid


def test_chest_pain_stemi_through_the_api(client: TestClient) -> None:
    rid = _play(client, "stemi")
    state = client.get(f"/records/{rid}").json()
    assert state["scores"]["stemi"]["flagged"] is True
    assert state["scores"]["stemi"]["territory"] == "inferior"
    assert state["scores"]["gcs"]["total"] == 15
    first, latest = state["scores"]["news2_trend"]["points"][0], state["scores"]["news2"]
    assert first["aggregate"] == 6  # RR 22 (2) SpO2 95 (1) SBP 104 (1) HR 112 (2) T 36.8 (0)
    assert latest["aggregate"] == 2  # RR 20 (0) SpO2 96 (0) SBP 110 (1) HR 104 (1)
    rules = {p["rule"] for p in state["prompts"]}
    assert any(r.startswith("stemi") for r in rules)
    handover = client.get(f"/records/{rid}/handover").json()
    assert handover["format"] == "SBAR"
    f = handover["fields"]
    assert list(f) == ["situation", "background", "assessment", "recommendation"]
    assert f["situation"] == (
        "67 M; presenting complaint: Central crushing chest pain "
        "radiating to the left arm; working impression: Inferior STEMI"
    )
    assert "PMH: hypertension, type 2 diabetes" in f["background"]
    assert "medications: ramipril 5 mg, metformin 500 mg" in f["background"]
    assert "allergies: NKDA" in f["background"]
    assert f"call received {hhmm(0)}" in f["background"]
    # Each finding at the time it was taken: the 12-lead and GCS of the first set stay.
    assert f["assessment"].startswith(
        f"at {hhmm(26)}: RR 20, SpO2 96% on air, BP 110/72, HR 104, temp 36.8 °C, ACVPU A, "
        f"pain 5/10; at {hhmm(14)}: GCS 15 (E4 V5 M6), BM 9.1 mmol/L, ECG sinus tachycardia; "
        "12-lead: ST elevation in II, III, aVF (ST elevation II, III, aVF; reciprocal "
        "depression I, aVL); NEWS2 2 (low); STEMI flagged (inferior)"
    )
    assert (
        f"treatment: aspirin 300 mg PO {hhmm(16)}; glyceryl trinitrate 400 mcg SL "
        f"{hhmm(17)}; IV cannulation (left antecubital fossa) {hhmm(18)}"
    ) in f["assessment"]
    assert re.fullmatch(
        rf"Essex Cardiothoracic Centre, ETA {hhmm(55)} \(.*\); pre-alert: "
        r"STEMI; requirements: PPCI lab on arrival",
        f["recommendation"],
    )
    assert [ln[:2] for ln in handover["text"].splitlines()] == ["S:", "B:", "A:", "R:"]


def test_motorcyclist_femur_through_the_api(client: TestClient) -> None:
    rid = _play(client, "femur")
    handover = client.get(f"/records/{rid}/handover").json()
    assert handover["format"] == "ATMIST"
    f = handover["fields"]
    assert list(f) == [
        "age_sex",
        "time_of_incident",
        "mechanism",
        "injuries",
        "signs",
        "treatment",
        "eta_requirements",
    ]
    assert f["age_sex"] == "24 M"
    assert f["time_of_incident"].startswith(hhmm(0))
    assert f["mechanism"] == (
        "Motorcyclist, about 40 mph, struck by a car pulling out; thrown about 5 m; helmet on"
    )
    assert f["injuries"].startswith("Closed right femoral shaft fracture")
    assert "limbs: Closed deformity right femur" in f["injuries"]
    assert f["signs"] == (
        f"at {hhmm(17)}: RR 24, SpO2 97% on air, BP 112/70, HR 118, "
        "temp 36.4 °C, ACVPU A, GCS 15 (E4 V5 M6), pain 9/10; NEWS2 4 (low)"
    )
    assert f["treatment"] == (
        f"morphine 5 mg IV {hhmm(21)}; traction splint (right leg) {hhmm(24)}"
    )
    assert re.fullmatch(
        rf"Colchester General Hospital, ETA {hhmm(50)} \(.*\); pre-alert: "
        r"trauma; requirements: Trauma team, orthopaedics",
        f["eta_requirements"],
    )
    lines = handover["text"].splitlines()
    assert [ln.split(":")[0] for ln in lines] == ["A", "T", "M", "I", "S", "T", "ER"]


def test_cardiac_arrest_with_rosc_through_the_api(client: TestClient) -> None:
    assert CASES["cardiac-arrest"] is cardiac_arrest_rosc
    rid = _play(client, "arrest")
    arrest = client.get(f"/records/{rid}").json()["arrest"]
    assert (arrest["outcome"], arrest["shocks"]) == ("rosc", 3)
    assert arrest["utstein_missing"] == []  # every Utstein core element the record holds
    assert [t["event"] for t in arrest["timeline"]] == [
        "cpr-started", "rhythm-check", "shock", "shock", "airway", "drug", "shock", "drug", "rosc"]
    f = client.get(f"/records/{rid}/handover").json()["fields"]
    assert f["situation"].startswith(
        f"cardiac arrest {hhmm(0)} (witnessed by bystander), bystander CPR, first rhythm VF, "
        f"3 shocks, ROSC {hhmm(15)}; 58 M")
    assert (
        f"IO 15G right proximal humerus {hhmm(9)}; i-gel size 4, confirmed by waveform "
        f"capnography, EtCO2 3.1 kPa {hhmm(11)}; adrenaline 1 mg IO {hhmm(12)}"
    ) in f["assessment"]


def test_formulary_breach_is_refused_then_overridden_with_a_reason(
    client: TestClient, crew: Node
) -> None:
    rid = _play(client, "femur")
    before = crew.store.count()
    dose = {
        "drug": "morphine",
        "dose": 15,
        "unit": "mg",
        "route": "IV",
        "given_at": (BASE + timedelta(minutes=40)).isoformat(),
        "given_by": "P100234",
    }
    r = client.post(
        f"/records/{rid}/entries",
        json={"kind": "medication.administered", "data": dose},
    )
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["type"] == PROBLEM_BASE + "formulary-breach"
    assert problem["overridable"] is True and problem["breaches"]
    assert crew.store.count() == before
    reason = "Senior clinician advice by phone: pain uncontrolled, observations stable"
    r = client.post(
        f"/records/{rid}/entries",
        json={
            "kind": "medication.administered",
            "data": {**dose, "override_reason": reason},
        },
    )
    assert r.status_code == 201, r.text
    history = client.get(f"/records/{rid}/history").json()
    overrides = [h for h in history if h["kind"] == "safety.override"]
    assert len(overrides) == 1 and overrides[0]["data"]["reason"] == reason
    assert overrides[0]["data"]["breaches"]


def test_allergy_conflict_is_refused(client: TestClient, crew: Node) -> None:
    rid = _play(client, "stemi")
    r = client.post(
        f"/records/{rid}/entries",
        json={
            "kind": "history.recorded",
            "data": {
                "no_known_allergies": False,
                "allergies": [{"substance": "aspirin", "reaction": "angioedema"}],
            },
        },
    )
    assert r.status_code == 201, r.text
    before = crew.store.count()
    r = client.post(
        f"/records/{rid}/entries",
        json={
            "kind": "medication.administered",
            "data": {
                "drug": "aspirin",
                "dose": 300,
                "unit": "mg",
                "route": "PO",
                "given_at": (BASE + timedelta(minutes=40)).isoformat(),
                "given_by": "P1",
            },
        },
    )
    assert r.status_code == 422
    assert any("allerg" in b["rule"] for b in r.json()["breaches"])
    assert crew.store.count() == before


def _morphine(client: TestClient, rid: str, dose: float, at: str) -> str:
    data = {"drug": "morphine", "dose": dose, "unit": "mg", "route": "IV", "given_at": at,
            "given_by": "P100234"}
    r = client.post(f"/records/{rid}/entries",
                    json={"kind": "medication.administered", "data": data})
    assert r.status_code == 201, r.text
    return str(r.json()["entry_id"])


def _amend_dose(client: TestClient, rid: str, eid: str, dose: float, at: str,
                **extra: str) -> Response:
    data = {"drug": "morphine", "dose": dose, "unit": "mg", "route": "IV", "given_at": at,
            "given_by": "P100234", **extra}
    return client.post(f"/records/{rid}/amendments",
                       json={"supersedes": eid, "reason": "dose misrecorded",
                             "data": data})


def _hours_away(client: TestClient, rid: str) -> str:
    """A time half an hour after the case's own 5 mg of morphine (the minimum interval
    is 5 min), after the call and not ahead of the clock (a node refuses both): the
    case's times follow the clock, so a fixed time would not do."""
    meds = client.get(f"/records/{rid}").json()["items"]["medications"]
    [given] = [m["given_at"] for m in meds if m["drug"] == "morphine"]
    return (datetime.fromisoformat(given) + timedelta(minutes=30)).isoformat()


def test_an_amended_dose_is_checked_against_the_formulary(
    client: TestClient, crew: Node
) -> None:
    """Amending a dose to an overdose is refused like giving it, and changes nothing; with a
    reason it is allowed, and the override is recorded first."""
    rid = _play(client, "femur")
    at = _hours_away(client, rid)
    eid = _morphine(client, rid, 10, at)  # 5 + 10 mg: within the 20 mg cumulative maximum
    before = crew.store.count()
    r = _amend_dose(client, rid, eid, 15, at)  # over the 10 mg single maximum
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["type"] == PROBLEM_BASE + "formulary-breach"
    assert problem["field"] == "data.dose" and problem["overridable"] is True
    assert crew.store.count() == before
    reason = "Senior clinician advice by phone: 15 mg was given and recorded wrongly"
    r = _amend_dose(client, rid, eid, 15, at, override_reason=reason)
    assert r.status_code == 201, r.text
    history = client.get(f"/records/{rid}/history").json()
    assert [h["data"]["reason"] for h in history if h["kind"] == "safety.override"] == [reason]
    doses = client.get(f"/records/{rid}").json()["items"]["medications"]
    assert sorted(m["dose"] for m in doses if m["drug"] == "morphine") == [5, 15]


def test_the_dose_an_amendment_corrects_is_not_counted_twice(
    client: TestClient, crew: Node
) -> None:
    """5 + 10 mg given; correcting the 10 mg's time keeps 15 mg in total, within 20 mg: the
    corrected dose replaces the original instead of adding to it."""
    rid = _play(client, "femur")
    at = _hours_away(client, rid)
    eid = _morphine(client, rid, 10, at)
    corrected = (datetime.fromisoformat(at) + timedelta(minutes=2)).isoformat()
    r = _amend_dose(client, rid, eid, 10, corrected)
    assert r.status_code == 201, r.text
    doses = client.get(f"/records/{rid}").json()["items"]["medications"]
    assert [m["given_at"] for m in doses if m["dose"] == 10] == [corrected]
