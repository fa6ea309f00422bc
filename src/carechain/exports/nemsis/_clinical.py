"""The arrest, trauma, airway, access and refusal kinds in a NEMSIS patient care report:
eArrest (the Utstein elements), eInjury (mechanism and field triage criteria), eAirway
(each invasive airway's confirmation), eProcedures rows for CPR, airways, ventilation,
IV/IO access, haemorrhage control and immobilisation, and eDisposition for a refusal.

Each mapping is a table in `_codes` written from the element's enumeration in the
NEMSIS 3.5.1 XSD; `docs/nemsis-mapping.md` lists them. What NEMSIS has no element for
(injury marks, capacity, referrals, safeguarding, ECG statements) goes in the narrative.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from carechain.exports.nemsis import _codes as c
from carechain.exports.nemsis._doc import _Doc, _dt

__all__ = ["airway", "arrest", "disposition_codes", "injury", "more_procedures", "narrative"]

_ENDINGS = ("resuscitation-stopped", "life-extinct")
_INVASIVE = ("igel", "lma", "ett", "surgical")


def _items(state: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    found = state.get("items", {}).get(name, [])
    return [i for i in found if isinstance(i, Mapping)] if isinstance(found, list) else []


def _section(state: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    found = state.get("sections", {}).get(name)
    return found if isinstance(found, Mapping) else {}


def arrest(doc: _Doc, state: Mapping[str, Any]) -> None:
    """Write eArrest: Not Applicable without an arrest, else what the record holds."""
    e = doc.sub("eArrest")
    summary = state.get("arrest")
    impression = _section(state, "impression").get("category") == "cardiac-arrest"
    if not isinstance(summary, Mapping):
        e.value("eArrest.01", "3001005" if impression else "3001001")
        for n in ("02", "03", "04", "07", "09", "11", "12", "14", "16", "17", "18", "20",
                  "21", "22"):
            e.value(f"eArrest.{n}", None, nv=c.NOT_RECORDED if impression else
                    c.NOT_APPLICABLE)
        return
    facts = _section(state, "arrest")
    taps = sorted(_items(state, "arrest_events"), key=lambda t: str(t.get("at")))
    events = [str(t.get("event")) for t in taps]
    shocked = "shock" in events
    e.value("eArrest.01", "3001005" if facts.get("witnessed") == "ambulance-crew" else "3001003")
    e.value("eArrest.02", c.AETIOLOGY.get(str(facts.get("aetiology"))))
    attempted: list[str | None] = [*_attempted(state, facts, events)]
    for code in attempted or [None]:
        e.value("eArrest.03", code)
    e.value("eArrest.04", c.WITNESSED.get(str(facts.get("witnessed"))))
    e.value("eArrest.07", _aed(facts))
    kinds: list[str | None] = [*_cpr_types(state, summary)]
    for code in kinds or [None]:
        e.value("eArrest.09", code)
    e.value("eArrest.11", c.FIRST_RHYTHM.get(str(facts.get("first_rhythm"))))
    outcome = summary.get("outcome")
    rosc = summary.get("rosc_at")
    ended = outcome in _ENDINGS or outcome == "rosc"
    e.value("eArrest.12", "3012005" if rosc else ("3012001" if ended else None))
    e.value("eArrest.14", _dt(facts.get("arrest_at")))
    stops = [t for t in taps if t.get("event") in _ENDINGS]
    e.optional("eArrest.15", _dt(stops[-1]["at"]) if stops and outcome in _ENDINGS else None)
    reason = _stopped_because(stops[-1]) if stops and outcome in _ENDINGS else (
        "3016011" if outcome == "rosc" else None)
    e.value("eArrest.16", reason, nv=c.NOT_RECORDED if ended else c.NOT_APPLICABLE)
    e.value("eArrest.17", None)
    conveyed = _section(state, "disposition").get("outcome") == "conveyed"
    e.value("eArrest.18", c.ARREST_END.get(str(outcome)) or (
        "3018005" if conveyed else None))
    e.optional("eArrest.19", _dt((summary.get("utstein") or {}).get("first_cpr_at")))
    crew_cpr = "cpr-started" in events
    e.value("eArrest.20", "3020001" if facts.get("bystander_cpr") else (
        "3020013" if crew_cpr else None))
    aed = facts.get("public_aed_applied")
    e.value("eArrest.21", "3021001" if aed else ("3021013" if shocked else None))
    e.value("eArrest.22", "3022001" if facts.get("public_aed_shocked") else (
        "3022013" if shocked else None))


def _attempted(state: Mapping[str, Any], facts: Mapping[str, Any],
               events: list[str]) -> list[str]:
    """eArrest.03: what the crew attempted, or why they attempted nothing."""
    if facts.get("resuscitation_attempted") is False:
        if facts.get("dnacpr_seen") or facts.get("respect_seen"):
            return ["3003009"]  # Not Attempted-DNR Orders
        return ["3003007"] if "life-extinct" in events else []  # Considered Futile
    out = []
    if "shock" in events:
        out.append("3003001")  # Attempted Defibrillation
    if _ventilated(state):
        out.append("3003003")  # Attempted Ventilation
    if "cpr-started" in events:
        out.append("3003005")  # Initiated Chest Compressions
    return out


def _ventilated(state: Mapping[str, Any]) -> bool:
    start = str((state.get("arrest") or {}).get("utstein", {}).get("arrest_at") or "")
    return any(str(a.get("performed_at")) >= start for a in _items(state, "airways")) or any(
        str(b.get("started_at")) >= start for b in _items(state, "breathing"))


def _cpr_types(state: Mapping[str, Any], summary: Mapping[str, Any]) -> list[str]:
    """eArrest.09: the ventilation given in the arrest (how compressions were given is not
    recorded, so no compression type is claimed)."""
    start = str((summary.get("utstein") or {}).get("arrest_at") or "")
    out = []
    for a in _items(state, "airways"):
        if str(a.get("performed_at")) >= start and a.get("successful"):
            code = "3009025" if a.get("device") in _INVASIVE else "3009023"
            out.append(code)
    if any(b.get("method") == "bag-valve-mask" for b in _items(state, "breathing")):
        out.append("3009013")
    return list(dict.fromkeys(out))


def _aed(facts: Mapping[str, Any]) -> str | None:
    if facts.get("public_aed_applied") is False:
        return "3007001"
    if facts.get("public_aed_shocked") is True:
        return "3007005"
    if facts.get("public_aed_applied") and facts.get("public_aed_shocked") is False:
        return "3007003"
    return None


def _stopped_because(tap: Mapping[str, Any]) -> str | None:
    """eArrest.16: the first reason, in this order, among the criteria met."""
    criteria = set(tap.get("criteria") or [])
    for reason, met in c.STOPPED_BECAUSE:
        if criteria & met:
            return reason
    return None


def _age(state: Mapping[str, Any]) -> int | None:
    patient = _section(state, "patient")
    if patient.get("estimated_age_years") is not None:
        return int(patient["estimated_age_years"])
    if patient.get("date_of_birth"):
        born = date.fromisoformat(str(patient["date_of_birth"]))
        on = datetime.fromisoformat(str(state["history"][0]["time"])).date()
        return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return None


def injury(doc: _Doc, state: Mapping[str, Any], trauma: bool) -> None:
    """Write eInjury: mechanism (eInjury.02) and the field triage criteria (.03, .04)."""
    e = doc.sub("eInjury")
    nv = c.NOT_RECORDED if trauma else c.NOT_APPLICABLE
    mechanism = _section(state, "mechanism")
    triage = _section(state, "trauma_triage")
    e.value("eInjury.01", None, nv=nv)
    kinds = [c.MECHANISM.get(str(mechanism.get("mechanism")))]
    if mechanism.get("mechanism") == "assault" and mechanism.get("weapon"):
        kinds = [None]  # a weapon may have been blunt or sharp: not said
    criteria = triage.get("positive_criteria")
    if criteria and "burns-with-trauma" in criteria:
        kinds.append("2902003")
    for code in dict.fromkeys(k for k in kinds if k) or [None]:
        e.value("eInjury.02", code, nv=nv)
    high = [c.HIGH_RISK[x] for x in criteria or [] if x in c.HIGH_RISK]
    age = _age(state)
    if criteria and "systolic-bp-below-90" in criteria and age is not None and 10 <= age <= 64:
        high.append("2903031")
    moderate = [c.MODERATE_RISK[x] for x in criteria or [] if x in c.MODERATE_RISK]
    for name, codes in (("eInjury.03", high), ("eInjury.04", moderate)):
        if criteria == []:  # triage recorded and negative
            e.value(name, None, pn=c.NONE_REPORTED)
            continue
        for code in dict.fromkeys(codes) or [None]:
            e.value(name, code, nv=nv)


def airway(doc: _Doc, state: Mapping[str, Any]) -> None:
    """Write eAirway: one confirmation group per invasive airway placed."""
    placed = [a for a in _items(state, "airways")
              if a.get("device") in _INVASIVE and a.get("successful")]
    if not placed:
        return
    group = doc.sub("eAirway").sub("eAirway.AirwayGroup")
    for a in placed:
        g = group.sub("eAirway.ConfirmationGroup")
        g.value("eAirway.02", _dt(a.get("performed_at")))
        g.value("eAirway.03", c.AIRWAY_DEVICE[str(a["device"])])
        method = c.CONFIRMATION.get(str(a.get("confirmation")))
        if a.get("confirmation") == "visualised" and a.get("device") != "ett":
            method = "4004015"  # Other: vocal cords are seen only for a tube
        g.value("eAirway.04", method)


def more_procedures(state: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return eProcedures rows for CPR, airways, ventilation, access, haemorrhage control
    and immobilisation, in the shape `procedure.performed` items have."""
    rows: list[dict[str, Any]] = []
    for tap in _items(state, "arrest_events"):
        if tap.get("event") == "cpr-started":
            rows.append({"performed_at": tap["at"], "procedure": "cpr",
                         "performed_by": tap.get("by")})
    for a in _items(state, "airways"):
        size = f"size {a['size']:g}" if a.get("size") is not None else None
        rows.append({"performed_at": a["performed_at"], "procedure": f"airway-{a['device']}",
                     "size": size, "attempts": a.get("attempts"),
                     "successful": a.get("successful"), "performed_by": a.get("performed_by")})
    for b in _items(state, "breathing"):
        rows.append({"performed_at": b["started_at"], "procedure": f"ventilation-{b['method']}",
                     "performed_by": b.get("performed_by")})
    for v in _items(state, "vascular_access"):
        rows.append({"performed_at": v["performed_at"],
                     "procedure": f"cannulation-{str(v['route']).lower()}",
                     "size": f"{v['gauge']} G", "attempts": v.get("attempts"),
                     "successful": v.get("successful"), "performed_by": v.get("performed_by")})
    for h in _items(state, "haemorrhage_control"):
        rows.append({"performed_at": h["applied_at"], "procedure": h["method"],
                     "performed_by": h.get("applied_by")})
    for i in _items(state, "immobilisation"):
        rows.append({"performed_at": i["applied_at"], "procedure": i["device"],
                     "performed_by": i.get("applied_by")})
    return rows


