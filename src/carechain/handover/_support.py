"""Handover wording for structured airway, breathing and vascular-access entries."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from carechain.handover._read import items, number, text, time
from carechain.handover._words import clock, quantity

_DEVICE = {
    "opa": "OPA",
    "npa": "NPA",
    "igel": "i-gel",
    "lma": "LMA",
    "ett": "ETT",
    "surgical": "surgical airway",
}
_METHOD = {
    "bag-valve-mask": "BVM ventilation",
    "bag-valve-device": "bag ventilation via airway",
    "ventilator": "mechanical ventilation",
    "cpap": "CPAP",
}
_EARLIEST = datetime.min.replace(tzinfo=UTC)


def _attempts(item: Mapping[str, Any]) -> list[str]:
    attempts = number(item.get("attempts"))
    notes = [f"{quantity(attempts)} attempts"] if attempts is not None and attempts > 1 else []
    if item.get("successful") is False:
        notes.append("unsuccessful")
    return notes


def _airway(item: Mapping[str, Any], now: datetime) -> str | None:
    device = _DEVICE.get(str(item.get("device")))
    if device is None:
        return None
    size = quantity(item.get("size"))
    out = device + (f" size {size}" if size else "")
    notes = _attempts(item)
    confirmation = text(item.get("confirmation"))
    if confirmation:
        notes.append("confirmed by " + confirmation.replace("-", " "))
    etco2, unit = quantity(item.get("etco2")), text(item.get("etco2_unit"))
    if etco2 and unit:
        notes.append(f"EtCO2 {etco2} {unit}")
    when = clock(item.get("performed_at"), now)
    return out + (", " + ", ".join(notes) if notes else "") + (f" {when}" if when else "")


def _breathing(item: Mapping[str, Any], now: datetime) -> str | None:
    method = _METHOD.get(str(item.get("method")))
    if method is None:
        return None
    settings = [
        f"{label} {quantity(item.get(key))}{unit}"
        for key, label, unit in (
            ("rate", "rate", "/min"),
            ("tidal_volume_ml", "VT", " ml"),
            ("peep_cmh2o", "PEEP", " cmH2O"),
            ("oxygen_l_min", "O2", " L/min"),
        )
        if item.get(key) is not None
    ]
    when = clock(item.get("started_at"), now)
    out = method + (f" ({', '.join(settings)})" if settings else "")
    return out + (f" {when}" if when else "")


def _access(item: Mapping[str, Any], now: datetime) -> str | None:
    route = text(item.get("route"))
    if route not in ("IV", "IO"):
        return None
    gauge = quantity(item.get("gauge"))
    site = text(item.get("site"))
    out = route + (f" {gauge}G" if gauge else "") + (f" {site}" if site else "")
    notes = _attempts(item)
    when = clock(item.get("performed_at"), now)
    return out + (", " + ", ".join(notes) if notes else "") + (f" {when}" if when else "")


def support(state: Mapping[str, Any], now: datetime) -> list[tuple[datetime, str]]:
    """Return airway, breathing and access lines, each with the time it was done."""
    out: list[tuple[datetime, str]] = []
    for name, say_it, key in (
        ("airways", _airway, "performed_at"),
        ("breathing", _breathing, "started_at"),
        ("vascular_access", _access, "performed_at"),
    ):
        for item in items(state, name):
            line = say_it(item, now)
            if line:
                out.append((time(item.get(key)) or _EARLIEST, line))
    return out


_WITNESSED = {
    "unwitnessed": "unwitnessed",
    "bystander": "witnessed by bystander",
    "ambulance-crew": "witnessed by ambulance crew",
}
_RHYTHM = {
    "vf": "VF",
    "pvt": "pulseless VT",
    "pea": "PEA",
    "asystole": "asystole",
    "aed-shockable": "AED shockable",
    "aed-non-shockable": "AED non-shockable",
}
_OUTCOME = {
    "ongoing": "resuscitation ongoing",
    "resuscitation-stopped": "resuscitation stopped",
    "life-extinct": "life extinct",
}


def arrest(state: Mapping[str, Any], now: datetime) -> str | None:
    """Return the cardiac arrest in one line: circumstances, shocks, ROSC or the ending."""
    summary = state.get("arrest")
    if not isinstance(summary, Mapping):
        return None
    core = summary.get("utstein")
    core = core if isinstance(core, Mapping) else {}
    when = clock(core.get("arrest_at"), now)
    head = "cardiac arrest" + (f" {when}" if when else "")
    parts = [head + (f" ({_WITNESSED[w]})" if (w := core.get("witnessed")) in _WITNESSED else "")]
    if core.get("bystander_cpr") is True:
        parts.append("bystander CPR")
    elif core.get("bystander_cpr") is False:
        parts.append("no bystander CPR")
    if core.get("public_aed_applied") is True:
        parts.append("public-access AED applied")
    if core.get("first_rhythm") in _RHYTHM:
        parts.append("first rhythm " + _RHYTHM[str(core["first_rhythm"])])
    shocks = number(summary.get("shocks"))
    if shocks:
        parts.append(f"{quantity(shocks)} shock{'s' if shocks > 1 else ''}")
    rosc = clock(summary.get("rosc_at"), now)
    outcome = summary.get("outcome")
    if rosc:
        parts.append(f"ROSC {rosc}")
    if outcome != "rosc":
        ended = [t for t in _timeline(summary) if t.get("event") == outcome]
        at = clock(ended[-1].get("at"), now) if ended else None
        words = _OUTCOME.get(str(outcome), "resuscitation ongoing")
        if rosc and outcome == "ongoing":
            words = "re-arrested, resuscitation ongoing"
        parts.append(words + (f" {at}" if at else ""))
    return ", ".join(parts)


def _timeline(summary: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found = summary.get("timeline")
    return [t for t in found if isinstance(t, Mapping)] if isinstance(found, list) else []
