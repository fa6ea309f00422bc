"""A scripted cardiac arrest: witnessed VF at home, bystander CPR, three shocks, adrenaline
and amiodarone through the IO route, an i-gel confirmed by capnography, and ROSC. Times are
`+N` minute offsets from the call, as in `carechain.demo.cases`."""

from __future__ import annotations

from typing import Any

from carechain.demo.cases import Case

__all__ = ["cardiac_arrest_rosc"]


def _tap(event: str, minute: int, crew: str, **more: Any) -> tuple[str, dict[str, Any]]:
    return ("arrest.event", {"event": event, "at": f"+{minute}", "by": crew, **more})


def cardiac_arrest_rosc(crew: str = "P100234") -> Case:
    """A 58-year-old man in VF arrest at home, witnessed, bystander CPR, ROSC after 3 shocks."""
    return Case(
        name="58-year-old, witnessed VF cardiac arrest, ROSC",
        opened={"callsign": "RRV-412", "vehicle": "DA23 XKE", "crew": [crew, "T200117"]},
        steps=(
            (
                "incident.recorded",
                {
                    "incident_number": "ECA-2611-0533",
                    "category": 1,
                    "dispatch_complaint": "Collapse, not breathing, CPR in progress",
                    "address": "3 Abbey Road, Colchester",
                    "call_received": "+0",
                    "mobile": "+1",
                    "on_scene": "+7",
                    "patient_contact": "+7",
                },
            ),
            (
                "patient.recorded",
                {
                    "given_name": "Graham",
                    "family_name": "Whitlock",
                    "date_of_birth": "1968-09-21",
                    "sex": "male",
                },
            ),
            (
                "arrest.recorded",
                {
                    "arrest_at": "+0",
                    "witnessed": "bystander",
                    "location": "home",
                    "aetiology": "medical",
                    "bystander_cpr": True,
                    "bystander_cpr_at": "+1",
                    "public_aed_applied": False,
                    "first_rhythm": "vf",
                    "resuscitation_attempted": True,
                    "dnacpr_seen": False,
                    "respect_seen": False,
                },
            ),
            _tap("cpr-started", 7, crew),
            _tap("rhythm-check", 8, crew, rhythm="vf"),
            _tap("shock", 8, crew, energy_j=150, rhythm="vf"),
            (
                "access.attempted",
                {
                    "route": "IO",
                    "site": "right proximal humerus",
                    "gauge": 15,
                    "attempts": 1,
                    "successful": True,
                    "performed_at": "+9",
                    "performed_by": "T200117",
                },
            ),
            _tap("shock", 10, crew, energy_j=200, rhythm="vf"),
            (
                "airway.managed",
                {
                    "device": "igel",
                    "size": 4,
                    "attempts": 1,
                    "successful": True,
                    "confirmation": "waveform-capnography",
                    "etco2": 3.1,
                    "etco2_unit": "kPa",
                    "performed_at": "+11",
                    "performed_by": crew,
                },
            ),
            (
                "medication.administered",
                {
                    "drug": "adrenaline",
                    "dose": 1,
                    "unit": "mg",
                    "route": "IO",
                    "given_at": "+12",
                    "given_by": crew,
                },
            ),
            _tap("shock", 12, crew, energy_j=200, rhythm="vf"),
            (
                "medication.administered",
                {
                    "drug": "amiodarone",
                    "dose": 300,
                    "unit": "mg",
                    "route": "IO",
                    "given_at": "+13",
                    "given_by": crew,
                },
            ),
            _tap("rosc", 15, crew),
            (
                "observation.recorded",
                {
                    "taken_at": "+18",
                    "respiratory_rate": 12,
                    "spo2": 95,
                    "oxygen": True,
                    "systolic_bp": 108,
                    "diastolic_bp": 66,
                    "pulse": 104,
                    "acvpu": "U",
                },
            ),
            (
                "impression.recorded",
                {
                    "working_impression": "Out-of-hospital VF cardiac arrest, ROSC after 3 shocks",
                    "category": "cardiac-arrest",
                },
            ),
            (
                "disposition.recorded",
                {
                    "outcome": "conveyed",
                    "hospital": "Essex Cardiothoracic Centre",
                    "pre_alert": True,
                    "pre_alert_category": "cardiac-arrest",
                    "eta": "+45",
                    "requirements": "Post-ROSC care, consider PPCI",
                },
            ),
        ),
    )
