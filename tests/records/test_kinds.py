"""The entry-kind registry: every kind validates a realistic example; errors are clear."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carechain.errors import FieldInvalid, UnknownKind
from carechain.records.kinds import (
    FREE_TEXT_MAX,
    KINDS,
    SECTIONS,
    SHORT_TEXT_MAX,
    KindSpec,
    check_section,
    validate_body,
)

T = "2024-05-01T14:32:00+01:00"

EXAMPLES: dict[str, dict[str, Any]] = {
    "record.opened": {
        "callsign": "NW-4512",
        "vehicle": "DCA 4512",
        "opened_at": "2024-05-01T14:20:00+01:00",
        "crew": ["p.jones", "t.smith"],
    },
    "incident.recorded": {
        "incident_number": "NWAS-20240501-0173",
        "category": 2,
        "dispatch_complaint": "Chest pain",
        "address": "14 Mill Lane, Bolton",
        "location": {"lat": 53.578, "lon": -2.429},
        "call_received": "2024-05-01T14:05:00+01:00",
        "mobile": "2024-05-01T14:07:00+01:00",
        "on_scene": "2024-05-01T14:19:00+01:00",
        "patient_contact": "2024-05-01T14:21:00+01:00",
        "left_scene": "2024-05-01T14:55:00+01:00",
        "at_hospital": "2024-05-01T15:12:00+01:00",
        "handover": "2024-05-01T15:25:00+01:00",
        "clear": "2024-05-01T15:40:00+01:00",
    },
    "patient.recorded": {
        "unknown_patient": False,
        "given_name": "Arthur",
        "family_name": "Dent",
        "date_of_birth": "1957-03-11",
        "sex": "male",
        "nhs_number": "943 476 5919",
        "nhs_number_status": "02",
        "address": "14 Mill Lane, Bolton",
        "postcode": "bl1 4aa",
        "gp_practice": "Mill Lane Surgery (P82001)",
        "next_of_kin": {"name": "Mary Dent", "relationship": "wife", "phone": "+44 7700 900123"},
        "pregnant": None,
        "weight_kg": 84.5,
    },
    "history.recorded": {
        "presenting_complaint": "Central chest pain",
        "history_of_presenting_complaint": "Crushing pain radiating to left arm for 40 min.",
        "past_medical_history": ["hypertension", "type 2 diabetes"],
        "medications": ["ramipril 5 mg", "metformin 500 mg"],
        "allergies": [{"substance": "penicillin", "reaction": "rash", "severity": "mild"}],
        "social_concerns": "Lives with wife",
        "safeguarding": {"concerns": False},
        "capacity": {"has_capacity": True, "assessment": "Understands, retains, weighs"},
        "consent": "given",
        "suspected_infection": False,
        "time_last_known_well": "2024-05-01T13:40:00+01:00",
        "trauma": False,
    },
    "survey.primary": {
        "catastrophic_haemorrhage": {"status": "none"},
        "airway": {"status": "patent"},
        "breathing": {"status": "normal", "notes": "Equal air entry"},
        "circulation": {"status": "abnormal", "notes": "Pale, clammy"},
        "disability": {"status": "normal"},
        "exposure": {"status": "not-assessed"},
    },
    "survey.secondary": {
        "head": "No injury",
        "chest": "No tenderness",
        "limbs": "Left thigh deformity",
        "befast": {"balance": False, "eyes": False, "face": False, "arm": False, "speech": False},
    },
    "observation.recorded": {
        "taken_at": T,
        "respiratory_rate": 22,
        "spo2": 94,
        "spo2_scale": 1,
        "spo2_target": "94-98",
        "oxygen": True,
        "oxygen_flow_l_min": 2,
        "oxygen_device": "nasal-cannula",
        "systolic_bp": 150,
        "diastolic_bp": 90,
        "pulse": 104,
        "acvpu": "A",
        "gcs_eye": 4,
        "gcs_verbal": 5,
        "gcs_motor": 6,
        "temperature_c": 36.8,
        "blood_glucose_mmol_l": 7.2,
        "pain_score": 8,
        "ecg_rhythm": "sinus-tachycardia",
        "twelve_lead": {
            "st_elevation_leads": ["II", "III", "aVF"],
            "new_lbbb": False,
            "interpretation": "Inferior STEMI",
        },
    },
    "medication.administered": {
        "drug": "aspirin",
        "dose": 300,
        "unit": "mg",
        "route": "PO",
        "given_at": T,
        "given_by": "p.jones",
        "batch": "AB1234",
    },
    "procedure.performed": {
        "procedure": "cannulation-iv",
        "site": "left antecubital fossa",
        "attempts": 1,
        "successful": True,
        "performed_at": T,
        "performed_by": "p.jones",
    },
    "impression.recorded": {
        "working_impression": "Inferior STEMI",
        "category": "stemi",
        "trauma": False,
    },
    "disposition.recorded": {
        "outcome": "conveyed",
        "hospital": "Royal Bolton Hospital",
        "hospital_node": "rbh-ed-1",
        "pre_alert": True,
        "pre_alert_category": "stemi",
        "eta": "2024-05-01T15:12:00+01:00",
        "requirements": "Direct to cath lab",
    },
    "note.added": {"text": "Wife present and updated."},
    "previous_calls.requested": {"nhs_number": "9434765919"},
    "previous_calls.answered": {"request": "ab" * 32, "access": "relationship",
                                "records": ["cd" * 16]},
    "record.signed": {
        "clinician_name": "Pat Jones",
        "clinician_role": "paramedic",
        "registration": "PA123456",
        "signed_at": "2024-05-01T15:45:00+01:00",
        "declaration": True,
    },
    "receipt.recorded": {
        "received_at": "2024-05-01T15:50:00+01:00",
        "node": "hospital-colchester",
        "accepted_by": "ED4411",
        "handover_accepted": True,
    },
    "safety.override": {
        "drug": "morphine",
        "breaches": [{"rule": "dose.max-single", "message": "12 mg is over the 10 mg maximum"}],
        "reason": "Senior clinician advice by phone; severe pain uncontrolled",
        "by": "P100234",
        "at": "2024-05-01T15:10:00+01:00",
    },
    "vitals.frame": {
        "at": "2024-05-01T15:10:01+01:00",
        "source": "monitor-1",
        "heart_rate": 112,
        "spo2": 93,
        "respiratory_rate": 24,
        "systolic_bp": 102,
        "diastolic_bp": 64,
        "etco2_kpa": 4.8,
    },
    "vitals.chunk": {
        "at": "2024-05-01T15:10:01+01:00",
        "source": "monitor-1",
        "readings": [
            {"at": "2024-05-01T15:10:01+01:00", "heart_rate": 112, "spo2": 93},
            {"at": "2024-05-01T15:10:02+01:00", "heart_rate": 113, "etco2_kpa": 4.8},
        ],
    },
    "audit.event": {
        "v": 1,
        "action": "record.view",
        "staff_id": "ED4411",
        "role": "ed_clinician",
        "at_ms": 1714572600000,
        "outcome": "success",
        "record": "00112233445566778899aabbccddeeff",
        "detail": {"page": "patient"},
    },
    "airway.managed": {
        "device": "igel",
        "size": 4,
        "attempts": 1,
        "successful": True,
        "confirmation": "waveform-capnography",
        "etco2": 4.5,
        "etco2_unit": "kPa",
        "performed_at": "2024-05-01T14:30:00+01:00",
        "performed_by": "p.jones",
    },
    "breathing.supported": {
        "method": "bag-valve-device",
        "rate": 10,
        "tidal_volume_ml": 500,
        "peep_cmh2o": 5,
        "oxygen_l_min": 15,
        "started_at": "2024-05-01T14:31:00+01:00",
        "performed_by": "p.jones",
    },
    "access.attempted": {
        "route": "IO",
        "site": "right proximal humerus",
        "gauge": 15,
        "attempts": 1,
        "successful": True,
        "performed_at": "2024-05-01T14:33:00+01:00",
        "performed_by": "t.smith",
    },
    "arrest.recorded": {
        "arrest_at": "2024-05-01T14:02:00+01:00",
        "witnessed": "bystander",
        "location": "home",
        "aetiology": "medical",
        "bystander_cpr": True,
        "bystander_cpr_at": "2024-05-01T14:03:00+01:00",
        "public_aed_applied": True,
        "public_aed_shocked": False,
        "first_rhythm": "vf",
        "resuscitation_attempted": True,
        "dnacpr_seen": False,
        "respect_seen": False,
        "notes": "Collapsed in the kitchen; wife started CPR on 999 instructions.",
    },
    "arrest.event": {
        "event": "shock",
        "at": "2024-05-01T14:21:30+01:00",
        "by": "p.jones",
        "energy_j": 200,
        "rhythm": "vf",
        "notes": "Manual defibrillator, pads anterolateral.",
    },
    "capacity.assessed": {
        "decision": "whether to go to hospital",
        "impairment": True,
        "impairment_notes": "mild dementia per carer",
        "understand": True,
        "retain": True,
        "weigh": True,
        "communicate": True,
        "conclusion": "has-capacity",
        "assessed_at": "2024-05-01T15:10:00+01:00",
        "assessed_by": "p.jones",
    },
    "refusal.recorded": {
        "refused": ["conveyance"],
        "capacity": "has-capacity",
        "risks_explained": "a missed fracture, worsening pain, a further fall",
        "worsening_advice": "call 999 if pain worsens",
        "left_with": "family",
        "left_with_name": "daughter",
        "recorded_at": "2024-05-01T15:15:00+01:00",
        "recorded_by": "p.jones",
    },
    "referral.made": {
        "service": "gp",
        "reference": "GP-42",
        "made_at": "2024-05-01T15:20:00+01:00",
        "made_by": "p.jones",
    },
    "safeguarding.raised": {
        "concern_for": "adult",
        "concern": "self-neglect",
        "referral_sent": True,
        "reference": "SG-1",
        "raised_at": "2024-05-01T15:20:00+01:00",
        "raised_by": "p.jones",
    },
    "signature.captured": {
        "signer": "witness",
        "name": "Anne Smith",
        "signed_for": "refusal",
        "format": "svg-path",
        "image": "M10 10 L20 20",
        "signed_at": "2024-05-01T15:16:00+01:00",
    },
    "trauma.mechanism": {
        "mechanism": "rtc",
        "occurred_at": "2024-05-01T14:05:00+01:00",
        "rtc_type": "motorcyclist",
        "speed_mph": 40,
        "ejected": True,
        "trapped": False,
        "details": "Came off at a bend, helmet on.",
    },
    "trauma.triage": {
        "positive_criteria": ["two-or-more-proximal-long-bone-fractures"],
        "mtc_pre_alert": True,
        "destination": "major-trauma-centre",
        "destination_name": "Salford Royal",
        "decided_at": "2024-05-01T14:40:00+01:00",
        "decided_by": "p.jones",
    },
    "injury.marked": {
        "view": "front",
        "region": "right-leg",
        "x": 0.42,
        "y": 0.71,
        "type": "deformity",
        "severity": "severe",
        "note": "Closed, mid-shaft femur.",
        "marked_at": "2024-05-01T14:32:00+01:00",
        "marked_by": "p.jones",
    },
    "haemorrhage.controlled": {
        "method": "tourniquet",
        "region": "left-leg",
        "applied_at": "2024-05-01T14:31:00+01:00",
        "applied_by": "t.smith",
        "effective": True,
        "note": "High and tight.",
    },
    "immobilisation.applied": {
        "device": "pelvic-binder",
        "region": "pelvis",
        "applied_at": "2024-05-01T14:36:00+01:00",
        "applied_by": "p.jones",
        "note": "At the greater trochanters.",
    },
    "pregnancy.recorded": {
        "gestation_weeks": 39,
        "gestation_days": 2,
        "due_date": "2024-05-06",
        "gravida": 2,
        "para": 1,
        "babies_expected": 1,
        "booked_unit": "Princess Anne Hospital",
        "handheld_notes_seen": True,
        "complications": "Gestational diabetes, diet controlled.",
    },
    "labour.assessed": {
        "assessed_at": "2024-05-01T14:20:00+01:00",
        "contractions_per_10_min": 4,
        "contraction_duration_s": 60,
        "membranes": "ruptured",
        "membranes_ruptured_at": "2024-05-01T13:10:00+01:00",
        "liquor": "clear",
        "presenting_part": "cephalic",
        "urge_to_push": True,
        "crowning": False,
        "notes": "Second baby, first labour lasted 6 hours.",
    },
    "blood_loss.estimated": {
        "stage": "postpartum",
        "estimated_ml": 350,
        "estimated_at": "2024-05-01T14:50:00+01:00",
        "notes": "Pads and floor.",
    },
    "birth.recorded": {
        "baby_record": "00112233445566778899aabbccddeeff",
        "born_at": "2024-05-01T14:32:00+01:00",
        "sex": "female",
        "presentation": "cephalic",
        "breathing_at_birth": "crying",
        "resuscitation": False,
        "cord_clamped_at": "2024-05-01T14:34:00+01:00",
        "placenta_delivered": True,
        "placenta_delivered_at": "2024-05-01T14:45:00+01:00",
        "notes": "Skin to skin.",
    },
    "apgar.scored": {
        "minute": 5,
        "appearance": 1,
        "pulse": 2,
        "grimace": 2,
        "activity": 2,
        "respiration": 2,
        "scored_at": "2024-05-01T14:37:00+01:00",
        "scored_by": "p.jones",
    },
    "record.linked": {
        "relation": "baby",
        "record": "00112233445566778899aabbccddeeff",
        "linked_at": "2024-05-01T14:32:00+01:00",
        "note": "Born in the ambulance.",
    },
    "ecg.chunk": {
        "at": "2024-05-01T15:10:00+01:00",
        "lead": "II",
        "sample_rate_hz": 250,
        "samples_uv": [0, 120, 900, -200, 40],
    },
    "attachment.chunk": {
        "attachment": "00112233445566778899aabbccddeeff",
        "index": 0,
        "content": "iVBORw0KGgo=",
    },
    "attachment.added": {
        "attachment": "00112233445566778899aabbccddeeff",
        "category": "wound",
        "content_type": "image/png",
        "filename": "IMG_0042.png",
        "size": 8,
        "sha256": "4c4b6a3be1314ab86138bef4314dde022e600960d8689a2c8f8631802d20dab6",
        "chunks": 1,
        "taken_at": "2024-05-01T15:12:00+01:00",
        "caption": "laceration, left forearm",
    },
    "ecg.recorded": {
        "attachment": "00112233445566778899aabbccddeeff",
        "format": "dicom",
        "sample_rate_hz": 500.0,
        "leads": [{"lead": "II", "samples": 5000, "uv_per_unit": 4.88}],
        "interpretation": ["Sinus rhythm", "** ACUTE MI **"],
        "device_time": "20240501151200",
        "taken_at": "2024-05-01T15:12:00+01:00",
    },
}


def refused(kind: str, data: object) -> FieldInvalid:
    """Return the FieldInvalid validate_body raises for `data`."""
    with pytest.raises(FieldInvalid) as info:
        validate_body(kind, data)
    return info.value


def test_every_kind_has_an_example() -> None:
    assert set(EXAMPLES) == set(KINDS)


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_example_validates(kind: str) -> None:
    out = validate_body(kind, EXAMPLES[kind])
    json.dumps(out)  # JSON-able
    assert set(out) == set(EXAMPLES[kind])


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_validation_is_idempotent(kind: str) -> None:
    once = validate_body(kind, EXAMPLES[kind])
    assert validate_body(kind, once) == once


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_unknown_field_refused(kind: str) -> None:
    data = {**EXAMPLES[kind], "colour": "blue"}
    err = refused(kind, data)
    assert (err.field, err.rule) == ("data.colour", "unknown field")


def test_unknown_nested_field_refused() -> None:
    data = copy.deepcopy(EXAMPLES["patient.recorded"])
    data["next_of_kin"]["email"] = "x@example.org"
    err = refused("patient.recorded", data)
    assert (err.field, err.rule) == ("data.next_of_kin.email", "unknown field")


def test_unknown_kind_refused() -> None:
    with pytest.raises(UnknownKind):
        validate_body("observation.invented", {"taken_at": T})


def test_unknown_version_refused() -> None:
    with pytest.raises(UnknownKind):
        validate_body("note.added", {"text": "x"}, version=2)


@pytest.mark.parametrize("data", [None, [], "text", 3])
def test_data_must_be_an_object(data: object) -> None:
    err = refused("note.added", data)
    assert (err.field, err.rule) == ("data", "must be an object")


def test_registry_shape() -> None:
    expected = {
        "record.opened": ("record", False),
        "incident.recorded": ("incident", False),
        "patient.recorded": ("patient", False),
        "history.recorded": ("history", False),
        "survey.primary": ("primary_survey", False),
        "survey.secondary": ("secondary_survey", False),
        "observation.recorded": ("observations", True),
        "medication.administered": ("medications", True),
        "procedure.performed": ("procedures", True),
        "airway.managed": ("airways", True),
        "breathing.supported": ("breathing", True),
        "access.attempted": ("vascular_access", True),
        "arrest.recorded": ("arrest", False),
        "arrest.event": ("arrest_events", True),
        "capacity.assessed": ("capacity", True),
        "refusal.recorded": ("refusals", True),
        "referral.made": ("referrals", True),
        "safeguarding.raised": ("safeguarding", True),
        "signature.captured": ("signatures", True),
        "trauma.mechanism": ("mechanism", False),
        "trauma.triage": ("trauma_triage", False),
        "injury.marked": ("injuries", True),
        "haemorrhage.controlled": ("haemorrhage_control", True),
        "immobilisation.applied": ("immobilisation", True),
        "pregnancy.recorded": ("pregnancy", False),
        "labour.assessed": ("labour", True),
        "blood_loss.estimated": ("blood_loss", True),
        "birth.recorded": ("births", True),
        "apgar.scored": ("apgar", True),
        "record.linked": ("links", True),
        "impression.recorded": ("impression", False),
        "disposition.recorded": ("disposition", False),
        "note.added": ("notes", True),
        "record.signed": ("signoff", False),
        "receipt.recorded": ("receipts", True),
        "safety.override": ("overrides", True),
        "vitals.frame": ("vitals", True),
        "vitals.chunk": ("vitals_chunks", True),
        "ecg.chunk": ("ecg", True),
        "audit.event": ("audit", True),
        "attachment.chunk": ("attachment_chunks", True),
        "attachment.added": ("attachments", True),
        "ecg.recorded": ("ecgs", True),
        "previous_calls.requested": ("previous_requests", True),
        "previous_calls.answered": ("previous_answers", True),
    }
    assert {k: (s.section, s.multi) for k, s in KINDS.items()} == expected
    for name, spec in KINDS.items():
        assert isinstance(spec, KindSpec)
        assert (spec.kind, spec.version) == (name, 1)
        assert spec.model.model_config.get("extra") == "forbid"
        assert SECTIONS[spec.section] is spec


# --- normalisation ----------------------------------------------------------------------


def test_datetimes_normalised_to_utc_with_offset() -> None:
    out = validate_body("observation.recorded", {"taken_at": T, "pulse": 80})
    assert out == {"taken_at": "2024-05-01T13:32:00+00:00", "pulse": 80}
    z = validate_body("observation.recorded", {"taken_at": "2024-05-01T13:32:00Z", "pulse": 80})
    assert z == out


def test_numbers_normalised() -> None:
    out = validate_body("medication.administered", EXAMPLES["medication.administered"])
    assert out["dose"] == 300.0 and isinstance(out["dose"], float)
    obs = validate_body("observation.recorded", {"taken_at": T, "temperature_c": 37})
    assert obs["temperature_c"] == 37.0


def test_unset_fields_omitted_and_null_kept_in_single_sections() -> None:
    assert validate_body("patient.recorded", {"sex": "female"}) == {"sex": "female"}
    assert validate_body("patient.recorded", {"pregnant": None}) == {"pregnant": None}
    assert validate_body("patient.recorded", {}) == {}


def test_nulls_dropped_in_multi_kinds() -> None:
    out = validate_body("observation.recorded", {"taken_at": T, "pulse": 80, "spo2": None})
    assert out == {"taken_at": "2024-05-01T13:32:00+00:00", "pulse": 80}


def test_text_stripped() -> None:
    assert validate_body("note.added", {"text": "  ok \n"}) == {"text": "ok"}


# --- types and text -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        (True, "must be a whole number"),
        (98.0, "must be a whole number"),
        ("98", "must be a whole number"),
    ],
)
def test_whole_numbers_are_strict(value: object, rule: str) -> None:
    err = refused("observation.recorded", {"taken_at": T, "spo2": value})
    assert (err.field, err.rule) == ("data.spo2", rule)


@pytest.mark.parametrize("value", ["36.5", True, float("nan"), float("inf")])
def test_decimal_numbers_are_strict(value: object) -> None:
    err = refused("observation.recorded", {"taken_at": T, "temperature_c": value})
    assert err.field == "data.temperature_c"


@pytest.mark.parametrize("value", [1, "yes", "true", 0])
def test_booleans_are_strict(value: object) -> None:
    err = refused("observation.recorded", {"taken_at": T, "oxygen": value})
    assert (err.field, err.rule) == ("data.oxygen", "must be true or false")


def test_free_text_limit() -> None:
    assert validate_body("note.added", {"text": "x" * FREE_TEXT_MAX})
    err = refused("note.added", {"text": "x" * (FREE_TEXT_MAX + 1)})
    assert (err.field, err.rule) == ("data.text", f"must be at most {FREE_TEXT_MAX} characters")


def test_short_text_limit() -> None:
    ok = {**EXAMPLES["medication.administered"], "drug": "x" * SHORT_TEXT_MAX}
    assert validate_body("medication.administered", ok)
    err = refused("medication.administered", {**ok, "drug": "x" * (SHORT_TEXT_MAX + 1)})
    assert (err.field, err.rule) == ("data.drug", f"must be at most {SHORT_TEXT_MAX} characters")


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_text_refused(text: str) -> None:
    err = refused("note.added", {"text": text})
    assert (err.field, err.rule) == ("data.text", "must not be empty")


def test_control_characters_refused() -> None:
    err = refused("note.added", {"text": "a\x00b"})
    assert (err.field, err.rule) == ("data.text", "must not contain control characters")
    assert validate_body("note.added", {"text": "line one\nline two\ttab"})


def test_missing_required_field() -> None:
    err = refused("observation.recorded", {"pulse": 80})
    assert (err.field, err.rule) == ("data.taken_at", "is required")


def test_choice_rule_lists_the_choices() -> None:
    err = refused("patient.recorded", {"sex": "M"})
    assert (err.field, err.rule) == ("data.sex", "must be one of: male, female, other, unknown")


@pytest.mark.parametrize(
    "value",
    ["2024-05-01T14:32:00", "2024-05-01 14:32", "2024-05-01T14:32:00.250"],
)
def test_naive_times_refused(value: str) -> None:
    err = refused("observation.recorded", {"taken_at": value, "pulse": 80})
    assert err.field == "data.taken_at"
    assert "UTC offset" in err.rule and "refused" in err.rule


@pytest.mark.parametrize("value", ["1714570320", 1714570320, "yesterday", "2024-05-01", "", True])
def test_non_iso_times_refused(value: object) -> None:
    err = refused("observation.recorded", {"taken_at": value, "pulse": 80})
    assert err.field == "data.taken_at"
    assert "ISO 8601" in err.rule


# --- hostile input --------------------------------------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(kind=st.sampled_from(sorted(KINDS)), data=_json)
def test_arbitrary_json_never_crashes(kind: str, data: object) -> None:
    try:
        validate_body(kind, data)
    except FieldInvalid as err:
        assert err.field == "data" or err.field.startswith("data.")
        assert err.rule


@settings(max_examples=200, deadline=None)
@given(
    kind=st.sampled_from(sorted(KINDS)),
    field=st.text(min_size=1, max_size=12),
    value=_json,
)
def test_mutated_examples_never_crash(kind: str, field: str, value: object) -> None:
    data = {**EXAMPLES[kind], field: value}
    try:
        out = validate_body(kind, data)
    except FieldInvalid as err:
        assert err.field.startswith("data")
    else:
        json.dumps(out)
        try:
            check_section(KINDS[kind].section, out)
        except FieldInvalid as err:
            assert err.field.startswith("data")


DOCS = Path(__file__).resolve().parents[2] / "docs" / "entry-kinds.md"


def _doc_sections() -> dict[str, str]:
    sections: dict[str, str] = {}
    current = None
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        if line.startswith("### "):
            current = line[4:].strip()
            sections[current] = ""
        elif line.startswith("#"):
            current = None
        elif current is not None:
            sections[current] += line + "\n"
    return sections


def test_docs_have_a_heading_per_kind() -> None:
    assert set(KINDS) <= set(_doc_sections())


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_docs_name_every_field(kind: str) -> None:
    text = _doc_sections()[kind]
    for name in KINDS[kind].model.model_fields:
        assert f"`{name}`" in text, f"{kind}: field {name} is not documented"
