"""The clinical parts of a handover: flags, treatment, injuries, destination."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from carechain.handover._read import items, number, score, section, strings, text, time
from carechain.handover._refusal import declined
from carechain.handover._support import support
from carechain.handover._trauma import injury_marks, tourniquets, trauma_care
from carechain.handover._words import clock, clock_and_relative, quantity, say

_REGIONS = ("head", "neck", "chest", "abdomen", "pelvis", "back", "limbs", "other")
_EARLIEST = datetime.min.replace(tzinfo=UTC)


def flags(state: Mapping[str, Any]) -> list[str]:
    """Return the positive decision-support flags: STEMI, BE-FAST, sepsis, qSOFA."""
    out: list[str] = []
    stemi = score(state, "stemi")
    if stemi.get("flagged") is True:
        territory = text(stemi.get("territory"))
        out.append("STEMI flagged" + (f" ({territory})" if territory else ""))
    befast = score(state, "befast")
    if befast.get("positive") is True:
        signs_found = strings(befast.get("positive_signs"))
        out.append("BE-FAST positive" + (f" ({', '.join(signs_found)})" if signs_found else ""))
    if score(state, "sepsis").get("positive") is True:
        out.append("sepsis screen positive")
    qsofa = score(state, "qsofa")
    if qsofa.get("positive") is True:
        out.append(f"qSOFA {quantity(qsofa.get('score'))}")
    return out


def _at(item: Mapping[str, Any], key: str) -> datetime:
    return time(item.get(key)) or _EARLIEST


def _medication(med: Mapping[str, Any], now: datetime) -> str | None:
    drug = text(med.get("drug"))
    if drug is None:
        return None
    dose = quantity(med.get("dose"))
    words = [
        drug,
        dose,
        text(med.get("unit")),
        text(med.get("route")),
        clock(med.get("given_at"), now),
    ]
    return " ".join(w for w in words if w)


def _procedure(proc: Mapping[str, Any], now: datetime) -> str | None:
    name = text(proc.get("details")) if proc.get("procedure") == "other" else None
    name = name or say(proc.get("procedure"))
    if name is None:
        return None
    site = text(proc.get("site"))
    out = name + (f" ({site})" if site else "")
    attempts = number(proc.get("attempts"))
    notes = [f"{quantity(attempts)} attempts"] if attempts is not None and attempts > 1 else []
    if proc.get("successful") is False:
        notes.append("unsuccessful")
    if notes:
        out += ", " + ", ".join(notes)
    when = clock(proc.get("performed_at"), now)
    return out + (f" {when}" if when else "")


def treatment(state: Mapping[str, Any], now: datetime) -> str | None:
    """Return every tourniquet with its time first, then the rest of the care in time order:
    medications, procedures, airway, breathing, access, haemorrhage control, immobilisation.
    """
    given: list[tuple[datetime, int, str]] = []
    for i, med in enumerate(items(state, "medications")):
        line = _medication(med, now)
        if line:
            given.append((_at(med, "given_at"), i, line))
    for i, proc in enumerate(items(state, "procedures")):
        line = _procedure(proc, now)
        if line:
            given.append((_at(proc, "performed_at"), 10_000 + i, line))
    for i, (at, line) in enumerate(support(state, now)):
        given.append((at, 20_000 + i, line))
    for i, (at, line) in enumerate(trauma_care(state, now)):
        given.append((at, 30_000 + i, line))
    lines = tourniquets(state, now) + [line for _, _, line in sorted(given)]
    return "; ".join(lines) or None


def injuries(state: Mapping[str, Any]) -> str | None:
    """Return injuries found or suspected: working impression, haemorrhage, marked injuries
    (worst first), then the secondary survey's body regions."""
    parts: list[str] = []
    impression = text(section(state, "impression").get("working_impression"))
    if impression:
        parts.append(impression)
    haemorrhage = section(state, "primary_survey").get("catastrophic_haemorrhage")
    if isinstance(haemorrhage, Mapping) and haemorrhage.get("status") in (
        "controlled",
        "uncontrolled",
    ):
        notes = text(haemorrhage.get("notes"))
        parts.append(
            f"catastrophic haemorrhage {haemorrhage['status']}" + (f" ({notes})" if notes else "")
        )
    parts += injury_marks(state)
    secondary = section(state, "secondary_survey")
    for region in _REGIONS:
        finding = text(secondary.get(region))
        if finding:
            parts.append(f"{region}: {finding}")
    return "; ".join(parts) or None


def destination(state: Mapping[str, Any], now: datetime) -> str | None:
    """Return where the patient is going and what they need, or the non-conveyance plan."""
    disposition = section(state, "disposition")
    if disposition.get("outcome") == "not-conveyed":
        parts = ["not conveyed"]
        referral = say(disposition.get("referral"))
        if referral:
            parts.append(f"referral: {referral}")
        advice = text(disposition.get("safety_netting"))
        if advice:
            parts.append(f"safety-netting: {advice}")
        return "; ".join(parts + declined(state))
    parts = []
    hospital = text(disposition.get("hospital"))
    eta = clock_and_relative(disposition.get("eta"), now)
    if hospital or eta:
        parts.append(", ".join(p for p in (hospital, f"ETA {eta}" if eta else None) if p))
    elif disposition.get("outcome") == "conveyed":
        parts.append("conveying")
    if disposition.get("pre_alert") is True:
        category = say(disposition.get("pre_alert_category"))
        parts.append("pre-alert" + (f": {category}" if category else ""))
    requirements = text(disposition.get("requirements"))
    if requirements:
        parts.append(f"requirements: {requirements}")
    return "; ".join(parts + declined(state)) or None
