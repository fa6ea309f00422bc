"""Handover summaries: SBAR for a medical patient, ATMIST for trauma, field by field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carechain.handover import ATMIST_FIELDS, NOT_RECORDED, SBAR_FIELDS, build_handover
from carechain.records.kinds import validate_body

BST = timezone(timedelta(hours=1))


def item(kind: str, data: dict[str, Any], n: int) -> dict[str, Any]:
    """Return a validated multi-valued item as the fold lists it."""
    out = validate_body(kind, data)
    out.update(entry=f"{n:064x}", author="p.jones", recorded_at="2024-05-01T13:00:00.000+00:00")
    return out


def state(
    sections: dict[str, dict[str, Any]],
    items: dict[str, list[tuple[str, dict[str, Any]]]],
    scores: dict[str, Any],
) -> dict[str, Any]:
    """Return a record state shaped like the fold's output, from raw entry data."""
    kinds = {
        "record": "record.opened",
        "incident": "incident.recorded",
        "patient": "patient.recorded",
        "history": "history.recorded",
        "primary_survey": "survey.primary",
        "secondary_survey": "survey.secondary",
        "impression": "impression.recorded",
        "disposition": "disposition.recorded",
    }
    return {
        "record_id": "ab" * 16,
        "sections": {name: validate_body(kinds[name], data) for name, data in sections.items()},
        "items": {
            name: [item(kind, data, i) for i, (kind, data) in enumerate(entries)]
            for name, entries in items.items()
        },
        "scores": scores,
        "prompts": [],
        "conflicts": [],
    }


# --- a 67-year-old with chest pain and an inferior STEMI: SBAR -------------------------

STEMI_NOW = datetime(2024, 5, 1, 15, 0, tzinfo=BST)
STEMI = state(
    sections={
        "incident": {"call_received": "2024-05-01T14:05:00+01:00", "category": 2},
        "patient": {"date_of_birth": "1957-03-11", "sex": "male", "family_name": "Dent"},
        "history": {
            "presenting_complaint": "Central chest pain",
            "history_of_presenting_complaint": "Crushing pain to left arm for 40 min",
            "past_medical_history": ["hypertension", "type 2 diabetes"],
            "medications": ["ramipril 5 mg", "metformin 500 mg"],
            "allergies": [{"substance": "penicillin", "reaction": "rash", "severity": "mild"}],
        },
        "primary_survey": {
            "airway": {"status": "patent"},
            "breathing": {"status": "normal"},
            "circulation": {"status": "abnormal", "notes": "pale, clammy"},
        },
        "impression": {"working_impression": "Inferior STEMI", "category": "stemi"},
        "disposition": {
            "outcome": "conveyed",
            "hospital": "Royal Bolton Hospital",
            "pre_alert": True,
            "pre_alert_category": "stemi",
            "eta": "2024-05-01T15:12:00+01:00",
            "requirements": "Direct to cath lab",
        },
    },
    items={
        "observations": [
            ("observation.recorded", {"taken_at": "2024-05-01T14:25:00+01:00", "pulse": 98}),
            (
                "observation.recorded",
                {
                    "taken_at": "2024-05-01T14:52:00+01:00",
                    "respiratory_rate": 22,
                    "spo2": 94,
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
                        "interpretation": "inferior STEMI",
                    },
                },
            ),
        ],
        "medications": [
            (
                "medication.administered",
                {
                    "drug": "GTN",
                    "dose": 400,
                    "unit": "mcg",
                    "route": "SL",
                    "given_at": "2024-05-01T14:45:00+01:00",
                    "given_by": "p.jones",
                },
            ),
            (
                "medication.administered",
                {
                    "drug": "aspirin",
                    "dose": 300,
                    "unit": "mg",
                    "route": "PO",
                    "given_at": "2024-05-01T14:40:00+01:00",
                    "given_by": "p.jones",
                },
            ),
        ],
        "procedures": [
            (
                "procedure.performed",
                {
                    "procedure": "cannulation-iv",
                    "site": "left antecubital fossa",
                    "attempts": 1,
                    "successful": True,
                    "performed_at": "2024-05-01T14:42:00+01:00",
                    "performed_by": "t.smith",
                },
            )
        ],
    },
    scores={
        "news2": {"aggregate": 5, "band": "medium", "complete": True, "components": {}},
        "gcs": {"total": 15, "eye": 4, "verbal": 5, "motor": 6},
        "stemi": {"flagged": True, "territory": "inferior"},
        "sepsis": {"positive": False},
        "qsofa": {"score": 1, "positive": False},
    },
)

