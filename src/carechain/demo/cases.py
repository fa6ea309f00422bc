"""Scripted, realistic patient cases: the demo plays them, the end-to-end tests check them.

Times are offsets in minutes from the call; `at(base)` turns a case into API payloads.
A case is a job that has happened: no step is dated after the time it is played at (a
node refuses times in the future), so a base too late for the last step is moved back.
The people, places and numbers are invented (the NHS number is a valid test number).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

# Times still to come when they are recorded (the arrival the crew expects).
_EXPECTED = frozenset({"eta"})

__all__ = ["CASES", "Case", "chest_pain_stemi", "motorcyclist_femur"]


@dataclass(frozen=True)
class Case:
    """A patient case as the entries a crew would write, in order."""

    name: str
    opened: dict[str, Any]
    steps: tuple[tuple[str, dict[str, Any]], ...]

    @property
    def span_minutes(self) -> int:
        """Return the offset of the case's last step: its last time that has happened."""
        return max(
            (int(v[1:]) for _, data in self.steps for v in _offsets(data)),
            default=0,
        )

    def at(
        self, base: datetime, *, now: datetime | None = None
    ) -> list[tuple[str, dict[str, Any]]]:
        """Return (kind, data) with every `+N` minute offset turned into a time after base.

        If the last step would fall after `now` (the wall clock when not given), base is
        moved back so that step is `now`: the demo once dated a set six minutes ahead, and
        the hospital showed it as the latest over a deteriorating monitor trace.
        """
        latest = (now or datetime.now(UTC)) - timedelta(minutes=self.span_minutes)
        base = min(base, latest.replace(microsecond=0))
        return [(kind, _resolve(data, base)) for kind, data in self.steps]


def _offsets(value: Any) -> list[str]:
    """Return the `+N` offsets of a step that have happened (not an expected arrival)."""
    if isinstance(value, dict):
        return [o for k, v in value.items() if k not in _EXPECTED for o in _offsets(v)]
    if isinstance(value, list):
        return [o for v in value for o in _offsets(v)]
    if isinstance(value, str) and value.startswith("+") and value[1:].isdigit():
        return [value]
    return []


def _resolve(value: Any, base: datetime) -> Any:
    if isinstance(value, dict):
        return {k: _resolve(v, base) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, base) for v in value]
    if isinstance(value, str) and value.startswith("+") and value[1:].isdigit():
        return (base + timedelta(minutes=int(value[1:]))).isoformat()
    return value


def chest_pain_stemi(crew: str = "P100234") -> Case:
    """A 67-year-old man with central chest pain and an inferior STEMI, conveyed for PPCI."""
    return Case(
        name="67-year-old, chest pain, inferior STEMI",
        opened={"callsign": "RRV-412", "vehicle": "DA23 XKE", "crew": [crew, "T200117"]},
        steps=(
            (
                "incident.recorded",
                {
                    "incident_number": "ECA-2611-0412",
                    "category": 2,
                    "dispatch_complaint": "Chest pain, 67M, clammy",
                    "address": "14 Mill Lane, Colchester",
                    "call_received": "+0",
                    "mobile": "+1",
                    "on_scene": "+11",
                    "patient_contact": "+12",
                },
            ),
            (
                "patient.recorded",
                {
                    "given_name": "Arthur",
                    "family_name": "Pemberton",
                    "date_of_birth": "1959-03-14",
                    "sex": "male",
                    "nhs_number": "943 476 5919",
                    "postcode": "CO1 1AA",
                    "gp_practice": "Mill Lane Surgery",
                    "next_of_kin": {"name": "Margaret Pemberton", "relationship": "wife"},
                },
            ),
            (
                "history.recorded",
                {
                    "presenting_complaint": "Central crushing chest pain radiating to the left arm",
                    "history_of_presenting_complaint": "Onset at rest 40 minutes before the call; "
                    "sweating and nausea; pain 8/10, not eased by rest.",
                    "past_medical_history": ["hypertension", "type 2 diabetes"],
                    "medications": ["ramipril 5 mg", "metformin 500 mg"],
                    "no_known_allergies": True,
                    "consent": "given",
                },
            ),
            (
                "observation.recorded",
                {
                    "taken_at": "+14",
                    "respiratory_rate": 22,
                    "spo2": 95,
                    "oxygen": False,
                    "systolic_bp": 104,
                    "diastolic_bp": 68,
                    "pulse": 112,
                    "acvpu": "A",
                    "gcs_eye": 4,
                    "gcs_verbal": 5,
                    "gcs_motor": 6,
                    "temperature_c": 36.8,
                    "blood_glucose_mmol_l": 9.1,
                    "pain_score": 8,
                    "ecg_rhythm": "sinus-tachycardia",
                    "twelve_lead": {
                        "st_elevation_leads": ["II", "III", "aVF"],
                        "interpretation": "ST elevation II, III, aVF; reciprocal depression I, aVL",
                    },
                },
            ),
            (
                "medication.administered",
                {
                    "drug": "aspirin",
                    "dose": 300,
                    "unit": "mg",
                    "route": "PO",
                    "given_at": "+16",
                    "given_by": crew,
                    "batch": "AS2291",
                },
            ),
            (
                "medication.administered",
                {
                    "drug": "glyceryl trinitrate",
                    "dose": 400,
                    "unit": "mcg",
                    "route": "SL",
                    "given_at": "+17",
                    "given_by": crew,
                },
            ),
            (
                "procedure.performed",
                {
                    "procedure": "cannulation-iv",
                    "site": "left antecubital fossa",
                    "attempts": 1,
                    "successful": True,
                    "performed_at": "+18",
                    "performed_by": crew,
                },
            ),
            ("impression.recorded", {"working_impression": "Inferior STEMI", "category": "stemi"}),
            (
                "disposition.recorded",
                {
                    "outcome": "conveyed",
                    "hospital": "Essex Cardiothoracic Centre",
                    "pre_alert": True,
                    "pre_alert_category": "stemi",
                    "eta": "+55",
                    "requirements": "PPCI lab on arrival",
                },
            ),
            (
                "observation.recorded",
                {
                    "taken_at": "+26",
                    "respiratory_rate": 20,
                    "spo2": 96,
                    "oxygen": False,
                    "systolic_bp": 110,
                    "diastolic_bp": 72,
                    "pulse": 104,
                    "acvpu": "A",
                    "temperature_c": 36.8,
                    "pain_score": 5,
                },
            ),
            ("incident.recorded", {"left_scene": "+29"}),
        ),
    )


