"""The arrest, trauma, airway/access, capacity/refusal, safeguarding, attachment and ECG
entries in every way out: the FHIR document (and bulk NDJSON), NEMSIS, the PDF, QR codes."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from carechain.demo import Case, cardiac_arrest_rosc
from carechain.exports.fhir import build_document
from carechain.exports.fhir.bulk import write_ndjson
from carechain.exports.fhir.checks import (
    STANDARD_HEADINGS,
    STANDARD_HEADINGS_SYSTEM,
    check_document,
)
from carechain.exports.nemsis import build_ems_dataset, validate
from carechain.exports.pdf import render_pdf
from carechain.exports.qr import import_codes, record_codes
from tests.exports.conftest import BASE, case_state, play
from tests.exports.kinds import (
    ECG_STATEMENTS,
    PHOTO,
    documents_case,
    refusal_case,
    signature_png,
    trauma_case,
)

NS = {"n": "http://www.nemsis.org"}
UK_CORE = Path(__file__).parent.parent / "fixtures" / "uk-core"
Resource = dict[str, Any]


def _all(bundle: Resource, kind: str) -> list[Resource]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def _named(resources: list[Resource], text: str) -> list[Resource]:
    return [r for r in resources if r.get("code", {}).get("text", "").startswith(text)]


def _section(bundle: Resource, code: str) -> Resource:
    composition = bundle["entry"][0]["resource"]
    found = [s for s in composition["section"] if s["code"]["coding"][0]["code"] == code]
    assert len(found) == 1, code
    return found[0]


def _document(case: Case) -> Resource:
    bundle = build_document(case_state(case))
    assert check_document(bundle) == []
    return bundle


def at(minute: int) -> str:
    return f"2024-05-01T13:{minute:02d}:00+00:00"


# --- FHIR ---------------------------------------------------------------------------------

def test_fhir_arrest_carries_cpr_each_shock_with_energy_drugs_rosc_and_utstein() -> None:
    bundle = _document(cardiac_arrest_rosc())
    procedures = _all(bundle, "Procedure")
    cpr = _named(procedures, "CPR")
    assert len(cpr) == 1 and cpr[0]["code"]["coding"][0]["code"] == "89666000"
    assert cpr[0]["performedPeriod"] == {"start": at(7), "end": at(15)}
    shocks = _named(procedures, "Defibrillation")
    assert [s["performedDateTime"] for s in shocks] == [at(8), at(10), at(12)]
    assert [s["note"][0]["text"] for s in shocks] == [
        "Shock 1 of 3: 150 J", "Shock 2 of 3: 200 J", "Shock 3 of 3: 200 J"]
    observations = _all(bundle, "Observation")
    energy = _named(observations, "Defibrillation energy")
    assert [(e["valueQuantity"]["value"], e["valueQuantity"]["code"]) for e in energy] == [
        (150.0, "J"), (200.0, "J"), (200.0, "J")]
    assert {e["partOf"][0]["reference"] for e in energy} == {
        f"urn:uuid:{s['id']}" for s in shocks}
    rosc = _named(observations, "Return of spontaneous circulation")
    assert [(r["effectiveDateTime"], r["valueBoolean"]) for r in rosc] == [(at(15), True)]
    drugs = {m["medicationCodeableConcept"]["text"]: m["effectiveDateTime"]
             for m in _all(bundle, "MedicationAdministration")}
    assert drugs == {"adrenaline": at(12), "amiodarone": at(13)}
    utstein = _named(observations, "Out-of-hospital cardiac arrest")[0]
    said = {c["code"]["text"]: c for c in utstein["component"]}
    assert said["First monitored rhythm"]["valueCodeableConcept"]["text"] == "VF"
    assert said["Bystander CPR"]["valueBoolean"] is True
    assert said["Time of first shock"]["valueDateTime"] == at(8)
    assert said["Any ROSC"]["valueBoolean"] is True
    assert utstein["valueCodeableConcept"]["text"] == "ROSC"
    section = _section(bundle, "treatments-and-interventions")
    assert section["title"] == "Cardiac arrest and resuscitation"
    assert len(section["entry"]) == 1 + 1 + 3 * 2 + 1 + 1  # Utstein, CPR, shocks, check, ROSC
    for line in ("13:08 shock 1: 150 J (VF)", "13:12 adrenaline 1 mg IO",
                 "13:15 Return of spontaneous circulation (ROSC)", "Outcome: ROSC; 3 shocks"):
        assert f"<p>{line}</p>" in section["text"]["div"]


def test_fhir_termination_names_each_criterion_and_who_decided() -> None:
    case = cardiac_arrest_rosc()
    stopped_at = ("arrest.event", {
        "event": "resuscitation-stopped", "at": "+40", "by": "P100234",
        "criteria": ["asystole-after-20-minutes-als", "no-reversible-causes"],
        "decision_by": "D900001"})
    steps = (*(s for s in case.steps if s[1].get("event") != "rosc"), stopped_at)
    bundle = _document(Case("stopped", case.opened, steps))
    stopped = _named(_all(bundle, "Observation"), "Resuscitation stopped")[0]
    assert stopped["effectiveDateTime"] == at(40)
    assert [c["valueCodeableConcept"]["text"] for c in stopped["component"]] == [
        "asystole after 20 minutes of ALS", "no reversible causes"]
    assert [p["display"] for p in stopped["performer"]] == ["P100234", "D900001"]
    utstein = _named(_all(bundle, "Observation"), "Out-of-hospital cardiac arrest")[0]
    assert utstein["valueCodeableConcept"]["text"] == "Resuscitation stopped"
    assert not _named(_all(bundle, "Observation"), "Return of spontaneous")


def test_fhir_trauma_has_mechanism_triage_injuries_with_sides_and_their_care() -> None:
    bundle = _document(trauma_case())
    observations = _all(bundle, "Observation")
    mechanism = _named(observations, "Mechanism of injury")[0]
    assert mechanism["valueCodeableConcept"]["text"] == "RTC: motorcyclist"
    parts = {c["code"]["text"]: c for c in mechanism["component"]}
    assert parts["Speed"]["valueQuantity"]["value"] == 40
    assert parts["Ejected"]["valueBoolean"] is True
    triage = _named(observations, "Major trauma triage")[0]
    assert triage["valueCodeableConcept"]["text"] == "Major trauma triage positive (2 criteria met)"
    assert triage["performer"][0]["display"] == "P100234"
    injuries = _named(_all(bundle, "Condition"), "Injury")
    assert [(i["code"]["text"], i["bodySite"][0]["text"]) for i in injuries] == [
        ("Injury: deformity", "left leg (front view)"), ("Injury: pain", "pelvis (front view)"),
        ("Injury: laceration", "right arm (back view)")]
    assert injuries[0]["severity"]["text"] == "severe"
    assert {"text": "Laterality: left"} in injuries[0]["note"]
    assert {"text": "Laterality: right"} in injuries[2]["note"]
    assert not any("Laterality" in n["text"] for n in injuries[1].get("note", []))
    procedures = _all(bundle, "Procedure")
    tourniquet = _named(procedures, "Haemorrhage control: tourniquet")[0]
    assert (tourniquet["performedDateTime"], tourniquet["bodySite"][0]["text"],
            tourniquet["outcome"]["text"]) == (at(11), "right arm", "effective")
    assert [p["code"]["text"] for p in _named(procedures, "Immobilisation")] == [
        "Immobilisation: pelvic binder", "Immobilisation: traction splint"]
    assert len(_section(bundle, "examination-findings")["entry"]) == 2 + 3 + 3


def test_fhir_airway_and_access_are_procedures_with_device_size_attempts_and_etco2() -> None:
    bundle = _document(trauma_case())
    procedures = _all(bundle, "Procedure")
    tube = _named(procedures, "Airway")[0]
    assert tube["code"]["coding"][0]["code"] == "112798008"
    assert tube["usedCode"][0]["text"] == "endotracheal tube size 8"
    assert [n["text"] for n in tube["note"]] == [
        "Attempts: 2", "Placement confirmed by waveform capnography"]
    etco2 = _named(_all(bundle, "Observation"), "End-tidal CO2")[0]
    assert etco2["valueQuantity"] == {"value": 38, "unit": "millimeter of mercury",
                                      "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}
    assert etco2["partOf"] == [{"reference": f"urn:uuid:{tube['id']}"}]
    access = _named(procedures, "Intravenous cannulation")
    assert [(a["usedCode"][0]["text"], a["bodySite"][0]["text"], a["outcome"]["text"],
             a["note"][0]["text"]) for a in access] == [
        ("18 G IV", "left antecubital fossa", "unsuccessful", "Attempts: 1"),
        ("16 G IV", "right antecubital fossa", "successful", "Attempts: 2")]
    ventilation = _named(procedures, "Ventilation")[0]
    assert [n["text"] for n in ventilation["note"]] == [
        "rate 12/min", "tidal volume 500 ml", "PEEP 5 cmH2O"]
    section = _section(bundle, "procedures-and-therapies")
    assert len(section["entry"]) == 5
    assert section["text"]["div"].index("13:12 Intravenous") < section["text"]["div"].index(
        "13:15 airway")  # in time order


def test_fhir_refusal_is_a_consent_signed_and_flagged_with_referrals_and_safeguarding() -> None:
    bundle = _document(refusal_case())
    consent = _all(bundle, "Consent")[0]
    assert consent["provision"]["type"] == "deny"
    assert [c["text"] for c in consent["provision"]["code"]] == ["conveyance", "cannulation"]
    assert consent["dateTime"] == at(32)  # the refusal's own time, not when it was written
    signature = _all(bundle, "DocumentReference")[0]
    assert consent["sourceReference"] == {"reference": f"urn:uuid:{signature['id']}"}
    attachment = signature["content"][0]["attachment"]
    assert attachment["contentType"] == "image/png"
    assert "data:image/png;base64," + attachment["data"] == signature_png()
    details = _named(_all(bundle, "Observation"), "Refusal of care")[0]
    told = {c["code"]["text"]: c["valueString"] for c in details["component"]}
    assert told == {"Capacity": "has capacity", "Risks explained": "Possible hip fracture missed",
                    "Worsening advice": "Call 999 if pain worsens",
                    "Left with": "family (Daughter, Jane)"}
    capacity = _named(_all(bundle, "Observation"), "Mental capacity assessment")[0]
    assert capacity["valueCodeableConcept"]["text"] == "has capacity"
    flags = {f["category"][0]["coding"][0]["code"]: f for f in _all(bundle, "Flag")}
    assert flags["clinical"]["code"]["text"] == \
        "Patient declined conveyance, cannulation (has capacity)"
    assert flags["safety"]["code"]["text"].startswith("Safeguarding concern for an adult")
    requests = {r["code"]["text"]: r for r in _all(bundle, "ServiceRequest")}
    assert requests["Referral to GP"]["identifier"][0]["value"] == "GP-77812"
    assert requests["Safeguarding referral (adult)"]["identifier"][0]["value"] == "SG-2291"
    for code in ("mental-capacity-assessment", "consent-for-treatment-record", "safeguarding"):
        assert _section(bundle, code)["entry"]


def test_fhir_ecg_and_photo_are_document_references_with_statements_verbatim() -> None:
    bundle = _document(documents_case())
    documents = _all(bundle, "DocumentReference")
    assert len(documents) == 2  # the ECG's file is not listed again as an attachment
    ecg, photo = documents
    assert ecg["type"]["coding"][0]["code"] == "11524-6"
    assert ecg["description"] == "\n".join(ECG_STATEMENTS)
    assert ecg["content"][0]["attachment"]["contentType"] == "application/dicom"
    assert photo["content"][0]["attachment"] == {
        "title": "wound.jpg", "creation": at(12), "contentType": "image/jpeg",
        "size": len(PHOTO)}  # metadata only: no data, no url
    assert photo["description"] == "Right forearm"
    assert photo["identifier"][0]["value"] == "a" * 32
    div = _section(bundle, "documents-including-correspondence-audio-and-images")["text"]["div"]
    for statement in ECG_STATEMENTS:
        assert f"ECG statement: {statement}" in div


def test_a_record_without_the_newer_kinds_gains_no_empty_sections() -> None:
    bundle = _document(Case("plain", {}, (("incident.recorded", {"call_received": "+0"}),)))
    codes = {s["code"]["coding"][0]["system"] for s in bundle["entry"][0]["resource"]["section"]}
    assert STANDARD_HEADINGS_SYSTEM not in codes


def test_the_standard_headings_are_in_uk_cores_section_code_value_set() -> None:
    tree = etree.parse(str(UK_CORE / "ValueSet-UKCore-CompositionSectionCode.xml"))
    listed = {e.get("value") for e in tree.iterfind(
        ".//{http://hl7.org/fhir}contains/{http://hl7.org/fhir}code")}
    assert listed >= STANDARD_HEADINGS


def test_bulk_ndjson_carries_the_newer_resources(tmp_path: Path) -> None:
    states = [(case_state(c, record=bytes([i] * 16)), {}) for i, c in enumerate(
        (trauma_case(), refusal_case(), documents_case(), cardiac_arrest_rosc()), 1)]
    counts = write_ndjson(states, tmp_path)
    assert counts["Consent"] == 1 and counts["Flag"] == 2 and counts["ServiceRequest"] == 2
    assert counts["DocumentReference"] == 3 and counts["Condition"] >= 6
    lines = (tmp_path / "Consent.ndjson").read_text().splitlines()
    assert json.loads(lines[0])["patient"]["reference"].startswith("Patient/")


# --- NEMSIS -------------------------------------------------------------------------------

def _values(tree: Any, name: str) -> list[str | None]:
    return [e.text or e.get("NV") or e.get("PN") for e in tree.iterfind(f".//n:{name}", NS)]


@pytest.fixture(scope="module")
def nemsis() -> list[Any]:
    """One dataset of the arrest, trauma and refusal records, validated once."""
    states = [case_state(c, record=bytes([i] * 16)) for i, c in enumerate(
        (cardiac_arrest_rosc(), documents_case(), refusal_case()), 1)]
    xml = build_ems_dataset(states)
    result = validate(xml)
    assert result.ok, result.errors
    return list(etree.fromstring(xml).iterfind(".//n:PatientCareReport", NS))


def test_nemsis_earrest_holds_the_utstein_elements(nemsis: list[Any]) -> None:
    arrest = nemsis[0]
    expect = {"eArrest.01": ["3001003"], "eArrest.02": ["3002001"],
              "eArrest.03": ["3003001", "3003003", "3003005"], "eArrest.04": ["3004007"],
              "eArrest.07": ["3007001"], "eArrest.09": ["3009025"], "eArrest.11": ["3011011"],
              "eArrest.12": ["3012005"], "eArrest.14": [at(0)], "eArrest.16": ["3016011"],
              "eArrest.18": ["3018007"], "eArrest.19": [at(1)], "eArrest.20": ["3020001"],
              "eArrest.21": ["3021013"], "eArrest.22": ["3022013"]}
    assert {name: _values(arrest, name) for name in expect} == expect
    assert _values(nemsis[1], "eArrest.01") == ["3001001"]


def test_nemsis_einjury_eairway_and_procedures_of_the_trauma(nemsis: list[Any]) -> None:
    trauma = nemsis[1]
    assert _values(trauma, "eInjury.02") == ["2902001"]  # blunt
    assert _values(trauma, "eInjury.03") == ["2903013"]  # suspected pelvic fracture
    assert _values(trauma, "eInjury.04") == ["2904023"]  # high-energy RTC: EMS judgement
    assert _values(trauma, "eAirway.03") == ["4003003"] and _values(
        trauma, "eAirway.04") == ["4004019"]
    groups = trauma.findall(".//n:eProcedures.ProcedureGroup", NS)
    rows = [(g.findtext("n:eProcedures.01", namespaces=NS),
             g.findtext("n:eProcedures.04", namespaces=NS),
             g.findtext("n:eProcedures.05", namespaces=NS)) for g in groups]
    assert len(rows) == 7  # tourniquet, binder, 2 x IV, splint, ETT, ventilator
    assert (at(12), "18 G", "1") in rows and (at(15), "size 8", "2") in rows
    assert _values(trauma, "eProcedures.03").count("112798008") == 1  # the ETT
    narrative = trauma.findtext(".//n:eNarrative.01", namespaces=NS)
    assert "Injury: deformity left-leg (front), severe." in narrative
    assert "12-lead ECG: Sinus rhythm;" in narrative


def test_nemsis_edisposition_says_the_patient_refused_transport(nemsis: list[Any]) -> None:
    refusal = nemsis[2]
    assert _values(refusal, "eDisposition.28") == ["4228003"]
    assert _values(refusal, "eDisposition.29") == ["4229013"]
    assert _values(refusal, "eDisposition.30") == ["4230009"]
    assert _values(refusal, "eDisposition.31") == ["4231001"]
    assert _values(refusal, "eDisposition.26") == ["4226003"]
    assert "Safeguarding concern (adult): referred (SG-2291)." in refusal.findtext(
        ".//n:eNarrative.01", namespaces=NS)


# --- PDF ----------------------------------------------------------------------------------

def _pdf_text(case: Case, tmp_path: Path) -> tuple[bytes, str]:
    pdf = render_pdf(case_state(case), [], now=BASE)
    (tmp_path / "doc.pdf").write_bytes(pdf)
    done = subprocess.run(["pdftotext", "-layout", str(tmp_path / "doc.pdf"), "-"],
                          check=True, capture_output=True, text=True)
    return pdf, done.stdout


def test_pdf_prints_the_arrest_timeline(tmp_path: Path) -> None:
    _, text = _pdf_text(cardiac_arrest_rosc(), tmp_path)
    assert "Cardiac arrest timeline" in text
    for said in ("shock 1: 150 J (VF)", "shock 3: 200 J (VF)", "adrenaline 1 mg IO",
                 "first rhythm: VF"):
        assert said in text


def test_pdf_prints_injuries_care_airway_access_and_ecg_statements(tmp_path: Path) -> None:
    _, text = _pdf_text(documents_case(), tmp_path)
    for said in ("Injuries", "deformity", "laceration", "arterial bleed", "tourniquet",
                 "traction splint", "IV 18 G", "unsuccessful", "EtCO2 38 mmHg", *ECG_STATEMENTS,
                 "wound.jpg", "Right forearm"):
        assert said in text, said


def test_pdf_prints_capacity_refusal_and_the_drawn_signature(tmp_path: Path) -> None:
    pdf, text = _pdf_text(refusal_case(), tmp_path)
    for said in ("Capacity, consent and refusal", "Refused conveyance, cannulation",
                 "Call 999 if pain worsens", "reference GP-77812", "Lives alone",
                 "Signed by Edith Moss (patient) for refusal"):
        assert said in text, said
    assert pdf.count(b"/Subtype /Image") == 1  # the signature, drawn


# --- QR -----------------------------------------------------------------------------------

def test_qr_codes_carry_the_newer_entries_unchanged(pair: Any) -> None:
    refusal = [s for s in refusal_case().steps if s[0] in (
        "capacity.assessed", "signature.captured", "referral.made", "safeguarding.raised")]
    case = Case("qr", trauma_case().opened, documents_case().steps + tuple(refusal))
    record = play(pair.crew, case)
    done = import_codes(pair.hospital, record_codes(pair.crew, record))
    assert done.record == record
    crew, hospital = pair.crew.state(record), pair.hospital.state(record)
    for key in ("sections", "items", "history"):
        assert crew[key] == hospital[key], key
    assert len(hospital["items"]["injuries"]) == 3
    assert hospital["items"]["ecgs"][0]["interpretation"] == ECG_STATEMENTS
    assert hospital["items"]["signatures"][0]["image"] == signature_png()


# --- the other branches of each mapping, in one record each --------------------------------

def _variant(name: str, *steps: tuple[str, dict[str, Any]]) -> Case:
    opened = (("incident.recorded", {"call_received": "+0", "on_scene": "+8",
                                     "patient_contact": "+9"}),
              ("patient.recorded", {"given_name": "Pat", "estimated_age_years": 70}))
    return Case(name, {"crew": ["P100234"]}, opened + steps)


VARIANTS = {
    "not attempted, DNACPR": _variant(
        "dnacpr",
        ("arrest.recorded", {"arrest_at": "+0", "witnessed": "unwitnessed",
                             "first_rhythm": "asystole", "resuscitation_attempted": False,
                             "dnacpr_seen": True, "bystander_cpr": False}),
        ("arrest.event", {"event": "life-extinct", "at": "+12", "by": "P100234",
                          "criteria": ["valid-dnacpr-or-respect"], "decision_by": "P100234"})),
    "negative triage, failed i-gel": _variant(
        "negative",
        ("trauma.mechanism", {"mechanism": "fall", "height_m": 7}),
        ("trauma.triage", {"positive_criteria": [], "destination": "emergency-department"}),
        ("airway.managed", {"device": "igel", "size": 4, "attempts": 3, "successful": False,
                            "performed_at": "+12", "performed_by": "P100234"}),
        ("breathing.supported", {"method": "bag-valve-mask", "started_at": "+12",
                                 "performed_by": "P100234"}),
        ("access.attempted", {"route": "IO", "site": "left proximal tibia", "gauge": 15,
                              "attempts": 1, "successful": True, "performed_at": "+13",
                              "performed_by": "P100234"})),
    "lacks capacity, refused assessment": _variant(
        "lacks",
        ("capacity.assessed", {"decision": "Assessment", "impairment": True,
                               "impairment_notes": "Intoxicated", "understand": False,
                               "understand_notes": "Cannot repeat the risks",
                               "retain": True, "weigh": True, "communicate": True,
                               "conclusion": "lacks-capacity", "assessed_at": "+20",
                               "assessed_by": "P100234"}),
        ("refusal.recorded", {"refused": ["assessment", "conveyance"],
                              "capacity": "lacks-capacity", "best_interests": "Police present",
                              "worsening_advice": "Police to call 999",
                              "left_with": "police", "recorded_at": "+22",
                              "recorded_by": "P100234"}),
        ("signature.captured", {"signer": "witness", "name": "PC Hale", "signed_for": "refusal",
                                "format": "svg-path", "image": "M 0 0 L 10 10 L 20 0",
                                "signed_at": "+23"}),
        ("safeguarding.raised", {"concern_for": "child", "concern": "Child at the address",
                                 "referral_sent": False, "reason_not_sent": "Police referring",
                                 "raised_at": "+24", "raised_by": "P100234"}),
        ("disposition.recorded", {"outcome": "not-conveyed", "safety_netting": "Police aware",
                                  "decision_by": "P100234"})),
}


@pytest.fixture(scope="module")
def variants() -> tuple[dict[str, Resource], dict[str, Any]]:
    """Each variant's FHIR document, and its NEMSIS report from one validated dataset."""
    states = {name: case_state(c, record=bytes([i] * 16))
              for i, (name, c) in enumerate(VARIANTS.items(), 1)}
    documents = {name: build_document(s) for name, s in states.items()}
    xml = build_ems_dataset(list(states.values()))
    result = validate(xml)
    assert result.ok, result.errors
    reports = etree.fromstring(xml).findall(".//n:PatientCareReport", NS)
    return documents, dict(zip(states, reports, strict=True))


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_each_variant_makes_a_sound_document(name: str, variants: Any) -> None:
    assert check_document(variants[0][name]) == []