STEMI_SBAR = {
    "situation": (
        "67 M; presenting complaint: Central chest pain; working impression: Inferior STEMI"
    ),
    "background": (
        "Crushing pain to left arm for 40 min; PMH: hypertension, type 2 diabetes; "
        "medications: ramipril 5 mg, metformin 500 mg; allergies: penicillin (rash, mild); "
        "call received 14:05 (55 min ago)"
    ),
    "assessment": (
        "at 14:52: RR 22, SpO2 94% on O2 2 L/min via nasal cannula, BP 150/90, HR 104, "
        "temp 36.8 °C, ACVPU A, GCS 15 (E4 V5 M6), BM 7.2 mmol/L, pain 8/10, "
        "ECG sinus tachycardia; 12-lead: ST elevation in II, III, aVF (inferior STEMI); "
        "NEWS2 5 (medium); primary survey: C abnormal (pale, clammy); STEMI flagged (inferior); "
        "treatment: aspirin 300 mg PO 14:40; IV cannulation (left antecubital fossa) 14:42; "
        "GTN 400 mcg SL 14:45"
    ),
    "recommendation": (
        "Royal Bolton Hospital, ETA 15:12 (in 12 min); pre-alert: STEMI; "
        "requirements: Direct to cath lab"
    ),
}


def test_stemi_is_sbar() -> None:
    handover = build_handover(STEMI, now=STEMI_NOW)
    assert handover.format == "SBAR"
    assert tuple(handover.fields) == SBAR_FIELDS


@pytest.mark.parametrize("field", SBAR_FIELDS)
def test_stemi_sbar_field(field: str) -> None:
    assert build_handover(STEMI, now=STEMI_NOW).fields[field] == STEMI_SBAR[field]


def test_stemi_sbar_text_and_dict() -> None:
    handover = build_handover(STEMI, now=STEMI_NOW)
    lines = handover.to_text().splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == ["S", "B", "A", "R"]
    assert lines[0] == "S: " + STEMI_SBAR["situation"]
    assert handover.to_dict() == {
        "format": "SBAR",
        "record_id": "ab" * 16,
        "generated_at": "2024-05-01T15:00:00+01:00",
        "fields": STEMI_SBAR,
    }


# --- a 24-year-old motorcyclist with a femur fracture: ATMIST ---------------------------

TRAUMA_NOW = datetime(2024, 5, 1, 15, 24, tzinfo=BST)
TRAUMA = state(
    sections={
        "incident": {
            "call_received": "2024-05-01T14:32:00+01:00",
            "on_scene": "2024-05-01T14:44:00+01:00",
        },
        "patient": {"date_of_birth": "2000-02-14", "sex": "male"},
        "history": {
            "presenting_complaint": "Painful left thigh after RTC",
            "mechanism_of_injury": "Motorcyclist v car at approx 40 mph, thrown 10 m, helmet on",
            "trauma": True,
        },
        "primary_survey": {"catastrophic_haemorrhage": {"status": "none"}},
        "secondary_survey": {
            "head": "Helmet removed; no head injury",
            "limbs": "Left thigh swollen, shortened and externally rotated",
        },
        "impression": {"working_impression": "Closed fracture left femur", "category": "trauma"},
        "disposition": {
            "outcome": "conveyed",
            "hospital": "Royal Preston Hospital (MTC)",
            "pre_alert": True,
            "pre_alert_category": "trauma",
            "eta": "2024-05-01T15:45:00+01:00",
            "requirements": "Trauma team",
        },
    },
    items={
        # Listed latest first: the handover must pick by taken_at, not by position.
        "observations": [
            (
                "observation.recorded",
                {
                    "taken_at": "2024-05-01T15:10:00+01:00",
                    "respiratory_rate": 24,
                    "spo2": 96,
                    "oxygen": False,
                    "systolic_bp": 108,
                    "diastolic_bp": 70,
                    "pulse": 118,
                    "acvpu": "A",
                    "gcs_eye": 4,
                    "gcs_verbal": 5,
                    "gcs_motor": 6,
                    "temperature_c": 36.2,
                    "pain_score": 9,
                },
            ),
            (
                "observation.recorded",
                {"taken_at": "2024-05-01T14:50:00+01:00", "pulse": 130, "pain_score": 10},
            ),
        ],
        "medications": [
            (
                "medication.administered",
                {
                    "drug": "methoxyflurane",
                    "dose": 3,
                    "unit": "ml",
                    "route": "inhaled",
                    "given_at": "2024-05-01T14:52:00+01:00",
                    "given_by": "p.jones",
                },
            ),
            (
                "medication.administered",
                {
                    "drug": "morphine",
                    "dose": 5,
                    "unit": "mg",
                    "route": "IV",
                    "given_at": "2024-05-01T15:02:00+01:00",
                    "given_by": "p.jones",
                },
            ),
        ],
        "procedures": [
            (
                "procedure.performed",
                {
                    "procedure": "cannulation-iv",
                    "site": "right antecubital fossa",
                    "attempts": 2,
                    "successful": True,
                    "performed_at": "2024-05-01T14:58:00+01:00",
                    "performed_by": "p.jones",
                },
            ),
            (
                "procedure.performed",
                {
                    "procedure": "traction-splint",
                    "site": "left leg",
                    "performed_at": "2024-05-01T15:05:00+01:00",
                    "performed_by": "t.smith",
                },
            ),
        ],
    },
    scores={
        "news2": {"aggregate": 5, "band": "medium", "complete": True},
        "gcs": {"total": 15, "eye": 4, "verbal": 5, "motor": 6},
    },
)