def motorcyclist_femur(crew: str = "P100234") -> Case:
    """A 24-year-old motorcyclist with a closed femur fracture after a collision."""
    return Case(
        name="24-year-old motorcyclist, femur fracture",
        opened={"callsign": "A-217", "vehicle": "DA21 MBU", "crew": [crew, "T200117"]},
        steps=(
            (
                "incident.recorded",
                {
                    "incident_number": "ECA-2611-0877",
                    "category": 2,
                    "dispatch_complaint": "RTC motorcycle vs car",
                    "address": "A12 northbound near junction 25",
                    "call_received": "+0",
                    "mobile": "+2",
                    "on_scene": "+14",
                    "patient_contact": "+15",
                },
            ),
            (
                "patient.recorded",
                {
                    "given_name": "Daniel",
                    "family_name": "Okafor",
                    "date_of_birth": "2002-06-02",
                    "sex": "male",
                },
            ),
            (
                "history.recorded",
                {
                    "presenting_complaint": "Pain and deformity of the right thigh",
                    "mechanism_of_injury": "Motorcyclist, about 40 mph, struck by a car "
                    "pulling out; thrown about 5 m; helmet on",
                    "trauma": True,
                    "no_known_allergies": True,
                    "consent": "given",
                },
            ),
            (
                "survey.primary",
                {
                    "catastrophic_haemorrhage": {"status": "none"},
                    "airway": {"status": "patent"},
                    "breathing": {"status": "normal"},
                    "circulation": {
                        "status": "abnormal",
                        "notes": "tachycardic, peripherally cool",
                    },
                    "disability": {"status": "normal"},
                    "exposure": {"status": "abnormal", "notes": "closed deformity right mid-thigh"},
                },
            ),
            (
                "survey.secondary",
                {
                    "limbs": "Closed deformity right femur, shortened and "
                    "externally rotated; distal pulses present",
                    "pelvis": "Stable on inspection, no binder indicated",
                },
            ),
            (
                "observation.recorded",
                {
                    "taken_at": "+17",
                    "respiratory_rate": 24,
                    "spo2": 97,
                    "oxygen": False,
                    "systolic_bp": 112,
                    "diastolic_bp": 70,
                    "pulse": 118,
                    "acvpu": "A",
                    "gcs_eye": 4,
                    "gcs_verbal": 5,
                    "gcs_motor": 6,
                    "temperature_c": 36.4,
                    "pain_score": 9,
                },
            ),
            (
                "medication.administered",
                {
                    "drug": "morphine",
                    "dose": 5,
                    "unit": "mg",
                    "route": "IV",
                    "given_at": "+21",
                    "given_by": crew,
                },
            ),
            (
                "procedure.performed",
                {
                    "procedure": "traction-splint",
                    "site": "right leg",
                    "attempts": 1,
                    "successful": True,
                    "performed_at": "+24",
                    "performed_by": crew,
                },
            ),
            (
                "impression.recorded",
                {
                    "working_impression": "Closed right femoral shaft fracture",
                    "category": "trauma",
                    "trauma": True,
                },
            ),
            (
                "disposition.recorded",
                {
                    "outcome": "conveyed",
                    "hospital": "Colchester General Hospital",
                    "pre_alert": True,
                    "pre_alert_category": "trauma",
                    "eta": "+50",
                    "requirements": "Trauma team, orthopaedics",
                },
            ),
        ),
    )


CASES = {"chest-pain": chest_pain_stemi, "motorcyclist": motorcyclist_femur}
