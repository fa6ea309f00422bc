"""The signs a handover gives: the headline NEWS2's values, each with when it was taken.

The vital signs that make up NEWS2 are read from `scores["news2"]["parameters"]`, the one
rule the record applies (each parameter's latest value within the NEWS2 window), so a
12-lead ECG set with only a pulse never drops the respiratory rate, SpO2 and blood pressure
measured before it. Other findings (GCS, glucose, pain, rhythm, 12-lead) are each the
latest recorded. Values taken at different times are grouped by time, newest first.

For a child under 16 the headline is the National PEWS (`scores["pews"]`): its parameters
stand for the vital signs, respiratory distress and capillary refill are said too, the
score line is PEWS with its chart, and the working weight says whether it was estimated.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from carechain.handover._read import items, mapping, number, score, strings, text, time
from carechain.handover._words import clock, quantity, say

__all__ = ["latest_observation", "signs"]

_EARLIEST = datetime.min.replace(tzinfo=UTC)
# NEWS2 parameter (carechain.clinical) → the observation field it is read from.
_FIELDS = {
    "resp_rate": "respiratory_rate",
    "spo2": "spo2",
    "air_or_oxygen": "oxygen",
    "systolic": "systolic_bp",
    "pulse": "pulse",
    "consciousness": "acvpu",
    "temperature": "temperature_c",
}
# PEWS parameters that are not NEWS2's, and PEWS's name for air/oxygen.
_PEWS_FIELDS = {"respiratory_distress": "respiratory_distress",
                "capillary_refill": "capillary_refill_s"}  # fmt: skip
_PEWS_NAMES = {"air_or_oxygen": "oxygen"}
Reading = tuple[object, str]  # (taken_at as recorded, the words)


def _ranked(state: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Return the observation sets oldest first (the later-listed one on a tie)."""
    observations = items(state, "observations")
    ranked = sorted(
        enumerate(observations),
        key=lambda pair: (time(pair[1].get("taken_at")) or _EARLIEST, pair[0]),
    )
    return [obs for _, obs in ranked]


