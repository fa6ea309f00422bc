"""Observations: vital signs per the UK Core profiles, ACVPU, GCS, glucose, and NEWS2.

Each set of `observation.recorded` gives one Observation per measurement. An amended set
shows the corrected values; a superseded value stays, marked `entered-in-error` (without
the vital-sign profile, which fixes `status` to `final`), linked by the amendment's
Provenance as the revised entity.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from carechain.exports.fhir import _codes as c
from carechain.exports.fhir._common import Resource, coding, concept, loinc_snomed, quantity
from carechain.exports.fhir._context import Context

__all__ = ["news2_resource", "observation_resources"]

Builder = Callable[[Mapping[str, Any]], Resource | None]


def _category(code: str) -> list[Resource]:
    return [concept(coding(c.OBS_CATEGORY, code, code.replace("-", " ").title()))]


def _vital(name: str) -> Builder:
    spec = c.VITALS[name]

    def build(data: Mapping[str, Any]) -> Resource | None:
        value = data.get(name)
        if value is None:
            return None
        return {
            "meta": {"profile": [c.profile(spec.profile)]},
            "category": _category(spec.category),
            "code": loinc_snomed((spec.loinc, spec.loinc_display),
                                 (spec.snomed, spec.snomed_display)),
            "valueQuantity": quantity(value, spec.unit, spec.ucum),
        }

    return build


def _bp(data: Mapping[str, Any]) -> Resource | None:
    if data.get("systolic_bp") is None:
        return None
    unit, code = c.BP["unit"]
    parts = [("systolic", data["systolic_bp"]), ("diastolic", data.get("diastolic_bp"))]
    components = []
    for part, value in parts:
        if value is None:
            continue
        loinc, loinc_display, snomed, snomed_display = c.BP[part]
        components.append({
            "code": {"coding": [coding(c.LOINC, loinc, loinc_display),
                                coding(c.SNOMED, snomed, snomed_display)],
                     "text": loinc_display},
            "valueQuantity": quantity(value, unit, code),
        })
    return {
        "meta": {"profile": [c.profile(c.BP["profile"])]},
        "category": _category("vital-signs"),
        "code": loinc_snomed(c.BP["loinc"], c.BP["snomed"]),
        "component": components,
    }


def _acvpu(data: Mapping[str, Any]) -> Resource | None:
    value = data.get("acvpu")
    if value is None:
        return None
    code, display = c.ACVPU_VALUES[str(value)]
    answer = concept(coding(c.SNOMED, code, display), text=display) if code else concept(
        text=display)
    return {
        "meta": {"profile": [c.profile(c.ACVPU_PROFILE)]},
        "category": _category("survey"),
        "code": concept(coding(c.SNOMED, *c.ACVPU_CODE), text="ACVPU"),
        "valueCodeableConcept": answer,
    }


def _gcs(data: Mapping[str, Any]) -> Resource | None:
    parts = [data.get(f"gcs_{p}") for p in ("eye", "verbal", "motor")]
    if any(p is None for p in parts):
        return None
    return {
        "category": _category("survey"),
        "code": loinc_snomed(c.GCS["loinc"], c.GCS["snomed"]),
        "valueQuantity": quantity(sum(parts), "score", "{score}"),
        "component": [
            {"code": concept(coding(c.LOINC, *c.GCS[p])), "valueQuantity":
             quantity(v, "score", "{score}")}
            for p, v in zip(("eye", "verbal", "motor"), parts, strict=True)
        ],
    }


def _oxygen(data: Mapping[str, Any]) -> Resource | None:
    on = data.get("oxygen")
    if on is None:
        return None
    out: Resource = {
        "meta": {"profile": [c.profile(c.OXYGEN["profile"])]},
        "category": _category("vital-signs"),
        "code": concept(coding(c.LOINC, *c.OXYGEN["loinc"]), text="Air or oxygen"),
    }
    if not on:
        out["valueCodeableConcept"] = concept(coding(c.SNOMED, *c.OXYGEN["air"]),
                                              text="On air")
        return out
    flow = data.get("oxygen_flow_l_min")
    device = data.get("oxygen_device")
    if flow is not None:
        out["valueQuantity"] = quantity(flow, "liter per minute", "L/min")
    else:
        out["valueCodeableConcept"] = concept(text="Supplemental oxygen")
    if device:
        out["note"] = [{"text": f"Oxygen device: {device}"}]
    return out


def _pain(data: Mapping[str, Any]) -> Resource | None:
    if data.get("pain_score") is None:
        return None
    return {"category": _category("survey"), "code": concept(coding(c.LOINC, *c.PAIN)),
            "valueInteger": data["pain_score"]}


def _rhythm(data: Mapping[str, Any]) -> Resource | None:
    rhythm, lead = data.get("ecg_rhythm"), data.get("twelve_lead")
    if rhythm is None and not lead:
        return None
    out: Resource = {"category": _category("procedure"),
                     "code": concept(coding(c.LOINC, *c.RHYTHM), text="ECG")}
    out["valueString"] = str(rhythm or "12-lead ECG")
    if isinstance(lead, Mapping):
        said = []
        if lead.get("st_elevation_leads"):
            said.append("ST elevation in " + ", ".join(lead["st_elevation_leads"]))
        if lead.get("new_lbbb"):
            said.append("new LBBB")
        if lead.get("interpretation"):
            said.append(str(lead["interpretation"]))
        if said:
            out["note"] = [{"text": "; ".join(said)}]
    return out


# Resource key -> (builder, the observation fields it reads)
GROUPS: dict[str, tuple[Builder, tuple[str, ...]]] = {
    "respiratory_rate": (_vital("respiratory_rate"), ("respiratory_rate",)),
    "spo2": (_vital("spo2"), ("spo2", "spo2_scale", "spo2_target")),
    "oxygen": (_oxygen, ("oxygen", "oxygen_flow_l_min", "oxygen_device")),
    "bp": (_bp, ("systolic_bp", "diastolic_bp")),
    "pulse": (_vital("pulse"), ("pulse",)),
    "acvpu": (_acvpu, ("acvpu",)),
    "temperature_c": (_vital("temperature_c"), ("temperature_c",)),
    "gcs": (_gcs, ("gcs_eye", "gcs_verbal", "gcs_motor")),
    "blood_glucose_mmol_l": (_vital("blood_glucose_mmol_l"), ("blood_glucose_mmol_l",)),
    "pain_score": (_pain, ("pain_score",)),
    "ecg": (_rhythm, ("ecg_rhythm", "twelve_lead")),
}


def _finish(ctx: Context, body: Resource, rid: str, item: Mapping[str, Any],
            status: str) -> Resource:
    return {
        "resourceType": "Observation",
        "id": rid,
        **({"meta": body.pop("meta")} if "meta" in body else {}),
        "status": status,
        "category": body.pop("category"),
        "code": body.pop("code"),
        "subject": ctx.patient(),
        "encounter": ctx.encounter(),
        "effectiveDateTime": item["taken_at"],
        "performer": [ctx.practitioner(str(item.get("author") or "unknown"))],
        **body,
    }


def _original(state: Mapping[str, Any], entry: str) -> Mapping[str, Any]:
    for h in state.get("history", []):
        if h.get("entry") == entry and isinstance(h.get("data"), Mapping):
            data: Mapping[str, Any] = h["data"]
            return data
    return {}


def observation_resources(ctx: Context) -> list[Resource]:
    """Return the Observations of every observation set, oldest first."""
    out: list[Resource] = []
    for item in ctx.state.get("items", {}).get("observations", []):
        entry = str(item["entry"])
        amended_by = item.get("amended_by")
        original = _original(ctx.state, entry) if amended_by else item
        for key, (build, fields) in GROUPS.items():
            body = build(item)
            rid = ctx.rid(f"obs:{entry}:{key}")
            corrected = None
            if body is not None:
                corrected = ctx.made(entry, _finish(ctx, body, rid, item, "final"))
                out.append(corrected)
                for f in fields:
                    ctx.measured[(entry, f)] = rid
            if not amended_by or all(original.get(f) == item.get(f) for f in fields):
                continue
            old = build(original)
            if old is None:
                continue
            old.pop("meta", None)  # the vital-sign profiles fix status to final
            old_rid = ctx.rid(f"obs:{entry}:{key}:superseded")
            old_item = {**item, "taken_at": original.get("taken_at", item["taken_at"])}
            superseded = _finish(ctx, old, old_rid, old_item, "entered-in-error")
            superseded["note"] = [{"text": "Superseded by an amendment; see the corrected "
                                   "value and the amendment's Provenance."}]
            out.append(superseded)
            target = ("Observation", rid if corrected else old_rid)
            ctx.revised.setdefault(str(amended_by), []).append(
                (target, ("Observation", old_rid)))
    return out


def _source(ctx: Context, news2: Mapping[str, Any], parameter: str) -> str | None:
    """Return the Observation a NEWS2 parameter was scored from."""
    field = c.NEWS2_SOURCE_FIELD[parameter]
    observations = ctx.state.get("items", {}).get("observations", [])
    said = news2.get("parameters")
    said = said.get(parameter) if isinstance(said, Mapping) else None
    if isinstance(said, Mapping) and said.get("entry"):
        found = ctx.measured.get((str(said["entry"]), field))
        if found:
            return found
    at = str(said.get("taken_at")) if isinstance(said, Mapping) and said.get("taken_at") \
        else str(news2.get("taken_at", ""))
    chosen = None
    for item in observations:  # latest set at or before the score's time holding the value
        if item.get(field) is not None and str(item.get("taken_at", "")) <= at:
            chosen = item
        if item.get(field) is not None and str(item.get("taken_at", "")) == at:
            chosen = item
            break
    return None if chosen is None else ctx.measured.get((str(chosen["entry"]), field))


def news2_resource(ctx: Context) -> Resource | None:
    """Return the NEWS2 total with its subscores, exactly as the record's state scored it."""
    news2 = ctx.state.get("scores", {}).get("news2")
    if not isinstance(news2, Mapping):
        return None
    components = news2.get("components") or {}
    parts = []
    sources: list[str] = []
    for parameter in c.NEWS2_PARAMETERS:
        if parameter not in components:
            continue
        key = "spo2_scale2" if parameter == "spo2" and news2.get("spo2_scale") == 2 \
            else parameter
        code, display = c.NEWS2_SUBSCORES[key]
        parts.append({"code": concept(coding(c.SNOMED, code, display)),
                      "valueQuantity": quantity(components[parameter], "score", "{ScoreOf}")})
        source = _source(ctx, news2, parameter)
        if source and source not in sources:
            sources.append(source)
    notes = [f"Band: {news2.get('band')} ({news2.get('response')})"]
    if not news2.get("complete", False):
        notes.append("Incomplete set: not scored: " + ", ".join(news2.get("missing", [])))
    if news2.get("applicable") is False:
        notes.append(f"Not validated: {news2.get('not_validated_reason')}")
    effective = news2.get("last_complete_at") or news2.get("taken_at")
    resource: Resource = {
        "resourceType": "Observation",
        "id": ctx.rid("news2"),
        "meta": {"profile": [c.profile(c.NEWS2_PROFILE)]},
        "status": "final",
        "category": _category("survey"),
        "code": concept(coding(c.SNOMED, *c.NEWS2_TOTAL), text="NEWS2 total score"),
        "subject": ctx.patient(),
        "encounter": ctx.encounter(),
        "effectiveDateTime": effective,
        "valueQuantity": quantity(news2.get("aggregate"), "score", "{ScoreOf}"),
        "note": [{"text": n} for n in notes],
        "component": parts,
    }
    if sources:
        resource["derivedFrom"] = [ctx.reference("Observation", s) for s in sources]
    return resource
