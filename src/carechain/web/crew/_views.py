"""What the crew pages show, computed from a node: today's jobs, the patient banner, where a
record has reached, the hub's state, NEWS2 with its parts, history rows and receipts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from carechain.errors import CarechainError
from carechain.handover import age_sex
from carechain.node import Node
from carechain.node.audit import audit_record
from carechain.node.replication import replication
from carechain.operations.access import previous_call
from carechain.records import kinds
from carechain.records.fold import AMENDMENT_KIND
from carechain.sync.loop import SyncLoop
from carechain.trust import DIRECTORY_RECORD
from carechain.web.crew._fields import Field, label_of
from carechain.web.crew._forms import local_time
from carechain.web.crew._sections import AMENDABLE, BY_KIND, SECTIONS
from carechain.web.shared.headline import news2_view

__all__ = [
    "conflict_texts",
    "conflicts",
    "history_rows",
    "hub_status",
    "jobs_today",
    "linked_records",
    "news2_view",
    "overrides",
    "patient_banner",
    "patient_name",
    "receipts",
    "record_status",
    "summarise",
]

SUMMARY_MAX = 240
# A state section's name → the page that writes it.
SLUGS = {kinds.KINDS[s.kind].section: s.slug for s in SECTIONS}


def patient_name(patient: Mapping[str, Any]) -> str:
    """Return the patient's name, or 'unknown patient'."""
    name = " ".join(str(patient[k]) for k in ("given_name", "family_name") if patient.get(k))
    return "unknown patient" if patient.get("unknown_patient") or not name else name


def _allergies(history: Mapping[str, Any]) -> str:
    listed = [
        str(a.get("substance")) + (f" ({a['reaction']})" if a.get("reaction") else "")
        for a in history.get("allergies") or []
        if isinstance(a, Mapping)
    ]
    if listed:
        return "Allergies: " + ", ".join(listed)
    if history.get("no_known_allergies"):
        return "No known allergies"
    return "Allergies not recorded"


