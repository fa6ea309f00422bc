"""Build a handover from a folded record: ATMIST(ER) for trauma, SBAR otherwise.

ATMIST: Age and sex, Time of incident, Mechanism, Injuries, Signs, Treatment, then ETA
and Requirements (ATMISTER). SBAR: Situation, Background, Assessment, Recommendation.
Source: the project's clinical reference (clinical.md, "ATMIST"). Every field is text;
missing data reads "not recorded".
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from carechain.handover._care import destination, flags, injuries, treatment
from carechain.handover._maternity import (
    apgar,
    births,
    blood_loss,
    labour,
    mother_link,
    newborn,
    pregnancy,
)
from carechain.handover._model import NOT_RECORDED, Handover
from carechain.handover._read import mapping, section, strings, text
from carechain.handover._signs import signs
from carechain.handover._support import arrest
from carechain.handover._trauma import has_trauma, injury_time, mechanism, triage
from carechain.handover._words import age_sex, clock_and_relative, say


def is_trauma(state: Mapping[str, Any]) -> bool:
    """Tell whether the record is trauma (impression, history flag, a mechanism, a triage
    decision or a marked injury)."""
    impression = section(state, "impression")
    history = section(state, "history")
    return (
        impression.get("category") == "trauma"
        or impression.get("trauma") is True
        or history.get("trauma") is True
        or text(history.get("mechanism_of_injury")) is not None
        or has_trauma(state)
    )


def _join(parts: list[str | None]) -> str:
    # A narrative's own full stop would read ".;" before the next part.
    found = [p.rstrip(".") for p in parts if p]
    return "; ".join(found) if found else NOT_RECORDED


def _who(state: Mapping[str, Any], now: datetime) -> str | None:
    """Return age and sex, with the pregnancy in full when it is recorded ('29 F, pregnant
    32+0 weeks, G2 P1') and 'newborn' for a baby's record."""
    who = age_sex(section(state, "patient"), now)
    pregnant = pregnancy(state)
    if pregnant and who:
        who = who.removesuffix(", pregnant")
    return ", ".join(p for p in (who, newborn(state, now), pregnant) if p) or None


def _atmist(state: Mapping[str, Any], now: datetime) -> dict[str, str]:
    # The time of injury when the mechanism records it, else the call.
    when = clock_and_relative(injury_time(state), now) or clock_and_relative(
        section(state, "incident").get("call_received"), now
    )
    return {
        "age_sex": _who(state, now) or NOT_RECORDED,
        "time_of_incident": when or NOT_RECORDED,
        "mechanism": mechanism(state) or NOT_RECORDED,
        "injuries": injuries(state) or NOT_RECORDED,
        "signs": _join([arrest(state, now), signs(state, now), blood_loss(state),
                        labour(state, now), births(state, now), apgar(state)]),
        "treatment": treatment(state, now) or NOT_RECORDED,
        "eta_requirements": _join([triage(state), destination(state, now)]),
    }


def _allergies(history: Mapping[str, Any]) -> str:
    listed = []
    allergies = history.get("allergies")
    for entry in allergies if isinstance(allergies, list) else []:
        allergy = mapping(entry)
        substance = text(allergy.get("substance"))
        if substance:
            about = [w for w in (text(allergy.get("reaction")), text(allergy.get("severity"))) if w]
            listed.append(substance + (f" ({', '.join(about)})" if about else ""))
    if listed:
        return "allergies: " + ", ".join(listed)
    if history.get("no_known_allergies") is True:
        return "allergies: NKDA"
    return "allergies: not recorded"


def _situation(state: Mapping[str, Any], now: datetime) -> str:
    impression = section(state, "impression")
    complaint = text(section(state, "history").get("presenting_complaint"))
    working = text(impression.get("working_impression")) or say(impression.get("category"))
    return _join(
        [
            arrest(state, now),
            _who(state, now),
            f"presenting complaint: {complaint}" if complaint else None,
            f"working impression: {working}" if working else None,
            births(state, now),
        ]
    )


def _background(state: Mapping[str, Any], now: datetime) -> str:
    history = section(state, "history")
    hpc = text(history.get("history_of_presenting_complaint"))
    pmh = strings(history.get("past_medical_history"))
    meds = strings(history.get("medications"))
    safeguarding = mapping(history.get("safeguarding"))
    capacity = mapping(history.get("capacity"))
    called = clock_and_relative(section(state, "incident").get("call_received"), now)
    parts: list[str | None] = [
        mother_link(state),
        hpc,
        "PMH: " + ", ".join(pmh) if pmh else None,
        "medications: " + ", ".join(meds) if meds else None,
        _allergies(history),
        "safeguarding concerns: " + (text(safeguarding.get("details")) or "yes")
        if safeguarding.get("concerns") is True
        else None,
        "lacks capacity: " + (text(capacity.get("assessment")) or "assessed")
        if capacity.get("has_capacity") is False
        else None,
        f"call received {called}" if called else None,
    ]
    return _join(parts)


def _primary_survey(state: Mapping[str, Any]) -> str | None:
    letters = {
        "airway": "A",
        "breathing": "B",
        "circulation": "C",
        "disability": "D",
        "exposure": "E",
    }
    survey = section(state, "primary_survey")
    found = []
    for name, letter in letters.items():
        finding = mapping(survey.get(name))
        status = text(finding.get("status"))
        if status in (None, "normal", "patent", "not-assessed"):
            continue
        notes = text(finding.get("notes"))
        found.append(f"{letter} {say(status)}" + (f" ({notes})" if notes else ""))
    return "primary survey: " + ", ".join(found) if found else None


def _assessment(state: Mapping[str, Any], now: datetime) -> str:
    found_flags = flags(state)
    given = treatment(state, now)
    return _join(
        [
            signs(state, now),
            apgar(state),
            blood_loss(state),
            labour(state, now),
            _primary_survey(state),
            ", ".join(found_flags) if found_flags else None,
            f"treatment: {given}" if given else None,
        ]
    )


def _sbar(state: Mapping[str, Any], now: datetime) -> dict[str, str]:
    return {
        "situation": _situation(state, now),
        "background": _background(state, now),
        "assessment": _assessment(state, now),
        "recommendation": destination(state, now) or NOT_RECORDED,
    }


def build_handover(state: Mapping[str, Any], *, now: datetime) -> Handover:
    """Return the handover of a folded record: ATMIST for trauma, else SBAR.

    Times are shown in `now`'s time zone, relative times measured from `now`, which must
    be timezone-aware. Anything missing reads "not recorded"; nothing in `state` raises.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    state = mapping(state)
    record_id = text(state.get("record_id"))
    if is_trauma(state):
        return Handover("ATMIST", _atmist(state, now), record_id, now)
    return Handover("SBAR", _sbar(state, now), record_id, now)
