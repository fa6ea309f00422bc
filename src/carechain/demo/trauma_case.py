"""A scripted major-trauma case: a cyclist struck by a lorry, an open femur fracture with
arterial bleeding controlled by a tourniquet, injuries marked on the body map, and a
positive major-trauma triage with a pre-alert to the major trauma centre.

The people, places and numbers are invented. The triage criteria are the ones the record
offers (`trauma.triage`, `docs/clinical.md`); the crew records them, nothing is scored.
"""

from __future__ import annotations

from carechain.demo.cases import Case

__all__ = ["cyclist_femur_tourniquet"]


def cyclist_femur_tourniquet(crew: str = "P100981") -> Case:
    """A 38-year-old cyclist with an open right femur fracture and a tourniquet, to the MTC."""
    return Case(
        name="38-year-old cyclist, open femur fracture, tourniquet",
        opened={"callsign": "A-217", "vehicle": "DA22 TRM", "crew": [crew]},
        steps=(
            ("incident.recorded", {
                "incident_number": "ECA-2611-0903",
                "category": 1,
                "dispatch_complaint": "RTC cyclist vs lorry, heavy bleeding from the leg",
                "address": "Colchester Road roundabout, Ardleigh",
                "call_received": "+0", "mobile": "+1", "on_scene": "+9",
                "patient_contact": "+9",
            }),
            ("patient.recorded", {
                "given_name": "Priya", "family_name": "Sharma", "date_of_birth": "1988-09-21",
                "sex": "female",
            }),
            ("trauma.mechanism", {
                "mechanism": "rtc", "rtc_type": "cyclist", "speed_mph": 30,
                "occurred_at": "+0",
                "details": "Cyclist struck by a turning lorry, right leg under the wheel",
            }),
            ("haemorrhage.controlled", {
                "method": "tourniquet", "region": "right-leg", "applied_at": "+10",
                "applied_by": crew, "effective": True,
                "note": "High on the right thigh; bleeding stopped, distal pulse absent",
            }),
            ("history.recorded", {
                "presenting_complaint": "Open injury of the right thigh with heavy bleeding",
                "mechanism_of_injury": "Cyclist struck by a lorry at about 30 mph",
                "trauma": True, "no_known_allergies": True, "consent": "given",
            }),
            ("injury.marked", {
                "view": "front", "region": "right-leg", "x": 0.42, "y": 0.62,
                "type": "deformity", "severity": "severe",
                "note": "Open femur fracture, bone visible", "marked_at": "+11",
                "marked_by": crew,
            }),
            ("injury.marked", {
                "view": "front", "region": "right-leg", "x": 0.43, "y": 0.57,
                "type": "laceration", "severity": "severe",
                "note": "10 cm wound, arterial bleeding before the tourniquet",
                "marked_at": "+11", "marked_by": crew,
            }),
            ("injury.marked", {
                "view": "back", "region": "left-arm", "x": 0.7, "y": 0.4, "type": "abrasion",
                "severity": "minor", "marked_at": "+12", "marked_by": crew,
            }),
            ("observation.recorded", {
                "taken_at": "+13", "respiratory_rate": 24, "spo2": 96, "oxygen": False,
                "systolic_bp": 98, "diastolic_bp": 62, "pulse": 124, "acvpu": "A",
                "gcs_eye": 4, "gcs_verbal": 5, "gcs_motor": 6, "temperature_c": 36.1,
                "pain_score": 10,
            }),
            ("medication.administered", {
                "drug": "tranexamic acid", "dose": 1000, "unit": "mg", "route": "IV",
                "given_at": "+15", "given_by": crew,
            }),
            ("immobilisation.applied", {
                "device": "splint", "region": "right-leg", "applied_at": "+17",
                "applied_by": crew,
            }),
            ("trauma.triage", {
                "positive_criteria": ["crushed-degloved-or-mangled-limb", "high-energy-rtc"],
                "mtc_pre_alert": True, "destination": "major-trauma-centre",
                "decided_at": "+18", "decided_by": crew,
            }),
            ("impression.recorded", {
                "working_impression": "Open right femoral fracture, arterial haemorrhage "
                "controlled by tourniquet",
                "category": "trauma", "trauma": True,
            }),
            ("disposition.recorded", {
                "outcome": "conveyed", "hospital": "Major trauma centre", "pre_alert": True,
                "pre_alert_category": "trauma", "eta": "+45",
                "requirements": "Trauma team, major haemorrhage protocol, orthopaedics",
            }),
            ("incident.recorded", {"left_scene": "+22"}),
        ),
    )
