"""Vital signs for the live charts of the hospital's patient page and the crew's record
page: monitor readings (`vitals.frame` and `vitals.chunk` stream entries, and readings
not yet written in a chunk) and observation sets as one time
series, the NEWS2 trend (a child's PEWS), and the live stream of new points read from the
log after a cursor. Both apps draw them with `static/vitals.js` from `templates/_vitals.html`."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from typing import Any

from carechain.errors import CarechainError
from carechain.node import Node
from carechain.operations.readings import readings_of
from carechain.store import Stored
from carechain.web.shared.clock import display_zone, parse_time

__all__ = [
    "CHARTS",
    "MAX_POINTS",
    "Chart",
    "Update",
    "chart_view",
    "chunk_points",
    "frame_point",
    "news2_points",
    "observation_point",
    "points_of",
    "read_update",
    "reading_key",
    "text_alternative",
]

# At one frame a second this is the last hour of monitoring; older frames stay in the record.
MAX_POINTS = 3600
RECENT_ROWS = 8


@dataclass(frozen=True)
class Chart:
    """One chart: its id, name, unit, and the point keys it draws (a line each)."""

    id: str
    name: str
    unit: str
    keys: tuple[tuple[str, str], ...]  # (point key, series label)


CHARTS: tuple[Chart, ...] = (
    Chart("hr", "Heart rate", "/min", (("hr", "Heart rate"),)),
    Chart("spo2", "SpO₂", "%", (("spo2", "SpO₂"),)),
    Chart("rr", "Respiratory rate", "/min", (("rr", "Respiratory rate"),)),
    Chart("bp", "Blood pressure", "mmHg", (("sys", "Systolic"), ("dia", "Diastolic"))),
    Chart("news2", "NEWS2", "", (("news2", "NEWS2"),)),
)

_FRAME = {"heart_rate": "hr", "spo2": "spo2", "respiratory_rate": "rr",
          "systolic_bp": "sys", "diastolic_bp": "dia"}
_OBSERVATION = {"pulse": "hr", "spo2": "spo2", "respiratory_rate": "rr",
                "systolic_bp": "sys", "diastolic_bp": "dia"}


def _point(data: dict[str, Any], time_key: str, names: dict[str, str], source: str,
           entry: str) -> dict[str, Any] | None:
    moment = parse_time(data.get(time_key))
    if moment is None:
        return None
    point: dict[str, Any] = {"t": moment.isoformat(), "source": source, "entry": entry}
    for name, key in names.items():
        value = data.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            point[key] = value
    return point if len(point) > 3 else None


def frame_point(data: dict[str, Any], entry: str) -> dict[str, Any] | None:
    """Return a chart point from a `vitals.frame` body's data, or from one reading of a
    `vitals.chunk` (then `entry` names the chunk and the reading's place in it)."""
    return _point(data, "at", _FRAME, "monitor", entry)


def reading_key(source: object, at: object) -> str:
    """Return the point key of a reading held or written in a chunk: the same before and
    after its chunk is written, so the chart draws it once."""
    return f"reading:{source or ''}@{at}"


def chunk_points(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the chart points of a `vitals.chunk` body's readings."""
    found = []
    for reading in data.get("readings") or []:
        if isinstance(reading, dict):
            point = frame_point(reading, reading_key(data.get("source"), reading.get("at")))
            if point is not None:
                found.append(point)
    return found


def observation_point(data: dict[str, Any], entry: str) -> dict[str, Any] | None:
    """Return a chart point from an `observation.recorded` item (pulse is the heart rate)."""
    return _point(data, "taken_at", _OBSERVATION, "observation", entry)


def news2_points(state: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the headline score's trend as chart points: a child's PEWS, else NEWS2."""
    scores = state.get("scores", {})
    pews = scores.get("pews")
    trend = pews.get("trend") if pews else (scores.get("news2_trend") or {}).get("points")
    out = []
    for p in trend or []:
        moment = parse_time(p.get("at"))
        if moment is not None and isinstance(p.get("aggregate"), int):
            out.append({"t": moment.isoformat(), "source": "observation", "news2": p["aggregate"],
                        "band": p.get("band"), "complete": p.get("complete"),
                        "entry": f"news2:{p['at']}"})
    return out


def points_of(state: dict[str, Any]) -> list[dict[str, Any]]:
    """Return every vital-sign point of a record in time order (the last MAX_POINTS)."""
    items = state.get("items", {})
    found: list[dict[str, Any]] = []
    for frame in items.get("vitals", []):
        key = str(frame.get("entry", "")) if "reading" not in frame \
            else reading_key(frame.get("source"), frame.get("at"))  # a chunk's reading
        point = frame_point(frame, key)
        if point is not None:
            found.append(point)
    for obs in items.get("observations", []):
        point = observation_point(obs, str(obs.get("entry", "")))
        if point is not None:
            found.append(point)
    found.sort(key=lambda p: (p["t"], p["entry"]))
    return found[-MAX_POINTS:]


def _clock(value: object, zone: tzinfo) -> str | None:
    moment = parse_time(value)
    return None if moment is None else moment.astimezone(zone).strftime("%H:%M:%S")


def text_alternative(chart: Chart, points: Iterable[dict[str, Any]],
                     zone: tzinfo = UTC) -> dict[str, Any]:
    """Return a chart's latest value, when it was taken (clock time in `zone`), and a few
    recent rows."""
    keys = [k for k, _ in chart.keys]
    rows = [p for p in points if any(k in p for k in keys)]
    rows.sort(key=lambda p: p["t"])

    def show(p: dict[str, Any]) -> str:
        if chart.id == "bp":
            return f"{p.get('sys', '–')}/{p.get('dia', '–')}"
        return str(p[keys[0]])

    latest = rows[-1] if rows else None
    return {
        "latest": None if latest is None else show(latest),
        "latest_time": None if latest is None else _clock(latest["t"], zone),
        "latest_source": None if latest is None else latest["source"],
        "recent": [{"time": _clock(p["t"], zone), "value": show(p),
                    "source": p["source"]} for p in reversed(rows[-RECENT_ROWS:])],
    }


def chart_view(state: dict[str, Any], *, uk_time: bool) -> dict[str, Any]:
    """Return the charts (with their text alternatives) and the JSON the page script draws.

    The hospital reads clocks in UK time; the crew app shows every time in UTC.
    """
    zone: tzinfo = display_zone() if uk_time else UTC
    points = points_of(state)
    news2 = news2_points(state)
    charts = []
    child = bool(state.get("scores", {}).get("pews"))
    for chart in CHARTS:
        if chart.id == "news2" and child:  # a child's headline score is PEWS
            chart = dataclasses.replace(chart, name="PEWS", keys=(("news2", "PEWS"),))
        source = news2 if chart.id == "news2" else points
        charts.append({"id": chart.id, "name": chart.name, "unit": chart.unit,
                       "series": [{"key": k, "label": label} for k, label in chart.keys],
                       **text_alternative(chart, source, zone)})
    return {
        "charts": charts,
        "zone": "Europe/London" if uk_time else "UTC",
        "chart_data": {"points": points, "news2": news2,
                       "charts": [{"id": c["id"], "name": c["name"], "unit": c["unit"],
                                   "series": c["series"]} for c in charts]},
    }


@dataclass
class Update:
    """What the live stream sends after reading the log past a cursor."""

    cursor: int
    points: list[dict[str, Any]] = field(default_factory=list)
    news2: list[dict[str, Any]] | None = None
    changed: bool = False

    def to_json(self) -> dict[str, Any]:
        """Return the event's data."""
        return {"seq": self.cursor, "points": self.points, "news2": self.news2,
                "changed": self.changed}

    @property
    def empty(self) -> bool:
        """Tell whether there is nothing to send."""
        return not self.points and self.news2 is None and not self.changed


def read_update(node: Node, record: bytes, after: int, *, limit: int = 1000) -> Update:
    """Return the record's new points from the log entries after `after` (any record's)."""
    update = Update(after)
    pages: list[Stored] = node.store.since(after, limit)
    observed = False
    for stored in pages:
        update.cursor = max(update.cursor, stored.seq)
        header = stored.entry.header
        if header.record != record or header.cls not in ("clinical", "stream"):
            continue
        try:
            body = node.body(stored.entry)
        except CarechainError:
            continue
        if body is None:
            continue
        kind, data = body.get("kind"), body.get("data")
        if not isinstance(data, dict):
            continue
        point = None
        if kind == "vitals.frame":
            point = frame_point(data, stored.entry.hex)
        elif kind == "vitals.chunk":
            update.points.extend(chunk_points(data))
        elif kind == "observation.recorded":
            point = observation_point(data, stored.entry.hex)
            observed = True
        if point is not None:
            update.points.append(point)
        if header.cls == "clinical" and kind != "observation.recorded" and not (
            kind == "receipt.recorded" and data.get("handover_accepted") is not True
        ):
            update.changed = True  # an amendment, a new section, an accepted handover
    held = readings_of(node)
    if held is not None:  # readings this node holds, not yet written in a chunk
        for reading in held.pending(record):
            point = frame_point(reading, reading_key(reading.get("source"), reading.get("at")))
            if point is not None:
                update.points.append(point)
    if observed or update.changed:
        try:
            update.news2 = news2_points(node.state(record))
        except CarechainError:
            update.news2 = None
    update.points.sort(key=lambda p: (p["t"], p["entry"]))
    return update
