"""FHIR documents: R4B models, the UK Core rules we emit, golden files, generated records."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carechain.demo import Case, chest_pain_stemi
from carechain.exports.fhir import build_document, observations_of, patient_of
from carechain.exports.fhir._codes import VITALS
from carechain.exports.fhir.bulk import write_ndjson
from carechain.exports.fhir.checks import PROFILE_RULES, check_document
from carechain.exports.source import signers_of
from tests.exports.conftest import case_state, play

GOLDEN = Path(__file__).parent.parent / "fixtures" / "fhir"
UK_CORE = Path(__file__).parent.parent / "fixtures" / "uk-core"


def _resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_demo_cases_match_their_golden_documents(demo_case: tuple[str, Case]) -> None:
    name, case = demo_case
    bundle = build_document(case_state(case))
    path = GOLDEN / f"{name}.json"
    if os.environ.get("CARECHAIN_UPDATE_GOLDEN"):
        path.write_text(json.dumps(bundle, indent=1, ensure_ascii=False) + "\n")
    assert bundle == json.loads(path.read_text())
    assert check_document(bundle) == []


def test_the_document_is_composition_first_with_uk_record_headings() -> None:
    bundle = build_document(case_state(chest_pain_stemi()))
    composition = bundle["entry"][0]["resource"]
    assert bundle["type"] == "document" and composition["resourceType"] == "Composition"
    codes = {s["code"]["coding"][0]["code"] for s in composition["section"]}
    assert {"1102421000000108", "933361000000108", "886921000000105"} <= codes


def test_patient_carries_nhs_number_with_verification_status() -> None:
    patient = patient_of(case_state(chest_pain_stemi()))
    ident = patient["identifier"][0]
    assert ident["system"] == "https://fhir.nhs.uk/Id/nhs-number"
    assert ident["value"] == "9434765919"
    assert ident["extension"][0]["url"].endswith("Extension-UKCore-NHSNumberVerificationStatus")


@pytest.mark.parametrize(("recorded", "code", "display"), [
    (None, "02", "Number present but not traced"),  # a record from before the status
    ("02", "02", "Number present but not traced"),
    ("01", "01", "Number present and verified"),  # the crew confirmed a PDS trace
])
def test_the_recorded_verification_status_is_exported(recorded: str | None, code: str,
                                                       display: str) -> None:
    state = case_state(chest_pain_stemi())
    state["sections"]["patient"].pop("nhs_number_status", None)
    if recorded is not None:
        state["sections"]["patient"]["nhs_number_status"] = recorded
    coding = patient_of(state)["identifier"][0]["extension"][0]["valueCodeableConcept"]
    assert (coding["coding"][0]["code"], coding["coding"][0]["display"]) == (code, display)


def test_blood_pressure_has_systolic_and_diastolic_components_in_mmhg() -> None:
    observations = observations_of(case_state(chest_pain_stemi()))
    bp = next(o for o in observations if o["code"]["coding"][0]["code"] == "85354-9")
    parts = {c["code"]["coding"][0]["code"]: c["valueQuantity"] for c in bp["component"]}
    assert parts["8480-6"] == {"value": 104, "unit": "millimeter of mercury",
                               "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}
    assert parts["8462-4"]["value"] == 68


def test_news2_total_is_the_states_own_with_seven_linked_subscores() -> None:
    state = case_state(chest_pain_stemi())
    state["scores"]["news2"]["aggregate"] = 11  # whatever the state says is what is emitted
    state["scores"]["news2"]["components"]["pulse"] = 8
    news2 = next(o for o in observations_of(state)
             if o["code"]["coding"][0]["code"] == "1104051000000101")
    assert news2["valueQuantity"]["value"] == 11
    assert len(news2["component"]) == 7
    assert len(news2["derivedFrom"]) == 7  # one source observation per parameter


def test_news2_links_each_parameter_to_the_set_the_state_names() -> None:
    state = case_state(chest_pain_stemi())
    first = state["items"]["observations"][0]
    state["scores"]["news2"]["parameters"] = {"pulse": {"entry": first["entry"]}}
    bundle = build_document(state)
    news2 = next(o for o in _resources(bundle, "Observation")
             if o["code"]["coding"][0]["code"] == "1104051000000101")
    pulses = {o["id"]: o for o in _resources(bundle, "Observation")
              if o["code"]["coding"][0]["code"] == "8867-4"}
    linked = [r["reference"].removeprefix("urn:uuid:") for r in news2["derivedFrom"]]
    first_pulse = next(i for i, o in pulses.items() if o["valueQuantity"]["value"] == 112)
    assert first_pulse in linked


def test_an_amendment_shows_the_corrected_value_and_marks_the_superseded_one() -> None:
    case = chest_pain_stemi()
    plain = case_state(case)
    target = plain["items"]["observations"][1]["entry"]
    corrected = {**{k: v for k, v in plain["items"]["observations"][1].items()
                    if k not in ("entry", "author", "recorded_at")}, "pulse": 98}
    state = case_state(case, extra=[("entry.amended", {
        "supersedes": target, "reason": "pulse misread", "data": corrected})])
    bundle = build_document(state)
    pulses = [o for o in _resources(bundle, "Observation")
              if o["code"]["coding"][0]["code"] == "8867-4"]
    by_value = {o["valueQuantity"]["value"]: o for o in pulses}
    assert by_value[98]["status"] == "final"
    assert by_value[104]["status"] == "entered-in-error"
    assert "meta" not in by_value[104]
    revisions = [p for p in _resources(bundle, "Provenance") if "reason" in p]
    assert revisions[0]["reason"][0]["text"] == "pulse misread"
    assert revisions[0]["entity"][-1]["role"] == "revision"
    assert check_document(bundle) == []


def test_provenance_names_the_signing_staff_key_and_signature(pair: Any) -> None:
    record = play(pair.crew, chest_pain_stemi())
    bundle = build_document(pair.crew.state(record), signers=signers_of(pair.crew, record))
    assert check_document(bundle) == []
    provenance = _resources(bundle, "Provenance")
    assert provenance and all(p["signature"][0]["data"] for p in provenance)
    devices = _resources(bundle, "Device")
    assert devices[0]["identifier"][0]["value"] == pair.crew.keys.key_id.hex()
    assert devices[0]["deviceName"][0]["name"] == "crew-ambulance-412"
    staff = {i["value"] for p in _resources(bundle, "Practitioner") for i in p["identifier"]}
    assert "P100234" in staff


BROKEN: list[tuple[str, Any, str]] = [
    ("first entry not a Composition", lambda b: b["entry"].reverse(), "Composition"),
    ("dangling reference", lambda b: b["entry"][0]["resource"]["subject"].update(
        reference="urn:uuid:00000000-0000-0000-0000-000000000000"), "does not resolve"),
    ("wrong heart-rate unit", lambda b: _obs(b, "8867-4")["valueQuantity"].update(code="bpm"),
     "'/min'"),
    ("no systolic slice", lambda b: _obs(b, "85354-9")["component"].pop(0), "SystolicBP"),
    ("vital sign not final", lambda b: _obs(b, "9279-1").update(status="preliminary"),
     "fixes status"),
    ("NEWS2 total not the sum", lambda b: _obs(b, "1104051000000101")["valueQuantity"]
     .update(value=99), "sum of the subscores"),
    ("bad NHS number", lambda b: b["entry"][1]["resource"]["identifier"][0].update(
        value="9434765918"), "NHS number"),
    ("section without a record heading", lambda b: b["entry"][0]["resource"]["section"][0]
     ["code"]["coding"][0].update(code="1"), "record heading"),
]


def _obs(bundle: dict[str, Any], code: str) -> dict[str, Any]:
    return next(o for o in _resources(bundle, "Observation")
                if o["code"]["coding"][0]["code"] == code)


@pytest.mark.parametrize(("what", "breaks", "said"), BROKEN, ids=[b[0] for b in BROKEN])
def test_the_checker_catches_each_broken_rule(what: str, breaks: Any, said: str) -> None:
    bundle = copy.deepcopy(build_document(case_state(chest_pain_stemi())))
    breaks(bundle)
    problems = [str(p) for p in check_document(bundle)]
    assert any(said in p for p in problems), problems


def test_the_checkers_table_matches_the_uk_core_structure_definitions() -> None:
    ns = {"f": "http://hl7.org/fhir"}
    for name, rule in PROFILE_RULES.items():
        root = ElementTree.parse(UK_CORE / f"{name}.xml").getroot()
        fixed = {el.get("id"): child.get("value")
                 for el in root.iterfind("f:differential/f:element", ns)
                 for child in el if child.tag.split("}")[1].startswith("fixed")}
        if rule.loinc:
            assert fixed["Observation.code.coding:loinc.code"] == rule.loinc, name
        if rule.unit and name != "UKCore-Observation-EarlyWarningTotalScore":
            assert fixed["Observation.value[x].code"] == rule.unit[1], name
            assert fixed.get("Observation.value[x].unit", rule.unit[0]) == rule.unit[0], name
        if "Observation.status" in fixed:
            assert fixed["Observation.status"] == rule.status, name
    for field, vital in VITALS.items():  # the builder's table agrees with the checker's
        checked = PROFILE_RULES[vital.profile]
        assert checked.unit == (vital.unit, vital.ucum), field


observation_sets = st.fixed_dictionaries({
    "respiratory_rate": st.integers(0, 80),
    "spo2": st.integers(50, 100),
    "oxygen": st.booleans(),
    "systolic_bp": st.integers(41, 300),
    "pulse": st.integers(20, 300),
    "acvpu": st.sampled_from("ACVPU"),
    "temperature_c": st.integers(250, 450).map(lambda t: t / 10),
    "blood_glucose_mmol_l": st.integers(5, 500).map(lambda g: g / 10),
}, optional={"pain_score": st.integers(0, 10), "gcs_eye": st.just(4)}).map(
    lambda o: {**o, "gcs_verbal": 5, "gcs_motor": 6} if "gcs_eye" in o else o)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sets=st.lists(observation_sets, min_size=1, max_size=4),
       allergies=st.lists(st.sampled_from(["penicillin", "latex", "codeine"]), max_size=2,
                          unique=True),
       sex=st.sampled_from(["male", "female", "other", "unknown"]))
def test_generated_records_make_sound_documents(sets: list[dict[str, Any]],
                                                allergies: list[str], sex: str) -> None:
    steps: list[tuple[str, dict[str, Any]]] = [
        ("patient.recorded", {"given_name": "Ann", "sex": sex, "nhs_number": "9434765919"}),
        ("history.recorded", {"allergies": [{"substance": a} for a in allergies]}
         if allergies else {"no_known_allergies": True}),
    ]
    for i, obs in enumerate(sets):
        steps.append(("observation.recorded", {"taken_at": f"+{10 + i}", **obs}))
    case = Case("generated", {"callsign": "G1"}, tuple(steps))
    bundle = build_document(case_state(case))
    assert check_document(bundle) == []
    news2 = [o for o in _resources(bundle, "Observation")
             if o["code"]["coding"][0]["code"] == "1104051000000101"]
    assert news2[0]["valueQuantity"]["value"] == case_state(case)["scores"]["news2"]["aggregate"]


def test_bulk_ndjson_writes_one_file_per_resource_type(tmp_path: Path) -> None:
    states = [case_state(chest_pain_stemi(), record=bytes([i] * 16)) for i in range(1, 4)]
    ticks: list[int] = []
    counts = write_ndjson(((s, {}) for s in states), tmp_path, progress=ticks.append)
    assert ticks == [1, 1, 1]
    patients = (tmp_path / "Patient.ndjson").read_text().splitlines()
    assert counts["Patient"] == len(patients) == 3
    assert len({json.loads(p)["id"] for p in patients}) == 3
    first = json.loads((tmp_path / "Observation.ndjson").read_text().splitlines()[0])
    assert first["subject"]["reference"].startswith("Patient/")