TRAUMA_ATMIST = {
    "age_sex": "24 M",
    "time_of_incident": "14:32 (52 min ago)",
    "mechanism": "Motorcyclist v car at approx 40 mph, thrown 10 m, helmet on",
    "injuries": (
        "Closed fracture left femur; head: Helmet removed; no head injury; "
        "limbs: Left thigh swollen, shortened and externally rotated"
    ),
    "signs": (
        "at 15:10: RR 24, SpO2 96% on air, BP 108/70, HR 118, temp 36.2 °C, ACVPU A, "
        "GCS 15 (E4 V5 M6), pain 9/10; NEWS2 5 (medium)"
    ),
    "treatment": (
        "methoxyflurane 3 ml inhaled 14:52; IV cannulation (right antecubital fossa), "
        "2 attempts 14:58; morphine 5 mg IV 15:02; traction splint (left leg) 15:05"
    ),
    "eta_requirements": (
        "Royal Preston Hospital (MTC), ETA 15:45 (in 21 min); pre-alert: trauma; "
        "requirements: Trauma team"
    ),
}


def test_trauma_is_atmist() -> None:
    handover = build_handover(TRAUMA, now=TRAUMA_NOW)
    assert handover.format == "ATMIST"
    assert tuple(handover.fields) == ATMIST_FIELDS


@pytest.mark.parametrize("field", ATMIST_FIELDS)
def test_trauma_atmist_field(field: str) -> None:
    assert build_handover(TRAUMA, now=TRAUMA_NOW).fields[field] == TRAUMA_ATMIST[field]


def test_trauma_atmist_text() -> None:
    text = build_handover(TRAUMA, now=TRAUMA_NOW).to_text()
    assert text.splitlines() == [
        "A: 24 M",
        "T: 14:32 (52 min ago)",
        "M: " + TRAUMA_ATMIST["mechanism"],
        "I: " + TRAUMA_ATMIST["injuries"],
        "S: " + TRAUMA_ATMIST["signs"],
        "T: " + TRAUMA_ATMIST["treatment"],
        "ER: " + TRAUMA_ATMIST["eta_requirements"],
    ]


def test_times_follow_nows_zone() -> None:
    utc_now = TRAUMA_NOW.astimezone(UTC)
    fields = build_handover(TRAUMA, now=utc_now).fields
    assert fields["time_of_incident"] == "13:32 (52 min ago)"


# --- which format -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sections", "trauma"),
    [
        ({}, False),
        ({"impression": {"category": "trauma"}}, True),
        ({"impression": {"category": "stroke", "trauma": True}}, True),
        ({"history": {"trauma": True}}, True),
        ({"history": {"mechanism_of_injury": "Fall from ladder, 3 m"}}, True),
        ({"history": {"trauma": False}, "impression": {"trauma": False}}, False),
        ({"history": {"mechanism_of_injury": "   "}}, False),
    ],
)
def test_format_choice(sections: dict[str, Any], trauma: bool) -> None:
    handover = build_handover({"sections": sections}, now=STEMI_NOW)
    assert handover.format == ("ATMIST" if trauma else "SBAR")


