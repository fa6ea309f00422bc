"""The headline NEWS2 as a page shows it: the score and band, each parameter's value with
its age, and when the NEWS2 was last complete (issue 10 items 1 and 6).

The record's state says what each parameter's latest value within the scoring window is
and when it was taken (`scores.news2.parameters`, `window_minutes`, `stale`,
`last_complete_at`); the state never reads the clock, so the ages ("RR 26, 12 min ago")
are worked out here against the node's time now. A state without those keys (an older
fold) still renders: the parameters' scores, without values or ages.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any

from carechain.clinical.news2 import PARAMETER_LABELS, PARAMETERS
from carechain.web.shared.clock import parse_time

__all__ = ["SHORT_LABELS", "ago", "news2_view"]

# The chart's abbreviations, as a crew says them at handover.
SHORT_LABELS = {
    "resp_rate": "RR",
    "spo2": "SpO₂",
    "air_or_oxygen": "Air/O₂",
    "systolic": "Sys BP",
    "pulse": "Pulse",
    "consciousness": "ACVPU",
    "temperature": "Temp",
}
_SHOWN = {True: "O₂", False: "air", "air": "air", "oxygen": "O₂"}


def ago(value: object, now: datetime) -> str | None:
    """Return how long before `now` an ISO time was: 'just now', '12 min ago', '1 h 5 min
    ago', or 'in 3 min' for a time ahead of the clock; None for no time."""
    moment = parse_time(value)
    if moment is None:
        return None
    seconds = (now - moment).total_seconds()
    minutes = int(abs(seconds) // 60)
    if minutes == 0:
        return "just now"
    hours, minutes = divmod(minutes, 60)
    span = f"{hours} h {minutes} min" if hours and minutes else f"{hours} h" if hours \
        else f"{minutes} min"
    return f"{span} ago" if seconds > 0 else f"in {span}"


def _value(name: str, value: Any) -> str:
    if name == "air_or_oxygen":
        return _SHOWN.get(value, str(value))
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _clock(value: object, zone: tzinfo) -> str | None:
    moment = parse_time(value)
    return None if moment is None else moment.astimezone(zone).strftime("%H:%M")


def news2_view(news2: Mapping[str, Any] | None, now: datetime | None = None, *,
               zone: tzinfo = UTC, zone_name: str = "UTC") -> dict[str, Any] | None:
    """Return NEWS2 with one row per chart parameter: its label, score, and (when the state
    gives them) its value, time and age, and whether it is too old to score. Clock times
    are in `zone` (the crew app reads UTC, the hospital UK time: `zone_name` "")."""
    if not news2:
        return None
    now = now or datetime.now(UTC)
    parts = news2.get("components", {})
    values = news2.get("parameters") or {}
    stale = set(news2.get("stale") or ())
    rows = []
    for p in PARAMETERS:
        found = values.get(p) if isinstance(values, Mapping) else None
        taken = found.get("taken_at") if isinstance(found, Mapping) else None
        rows.append({
            "name": p,
            "label": PARAMETER_LABELS[p],
            "short": SHORT_LABELS[p],
            "score": parts.get(p),
            "value": _value(p, found["value"]) if isinstance(found, Mapping)
            and found.get("value") is not None else None,
            "taken_at": taken,
            "age": ago(taken, now),
            "stale": p in stale,
        })
    complete_known = "last_complete_at" in news2
    last_complete = news2.get("last_complete_at")
    return {
        **news2,
        "rows": rows,
        "has_values": any(r["value"] is not None for r in rows),
        "complete_known": complete_known,
        "last_complete_time": _clock(last_complete, zone),
        "zone_name": zone_name,
        "last_complete_age": ago(last_complete, now),
        "age": ago(news2.get("taken_at"), now),
    }
