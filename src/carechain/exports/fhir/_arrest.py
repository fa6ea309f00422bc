"""The cardiac arrest: the Utstein core as one Observation, CPR and each shock as Procedures
(each shock's energy an Observation of its own), rhythm checks, ROSC, re-arrest and the
ending (termination or ROLE, with every criterion met) as Observations.

Everything is read from the record's own arrest summary (`state["arrest"]`,
`carechain.records.arrest`), so the document says what the crew's screen said. Drugs
given in the arrest are the record's MedicationAdministrations and its airways the
airway Procedures; the section's narrative names them in the timeline.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from carechain.exports.fhir import _codes as c
from carechain.exports.fhir._common import Resource, coding, concept, quantity
from carechain.exports.fhir._context import Context
from carechain.exports.fhir._make import (
    clock,
    items,
    made_by_kind,
    observation,
    procedure,
    section,
    words,
)

__all__ = ["arrest_resources"]

# Utstein core data element (carechain.records.arrest.UTSTEIN_CORE) -> how it reads.
UTSTEIN_LABELS = {
    "location": "Location of arrest",
    "witnessed": "Witnessed",
    "aetiology": "Presumed aetiology",
    "bystander_cpr": "Bystander CPR",
    "public_aed_applied": "Public-access AED applied",
    "resuscitation_attempted": "Resuscitation attempted",
    "first_rhythm": "First monitored rhythm",
    "arrest_at": "Time of arrest",
    "call_at": "Time of call",
    "first_cpr_at": "Time of first CPR",
    "first_shock_at": "Time of first shock",
    "rosc": "Any ROSC",
}
# Circumstances the record holds beyond the Utstein core.
_MORE = {
    "bystander_cpr_at": "Time bystander CPR started",
    "public_aed_shocked": "Public-access AED shocked",
    "dnacpr_seen": "DNACPR form seen",
    "respect_seen": "ReSPECT form seen",
}
_EVENTS = {
    "cpr-started": "CPR started",
    "rhythm-check": "Rhythm check",
    "rosc": "Return of spontaneous circulation (ROSC)",
    "re-arrest": "Re-arrest",
    "resuscitation-stopped": "Resuscitation stopped (termination of resuscitation)",
    "life-extinct": "Recognition of life extinct (ROLE)",
}
_ENDINGS = ("resuscitation-stopped", "life-extinct")
_OUTCOME = {"rosc": "ROSC", "ongoing": "Resuscitation ongoing",
            "resuscitation-stopped": "Resuscitation stopped", "life-extinct": "Life extinct"}


def _is_time(value: object) -> bool:
    return isinstance(value, str) and len(value) > 18 and value[4] == "-" and "T" in value


def _said(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return clock(value) if _is_time(value) else words(value)


def _component(label: str, value: Any) -> Resource:
    out: Resource = {"code": concept(text=label)}
    if isinstance(value, bool):
        out["valueBoolean"] = value
    elif _is_time(value):
        out["valueDateTime"] = value
    else:
        out["valueCodeableConcept"] = concept(text=words(value))
    return out


def _utstein(ctx: Context, summary: Mapping[str, Any]) -> Resource:
    arrest = section(ctx, "arrest")
    core = summary.get("utstein") or {}
    parts = [_component(label, core[name]) for name, label in UTSTEIN_LABELS.items()
             if core.get(name) is not None]
    parts += [_component(label, arrest[name]) for name, label in _MORE.items()
              if arrest.get(name) is not None]
    notes = []
    if summary.get("utstein_missing"):
        notes.append("Utstein core items not recorded: "
                     + ", ".join(UTSTEIN_LABELS[n] for n in summary["utstein_missing"]))
    if arrest.get("notes"):
        notes.append(str(arrest["notes"]))
    timeline = summary.get("timeline") or []
    at = arrest.get("arrest_at") or (timeline[0].get("at") if timeline else None)
    resource = observation(
        ctx, "arrest", concept(text="Out-of-hospital cardiac arrest (Utstein core data)"),
        at=at, valueCodeableConcept=concept(text=_OUTCOME.get(str(summary.get("outcome")),
                                                                "Resuscitation ongoing")),
        component=parts, note=[{"text": n} for n in notes])
    return made_by_kind(ctx, "arrest.recorded", resource)


def _cpr(ctx: Context, tap: Mapping[str, Any], taps: list[Mapping[str, Any]]) -> Resource:
    start = str(tap["at"])
    ends = [str(t["at"]) for t in taps if t.get("event") in ("rosc", *_ENDINGS)
            and str(t["at"]) >= start]
    period = {"start": start, **({"end": min(ends)} if ends else {})}
    code, display = c.PROCEDURES["cpr"]
    return procedure(ctx, f"arrest:{tap['entry']}",
                     concept(coding(c.SNOMED, str(code), display), text="CPR"),
                     at=None, by=tap.get("by"), performedPeriod=period)


def _shock(ctx: Context, tap: Mapping[str, Any], n: int, total: int) -> list[Resource]:
    rhythm = tap.get("rhythm")
    shock = procedure(
        ctx, f"arrest:{tap['entry']}", concept(text="Defibrillation"),
        at=tap["at"], by=tap.get("by"),
        reasonCode=[concept(text=words(rhythm))] if rhythm else None,
        note=[{"text": f"Shock {n} of {total}: {tap['energy_j']:g} J"}])
    energy = observation(
        ctx, f"arrest:{tap['entry']}:energy", concept(text="Defibrillation energy"),
        at=tap["at"], by=tap.get("by"), category="procedure",
        valueQuantity=quantity(tap["energy_j"], "joule", "J"),
        partOf=[ctx.reference("Procedure", shock["id"])])
    return [shock, energy]


def _event(ctx: Context, tap: Mapping[str, Any]) -> Resource:
    event = str(tap["event"])
    fields: dict[str, Any] = {}
    if tap.get("rhythm"):
        fields["valueCodeableConcept"] = concept(text=words(tap["rhythm"]))
    elif event == "rosc":
        fields["valueBoolean"] = True
    if event in _ENDINGS:
        fields["valueCodeableConcept"] = concept(text=_EVENTS[event])
        fields["component"] = [{"code": concept(text="Criterion met"),
                                "valueCodeableConcept": concept(text=words(x))}
                               for x in tap.get("criteria") or []]
        fields["note"] = [{"text": f"Decision by {tap.get('decision_by')}"}]
    if tap.get("notes"):
        fields.setdefault("note", []).append({"text": str(tap["notes"])})
    out = observation(ctx, f"arrest:{tap['entry']}", concept(text=_EVENTS[event]),
                      at=tap["at"], by=tap.get("by"), **fields)
    if event in _ENDINGS and tap.get("decision_by"):
        out["performer"].append(ctx.practitioner(str(tap["decision_by"])))
    return out


def _line(row: Mapping[str, Any], shocks: dict[str, int]) -> str:
    event, at = str(row.get("event")), clock(row.get("at"))
    if event == "shock":
        said = f"shock {shocks[str(row['entry'])]}: {row.get('energy_j', 0):g} J"
        return f"{at} {said}" + (f" ({words(row['rhythm'])})" if row.get("rhythm") else "")
    if event == "drug":
        return f"{at} {row.get('drug')} {row.get('dose', 0):g} {row.get('unit')} " \
               f"{row.get('route')}"
    if event == "airway":
        ok = "" if row.get("successful") is not False else " (unsuccessful)"
        return f"{at} airway: {words(row.get('device'))}{ok}"
    said = _EVENTS.get(event, words(event))
    if row.get("rhythm"):
        said += f": {words(row['rhythm'])}"
    if row.get("criteria"):
        said += " — criteria: " + ", ".join(words(x) for x in row["criteria"])
        said += f"; decision by {row.get('decision_by')}"
    return f"{at} {said}"


def arrest_resources(ctx: Context) -> list[Resource]:
    """Return the arrest's resources (none without an arrest), and say its timeline."""
    summary = ctx.state.get("arrest")
    if not isinstance(summary, Mapping):
        return []
    out = [_utstein(ctx, summary)]
    taps = sorted(items(ctx, "arrest_events"), key=lambda t: str(t.get("at")))
    shocks = [t for t in taps if t.get("event") == "shock"]
    numbers = {str(t["entry"]): i for i, t in enumerate(shocks, 1)}
    for tap in taps:
        event = tap.get("event")
        if event == "cpr-started":
            made = [_cpr(ctx, tap, taps)]
        elif event == "shock":
            made = _shock(ctx, tap, numbers[str(tap["entry"])], len(shocks))
        else:
            made = [_event(ctx, tap)]
        out += [ctx.made(str(tap["entry"]), r) for r in made]
    core = summary.get("utstein") or {}
    ctx.say("arrest", "Utstein: " + "; ".join(
        f"{label}: {_said(core[n])}" for n, label in UTSTEIN_LABELS.items()
        if core.get(n) is not None))
    if summary.get("utstein_missing"):
        ctx.say("arrest", "Not recorded: " + ", ".join(
            UTSTEIN_LABELS[n] for n in summary["utstein_missing"]))
    for row in summary.get("timeline") or []:
        ctx.say("arrest", _line(row, numbers))
    ctx.say("arrest", f"Outcome: {_OUTCOME.get(str(summary.get('outcome')), 'ongoing')}; "
                      f"{len(shocks)} shock{'s' if len(shocks) != 1 else ''}")
    return out