# --- missing data ---------------------------------------------------------------------


def test_empty_state_reads_not_recorded() -> None:
    handover = build_handover({}, now=STEMI_NOW)
    assert handover.format == "SBAR"
    assert handover.fields == {
        "situation": NOT_RECORDED,
        "background": "allergies: not recorded",
        "assessment": NOT_RECORDED,
        "recommendation": NOT_RECORDED,
    }
    trauma = build_handover({"sections": {"history": {"trauma": True}}}, now=STEMI_NOW)
    assert set(trauma.fields.values()) == {NOT_RECORDED}


def test_naive_now_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        build_handover({}, now=datetime(2024, 5, 1, 15, 0))


_junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=25), inner),
    max_leaves=15,
)
_keys = st.sampled_from(
    [
        "sections", "items", "scores", "record", "incident", "patient", "history",
        "primary_survey", "secondary_survey", "impression", "disposition", "observations",
        "medications", "procedures", "news2", "gcs", "stemi", "date_of_birth", "sex",
        "taken_at", "call_received", "eta", "outcome", "trauma", "allergies", "twelve_lead",
        "2024-05-01T14:00:00+01:00", "0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59-12:00",
    ]
)  # fmt: skip
_state = st.recursive(
    _junk,
    lambda inner: st.dictionaries(_keys, inner, max_size=6) | st.lists(inner, max_size=3),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(junk=_state)
def test_any_state_never_crashes(junk: Any) -> None:
    handover = build_handover(junk if isinstance(junk, dict) else {"sections": junk}, now=STEMI_NOW)
    assert all(isinstance(v, str) and v for v in handover.fields.values())
    handover.to_text()


# --- smaller cases ----------------------------------------------------------------------


def test_not_conveyed_recommendation() -> None:
    s = state(
        sections={
            "disposition": {
                "outcome": "not-conveyed",
                "referral": "falls-team",
                "safety_netting": "Call 999 if new pain or unable to stand",
                "decision_by": "p.jones",
            },
            "history": {"no_known_allergies": True},
        },
        items={},
        scores={},
    )
    fields = build_handover(s, now=STEMI_NOW).fields
    assert fields["recommendation"] == (
        "not conveyed; referral: falls team; "
        "safety-netting: Call 999 if new pain or unable to stand"
    )
    assert fields["background"] == "allergies: NKDA"


def test_assessment_flags_and_details() -> None:
    s = state(
        sections={
            "history": {
                "safeguarding": {"concerns": True, "details": "Lives alone, bruising"},
                "capacity": {"has_capacity": False, "assessment": "Cannot retain information"},
            },
            "primary_survey": {"airway": {"status": "adjunct", "notes": "OPA"}},
        },
        items={
            "observations": [
                (
                    "observation.recorded",
                    {
                        "taken_at": "2024-05-01T14:50:00+01:00",
                        "spo2": 89,
                        "spo2_scale": 2,
                        "spo2_target": "88-92",
                        "oxygen": True,
                        "oxygen_device": "venturi-28",
                        "systolic_bp": 95,
                        "ecg_rhythm": "atrial-fibrillation",
                        "twelve_lead": {"new_lbbb": True},
                    },
                )
            ],
            "procedures": [
                (
                    "procedure.performed",
                    {
                        "procedure": "other",
                        "details": "Cervical collar",
                        "attempts": 3,
                        "successful": False,
                        "performed_at": "2024-05-01T14:40:00+01:00",
                        "performed_by": "p.jones",
                    },
                )
            ],
        },
        scores={
            "news2": {"aggregate": 9, "band": "high", "complete": False},
            "befast": {"positive": True, "positive_signs": ["face", "arm"]},
            "sepsis": {"positive": True},
            "qsofa": {"score": 2, "positive": True},
        },
    )
    fields = build_handover(s, now=STEMI_NOW).fields
    assert fields["assessment"] == (
        "at 14:50: SpO2 89% (scale 2) on O2 via 28% venturi, BP 95, ECG AF; "
        "12-lead: new LBBB; NEWS2 9 (high) (incomplete); primary survey: A adjunct (OPA); "
        "BE-FAST positive (face, arm), sepsis screen positive, qSOFA 2; "
        "treatment: Cervical collar, 3 attempts, unsuccessful 14:40"
    )
    assert fields["background"] == (
        "allergies: not recorded; safeguarding concerns: Lives alone, bruising; "
        "lacks capacity: Cannot retain information"
    )
