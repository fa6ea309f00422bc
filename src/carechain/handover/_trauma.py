"""The trauma parts of an ATMIST handover: mechanism, marked injuries, tourniquets and
other haemorrhage control, immobilisation, and the major-trauma triage decision."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from carechain.handover._read import items, section, strings, text, time
from carechain.handover._words import clock, clock_and_relative, quantity, say

_EARLIEST = datetime.min.replace(tzinfo=UTC)
_WORST_FIRST = {"severe": 0, "moderate": 1, "minor": 2}


def has_trauma(state: Mapping[str, Any]) -> bool:
    """Tell whether the record holds a mechanism, a triage decision or a marked injury."""
    return bool(
        section(state, "mechanism").get("mechanism")
        or section(state, "trauma_triage")
        or items(state, "injuries")
    )


def mechanism(state: Mapping[str, Any]) -> str | None:
    """Return the mechanism: 'RTC, motorcyclist, 40 mph, ejected, trapped; <history's>'."""
    found = section(state, "mechanism")
    kind = text(found.get("mechanism"))
    words: list[str] = []
    if kind == "rtc":
        words.append("RTC")
        words += [w for w in (say(found.get("rtc_type")),) if w]
        speed = quantity(found.get("speed_mph"))
        if speed:
            words.append(f"{speed} mph")
        words += [name for name in ("ejected", "trapped") if found.get(name) is True]
    elif kind == "fall":
        height = quantity(found.get("height_m"))
        words.append(f"fall from {height} m" if height else "fall")
    elif kind is not None:
        words.append(say(kind) or kind)
    weapon = text(found.get("weapon"))
    if weapon:
        words.append(f"weapon: {weapon}")
    line = ", ".join(words)
    parts = [p for p in (line, text(found.get("details"))) if p]
    history = text(section(state, "history").get("mechanism_of_injury"))
    if history and history not in parts:
        parts.append(history)
    return "; ".join(p.rstrip(".") for p in parts) or None


def injury_marks(state: Mapping[str, Any]) -> list[str]:
    """Return the marked injuries, worst first: 'severe deformity right leg (front)'."""
    marked = []
    for i, mark in enumerate(items(state, "injuries")):
        kind = say(mark.get("type"))
        region = say(mark.get("region"))
        if kind is None or region is None:
            continue
        severity = text(mark.get("severity"))
        words = " ".join(w for w in (severity, kind, region) if w)
        view = text(mark.get("view"))
        note = text(mark.get("note"))
        line = words + (f" ({view})" if view else "") + (f": {note}" if note else "")
        marked.append((_WORST_FIRST.get(severity or "", 3), i, line))
    return [line for _, _, line in sorted(marked)]


def tourniquets(state: Mapping[str, Any], now: datetime) -> list[str]:
    """Return each tourniquet with the time it went on: 'TOURNIQUET left leg on 14:31 (…)'."""
    out = []
    for item in items(state, "haemorrhage_control"):
        if item.get("method") != "tourniquet":
            continue
        when = clock_and_relative(item.get("applied_at"), now) or "time not recorded"
        region = say(item.get("region")) or "limb"
        out.append(f"TOURNIQUET {region} on {when}")
    return out


def trauma_care(state: Mapping[str, Any], now: datetime) -> list[tuple[datetime, str]]:
    """Return the other haemorrhage control and the immobilisation, each with its time."""
    out: list[tuple[datetime, str]] = []
    for item in items(state, "haemorrhage_control"):
        if item.get("method") == "tourniquet":
            continue
        line = f"{say(item.get('method'))} {say(item.get('region'))}"
        if item.get("effective") is False:
            line += ", not effective"
        out.append(_timed(item, line, now))
    for item in items(state, "immobilisation"):
        region = say(item.get("region"))
        line = (say(item.get("device")) or "immobilisation") + (f" {region}" if region else "")
        out.append(_timed(item, line, now))
    return out


def _timed(item: Mapping[str, Any], line: str, now: datetime) -> tuple[datetime, str]:
    when = clock(item.get("applied_at"), now)
    return (time(item.get("applied_at")) or _EARLIEST, line + (f" {when}" if when else ""))


def triage(state: Mapping[str, Any]) -> str | None:
    """Return the major-trauma triage decision and destination, if recorded."""
    found = section(state, "trauma_triage")
    if not found:
        return None
    criteria = [say(c) or c for c in strings(found.get("positive_criteria"))]
    if found.get("mtc_pre_alert") is True:
        line = "MTC pre-alert"
    elif criteria:
        line = "major-trauma triage positive"
    elif found.get("positive_criteria") == []:
        line = "major-trauma triage negative"
    else:
        line = "major-trauma triage"
    if criteria:
        line += f" (criteria: {', '.join(criteria)})"
    where = text(found.get("destination_name")) or say(found.get("destination"))
    if where:
        line += f"; destination {where}"
    reason = text(found.get("bypass_reason"))
    if reason:
        line += f" (not the MTC: {reason})"
    return line


def injury_time(state: Mapping[str, Any]) -> object:
    """Return the time of injury when the mechanism records it, else None."""
    return section(state, "mechanism").get("occurred_at")