def patient_banner(state: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """Return the patient banner: name, age and sex, NHS number, date of birth, allergies."""
    sections = state.get("sections", {})
    patient, history = sections.get("patient", {}), sections.get("history", {})
    record, incident = sections.get("record", {}), sections.get("incident", {})
    return {
        "name": patient_name(patient),
        "age_sex": age_sex(patient, now) or "age and sex not recorded",
        "nhs_number": patient.get("nhs_number"),
        "date_of_birth": patient.get("date_of_birth"),
        "allergies": _allergies(history),
        "allergy_alert": bool(history.get("allergies")),
        "callsign": record.get("callsign"),
        "incident_number": incident.get("incident_number"),
        "signed": "signoff" in sections,
    }


def _reached(counts: Mapping[str, int]) -> str:
    return (
        f"{counts['device']} on this device only · {counts['hub']} at the hub · "
        f"{counts['hospital']} received by hospital"
    )


def jobs_today(node: Node, now_ms: int) -> list[dict[str, Any]]:
    """Return the records this node opened today (UTC), newest first, with a summary each."""
    today = datetime.fromtimestamp(now_ms / 1000, UTC).date()
    skip = {DIRECTORY_RECORD, audit_record(node)}
    rows: list[dict[str, Any]] = []
    for summary in node.store.records():
        opened = datetime.fromtimestamp(summary.first_ms / 1000, UTC)
        if summary.record in skip or opened.date() != today:
            continue
        if previous_call(node, summary.record):
            continue  # another crew's record, shown with the call that asked for it
        try:
            state = node.state(summary.record)
        except CarechainError:
            continue  # not readable here: not a record of this crew
        sections = state["sections"]
        if "record" not in sections:
            continue
        counts = replication(node, summary.record)["counts"]
        rows.append(
            {
                "record_id": summary.record.hex(),
                "opened": opened.isoformat(),
                "callsign": sections["record"].get("callsign"),
                "vehicle": sections["record"].get("vehicle"),
                "incident_number": sections.get("incident", {}).get("incident_number"),
                "patient": patient_name(sections.get("patient", {})),
                # A child's PEWS in place of NEWS2 (not validated under 16).
                "news2": state["scores"].get("pews") or state["scores"].get("news2"),
                "score_name": "PEWS" if state["scores"].get("pews") else "NEWS2",
                "signed": "signoff" in sections,
                "counts": counts,
                "reached": _reached(counts),
                "first_ms": summary.first_ms,
            }
        )
    rows.sort(key=lambda r: (r["first_ms"], r["record_id"]), reverse=True)
    return rows


def hub_status(loop: SyncLoop | None) -> dict[str, Any]:
    """Return whether a hub is configured and reachable, as the status bar says it."""
    peers = [] if loop is None else loop.status()
    hubs = [p for p in peers if p["role"] == "hub" or p["name"] == "hub"]
    unknown = [p for p in peers if p["role"] is None and p not in hubs]
    last = max((p["last_ok_ms"] for p in hubs if p["last_ok_ms"]), default=None)
    if any(p["reachable"] for p in hubs):
        text = "Hub reachable"
    elif hubs or unknown:
        text = "Hub not reachable: everything works on this device and syncs when it is back"
    else:
        return {
            "configured": False,
            "reachable": False,
            "last_sync_ms": None,
            "text": "No hub configured: this device works on its own",
        }
    if last is not None:
        text += " · last sync " + datetime.fromtimestamp(last / 1000, UTC).strftime("%H:%M UTC")
    return {
        "configured": True,
        "reachable": any(p["reachable"] for p in hubs),
        "last_sync_ms": last,
        "text": text,
    }


def record_status(
    node: Node, loop: SyncLoop | None, alerts: list[dict[str, Any]], record: bytes | None
) -> dict[str, Any]:
    """Return the status bar: where the record has reached, the hub, integrity alerts."""
    out: dict[str, Any] = {
        "hub": hub_status(loop),
        "alerts": [
            {**a, "text": f"Integrity alert: hub {a['hub']}: {a['kind']}: {a['detail']}"}
            for a in alerts
        ],
    }
    if record is not None:
        found = replication(node, record)
        out["record"] = record.hex()
        out["counts"] = found["counts"]
        out["reached"] = _reached(found["counts"])
        out["received_by"] = sorted(
            {e["received_by"] for e in found["entries"] if "received_by" in e}
        )
    return out


def _fields(kind: str | None) -> dict[str, Field]:
    section = BY_KIND.get(kind or "")
    if section is None:
        return {}
    found = {f.path: f for f in section.fields}
    for f in section.fields:
        found.update({f"{f.path}.{c.path}": c for c in f.columns})
    return found


def _show(
    value: Any, f: Field | None = None, fields: Mapping[str, Field] | None = None, path: str = ""
) -> str:
    """Return a value as a crew reads it: coded values by their labels, times in UTC."""
    fields = fields or {}
    if f is not None and f.choices:
        shown = {"yes": True, "no": False}
        labels = (
            {shown.get(k, k): v for k, v in f.choices} if f.widget == "yesno" else dict(f.choices)
        )
        key = value if f.widget == "yesno" else str(value)
        if key in labels and not isinstance(value, list):
            return labels[key]
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return ", ".join(
            _show(v, f if not isinstance(v, Mapping) else None, fields, path) for v in value
        )
    if isinstance(value, Mapping):
        return "; ".join(
            f"{_label(fields, f'{path}.{k}', k)} {_show(v, fields.get(f'{path}.{k}'), fields)}"
            for k, v in value.items()
            if v is not None
        )
    if isinstance(value, str) and len(value) >= 16 and value[4:5] == "-" and value[10:11] == "T":
        return local_time(value).replace("T", " ")
    return str(value)


def _label(fields: Mapping[str, Field], path: str, key: str) -> str:
    found = fields.get(path)
    return (
        found.label
        if found is not None and "." not in path
        else (found.label.split(": ")[-1].lower() if found is not None else label_of(key))
    )


def summarise(data: Mapping[str, Any] | None, kind: str | None = None) -> str:
    """Return an entry's data as one short line, in its form's order when it has one."""
    if not data:
        return ""
    if kind == "safety.override":
        broken = "; ".join(str(b.get("message")) for b in data.get("breaches", []))
        return (
            f"{data.get('drug')}: {data.get('reason')} — overrode: {broken} (by {data.get('by')})"
        )
    fields = _fields(kind)
    order = {path: i for i, path in enumerate(fields)}
    keys = sorted(data, key=lambda k: (order.get(k, len(order)), k))
    line = " · ".join(
        f"{_label(fields, k, k)}: {_show(data[k], fields.get(k), fields, k)}"
        for k in keys
        if data[k] is not None
    )
    return line if len(line) <= SUMMARY_MAX else line[: SUMMARY_MAX - 1] + "…"


def _root_kind(kinds: Mapping[str, Any], datas: Mapping[str, Any], entry: str) -> Any:
    seen: set[str] = set()
    while kinds.get(entry) == AMENDMENT_KIND and entry not in seen:
        seen.add(entry)
        entry = str((datas.get(entry) or {}).get("supersedes", ""))
    return kinds.get(entry)


def history_rows(node: Node, state: Mapping[str, Any], record: bytes) -> list[dict[str, Any]]:
    """Return every entry of the record for the history page, oldest first."""
    history: list[dict[str, Any]] = state["history"]
    reached = {e["entry"]: e for e in replication(node, record)["entries"]}
    kinds = {h["entry"]: h["kind"] for h in history}
    datas = {h["entry"]: h["data"] for h in history}
    rows = []
    for h in history:
        data = h["data"] if isinstance(h["data"], Mapping) else None
        amendment = h["kind"] == AMENDMENT_KIND and data is not None
        root = _root_kind(kinds, datas, h["entry"]) if amendment else h["kind"]
        where = reached.get(h["entry"], {})
        rows.append(
            {
                "entry": h["entry"],
                "short": h["entry"][:12],
                "time": h["time"],
                "author": h["author"],
                "user": h["user"],
                "class": h["class"],
                "kind": h["kind"] or h["class"],
                "root_kind": root,
                "summary": summarise(data["data"] if amendment and data else data, root)
                if h["class"] == "clinical"
                else "content key granted"
                if h["class"] == "grant"
                else "",
                "reason": data.get("reason") if amendment and data else None,
                "amends": data.get("supersedes") if amendment and data else None,
                "superseded_by": h["superseded_by"],
                "reached": where.get("state", "device"),
                "received_by": where.get("received_by"),
                "amendable": h["class"] == "clinical"
                and not h["superseded_by"]
                and root in AMENDABLE
                and root in BY_KIND,
            }
        )
    return rows


def conflicts(state: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return the record's conflicts, each value with who wrote it and from which node."""
    out = []
    for c in state.get("conflicts", []):
        values = [
            {
                "value": _show(v["value"]),
                "user": v["user"],
                "author": v["author"],
                "entry": v["entry"],
            }
            for v in c["values"]
        ]
        out.append(
            {
                "section": c["section"],
                "field": c["field"],
                "values": values,
                "slug": SLUGS.get(c["section"]),
                "text": f"{label_of(c['section'])} · {label_of(c['field'])}: "
                + " / ".join(f"“{v['value']}” by {v['user']} on {v['author']}" for v in values),
            }
        )
    return out


def conflict_texts(state: Mapping[str, Any], section: str) -> dict[str, str]:
    """Return, per field of one section, the text describing its conflict."""
    return {
        c["field"]: "Conflict: "
        + " / ".join(f"“{v['value']}” by {v['user']} on {v['author']}" for v in c["values"])
        + ". Saving this field settles it."
        for c in conflicts(state)
        if c["section"] == section
    }


def overrides(state: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return the formulary overrides: drug, reason, the rules overridden, who and when."""
    return [
        {
            "entry": o.get("entry"),
            "drug": o.get("drug"),
            "reason": o.get("reason"),
            "by": o.get("by"),
            "at": o.get("at"),
            "breaches": [str(b.get("message")) for b in o.get("breaches", [])],
        }
        for o in state.get("items", {}).get("overrides", [])
    ]


def receipts(state: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return the hospital receipts: who received the record when, who accepted handover."""
    out = []
    for r in state.get("items", {}).get("receipts", []):
        at = local_time(r.get("received_at", "")).replace("T", " ")
        item = {
            "node": r.get("node"),
            "at": r.get("received_at"),
            "text": f"Received by {r.get('node')} at {at} UTC",
            "accepted_by": r.get("accepted_by"),
        }
        if r.get("accepted_by"):
            item["text"] += f" · handover accepted by {r['accepted_by']}"
        out.append(item)
    return out


_RELATION = {"baby": "Baby", "mother": "Mother"}


def linked_records(state: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return the records linked to this one: the mother's, or each baby's, with the birth
    time when this is the mother's record."""
    summary = state.get("maternity") or {}
    born = {b.get("baby_record"): b for b in summary.get("births", [])}
    out = []
    for link in summary.get("links", []):
        record = str(link.get("record"))
        birth = born.get(record, {})
        at = birth.get("born_at") or link.get("linked_at")
        out.append({
            "relation": _RELATION.get(str(link.get("relation")), "Linked"),
            "record": record,
            "short": record[:8],
            "born_at": datetime.fromisoformat(str(at)) if at else None,
        })
    return out
