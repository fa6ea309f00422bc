"""The clinical parts of a handover: the latest signs, scores, treatment, destination."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from carechain.handover._read import items, number, score, section, strings, text, time
from carechain.handover._words import clock, clock_and_relative, quantity, say

_REGIONS = ("head", "neck", "chest", "abdomen", "pelvis", "back", "limbs", "other")
_EARLIEST = datetime.min.replace(tzinfo=UTC)


def latest_observation(state: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """Return the observation set taken last (the later-listed one on a tie)."""
    observations = items(state, "observations")
    if not observations:
        return None
    ranked = sorted(
        enumerate(observations),
        key=lambda pair: (time(pair[1].get("taken_at")) or _EARLIEST, pair[0]),
    )
    return ranked[-1][1]


def _spo2(obs: Mapping[str, Any]) -> str | None:
    spo2 = quantity(obs.get("spo2"))
    parts = [f"SpO2 {spo2}%"] if spo2 is not None else []
    if spo2 is not None and obs.get("spo2_scale") == 2:
        parts.append("(scale 2)")
    if obs.get("oxygen") is True:
        flow = quantity(obs.get("oxygen_flow_l_min"))
        device = say(obs.get("oxygen_device"))
        oxygen = "on O2" + (f" {flow} L/min" if flow else "") + (f" via {device}" if device else "")
        parts.append(oxygen)
    elif obs.get("oxygen") is False:
        parts.append("on air")
    return " ".join(parts) or None


def _gcs(state: Mapping[str, Any], obs: Mapping[str, Any]) -> str | None:
    gcs = score(state, "gcs")
    total = quantity(gcs.get("total"))
    source: Mapping[str, Any] = gcs if total is not None else obs
    eye, verbal, motor = (quantity(source.get(k)) for k in _gcs_keys(source))
    parts = f"E{eye} V{verbal} M{motor}" if eye and verbal and motor else None
    if total is not None:
        return f"GCS {total}" + (f" ({parts})" if parts else "")
    return f"GCS {parts}" if parts else None


def _gcs_keys(source: Mapping[str, Any]) -> tuple[str, str, str]:
    if "eye" in source:
        return ("eye", "verbal", "motor")
    return ("gcs_eye", "gcs_verbal", "gcs_motor")


def _twelve_lead(obs: Mapping[str, Any]) -> str | None:
    lead = obs.get("twelve_lead")
    if not isinstance(lead, Mapping):
        return None
    found = []
    elevated = strings(lead.get("st_elevation_leads"))
    if elevated:
        found.append("ST elevation in " + ", ".join(elevated))
    if lead.get("new_lbbb") is True:
        found.append("new LBBB")
    interpretation = text(lead.get("interpretation"))
    if not found and interpretation is None:
        return None
    shown = " and ".join(found) or "read"
    return f"12-lead: {shown}" + (f" ({interpretation})" if interpretation else "")


def _vital_signs(obs: Mapping[str, Any]) -> list[str]:
    parts: list[str] = []
    rr = quantity(obs.get("respiratory_rate"))
    if rr is not None:
        parts.append(f"RR {rr}")
    spo2 = _spo2(obs)
    if spo2:
        parts.append(spo2)
    systolic, diastolic = quantity(obs.get("systolic_bp")), quantity(obs.get("diastolic_bp"))
    if systolic is not None:
        parts.append(f"BP {systolic}/{diastolic}" if diastolic is not None else f"BP {systolic}")
    pulse = quantity(obs.get("pulse"))
    if pulse is not None:
        parts.append(f"HR {pulse}")
    temperature = number(obs.get("temperature_c"))
    if temperature is not None:
        parts.append(f"temp {temperature:.1f} °C")
    acvpu = text(obs.get("acvpu"))
    if acvpu:
        parts.append(f"ACVPU {acvpu}")
    return parts


def signs(state: Mapping[str, Any], now: datetime) -> str | None:
    """Return the latest observation set with the latest GCS and NEWS2 from the scores."""
    obs = latest_observation(state) or {}
    vitals = _vital_signs(obs)
    gcs = _gcs(state, obs)
    if gcs:
        vitals.append(gcs)
    glucose = number(obs.get("blood_glucose_mmol_l"))
    if glucose is not None:
        vitals.append(f"BM {glucose:.1f} mmol/L")
    pain = quantity(obs.get("pain_score"))
    if pain is not None:
        vitals.append(f"pain {pain}/10")
    rhythm = say(obs.get("ecg_rhythm"))
    if rhythm:
        vitals.append(f"ECG {rhythm}")
    groups = [", ".join(vitals)] if vitals else []
    ecg = _twelve_lead(obs)
    if ecg:
        groups.append(ecg)
    news2 = score(state, "news2")
    aggregate = quantity(news2.get("aggregate"))
    if aggregate is not None:
        band = text(news2.get("band"))
        groups.append(
            f"NEWS2 {aggregate}"
            + (f" ({band})" if band else "")
            + (" (incomplete)" if news2.get("complete") is False else "")
        )
    if not groups:
        return None
    taken = clock(obs.get("taken_at"), now) if vitals or ecg else None
    return (f"at {taken}: " if taken else "") + "; ".join(groups)


def flags(state: Mapping[str, Any]) -> list[str]:
    """Return the positive decision-support flags: STEMI, BE-FAST, sepsis, qSOFA."""
    out: list[str] = []
    stemi = score(state, "stemi")
    if stemi.get("flagged") is True:
        territory = text(stemi.get("territory"))
        out.append("STEMI flagged" + (f" ({territory})" if territory else ""))
    befast = score(state, "befast")
    if befast.get("positive") is True:
        signs_found = strings(befast.get("positive_signs"))
        out.append("BE-FAST positive" + (f" ({', '.join(signs_found)})" if signs_found else ""))
    if score(state, "sepsis").get("positive") is True:
        out.append("sepsis screen positive")
    qsofa = score(state, "qsofa")
    if qsofa.get("positive") is True:
        out.append(f"qSOFA {quantity(qsofa.get('score'))}")
    return out


def _at(item: Mapping[str, Any], key: str) -> datetime:
    return time(item.get(key)) or _EARLIEST


def _medication(med: Mapping[str, Any], now: datetime) -> str | None:
    drug = text(med.get("drug"))
    if drug is None:
        return None
    dose = quantity(med.get("dose"))
    words = [
        drug,
        dose,
        text(med.get("unit")),
        text(med.get("route")),
        clock(med.get("given_at"), now),
    ]
    return " ".join(w for w in words if w)


def _procedure(proc: Mapping[str, Any], now: datetime) -> str | None:
    name = text(proc.get("details")) if proc.get("procedure") == "other" else None
    name = name or say(proc.get("procedure"))
    if name is None:
        return None
    site = text(proc.get("site"))
    out = name + (f" ({site})" if site else "")
    attempts = number(proc.get("attempts"))
    notes = [f"{quantity(attempts)} attempts"] if attempts is not None and attempts > 1 else []
    if proc.get("successful") is False:
        notes.append("unsuccessful")
    if notes:
        out += ", " + ", ".join(notes)
    when = clock(proc.get("performed_at"), now)
    return out + (f" {when}" if when else "")


def treatment(state: Mapping[str, Any], now: datetime) -> str | None:
    """Return medications (drug dose unit route time) and procedures, in time order."""
    given: list[tuple[datetime, int, str]] = []
    for i, med in enumerate(items(state, "medications")):
        line = _medication(med, now)
        if line:
            given.append((_at(med, "given_at"), i, line))
    for i, proc in enumerate(items(state, "procedures")):
        line = _procedure(proc, now)
        if line:
            given.append((_at(proc, "performed_at"), 10_000 + i, line))
    return "; ".join(line for _, _, line in sorted(given)) or None


def injuries(state: Mapping[str, Any]) -> str | None:
    """Return injuries found or suspected: working impression, haemorrhage, body regions."""
    parts: list[str] = []
    impression = text(section(state, "impression").get("working_impression"))
    if impression:
        parts.append(impression)
    haemorrhage = section(state, "primary_survey").get("catastrophic_haemorrhage")
    if isinstance(haemorrhage, Mapping) and haemorrhage.get("status") in (
        "controlled",
        "uncontrolled",
    ):
        notes = text(haemorrhage.get("notes"))
        parts.append(
            f"catastrophic haemorrhage {haemorrhage['status']}" + (f" ({notes})" if notes else "")
        )
    secondary = section(state, "secondary_survey")
    for region in _REGIONS:
        finding = text(secondary.get(region))
        if finding:
            parts.append(f"{region}: {finding}")
    return "; ".join(parts) or None


def destination(state: Mapping[str, Any], now: datetime) -> str | None:
    """Return where the patient is going and what they need, or the non-conveyance plan."""
    disposition = section(state, "disposition")
    if disposition.get("outcome") == "not-conveyed":
        parts = ["not conveyed"]
        referral = say(disposition.get("referral"))
        if referral:
            parts.append(f"referral: {referral}")
        advice = text(disposition.get("safety_netting"))
        if advice:
            parts.append(f"safety-netting: {advice}")
        return "; ".join(parts)
    parts = []
    hospital = text(disposition.get("hospital"))
    eta = clock_and_relative(disposition.get("eta"), now)
    if hospital or eta:
        parts.append(", ".join(p for p in (hospital, f"ETA {eta}" if eta else None) if p))
    elif disposition.get("outcome") == "conveyed":
        parts.append("conveying")
    if disposition.get("pre_alert") is True:
        category = say(disposition.get("pre_alert_category"))
        parts.append("pre-alert" + (f": {category}" if category else ""))
    requirements = text(disposition.get("requirements"))
    if requirements:
        parts.append(f"requirements: {requirements}")
    return "; ".join(parts) or None
