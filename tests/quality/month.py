"""A generated month of records whose quality indicators are known, for the tests.

November 2026: five STEMIs, five strokes, six cardiac arrests, a fall, a STEMI in October
(another month) and a record with no call time (in no month). Each case says what it is
meant to show; `EXPECTED` is worked out by hand from the definitions in
docs/clinical-audit.md, not by running the code.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from carechain.demo.cases import Case

__all__ = [
    "CREW", "EXPECTED", "IN_MONTH", "MONTH", "STROKE_MINUTES", "Generated", "generated_month",
]

MONTH = "2026-11"
CREW = "P100234"

Step = tuple[str, dict[str, Any]]


class Generated:
    """One generated record: its case, when its call came, and its label in the tests."""

    def __init__(self, label: str, base: datetime, steps: list[Step]) -> None:
        self.label = label
        self.base = base
        self.case = Case(name=label, opened={"callsign": "A412", "crew": [CREW]},
                         steps=tuple(steps))

    def moved(self, base: datetime) -> Generated:
        """Return the same record with its call at `base`."""
        self.base = base
        return self

    def entries(self) -> list[Step]:
        """Return the record's entries with its times resolved."""
        return self.case.at(self.base, now=datetime(2026, 12, 1, tzinfo=UTC))


def _incident(*, hospital: int | None = 50, call: bool = True) -> Step:
    times: dict[str, Any] = {"mobile": "+1", "on_scene": "+8", "patient_contact": "+9",
                             "left_scene": "+30"}
    if call:
        times["call_received"] = "+0"
    if hospital is not None:
        times["at_hospital"] = f"+{hospital}"
    return ("incident.recorded", {"category": 2, **times})


PATIENT: Step = ("patient.recorded", {"date_of_birth": "1958-03-02", "sex": "male",
                                      "unknown_patient": False, "family_name": "Example"})


def _impression(category: str) -> Step:
    return ("impression.recorded", {"category": category})


def _obs(minute: int, **values: Any) -> Step:
    return ("observation.recorded", {"taken_at": f"+{minute}", **values})


def _med(minute: int, drug: str, dose: float, unit: str, route: str) -> Step:
    return ("medication.administered", {"drug": drug, "dose": dose, "unit": unit,
                                        "route": route, "given_at": f"+{minute}",
                                        "given_by": CREW})


def _conveyed() -> Step:
    return ("disposition.recorded", {"outcome": "conveyed", "hospital": "Example Hospital"})


ASPIRIN = _med(12, "aspirin", 300, "mg", "PO")
GTN = _med(13, "glyceryl trinitrate", 400, "mcg", "SL")
MORPHINE = _med(15, "morphine", 5, "mg", "IV")


def _stemi(label: str, day: int, *care: Step) -> Generated:
    return Generated(label, datetime(2026, 11, day, 9, 0, tzinfo=UTC),
                     [_incident(), PATIENT, _impression("stemi"), *care, _conveyed()])


def _stroke(label: str, day: int, *care: Step, hospital: int | None = 50,
            conveyed: bool = True) -> Generated:
    out = [_incident(hospital=hospital if conveyed else None), PATIENT,
           _impression("stroke"), *care]
    if conveyed:
        out.append(_conveyed())
    else:
        out.append(("disposition.recorded", {"outcome": "not-conveyed",
                                             "safety_netting": "Call back if worse",
                                             "decision_by": CREW}))
    return Generated(label, datetime(2026, 11, day, 14, 0, tzinfo=UTC), out)


FAST = ("survey.secondary", {"befast": {"face": True, "arm": True, "speech": False}})
SUGAR = _obs(12, blood_glucose_mmol_l=6.1)
PRESSURE = _obs(11, systolic_bp=168, diastolic_bp=92)


def _tap(event: str, minute: int, **more: Any) -> Step:
    return ("arrest.event", {"event": event, "at": f"+{minute}", "by": CREW, **more})


def _arrest(label: str, day: int, *, witnessed: str, rhythm: str, taps: list[Step],
            conveyed: bool = True, attempted: bool = True) -> Generated:
    out = [_incident(hospital=40 if conveyed else None), PATIENT,
           _impression("cardiac-arrest"),
           ("arrest.recorded", {"witnessed": witnessed, "first_rhythm": rhythm,
                                "resuscitation_attempted": attempted, "location": "home"}),
           *taps]
    if conveyed:
        out.append(_conveyed())
    return Generated(label, datetime(2026, 11, day, 20, 0, tzinfo=UTC), out)


