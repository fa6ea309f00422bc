"""One record against the indicators: is it counted, does it meet each, and what it misses.

Pure: reads a folded record state (`carechain.records.build_state`) and nothing else. A
record is counted by the crew's working impression (`impression.category`) or, for the
cardiac-arrest indicators, by its arrest section and timeline. A counted record that
misses names every element it misses, so the console can list the records that miss and
why (docs/hazard-log.md H-060).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from carechain.clinical.formulary import term_key
from carechain.quality.definitions import ANALGESICS, ASPIRIN, GTN, SHOCKABLE

__all__ = ["Finding", "evaluate"]


@dataclass(frozen=True)
class Finding:
    """A record counted by one indicator: whether it met it, what it missed, its minutes."""

    indicator: str
    record: str
    met: bool
    missing: tuple[str, ...] = ()
    minutes: float | None = None
    note: str = ""  # what the reviewer needs beside it (the drugs recorded, …)


def _when(value: object) -> datetime | None:
    try:
        found = datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
    return found if found is not None and found.tzinfo is not None else None


def _items(state: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    found = state.get("items", {}).get(name, [])
    return [i for i in found if isinstance(i, Mapping)] if isinstance(found, list) else []


def _section(state: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    found = state.get("sections", {}).get(name, {})
    return found if isinstance(found, Mapping) else {}


def _given(meds: Iterable[Mapping[str, Any]], names: frozenset[str]) -> list[datetime]:
    """Return when each dose of a drug in `names` was given, earliest first."""
    times = [_when(m.get("given_at")) for m in meds if term_key(str(m.get("drug", ""))) in names]
    return sorted(t for t in times if t is not None)


def _drugs(meds: Iterable[Mapping[str, Any]]) -> str:
    names = sorted({str(m.get("drug", "")) for m in meds})
    return "drugs recorded: " + (", ".join(names) if names else "none")


def _conveyed(state: Mapping[str, Any]) -> bool | None:
    """Return whether the patient was conveyed: the disposition says, or, without one, an
    arrival at hospital does; None when neither is recorded."""
    outcome = _section(state, "disposition").get("outcome")
    if outcome is not None:
        return bool(outcome == "conveyed")
    return True if _section(state, "incident").get("at_hospital") else None


def _stemi(record: str, state: Mapping[str, Any]) -> Finding:
    meds = _items(state, "medications")
    missing: list[str] = []
    if not _given(meds, ASPIRIN):
        missing.append("aspirin")
    if not _given(meds, GTN):
        missing.append("GTN")
    pains = sorted(t for o in _items(state, "observations")
                   if o.get("pain_score") is not None and (t := _when(o.get("taken_at"))))
    analgesia = _given(meds, ANALGESICS)
    if len(pains) < 2:
        missing.append(f"two pain scores ({len(pains)} recorded)")
    elif analgesia and not any(t > analgesia[0] for t in pains):
        missing.append("a pain score after analgesia")
    if not analgesia:
        missing.append("analgesia")
    return Finding("stemi-care-bundle", record, not missing, tuple(missing), note=_drugs(meds))


def _stroke(record: str, state: Mapping[str, Any]) -> list[Finding]:
    missing: list[str] = []
    befast = _section(state, "secondary_survey").get("befast")
    fast = befast if isinstance(befast, Mapping) else {}
    absent = [part for part in ("face", "arm", "speech") if fast.get(part) is None]
    if absent:
        missing.append("FAST (" + ", ".join(absent) + " not recorded)")
    observations = _items(state, "observations")
    if not any(o.get("blood_glucose_mmol_l") is not None for o in observations):
        missing.append("blood glucose")
    if not any(o.get("systolic_bp") is not None for o in observations):
        missing.append("blood pressure")
    found = [Finding("stroke-diagnostic-bundle", record, not missing, tuple(missing))]
    if _conveyed(state):
        found.append(_call_to_hospital(record, state))
    return found


def _call_to_hospital(record: str, state: Mapping[str, Any]) -> Finding:
    incident = _section(state, "incident")
    call, arrived = _when(incident.get("call_received")), _when(incident.get("at_hospital"))
    absent = tuple(name for name, at in (("call_received", call), ("at_hospital", arrived))
                   if at is None)
    if call is None or arrived is None:
        return Finding("stroke-call-to-hospital", record, False,
                       tuple(f"{name} not recorded" for name in absent))
    minutes = (arrived - call).total_seconds() / 60
    return Finding("stroke-call-to-hospital", record, True, minutes=minutes)


_ENDINGS = frozenset({"resuscitation-stopped", "life-extinct"})


def _status_at(taps: list[Mapping[str, Any]], until: datetime | None) -> str:
    """Return the arrest's status (`rosc`, `ongoing` or an ending) at `until`, as the arrest
    summary reads it: the last of ROSC, re-arrest or an ending decides."""
    status = "ongoing"
    for tap in sorted(taps, key=lambda t: _when(t.get("at")) or datetime.max):
        at = _when(tap.get("at"))
        if until is not None and (at is None or at > until):
            break
        event = tap.get("event")
        if event == "rosc":
            status = "rosc"
        elif event == "re-arrest":
            status = "ongoing"
        elif event in _ENDINGS:
            status = str(event)
    return status


def _arrest(record: str, state: Mapping[str, Any]) -> list[Finding]:
    arrest = _section(state, "arrest")
    taps = _items(state, "arrest_events")
    attempted = arrest.get("resuscitation_attempted")
    if attempted is False or not (attempted or any(
            t.get("event") in ("cpr-started", "shock") for t in taps)):
        return []
    conveyed = _conveyed(state)
    arrived = _when(_section(state, "incident").get("at_hospital"))
    status = _status_at(taps, arrived)
    missing: tuple[str, ...] = ()
    if conveyed is None:
        missing = (f"conveyance not recorded ({status.replace('-', ' ')})",)
    elif not conveyed:
        missing = (f"not conveyed ({status.replace('-', ' ')})",)
    elif status != "rosc":
        missing = (f"no ROSC on arrival ({status.replace('-', ' ')})",)
    found = [Finding("rosc-at-hospital", record, not missing, missing)]
    if arrest.get("witnessed") == "bystander" and arrest.get("first_rhythm") in SHOCKABLE:
        found.append(Finding("rosc-at-hospital-utstein", record, not missing, missing))
    return found


def evaluate(state: Mapping[str, Any]) -> list[Finding]:
    """Return a finding for each indicator that counts this record."""
    record = str(state.get("record_id", ""))
    category = _section(state, "impression").get("category")
    found: list[Finding] = []
    if category == "stemi":
        found.append(_stemi(record, state))
    if category == "stroke":
        found.extend(_stroke(record, state))
    if state.get("arrest") is not None:
        found.extend(_arrest(record, state))
    return found
