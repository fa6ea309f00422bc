"""The hospital's view of the records it holds: which are addressed to it, and a short
summary of each for the incoming-patients board.

A record is **addressed** to this hospital when

- a `grant` entry written by a crew node gave this node's receiving key the record's
  content key (the crew named this hospital as the destination: a disposition with
  `hospital_node`, or an explicit address), and
- the record's disposition, if it records a destination node, still names this one (a
  crew that diverts to another hospital, or clears the destination, takes the record's
  care relationship with it; the grant cannot be taken back).

Anything else the node can read — a record a vault or another hospital shared with it, a
diverted patient — gives an ED clinician no care relationship: opening it is
break-glass. The summaries are kept per app and rebuilt only for records whose clinical
entries changed, so monitor frames arriving every second cost nothing here.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from carechain.errors import CarechainError
from carechain.handover import LABELS, build_handover
from carechain.node import Node
from carechain.node.audit import audit_record
from carechain.operations.prealert import ecgs_of
from carechain.trust import DIRECTORY_RECORD
from carechain.web.shared.clock import display_zone, iso_time, local_time, parse_time

__all__ = [
    "CATEGORY_LABELS",
    "INCOMING_WINDOW",
    "Board",
    "Patient",
    "age_sex",
    "display_zone",
    "iso_time",
    "local_time",
    "parse_time",
]

# A record whose last entry is older than this leaves the incoming board unaccepted (the
# patient went elsewhere, or the crew never closed it); it can still be opened by id.
INCOMING_WINDOW = timedelta(hours=24)

# The pre-alert categories of `disposition.recorded`, as the board shows them.
CATEGORY_LABELS: dict[str, str] = {
    "stemi": "STEMI",
    "stroke": "Stroke",
    "trauma": "Trauma",
    "sepsis": "Sepsis",
    "cardiac-arrest": "Cardiac arrest",
    "other": "Pre-alert",
}

BAND_LABELS: dict[str, str] = {
    "low": "Low", "low-medium": "Low–medium", "medium": "Medium", "high": "High",
    "none": "No escalation", "emergency": "Emergency",  # National PEWS levels
}

_SEX = {"male": "M", "female": "F", "other": "other sex", "unknown": "sex unknown"}


def _relative(moment: datetime, now: datetime) -> str:
    """Return 'in 12 min', '1 h 5 min ago' or 'now' (whole minutes, as the handover says it)."""
    seconds = (moment - now).total_seconds()
    hours, minutes = divmod(int(abs(seconds) // 60), 60)
    if not hours and not minutes:
        return "now"
    span = f"{minutes} min" if not hours else f"{hours} h" if not minutes \
        else f"{hours} h {minutes} min"
    return f"in {span}" if seconds > 0 else f"{span} ago"


def age_sex(patient: dict[str, Any], now: datetime) -> str:
    """Return '67 M', 'about 40 F', or what is known of age and sex."""
    years: str | None = None
    born = patient.get("date_of_birth")
    if isinstance(born, str):
        try:
            dob = datetime.fromisoformat(born).date()
        except ValueError:
            dob = None
        if dob is not None:
            today = now.astimezone(display_zone()).date()
            years = str(today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day)))
    elif isinstance(patient.get("estimated_age_years"), int):
        years = f"about {patient['estimated_age_years']}"
    sex = _SEX.get(str(patient.get("sex")))
    if years is None and sex is None:
        return "age and sex not recorded"
    return " ".join(p for p in (years or "age not recorded", sex or "sex not recorded"))


def pre_alert_ecg(record: str, state: dict[str, Any]) -> dict[str, Any] | None:
    """Return the 12-lead the pre-alert names (its link, lead count and the device's own
    statements) and how many 12-leads were recorded after it, or None if it names none
    and the record has none (H-135, H-136)."""
    disposition = state.get("sections", {}).get("disposition", {})
    ecgs = ecgs_of(state)
    if disposition.get("pre_alert") is not True or not ecgs:
        return None
    named = disposition.get("pre_alert_ecg")
    index = next((i for i, e in enumerate(ecgs) if e.get("attachment") == named), None)
    if index is None:  # a pre-alert sent before any 12-lead was attached
        return {"named": False, "url": None, "later": len(ecgs)}
    ecg = ecgs[index]
    return {"named": True, "later": index,
            "url": f"/hospital/records/{record}/ecgs/{ecg['attachment']}",
            "leads": len(ecg.get("leads", [])),
            "interpretation": list(ecg.get("interpretation", [])),
            "device_time": ecg.get("device_time"),
            "taken_time": local_time(ecg.get("taken_at"))}


@dataclass
class Patient:
    """What the board keeps of one readable record: whether it is addressed here, and its
    state without the history and monitor streams."""

    record: bytes
    addressed: bool
    state: dict[str, Any]
    last_ms: int

    @property
    def hex(self) -> str:
        """Return the record id in hex."""
        return self.record.hex()

    def accepted(self) -> dict[str, Any] | None:
        """Return the first receipt that accepted the handover, or None."""
        receipts = self.state.get("items", {}).get("receipts", [])
        found = [r for r in receipts if r.get("handover_accepted") is True]
        if not found:
            return None
        first: dict[str, Any] = min(found, key=lambda r: str(r.get("received_at", "")))
        return first

    def eta(self) -> datetime | None:
        """Return the crew's ETA, or None."""
        return parse_time(self.state.get("sections", {}).get("disposition", {}).get("eta"))

    def summary(self, now: datetime) -> dict[str, Any]:
        """Return the board's JSON view of this patient at `now`."""
        sections = self.state.get("sections", {})
        disposition = sections.get("disposition", {})
        impression = sections.get("impression", {})
        record = sections.get("record", {})
        pre_alert = disposition.get("pre_alert") is True
        category = disposition.get("pre_alert_category") if pre_alert else None
        eta = self.eta()
        scores = self.state.get("scores", {})
        # A child's PEWS in place of NEWS2 (not validated under 16).
        news2 = scores.get("pews") or scores.get("news2")
        handover = build_handover(self.state, now=now.astimezone(display_zone()))
        accepted = self.accepted()
        return {
            "record_id": self.hex,
            "url": f"/hospital/records/{self.hex}",
            "callsign": record.get("callsign") or "no callsign",
            "vehicle": record.get("vehicle"),
            "age_sex": age_sex(sections.get("patient", {}), now),
            "pre_alert": pre_alert,
            "category": category,
            "category_label": CATEGORY_LABELS.get(str(category), "Pre-alert") if pre_alert
            else "No pre-alert",
            "impression": impression.get("working_impression"),
            "ecg": pre_alert_ecg(self.hex, self.state),
            "eta": None if eta is None else eta.isoformat(),
            "eta_time": None if eta is None else local_time(eta.isoformat()),
            "eta_relative": None if eta is None else _relative(eta, now),
            "requirements": disposition.get("requirements"),
            "destination": disposition.get("hospital"),
            "news2": None if not news2 else {
                "score_name": "PEWS" if scores.get("pews") else "NEWS2",
                "aggregate": news2.get("aggregate"),
                "band": news2.get("band"),
                "band_label": BAND_LABELS.get(str(news2.get("band")), str(news2.get("band"))),
                "complete": news2.get("complete"),
                "taken_time": local_time(news2.get("taken_at")),
            },
            "handover": {
                "format": handover.format,
                "text": handover.to_text(),
                "fields": [{"name": k, "label": LABELS.get(k, k), "value": v}
                           for k, v in handover.fields.items()],
            },
            "handed_over": None if accepted is None else {
                "by": accepted.get("accepted_by"),
                "node": accepted.get("node"),
                "at": accepted.get("received_at"),
                "at_time": local_time(accepted.get("received_at")),
            },
            "last_update": iso_time(self.last_ms),
        }