def disposition_codes(state: Mapping[str, Any], conveyed: bool) -> dict[str, Any]:
    """Return eDisposition.28, .29, .30, .31 and .26 for a refusal or non-conveyance."""
    outcome = _section(state, "disposition").get("outcome")
    refusals = _items(state, "refusals")
    refused = {str(x) for r in refusals for x in r.get("refused") or []}
    out: dict[str, Any] = {"28": "4228001", "29": "4229001",
                           "30": "4230001" if conveyed else (
                               "4230013" if outcome == "not-conveyed" else None),
                           "31": [], "26": []}
    if "assessment" in refused:
        out["28"] = "4228007"  # Patient Refused Evaluation/Care
    elif refused - {"conveyance"}:
        out["28"] = "4228003"  # Patient Evaluated and Refused Care
    if "conveyance" in refused and not conveyed:
        out["30"] = "4230009"  # Patient Refused Transport
        out["29"] = "4229013"  # Back in Service, Care/Support Services Refused
        if any(r.get("capacity") == "has-capacity" and "conveyance" in (r.get("refused") or [])
               for r in refusals):
            out["31"].append("4231001")  # Against Medical Advice
    elif outcome == "not-conveyed":
        out["31"].append("4231005")  # Released Following Protocol Guidelines
    if any(r.get("left_with") == "police" for r in refusals):
        out["31"].append("4231007")  # Released to Law Enforcement
    if any(r.get("worsening_advice") for r in refusals):
        out["26"].append("4226003")  # if problem worsens
    return out


