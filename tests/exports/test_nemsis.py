"""NEMSIS 3.5.1: the validator against the national fixtures, and our exports against it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from lxml import etree

from carechain.demo import Case, chest_pain_stemi
from carechain.exports.nemsis import Agency, build_ems_dataset, validate
from carechain.exports.nemsis.validate import compiled_schematron
from tests.exports.conftest import case_state

FIXTURES = Path(__file__).parent.parent / "fixtures" / "nemsis"
NS = {"n": "http://www.nemsis.org"}


@pytest.fixture(scope="session", autouse=True)
def schematron(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Compile the Schematron once for the session (the package caches it the same way)."""
    return compiled_schematron()


@pytest.mark.parametrize("path", sorted((FIXTURES / "full").glob("*.xml")),
                         ids=lambda p: p.name)
def test_the_validator_accepts_the_national_full_charts(path: Path) -> None:
    result = validate(path.read_bytes())
    assert result.ok, result.errors


def test_the_validator_rejects_the_chart_that_fails_the_xsd() -> None:
    result = validate((FIXTURES / "fail" / "2025-EMS-FailXsd_v351.xml").read_bytes())
    assert not result.ok and result.xsd_errors


def test_the_validator_rejects_the_chart_that_fails_the_schematron() -> None:
    result = validate((FIXTURES / "fail" / "2025-EMS-FailSchematron_v351.xml").read_bytes())
    assert not result.xsd_errors
    assert [a for a in result.schematron if a.role == "[ERROR]"]


def test_each_demo_case_passes_xsd_and_schematron(demo_case: tuple[str, Case]) -> None:
    _, case = demo_case
    result = validate(build_ems_dataset([case_state(case)]))
    assert result.ok, result.errors


def test_many_records_make_one_valid_dataset() -> None:
    states = [case_state(chest_pain_stemi(), record=bytes([i] * 16)) for i in (1, 2)]
    xml = build_ems_dataset(states, Agency(number="ECA-001", name="East Coast Ambulance"))
    assert validate(xml).ok
    tree = etree.fromstring(xml)
    assert len(tree.findall(".//n:PatientCareReport", NS)) == 2
    assert tree.findtext(".//n:eResponse.02", namespaces=NS) == "East Coast Ambulance"


def _value(xml: bytes, name: str) -> list[tuple[str | None, dict[str, str]]]:
    tree = etree.fromstring(xml)
    return [(e.text, dict(e.attrib)) for e in tree.iter(f"{{{NS['n']}}}{name}")]


def test_values_map_and_absent_values_say_why() -> None:
    xml = build_ems_dataset([case_state(chest_pain_stemi())])
    assert _value(xml, "eVitals.06")[0][0] == "104"
    assert _value(xml, "eVitals.18")[0][0] == "164"  # 9.1 mmol/L is 164 mg/dL
    assert _value(xml, "eVitals.26")[0][0] == "3326001"  # ACVPU A -> Alert
    assert _value(xml, "eMedications.03")[0] == ("1191", {"CodeType": "9924003"})
    assert _value(xml, "eDisposition.24")[0][0] == "4224013"  # STEMI pre-alert
    nil = "{http://www.w3.org/2001/XMLSchema-instance}nil"
    assert _value(xml, "ePatient.09")[0][1] == {nil: "true", "NV": "7701001"}  # no ZIP code
    assert _value(xml, "eVitals.16")[0][1] == {nil: "true", "NV": "7701003"}  # no EtCO2
    assert _value(xml, "eHistory.06")[0][1] == {nil: "true", "PN": "8801013"}  # NKDA


observation = st.fixed_dictionaries({
    "respiratory_rate": st.integers(0, 80), "spo2": st.integers(50, 100),
    "systolic_bp": st.integers(60, 250), "pulse": st.integers(20, 300),
    "acvpu": st.sampled_from("ACVPU"),
    "temperature_c": st.integers(300, 420).map(lambda t: t / 10),
}, optional={"blood_glucose_mmol_l": st.integers(10, 300).map(lambda g: g / 10),
             "ecg_rhythm": st.sampled_from(["sinus-rhythm", "atrial-fibrillation", "vf"])})


# Each check runs the Schematron (about a second): few examples, and no slow shrinking.
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=(Phase.explicit, Phase.reuse, Phase.generate))
@given(sets=st.lists(observation, min_size=1, max_size=3),
       conveyed=st.booleans(), category=st.sampled_from(["stemi", "stroke", "fall", "other"]))
def test_generated_records_pass_xsd_and_schematron(sets: list[dict[str, Any]], conveyed: bool,
                                                   category: str) -> None:
    steps: list[tuple[str, dict[str, Any]]] = [
        ("incident.recorded", {"call_received": "+0", "on_scene": "+9",
                               "patient_contact": "+10"}),
        ("patient.recorded", {"given_name": "Ann", "estimated_age_years": 70}),
    ]
    steps += [("observation.recorded", {"taken_at": f"+{11 + i}", **o})
              for i, o in enumerate(sets)]
    steps.append(("impression.recorded", {"category": category}))
    steps.append(("disposition.recorded",
                  {"outcome": "conveyed", "hospital": "General"} if conveyed else
                  {"outcome": "not-conveyed", "safety_netting": "Call 999 if worse",
                   "decision_by": "P100234"}))
    result = validate(build_ems_dataset([case_state(Case("g", {}, tuple(steps)))]))
    assert result.ok, result.errors