@dataclass
class Board:
    """Summaries of the records this node can read, brought up to date from the log."""

    cursor: int = 0
    patients: dict[bytes, Patient | None] = field(default_factory=dict)
    _crew_grants: set[bytes] = field(default_factory=set)
    _last_ms: dict[bytes, int] = field(default_factory=dict)
    _dirty: set[bytes] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def refresh(self, node: Node) -> None:
        """Read the log past the cursor; rebuild the records whose clinical entries changed."""
        with self._lock:
            skip = {DIRECTORY_RECORD, audit_record(node)}
            mine = node.keys.box_key_id
            while True:
                page = node.store.since(self.cursor, 1000)
                if not page:
                    break
                for stored in page:
                    header = stored.entry.header
                    self.cursor = max(self.cursor, stored.seq)
                    if header.record in skip or header.cls in ("directory", "audit"):
                        continue
                    self._last_ms[header.record] = max(self._last_ms.get(header.record, 0),
                                                       header.hlc.ms)
                    if header.cls == "stream":
                        continue  # frames change no summary, only the last-activity time
                    if header.cls == "grant" and mine in header.recipients:
                        certs = node.directory.certs.get(header.author) or []
                        if any(c.role == "crew" for c in certs):
                            self._crew_grants.add(header.record)
                    self._dirty.add(header.record)
            for record in sorted(self._dirty):
                self.patients[record] = self._build(node, record)
            self._dirty.clear()
            for record, patient in self.patients.items():
                if patient is not None:
                    patient.last_ms = self._last_ms.get(record, patient.last_ms)

    def _build(self, node: Node, record: bytes) -> Patient | None:
        try:
            state = node.state(record)
        except CarechainError:
            return None  # not granted to this node: nothing here is readable
        items = {k: v for k, v in state.get("items", {}).items() if k not in ("vitals", "ecg")}
        trimmed = {**{k: v for k, v in state.items() if k != "history"}, "items": items}
        disposition = state.get("sections", {}).get("disposition", {})
        # No destination recorded (addressed some other way) counts; a destination cleared
        # or changed to another node is a diversion.
        named = disposition.get("hospital_node", node.info.name)
        addressed = record in self._crew_grants and named == node.info.name
        return Patient(record, addressed, trimmed, self._last_ms.get(record, 0))

    def patient(self, node: Node, record: bytes) -> Patient | None:
        """Return the summary of one record, or None if this node cannot read it."""
        self.refresh(node)
        return self.patients.get(record)

    def addressed(self, node: Node) -> list[Patient]:
        """Return every readable record addressed to this hospital."""
        self.refresh(node)
        return [p for p in self.patients.values() if p is not None and p.addressed]

    def view(self, node: Node, now: datetime) -> dict[str, Any]:
        """Return the board: incoming (by ETA, soonest first; no ETA last) and handed over
        today (most recent first)."""
        today = now.astimezone(display_zone()).date()
        since_ms = int((now - INCOMING_WINDOW).timestamp() * 1000)
        incoming: list[tuple[tuple[int, float, str], dict[str, Any]]] = []
        handed: list[tuple[str, dict[str, Any]]] = []
        for patient in self.addressed(node):
            accepted = patient.accepted()
            if accepted is None:
                if patient.last_ms < since_ms:
                    continue
                eta = patient.eta()
                key = (1, 0.0, patient.hex) if eta is None else (0, eta.timestamp(), patient.hex)
                incoming.append((key, patient.summary(now)))
                continue
            at = parse_time(accepted.get("received_at"))
            if at is not None and at.astimezone(display_zone()).date() == today:
                handed.append((at.isoformat(), patient.summary(now)))
        incoming.sort(key=lambda pair: pair[0])
        handed.sort(key=lambda pair: pair[0], reverse=True)
        return {
            "node": node.info.name,
            "generated_at": now.isoformat(timespec="seconds"),
            "incoming": [s for _, s in incoming],
            "handed_over": [s for _, s in handed],
        }