def narrative(state: Mapping[str, Any]) -> list[str]:
    """Return what NEMSIS has no element for, as sentences for eNarrative.01."""
    parts = []
    criteria = _section(state, "trauma_triage").get("positive_criteria")
    if criteria:
        parts.append("Major trauma triage positive: " + ", ".join(criteria) + ".")
    for i in _items(state, "injuries"):
        parts.append(f"Injury: {i.get('type')} {i.get('region')} ({i.get('view')})"
                     + (f", {i['severity']}" if i.get("severity") else "") + ".")
    for cap in _items(state, "capacity"):
        parts.append(f"Capacity for {cap.get('decision')}: {cap.get('conclusion')}.")
    for r in _items(state, "refusals"):
        parts.append(f"Refused {', '.join(r.get('refused') or [])} ({r.get('capacity')}); "
                     f"left with {r.get('left_with')}.")
    for ref in _items(state, "referrals"):
        parts.append(f"Referred to {ref.get('service_name') or ref.get('service')}"
                     + (f" ({ref['reference']})" if ref.get("reference") else "") + ".")
    for s in _items(state, "safeguarding"):
        sent = f"referred ({s.get('reference')})" if s.get("referral_sent") else "not referred"
        parts.append(f"Safeguarding concern ({s.get('concern_for')}): {sent}.")
    for ecg in _items(state, "ecgs"):
        said = "; ".join(str(x) for x in ecg.get("interpretation") or [])
        parts.append("12-lead ECG" + (f": {said}." if said else "."))
    files = [a for a in _items(state, "attachments") if a.get("category") != "ecg"]
    if files:
        parts.append(f"{len(files)} photo(s) or document(s) attached to the record.")
    return parts
