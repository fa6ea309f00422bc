"""The cardiac-arrest summary of a folded record: the timeline and the Utstein core data.

Computed from the record's own entries (never the wall clock), like the decision support,
so every node shows the same summary. The timeline joins the `arrest.event` taps with the
drugs (`medication.administered`) and airways (`airway.managed`) given from the arrest
on, in time order, ties in recording order. The Utstein core lists the out-of-hospital
core data elements the record can hold (Utstein resuscitation registry template, Perkins
et al. 2015) with their values, and names those still missing, so the crew can complete
them before handover. Survival to discharge is the hospital's and is not listed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from carechain.records._items import EARLIEST, items_of, when

__all__ = ["UTSTEIN_CORE", "arrest_summary"]

UTSTEIN_CORE: tuple[str, ...] = (
    "location",
    "witnessed",
    "aetiology",
    "bystander_cpr",
    "public_aed_applied",
    "resuscitation_attempted",
    "first_rhythm",
    "arrest_at",
    "call_at",
    "first_cpr_at",
    "first_shock_at",
    "rosc",
)
_SHOCKABLE = frozenset({"vf", "pvt", "aed-shockable"})
_NOT_SHOCKABLE = frozenset({"pea", "asystole", "aed-non-shockable"})
_ENDINGS = frozenset({"resuscitation-stopped", "life-extinct"})


def _timeline(state: Mapping[str, Any], start: datetime) -> list[dict[str, Any]]:
    keep = ("event", "at", "energy_j", "rhythm", "criteria", "decision_by", "entry")
    rows: list[tuple[datetime, str, dict[str, Any]]] = []

    def add(at: datetime, item: Mapping[str, Any], row: dict[str, Any]) -> None:
        # Ties in time are shown in the order they were recorded (HLC time, then entry).
        rows.append((at, f"{item.get('recorded_at', '')} {item.get('entry', '')}", row))

    for tap in items_of(state, "arrest_events"):
        add(when(tap.get("at")), tap, {k: tap[k] for k in keep if k in tap})
    for med in items_of(state, "medications"):
        at = when(med.get("given_at"))
        if at >= start:
            row = {k: med[k] for k in ("drug", "dose", "unit", "route", "entry") if k in med}
            add(at, med, {"event": "drug", "at": med.get("given_at"), **row})
    for airway in items_of(state, "airways"):
        at = when(airway.get("performed_at"))
        if at >= start:
            row = {k: airway[k] for k in ("device", "size", "successful", "entry") if k in airway}
            add(at, airway, {"event": "airway", "at": airway["performed_at"], **row})
    return [row for _, _, row in sorted(rows, key=lambda r: (r[0], r[1]))]


def _outcome(taps: list[dict[str, Any]]) -> str:
    outcome = "ongoing"
    for tap in taps:
        event = tap.get("event")
        if event == "rosc":
            outcome = "rosc"
        elif event == "re-arrest":
            outcome = "ongoing"
        elif event in _ENDINGS:
            outcome = str(event)
    return outcome


def arrest_summary(state: Mapping[str, Any]) -> dict[str, Any] | None:
    """Return the arrest's timeline, outcome and Utstein core, or None without an arrest."""
    sections = state.get("sections", {})
    arrest: Mapping[str, Any] = sections.get("arrest", {}) if isinstance(sections, dict) else {}
    taps = sorted(items_of(state, "arrest_events"), key=lambda t: when(t.get("at")))
    if not arrest and not taps:
        return None
    starts = [when(arrest.get("arrest_at"))] if arrest.get("arrest_at") else []
    starts += [when(t.get("at")) for t in taps[:1]]
    timeline = _timeline(state, min(starts) if starts else EARLIEST)
    shocks = [t for t in taps if t.get("event") == "shock"]
    cpr = [str(t["at"]) for t in taps if t.get("event") == "cpr-started"]
    if arrest.get("bystander_cpr_at"):
        cpr.append(str(arrest["bystander_cpr_at"]))
    rosc = [str(t["at"]) for t in taps if t.get("event") == "rosc"]
    outcome = _outcome([dict(t) for t in taps])
    first_shock: str | None = str(shocks[0]["at"]) if shocks else None
    if first_shock is None and arrest.get("first_rhythm") in (
        "pea",
        "asystole",
        "aed-non-shockable",
    ):
        first_shock = "not-applicable"
    incident = sections.get("incident", {}) if isinstance(sections, dict) else {}
    core: dict[str, Any] = {name: arrest.get(name) for name in UTSTEIN_CORE if name in arrest}
    core.update(
        call_at=incident.get("call_received") if isinstance(incident, Mapping) else None,
        first_cpr_at=min(cpr, key=when) if cpr else None,
        first_shock_at=first_shock,
        rosc=bool(rosc) if rosc or outcome in _ENDINGS else None,
    )
    core = {name: core.get(name) for name in UTSTEIN_CORE}
    return {
        "timeline": timeline,
        "outcome": outcome,
        "shocks": len(shocks),
        "first_shock_shockable": shocks[0].get("rhythm") in _SHOCKABLE if shocks else None,
        "rosc_at": rosc[0] if rosc else None,
        "utstein": core,
        "utstein_present": [n for n in UTSTEIN_CORE if core[n] is not None],
        "utstein_missing": [n for n in UTSTEIN_CORE if core[n] is None],
    }
