"""The handover PDF's sections for the newer kinds: the arrest timeline, trauma (with the
injuries drawn on a body outline), airway, breathing and access, capacity and refusal
(with the drawn signature), and the record's photos, documents and ECG statements.

Each section is printed only when the record holds something for it.
"""

from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from reportlab.graphics.shapes import Circle, Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Image, Table, TableStyle

from carechain.exports.pdf._style import BODY, H2, SMALL, listing, p

__all__ = ["clinical_sections"]

Flow = list[Any]
_PNG = "data:image/png;base64,"
_UTSTEIN = {
    "location": "location", "witnessed": "witnessed", "aetiology": "aetiology",
    "bystander_cpr": "bystander CPR", "public_aed_applied": "public AED applied",
    "resuscitation_attempted": "resuscitation attempted", "first_rhythm": "first rhythm",
    "arrest_at": "arrest", "call_at": "call", "first_cpr_at": "first CPR",
    "first_shock_at": "first shock", "rosc": "any ROSC",
}


def _items(state: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    found = state.get("items", {}).get(name, [])
    return [i for i in found if isinstance(i, Mapping)] if isinstance(found, list) else []


def _hm(value: object) -> str:
    try:
        return datetime.fromisoformat(str(value)).strftime("%H:%M")
    except ValueError:
        return str(value or "")


_CAPS = {"vf": "VF", "pvt": "pulseless VT", "pea": "PEA", "rosc": "ROSC", "igel": "i-gel",
         "ett": "ETT", "lma": "LMA", "opa": "OPA", "npa": "NPA", "cpr-started": "CPR started",
         "gp": "GP", "rtc": "RTC"}


def _say(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    if text in _CAPS:
        return _CAPS[text]
    if len(text) > 18 and text[4:5] == "-" and "T" in text:
        return _hm(text)
    return text.replace("-", " ")


def _done(value: object) -> str:
    if value is None:
        return "outcome not recorded"
    return "successful" if value else "unsuccessful"


def _arrest(state: Mapping[str, Any]) -> Flow:
    summary = state.get("arrest")
    if not isinstance(summary, Mapping):
        return []
    core = summary.get("utstein") or {}
    said = "; ".join(f"{label}: {_say(core[k])}" for k, label in _UTSTEIN.items()
                     if core.get(k) is not None)
    missing = ", ".join(_UTSTEIN[k] for k in summary.get("utstein_missing") or [])
    rows = []
    shock = 0
    for row in summary.get("timeline") or []:
        event = str(row.get("event"))
        if event == "shock":
            shock += 1
            detail = f"shock {shock}: {row.get('energy_j', 0):g} J"
        elif event == "drug":
            detail = (f"{row.get('drug')} {row.get('dose', 0):g} {row.get('unit')} "
                      f"{row.get('route')}")
        elif event == "airway":
            detail = _say(row.get("device")) + (" (failed)" if row.get("successful") is False
                                               else "")
        else:
            detail = ", ".join(_say(x) for x in row.get("criteria") or [])
            if row.get("decision_by"):
                detail += f" — decision by {row['decision_by']}"
        if row.get("rhythm"):
            detail = f"{detail} ({_say(row['rhythm'])})".strip()
        rows.append([_hm(row.get("at")), _say(event), detail])
    out = listing("Cardiac arrest timeline", ["Time", "Event", "Detail"], rows,
                      [16 * mm, 40 * mm, 124 * mm])
    out.insert(1, p(f"Utstein: {said}. Outcome: {_say(summary.get('outcome'))}, "
                        f"{summary.get('shocks', 0)} shock(s).", BODY))
    if missing:
        out.insert(2, p(f"Not recorded: {missing}.", SMALL))
    return out


def _body_map(injuries: list[Mapping[str, Any]]) -> Drawing:
    """Return two body outlines (front, back), each injury a numbered dot where marked."""
    width, height = 60 * mm, 55 * mm
    drawing = Drawing(2 * width, height)
    for i, view in enumerate(("front", "back")):
        x0 = i * width
        grey = colors.HexColor("#888888")
        drawing.add(Rect(x0 + 2, 2, width - 4, height - 4, strokeColor=grey,
                         fillColor=None))
        drawing.add(String(x0 + 4, height - 10, view, fontSize=7))
        cx = x0 + width / 2
        drawing.add(Circle(cx, height - 12, 5, strokeColor=grey, fillColor=None))
        drawing.add(Rect(cx - 8, height * 0.45, 16, height * 0.32, strokeColor=grey,
                         fillColor=None))
        for side in (-1, 1):
            drawing.add(Line(cx + side * 8, height * 0.75, cx + side * 20, height * 0.45,
                             strokeColor=grey))
            drawing.add(Line(cx + side * 5, height * 0.45, cx + side * 10, 6,
                             strokeColor=grey))
        for n, mark in enumerate(injuries, 1):
            if mark.get("view") != view or mark.get("x") is None:
                continue
            px = x0 + 2 + float(mark["x"]) * (width - 4)
            py = 2 + (1 - float(mark["y"])) * (height - 4)
            drawing.add(Circle(px, py, 3, fillColor=colors.red, strokeColor=colors.red))
            drawing.add(String(px + 4, py - 2, str(n), fontSize=6))
    return drawing


def _trauma(state: Mapping[str, Any]) -> Flow:
    sections = state.get("sections", {})
    mechanism, triage = sections.get("mechanism") or {}, sections.get("trauma_triage") or {}
    injuries = _items(state, "injuries")
    care = _items(state, "haemorrhage_control") + _items(state, "immobilisation")
    if not (mechanism or triage or injuries or care):
        return []
    out: Flow = [p("Trauma", H2)]
    if mechanism:
        facts = [f"{k.replace('_', ' ')} {_say(v)}" for k, v in mechanism.items()
                 if k not in ("mechanism", "occurred_at") and v is not None]
        out.append(p(f"Mechanism: {_say(mechanism.get('mechanism'))}"
                         + (f" ({', '.join(facts)})" if facts else "")
                         + (f", at {_hm(mechanism['occurred_at'])}"
                            if mechanism.get("occurred_at") else "")))
    if triage:
        criteria = triage.get("positive_criteria")
        result = ("positive: " + ", ".join(_say(x) for x in criteria) if criteria else
                  "negative" if criteria == [] else "not recorded")
        where = triage.get("destination_name") or _say(triage.get("destination") or "")
        out.append(p(f"Major trauma triage {result}" + (f"; to {where}" if where else "")
                         + ("; MTC pre-alert" if triage.get("mtc_pre_alert") else "")))
    rows = [[str(n), _say(i.get("type")), _say(i.get("region")), str(i.get("view")),
             str(i.get("severity") or ""), str(i.get("note") or "")]
            for n, i in enumerate(injuries, 1)]
    out += listing("Injuries", ["#", "Injury", "Region", "View", "Severity", "Note"],
                       rows, [8 * mm, 28 * mm, 32 * mm, 16 * mm, 20 * mm, 76 * mm])
    if any(i.get("x") is not None for i in injuries):
        out.append(_body_map(injuries))
    rows = [[_hm(c.get("applied_at")), _say(c.get("method") or c.get("device")),
             _say(c.get("region") or ""), str(c.get("applied_by"))] for c in care]
    if rows:
        out += listing("Haemorrhage control and immobilisation",
                           ["Time", "What", "Where", "By"], rows,
                           [16 * mm, 60 * mm, 50 * mm, 54 * mm])
    return out


def _support(state: Mapping[str, Any]) -> Flow:
    rows = []
    for a in _items(state, "airways"):
        co2 = f"; EtCO2 {a['etco2']:g} {a.get('etco2_unit')}" if a.get("etco2") is not None \
            else ""
        size = f" size {a['size']:g}" if a.get("size") is not None else ""
        rows.append([_hm(a.get("performed_at")), f"airway {a.get('device')}{size}",
                     f"{a.get('attempts')} attempt(s), {_done(a.get('successful'))}; "
                     f"{_say(a.get('confirmation') or 'not confirmed')}{co2}",
                     a.get("performed_by")])
    for b in _items(state, "breathing"):
        said = ", ".join(f"{label} {b[k]:g}{unit}" for k, label, unit in (
            ("rate", "rate", "/min"), ("tidal_volume_ml", "tidal volume", " ml"),
            ("peep_cmh2o", "PEEP", " cmH2O"), ("oxygen_l_min", "oxygen", " L/min"))
            if b.get(k) is not None)
        rows.append([_hm(b.get("started_at")), _say(b.get("method")), said,
                     b.get("performed_by")])
    for v in _items(state, "vascular_access"):
        rows.append([_hm(v.get("performed_at")), f"{v.get('route')} {v.get('gauge')} G",
                     f"{v.get('site')}; {v.get('attempts')} attempt(s), "
                     f"{_done(v.get('successful'))}", v.get("performed_by")])
    if not rows:
        return []
    rows.sort(key=lambda r: str(r[0]))
    return listing("Airway, breathing and access", ["Time", "What", "Detail", "By"], rows,
                       [16 * mm, 40 * mm, 90 * mm, 34 * mm])


def _signature(item: Mapping[str, Any]) -> Flow:
    said = p(f"Signed by {item.get('name')} ({item.get('signer')}) for "
                 f"{item.get('signed_for')} at {_hm(item.get('signed_at'))}.")
    image = str(item.get("image") or "")
    if item.get("format") != "png" or not image.startswith(_PNG):
        return [said, p("(The signature is held as a vector path and is not drawn "
                            "here; it is in the record.)", SMALL)]
    try:
        data = base64.b64decode(image[len(_PNG):], validate=True)
    except (binascii.Error, ValueError):
        return [said]
    picture = Image(io.BytesIO(data))
    scale = min(1.0, (70 * mm) / picture.imageWidth, (25 * mm) / picture.imageHeight)
    picture.drawWidth, picture.drawHeight = (picture.imageWidth * scale,
                                             picture.imageHeight * scale)
    picture.hAlign = "LEFT"
    return [said, picture]


def _consent(state: Mapping[str, Any]) -> Flow:
    out: Flow = []
    for cap in _items(state, "capacity"):
        stage2 = ", ".join(f"{a} {_say(cap[a])}" for a in (
            "understand", "retain", "weigh", "communicate") if cap.get(a) is not None)
        out.append(p(f"Capacity ({_hm(cap.get('assessed_at'))}, {cap.get('assessed_by')})"
                         f" for {cap.get('decision')}: {_say(cap.get('conclusion'))}; "
                         f"impairment {_say(cap.get('impairment'))}"
                         + (f"; {stage2}" if stage2 else "")))
    for r in _items(state, "refusals"):
        with_ = _say(r.get("left_with")) + (f" ({r['left_with_name']})"
                                            if r.get("left_with_name") else "")
        told = "; ".join(f"{k.replace('_', ' ')}: {r[k]}" for k in (
            "details", "risks_explained", "best_interests", "worsening_advice") if r.get(k))
        out.append(p(f"Refused {', '.join(_say(x) for x in r.get('refused') or [])} "
                         f"({_say(r.get('capacity'))}); left with {with_}. {told}"))
    for ref in _items(state, "referrals"):
        out.append(p(f"Referred to {ref.get('service_name') or _say(ref.get('service'))}"
                         + (f", reference {ref['reference']}" if ref.get("reference") else "")
                         + (f": {ref['notes']}" if ref.get("notes") else "")))
    for s in _items(state, "safeguarding"):
        sent = (f"referral sent, reference {s.get('reference')}" if s.get("referral_sent")
                else f"referral not sent: {s.get('reason_not_sent')}")
        out.append(p(f"Safeguarding concern ({s.get('concern_for')}): "
                         f"{s.get('concern')}; {sent}"))
    for sig in _items(state, "signatures"):
        out += _signature(sig)
    return [p("Capacity, consent and refusal", H2), *out] if out else []


def _documents(state: Mapping[str, Any]) -> Flow:
    out: Flow = []
    for ecg in _items(state, "ecgs"):
        out.append(p(f"12-lead ECG {_hm(ecg.get('taken_at'))} ({ecg.get('format')}); "
                         "the device's statements:"))
        statements = ecg.get("interpretation") or ["(none)"]
        table = Table([[p(s)] for s in statements], colWidths=[180 * mm])
        table.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.4, colors.grey)]))
        out.append(table)
    files = [a for a in _items(state, "attachments") if a.get("category") != "ecg"]
    rows = [[_hm(a.get("taken_at")), str(a.get("category")), str(a.get("filename")),
             f"{a.get('size')} bytes", str(a.get("caption") or "")] for a in files]
    if rows:
        out += listing("Attachments", ["Time", "Kind", "File", "Size", "Caption"], rows,
                           [16 * mm, 24 * mm, 50 * mm, 24 * mm, 66 * mm])
    if not out:
        return []
    return [p("ECGs and attachments", H2), *out]


def clinical_sections(state: Mapping[str, Any]) -> Flow:
    """Return the newer kinds' sections, each only when the record holds something for it."""
    return (_arrest(state) + _trauma(state) + _support(state)
            + _consent(state) + _documents(state))
