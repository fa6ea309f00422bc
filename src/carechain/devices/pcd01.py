"""IHE PCD-01 (HL7 v2.6 `ORU^R01`) from a monitor: parsed, its containment tree built, and
its metrics mapped to `vitals.frame` data through the mapping table.

A message is refused whole or taken whole: `Refused("AR", …)` when it cannot be processed
at all (not HL7, not `ORU^R01`, no MSH), `Refused("AE", …)` when it is HL7 but its content
is wrong for carechain (a known code in a unit the table does not accept, a value that is
not a number or is outside the frame's range, nothing carechain stores). Either way nothing
from it is stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import hl7

from carechain.devices.mapping import DeviceMap
from carechain.errors import CarechainError
from carechain.records.kinds import SHORT_TEXT_MAX, validate_body

__all__ = ["Node11073", "Refused", "Report", "parse_report"]

_VERSIONS = ("2.6", "2.7", "2.7.1", "2.8")


class Refused(Exception):
    """A message carechain answers with `AR` or `AE`, storing nothing from it."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass
class Node11073:
    """One OBX in the containment tree (MDS → VMD → channel → metric), keyed by OBX-4."""

    path: tuple[int, ...]
    mdc: int | None
    segment: Any
    children: list[Node11073] = field(default_factory=list)


@dataclass
class Report:
    """What a message says: its control id, the monitor, and one frame per OBR group."""

    control_id: str
    sending_app: str
    sending_facility: str
    monitor: str
    frames: list[dict[str, Any]]
    unknown: list[str]


def _f(segment: Any, n: int) -> str:
    """Return field `n` of a segment as text ('' when absent)."""
    return str(segment[n]) if n < len(segment) else ""


def _parts(value: str) -> list[str]:
    return value.split("^")


def parse_time(value: str, default_zone: timezone = UTC) -> datetime | None:
    """Return an HL7 DTM (YYYY[MM[DD[HH[MM[SS[.S]]]]]][+/-ZZZZ]) as an aware datetime."""
    value = value.strip()
    zone = default_zone
    for sign in "+-":
        if sign in value[4:]:
            head, _, offset = value.rpartition(sign)
            if len(offset) != 4 or not offset.isdigit():
                return None
            minutes = int(offset[:2]) * 60 + int(offset[2:])
            zone = timezone(timedelta(minutes=minutes if sign == "+" else -minutes))
            value = head
    value = value.split(".")[0]
    if len(value) < 12 or not value.isdigit():
        return None
    try:
        return datetime.strptime(value[:14].ljust(14, "0"), "%Y%m%d%H%M%S").replace(tzinfo=zone)
    except ValueError:
        return None


def _path(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in text.split(".")) if text else ()
    except ValueError:
        raise Refused("AE", f"OBX-4 {text!r} is not a dotted containment id") from None


def containment(obx: list[Any]) -> list[Node11073]:
    """Build the tree from OBX-4: a device OBX ends in zeros below its level; a metric (or a
    flattened OBX with no OBX-4) hangs under the deepest device above it."""
    roots: list[Node11073] = []
    devices: dict[tuple[int, ...], Node11073] = {}
    for seg in obx:
        code = _parts(_f(seg, 3))[0]
        node = Node11073(_path(_f(seg, 4)), int(code) if code.isdigit() else None, seg)
        level = node.path
        while level and level[-1] == 0:
            level = level[:-1]
        parent = None
        for depth in range(len(level) - 1, 0, -1):
            parent = devices.get(level[:depth])
            if parent is not None:
                break
        (parent.children if parent else roots).append(node)
        if node.path and node.path[-1] == 0:
            devices[level] = node
    return roots


_Leaf = tuple[Node11073, dict[str, str]]


def _walk(nodes: list[Node11073], inherited: dict[str, str]) -> list[_Leaf]:
    """Return the metrics under `nodes`, each with the time and equipment id it inherits."""
    out: list[_Leaf] = []
    for node in nodes:
        here = dict(inherited)
        for key, n in (("time", 14), ("equipment", 18)):
            if _f(node.segment, n):
                here[key] = _f(node.segment, n)
        if node.children:
            out.extend(_walk(node.children, here))
        elif _f(node.segment, 5):
            out.append((node, here))
    return out


