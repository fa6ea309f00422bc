"""The headline NEWS2 as a page shows it: the score and band, each parameter's value with
its age, and when the NEWS2 was last complete (issue 10 items 1 and 6).

The record's state says what each parameter's latest value within the scoring window is
and when it was taken (`scores.news2.parameters`, `window_minutes`, `stale`,
`last_complete_at`); the state never reads the clock, so the ages ("RR 26, 12 min ago")
are worked out here against the node's time now. A state without those keys (an older
fold) still renders: the parameters' scores, without values or ages.

A child under 16 has the National PEWS (`scores.pews`) instead: `headline_view` returns
whichever score the record has for the patient, in the same shape, named by `score_name`,
so every page that shows NEWS2 shows a child's PEWS in its place.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any

from carechain.clinical.news2 import PARAMETER_LABELS, PARAMETERS
from carechain.web.shared.clock import parse_time

__all__ = ["SHORT_LABELS", "ago", "headline_view", "news2_view", "pews_view"]

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
# The National PEWS chart's rows: the seven it adds up, then AVPU and temperature, which it
# records beside them without adding (label, abbreviation).
PEWS_ROWS: dict[str, tuple[str, str]] = {
    "resp_rate": ("respiratory rate", "RR"),
    "respiratory_distress": ("respiratory distress", "Resp distress"),
    "spo2": ("SpO2", "SpO₂"),
    "oxygen": ("oxygen support", "O₂"),
    "pulse": ("heart rate", "HR"),
    "systolic": ("systolic BP", "Sys BP"),
    "capillary_refill": ("capillary refill", "CRT"),
    "consciousness": ("AVPU (not added: a trigger)", "AVPU"),
    "temperature": ("temperature (not added)", "Temp"),
}
_UNITS = {"capillary_refill": " s", "temperature": " °C"}


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
    return _view(news2, rows, "NEWS2", now, zone, zone_name)


def _view(score: Mapping[str, Any], rows: list[dict[str, Any]], name: str, now: datetime,
          zone: tzinfo, zone_name: str) -> dict[str, Any]:
    """Return a headline score with its rows, times and ages, named `name`."""
    complete_known = "last_complete_at" in score
    last_complete = score.get("last_complete_at")
    return {
        **score,
        "score_name": name,
        "rows": rows,
        "has_values": any(r["value"] is not None for r in rows),
        "complete_known": complete_known,
        "last_complete_time": _clock(last_complete, zone),
        "zone_name": zone_name,
        "last_complete_age": ago(last_complete, now),
        "age": ago(score.get("taken_at"), now),
    }


def pews_view(pews: Mapping[str, Any] | None, now: datetime | None = None, *,
              zone: tzinfo = UTC, zone_name: str = "UTC") -> dict[str, Any] | None:
    """Return a child's PEWS in `news2_view`'s shape, with the chart's expected range for
    each value at the child's age and whether it is outside it (scored above 0)."""
    if not pews:
        return None
    now = now or datetime.now(UTC)
    parts = pews.get("components", {})
    values = pews.get("parameters") or {}
    stale = set(pews.get("stale") or ())
    rows = []
    for name, (label, short) in PEWS_ROWS.items():
        found = values.get(name) if isinstance(values, Mapping) else None
        found = found if isinstance(found, Mapping) else {}
        taken = found.get("taken_at")
        value = found.get("value")
        unscored = name in ("consciousness", "temperature")  # recorded, never added
        rows.append({
            "name": name,
            "label": label,
            "short": short,
            "score": parts.get(name),
            "unscored": unscored,
            "value": None if value is None else f"{_value(name, value)}{_UNITS.get(name, '')}",
            "expected": found.get("expected"),
            "outside": bool(parts.get(name)) and found.get("expected") is not None,
            "taken_at": taken,
            "age": ago(taken, now),
            "stale": name in stale,
        })
    return _view(pews, rows, "PEWS", now, zone, zone_name)


def headline_view(scores: Mapping[str, Any] | None, now: datetime | None = None, *,
                  zone: tzinfo = UTC, zone_name: str = "UTC") -> dict[str, Any] | None:
    """Return the record's headline score: a child's PEWS, else NEWS2, else None."""
    scores = scores or {}
    if scores.get("pews"):
        return pews_view(scores["pews"], now, zone=zone, zone_name=zone_name)
    return news2_view(scores.get("news2"), now, zone=zone, zone_name=zone_name)