def generated_month() -> list[Generated]:
    """Return the month's records (and the two that are not in it)."""
    return [
        # STEMI: the whole bundle; pain 8 before morphine, 3 after.
        _stemi("stemi-complete", 2, _obs(10, pain_score=8), ASPIRIN, GTN, MORPHINE,
               _obs(25, pain_score=3)),
        # STEMI: one pain score only.
        _stemi("stemi-one-pain-score", 3, _obs(10, pain_score=7), ASPIRIN, GTN, MORPHINE),
        # STEMI: two pain scores, both before the analgesia.
        _stemi("stemi-no-score-after-analgesia", 4, _obs(10, pain_score=7),
               _obs(14, pain_score=7), ASPIRIN, GTN, MORPHINE),
        # STEMI: aspirin and two scores, but no GTN and no analgesia.
        _stemi("stemi-no-gtn-no-analgesia", 5, _obs(10, pain_score=4), ASPIRIN,
               _obs(20, pain_score=4)),
        # STEMI: the bundle, drugs written by their other names and in capitals.
        _stemi("stemi-drug-aliases", 6, _obs(10, pain_score=9),
               _med(12, "Aspirin", 300, "mg", "PO"), _med(13, "GTN", 400, "mcg", "SL"),
               _med(15, "Morphine Sulfate", 5, "mg", "IV"), _obs(25, pain_score=2)),
        # Stroke: the bundle, 50 minutes call to hospital.
        _stroke("stroke-complete", 7, FAST, SUGAR, PRESSURE),
        # Stroke: speech not assessed; 70 minutes.
        _stroke("stroke-fast-incomplete", 8,
                ("survey.secondary", {"befast": {"face": True, "arm": True}}), SUGAR, PRESSURE,
                hospital=70),
        # Stroke: no blood glucose; arrival at hospital not recorded.
        _stroke("stroke-no-glucose-no-arrival", 9, FAST, PRESSURE, hospital=None),
        # Stroke: the bundle, not conveyed (in the bundle, not in the time).
        _stroke("stroke-not-conveyed", 10, FAST, SUGAR, PRESSURE, conveyed=False),
        # Stroke: the bundle, 40 minutes.
        _stroke("stroke-quick", 11, FAST, SUGAR, PRESSURE, hospital=40),
        # Arrest: witnessed VF, ROSC, conveyed: Utstein group, met.
        _arrest("arrest-utstein-rosc", 12, witnessed="bystander", rhythm="vf",
                taps=[_tap("cpr-started", 9), _tap("shock", 10, energy_j=200, rhythm="vf"),
                      _tap("rosc", 20)]),
        # Arrest: witnessed PEA, ROSC: not in the Utstein group.
        _arrest("arrest-pea-rosc", 13, witnessed="bystander", rhythm="pea",
                taps=[_tap("cpr-started", 9), _tap("rosc", 22)]),
        # Arrest: unwitnessed asystole, stopped on scene.
        _arrest("arrest-stopped", 14, witnessed="unwitnessed", rhythm="asystole",
                conveyed=False,
                taps=[_tap("cpr-started", 9),
                      _tap("resuscitation-stopped", 35, criteria=["asystole-after-20-minutes-als"],
                           decision_by=CREW)]),
        # Arrest: witnessed VF, ROSC then re-arrest before arrival: Utstein, missed.
        _arrest("arrest-utstein-rearrest", 15, witnessed="bystander", rhythm="vf",
                taps=[_tap("cpr-started", 9), _tap("shock", 10, energy_j=200, rhythm="vf"),
                      _tap("rosc", 18), _tap("re-arrest", 30)]),
        # Arrest: resuscitation not attempted (not counted).
        _arrest("arrest-not-attempted", 16, witnessed="unwitnessed", rhythm="asystole",
                attempted=False, conveyed=False, taps=[]),
        # Arrest: witnessed by the crew, VF, ROSC: all arrests only.
        _arrest("arrest-crew-witnessed", 17, witnessed="ambulance-crew", rhythm="vf",
                taps=[_tap("shock", 10, energy_j=200, rhythm="vf"), _tap("rosc", 15)]),
        # A fall: in the month, counted by no indicator.
        Generated("fall", datetime(2026, 11, 18, 8, 0, tzinfo=UTC),
                  [_incident(), PATIENT, _impression("fall"), _conveyed()]),
        # A STEMI in October: another month's.
        _stemi("stemi-october", 1, ASPIRIN, GTN, MORPHINE).moved(datetime(2026, 10, 31, 9, 0,
                                                                          tzinfo=UTC)),
        # No call time: in no month.
        Generated("undated", datetime(2026, 11, 19, 9, 0, tzinfo=UTC),
                  [_incident(call=False), PATIENT, _impression("stemi"), ASPIRIN]),
    ]


# indicator → (denominator, numerator, the labels of the records that miss)
EXPECTED: dict[str, tuple[int, int, set[str]]] = {
    "stemi-care-bundle": (5, 2, {"stemi-one-pain-score", "stemi-no-score-after-analgesia",
                                 "stemi-no-gtn-no-analgesia"}),
    "stroke-diagnostic-bundle": (5, 3, {"stroke-fast-incomplete",
                                        "stroke-no-glucose-no-arrival"}),
    "stroke-call-to-hospital": (4, 3, {"stroke-no-glucose-no-arrival"}),
    "rosc-at-hospital": (5, 3, {"arrest-stopped", "arrest-utstein-rearrest"}),
    "rosc-at-hospital-utstein": (2, 1, {"arrest-utstein-rearrest"}),
}
IN_MONTH = 17  # every record but the October STEMI and the undated one
STROKE_MINUTES = (50.0, 70.0, 40.0)  # mean 53.3, 90th centile (nearest rank of 3) 70