def _value(table: DeviceMap, seg: Any, mdc: int) -> tuple[str, float]:
    metric = table.metrics[mdc]
    units = _parts(_f(seg, 6))
    codes = {units[i] for i in (0, 3) if i < len(units) and units[i]}
    factor = next((metric.units[c] for c in codes if c in metric.units), None)
    if factor is None:
        raise Refused("AE", f"{metric.name or mdc}: unit {_f(seg, 6)!r} is not one the "
                      "mapping table accepts")
    try:
        number = float(_f(seg, 5))
    except ValueError:
        raise Refused("AE", f"{metric.name or mdc}: value {_f(seg, 5)!r} is not a number") \
            from None
    return metric.field, number * factor


def _frame(table: DeviceMap, group: list[Any], fallback: str, monitor: str,
           unknown: list[str]) -> dict[str, Any] | None:
    chosen: dict[str, tuple[int, float]] = {}
    times: list[datetime] = []
    for node, context in _walk(containment(group), {"time": fallback}):
        mdc = node.mdc
        if mdc is None or (mdc not in table.metrics and mdc not in table.ignored):
            unknown.append(_f(node.segment, 3))
            continue
        if mdc in table.ignored:
            continue
        name, number = _value(table, node.segment, mdc)
        rank = table.rank(mdc)
        if name not in chosen or rank < chosen[name][0]:
            chosen[name] = (rank, number)
        at = parse_time(context["time"])
        if at is not None:
            times.append(at)
    if not chosen:
        return None
    decimal = {"etco2_kpa"}
    data: dict[str, Any] = {
        name: round(v, 2) if name in decimal else round(v) for name, (_, v) in chosen.items()
    }
    data["at"] = max(times or [datetime.now(UTC)]).isoformat()
    data["source"] = monitor[:SHORT_TEXT_MAX]
    try:
        return validate_body("vitals.frame", data)
    except CarechainError as exc:
        raise Refused("AE", f"out of range: {exc}") from None


def parse_report(payload: bytes, table: DeviceMap) -> Report:
    """Parse one MLLP payload into frames, or raise `Refused`."""
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        text = payload.decode("latin-1")
    text = text.replace("\r\n", "\r").replace("\n", "\r").strip("\r")
    if not text.startswith("MSH"):
        raise Refused("AR", "not an HL7 v2 message (no MSH segment)")
    try:
        msg = hl7.parse(text)
        msh = msg.segment("MSH")
    except Exception:  # the library raises several kinds on malformed input
        raise Refused("AR", "the message could not be parsed as HL7 v2") from None
    control = _f(msh, 10)
    kind = _parts(_f(msh, 9))
    if kind[:2] != ["ORU", "R01"]:
        raise Refused("AR", f"message type {_f(msh, 9)!r} is not ORU^R01")
    if _f(msh, 12) not in _VERSIONS:
        raise Refused("AR", f"HL7 version {_f(msh, 12)!r} is not 2.6 or later")
    app, facility = _f(msh, 3), _f(msh, 4)
    segments = [s for s in msg if str(s[0]) in ("OBR", "OBX")]
    mds = next((s for s in segments if str(s[0]) == "OBX" and _f(s, 18)), None)
    monitor = _f(mds, 18) if mds is not None and _f(mds, 4).endswith(".0.0.0") else app
    if not monitor:
        raise Refused("AR", "MSH-3 names no sending device")
    groups: list[tuple[str, list[Any]]] = []
    for seg in segments:
        if str(seg[0]) == "OBR":
            groups.append((_f(seg, 7) or _f(msh, 7), []))
        elif groups:
            groups[-1][1].append(seg)
        else:
            raise Refused("AE", "an OBX comes before any OBR")
    unknown: list[str] = []
    frames = [f for when, group in groups
              if (f := _frame(table, group, when, monitor, unknown)) is not None]
    if not frames:
        raise Refused("AE", "no observation in the message is one carechain maps"
                      + (f" (unknown: {', '.join(unknown)})" if unknown else ""))
    return Report(control, app, facility, monitor, frames, unknown)