def latest_observation(state: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """Return the observation set taken last (the later-listed one on a tie)."""
    ranked = _ranked(state)
    return ranked[-1] if ranked else None


def _latest_with(state: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    """Return the latest set that recorded `name`."""
    found = [obs for obs in _ranked(state) if obs.get(name) is not None]
    return found[-1] if found else None


def _oxygen(obs: Mapping[str, Any]) -> str | None:
    if obs.get("oxygen") is True:
        flow = quantity(obs.get("oxygen_flow_l_min"))
        device = say(obs.get("oxygen_device"))
        return "on O2" + (f" {flow} L/min" if flow else "") + (f" via {device}" if device else "")
    return "on air" if obs.get("oxygen") is False else None


def _vitals(sources: Mapping[str, Mapping[str, Any]]) -> list[Reading]:
    """Return the NEWS2 vital signs, each read from the set `sources` names for it."""
    out: list[Reading] = []

    def add(name: str, words: str | None) -> None:
        if words:
            out.append((sources[name].get("taken_at"), words))

    def value(name: str) -> str | None:
        obs = sources.get(name)
        return None if obs is None else quantity(obs.get(_FIELDS[name]))

    rr, spo2, systolic, pulse = (value(k) for k in ("resp_rate", "spo2", "systolic", "pulse"))
    oxygen = sources.get("air_or_oxygen")
    oxygen_words = None if oxygen is None else _oxygen(oxygen)
    add("resp_rate", rr and f"RR {rr}")
    if spo2 is not None:
        words = f"SpO2 {spo2}%" + (" (scale 2)" if sources["spo2"].get("spo2_scale") == 2 else "")
        if oxygen is sources["spo2"] and oxygen_words:  # one set: "SpO2 94% on air"
            words, oxygen_words = f"{words} {oxygen_words}", None
        add("spo2", words)
    add("air_or_oxygen", oxygen_words)
    if systolic is not None:
        diastolic = quantity(sources["systolic"].get("diastolic_bp"))
        add("systolic", f"BP {systolic}/{diastolic}" if diastolic is not None else f"BP {systolic}")
    add("pulse", pulse and f"HR {pulse}")
    distress = sources.get("respiratory_distress")
    add("respiratory_distress", None if distress is None
        else f"{say(distress.get('respiratory_distress'))} respiratory distress")
    crt = sources.get("capillary_refill")
    add("capillary_refill", None if crt is None
        else f"CRT {quantity(crt.get('capillary_refill_s'))} s")
    temperature = sources.get("temperature")
    degrees = None if temperature is None else number(temperature.get("temperature_c"))
    add("temperature", None if degrees is None else f"temp {degrees:.1f} °C")
    consciousness = sources.get("consciousness")
    acvpu = None if consciousness is None else text(consciousness.get("acvpu"))
    add("consciousness", acvpu and f"ACVPU {acvpu}")
    return out


def _sources(state: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Return, per NEWS2 parameter, the set its headline value came from.

    Without the headline's parameters (a state from before they were kept), the latest
    set stands for every parameter it recorded.
    """
    pews = mapping(score(state, "pews").get("parameters"))
    parameters = pews or mapping(score(state, "news2").get("parameters"))
    names = {name: _PEWS_NAMES.get(name, name) if pews else name for name in _FIELDS}
    if pews:
        names.update({name: name for name in _PEWS_FIELDS})
    if not parameters:
        latest = latest_observation(state) or {}
        return {name: latest for name, key in _FIELDS.items() if latest.get(key) is not None}
    by_entry = {str(obs.get("entry")): obs for obs in items(state, "observations")}
    found: dict[str, Mapping[str, Any]] = {}
    for name, key in names.items():
        entry = str(mapping(parameters.get(key)).get("entry", ""))
        if entry in by_entry:
            found[name] = by_entry[entry]
    return found


def _gcs(state: Mapping[str, Any]) -> Reading | None:
    gcs = score(state, "gcs")
    total = quantity(gcs.get("total"))
    obs = _latest_with(state, "gcs_eye") or {}
    source: Mapping[str, Any] = gcs if total is not None else obs
    keys = ("eye", "verbal", "motor") if "eye" in source else ("gcs_eye", "gcs_verbal", "gcs_motor")
    eye, verbal, motor = (quantity(source.get(k)) for k in keys)
    parts = f"E{eye} V{verbal} M{motor}" if eye and verbal and motor else None
    when = gcs.get("taken_at") or obs.get("taken_at")
    if total is not None:
        return when, f"GCS {total}" + (f" ({parts})" if parts else "")
    return (when, f"GCS {parts}") if parts else None


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


def _findings(state: Mapping[str, Any]) -> list[Reading]:
    """Return the latest GCS, glucose, pain score and rhythm, each with its time."""
    out: list[Reading] = []
    gcs = _gcs(state)
    if gcs is not None:
        out.append(gcs)
    glucose = _latest_with(state, "blood_glucose_mmol_l")
    if glucose is not None:
        bm = number(glucose.get("blood_glucose_mmol_l"))
        out.append((glucose.get("taken_at"), f"BM {bm:.1f} mmol/L"))
    pain = _latest_with(state, "pain_score")
    if pain is not None:
        out.append((pain.get("taken_at"), f"pain {quantity(pain.get('pain_score'))}/10"))
    rhythm = _latest_with(state, "ecg_rhythm")
    if rhythm is not None:
        out.append((rhythm.get("taken_at"), f"ECG {say(rhythm.get('ecg_rhythm'))}"))
    return out


def _weight(state: Mapping[str, Any]) -> str | None:
    """Return a child's working weight, saying when it is an estimate by age."""
    weight = score(state, "weight")
    kg = quantity(weight.get("kg"))
    if kg is None:
        return None
    return f"weight {kg} kg" + (" (estimated from age, not weighed)"
                                if weight.get("source") == "estimated" else "")  # fmt: skip


def _news2(state: Mapping[str, Any], now: datetime) -> str | None:
    pews = score(state, "pews")
    news2 = pews or score(state, "news2")
    aggregate = quantity(news2.get("aggregate"))
    if aggregate is None:
        return None
    band = text(news2.get("band"))
    if pews:
        chart = text(pews.get("age_band_label"))
        out = f"PEWS {aggregate}" + (f" ({band}; chart for {chart})" if band else "")
        out += "".join(f", {t}" for t in strings(pews.get("triggers")))
    else:
        out = f"NEWS2 {aggregate}" + (f" ({band})" if band else "")
    if news2.get("complete") is False:
        complete = clock(news2.get("last_complete_at"), now)
        out += f" (incomplete; last complete {complete})" if complete else " (incomplete)"
    return out


def signs(state: Mapping[str, Any], now: datetime) -> str | None:
    """Return the vital signs and findings grouped by time, newest first, then NEWS2."""
    # time → [the time as recorded, the words taken then, a 12-lead read then]
    groups: dict[datetime, list[Any]] = {}

    def group(taken: object) -> list[Any]:
        return groups.setdefault(time(taken) or _EARLIEST, [taken, [], None])

    for taken, words in _vitals(_sources(state)) + _findings(state):
        group(taken)[1].append(words)
    lead_set = _latest_with(state, "twelve_lead")
    ecg = None if lead_set is None else _twelve_lead(lead_set)
    if lead_set is not None and ecg is not None:
        group(lead_set.get("taken_at"))[2] = ecg
    parts: list[str] = []
    for at in sorted(groups, reverse=True):
        taken, words, lead = groups[at]
        shown = clock(taken, now)
        body = "; ".join(p for p in (", ".join(words), lead) if p)
        parts.append((f"at {shown}: " if shown else "") + body)
    news2 = _news2(state, now)
    if news2:
        parts.append(news2)
    weight = _weight(state)
    if weight:
        parts.append(weight)
    return "; ".join(parts) or None