def test_not_attempted_for_a_dnacpr_ends_as_dnr_in_nemsis_and_fhir(variants: Any) -> None:
    documents, reports = variants
    report = reports["not attempted, DNACPR"]
    assert _values(report, "eArrest.03") == ["3003009"]
    assert _values(report, "eArrest.16") == ["3016001"]
    assert _values(report, "eArrest.18") == ["3018003"]
    assert _values(report, "eArrest.12") == ["3012001"]
    ended = _named(_all(documents["not attempted, DNACPR"], "Observation"), "Recognition")[0]
    assert ended["component"][0]["valueCodeableConcept"]["text"] == "valid DNACPR or ReSPECT form"


def test_a_negative_triage_is_a_pertinent_negative_and_a_failed_airway_is_not_confirmed(
        variants: Any) -> None:
    documents, reports = variants
    report = reports["negative triage, failed i-gel"]
    assert _values(report, "eInjury.03") == ["8801015"]
    assert _values(report, "eInjury.04") == ["8801015"]
    assert report.find(".//n:eAirway", NS) is None  # nothing placed, nothing confirmed
    bundle = documents["negative triage, failed i-gel"]
    igel = _named(_all(bundle, "Procedure"), "Airway")[0]
    assert igel["outcome"]["text"] == "unsuccessful"
    assert not _named(_all(bundle, "Observation"), "End-tidal")
    triage = _named(_all(bundle, "Observation"), "Major trauma triage")[0]
    assert triage["valueCodeableConcept"]["text"] == "Major trauma triage negative"


def test_a_refusal_without_capacity_keeps_best_interests_police_and_a_vector_signature(
        variants: Any) -> None:
    documents, reports = variants
    report = reports["lacks capacity, refused assessment"]
    assert _values(report, "eDisposition.28") == ["4228007"]
    assert _values(report, "eDisposition.31") == ["4231007"]  # no "against advice" here
    bundle = documents["lacks capacity, refused assessment"]
    details = _named(_all(bundle, "Observation"), "Refusal of care")[0]
    told = {c["code"]["text"]: c["valueString"] for c in details["component"]}
    assert told["Best interests"] == "Police present" and told["Capacity"] == "lacks capacity"
    capacity = _named(_all(bundle, "Observation"), "Mental capacity")[0]
    assert {"text": "understand: Cannot repeat the risks"} in capacity["note"]
    signature = _all(bundle, "DocumentReference")[0]["content"][0]["attachment"]
    assert signature["contentType"] == "image/svg+xml"
    flag = _all(bundle, "Flag")[-1]
    assert flag["code"]["text"].endswith("referral not sent: Police referring")
    assert not [r for r in _all(bundle, "ServiceRequest") if "Safeguarding" in r["code"]["text"]]
