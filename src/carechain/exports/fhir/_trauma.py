"""Trauma and the airway, breathing and vascular access given: mechanism and triage as
Observations, each marked injury a Condition with its body site and side, haemorrhage
control, immobilisation, airways, ventilation and IV/IO access as Procedures (an airway's
end-tidal CO2 an Observation of its own)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from carechain.exports.fhir import _codes as c
from carechain.exports.fhir._common import Resource, coding, concept, quantity
from carechain.exports.fhir._context import Context
from carechain.exports.fhir._make import (
    clock,
    items,
    made_by_kind,
    observation,
    procedure,
    section,
    words,
)

__all__ = ["support_resources", "trauma_resources"]

_CONDITION = "http://terminology.hl7.org/CodeSystem/condition-"
_ACCESS = {"IV": "Intravenous cannulation", "IO": "Intraosseous access"}
_CO2_UNITS = {"kPa": ("kilopascal", "kPa"), "mmHg": ("millimeter of mercury", "mm[Hg]")}


def _yes_no(value: object) -> str | None:
    return None if value is None else ("successful" if value else "unsuccessful")


def _outcome(value: object) -> Resource | None:
    said = _yes_no(value)
    return concept(text=said) if said else None


def _mechanism(ctx: Context) -> list[Resource]:
    m = section(ctx, "mechanism")
    if not m:
        return []
    what = words(m.get("mechanism", "not recorded"))
    if m.get("rtc_type"):
        what += f": {words(m['rtc_type'])}"
    parts: list[Resource] = []
    if m.get("speed_mph") is not None:
        parts.append({"code": concept(text="Speed"),
                      "valueQuantity": quantity(m["speed_mph"], "mile per hour", "[mi_i]/h")})
    for name, label in (("ejected", "Ejected"), ("trapped", "Trapped")):
        if m.get(name) is not None:
            parts.append({"code": concept(text=label), "valueBoolean": m[name]})
    if m.get("height_m") is not None:
        parts.append({"code": concept(text="Height of fall"),
                      "valueQuantity": quantity(m["height_m"], "meter", "m")})
    if m.get("weapon"):
        parts.append({"code": concept(text="Weapon"), "valueString": m["weapon"]})
    out = observation(ctx, "mechanism", concept(text="Mechanism of injury"),
                      at=m.get("occurred_at"), valueCodeableConcept=concept(text=what),
                      component=parts,
                      note=[{"text": str(m["details"])}] if m.get("details") else None)
    said = [f"Mechanism: {what}"]
    said += [f"{label} {m[k]:g} {unit}" for k, label, unit in (
        ("speed_mph", "speed", "mph"), ("height_m", "fall of", "m")) if m.get(k) is not None]
    said += [k for k in ("ejected", "trapped") if m.get(k)]
    said += [f"weapon: {m['weapon']}"] if m.get("weapon") else []
    ctx.say("trauma", "; ".join(said))
    return [made_by_kind(ctx, "trauma.mechanism", out)]


def _triage(ctx: Context) -> list[Resource]:
    t = section(ctx, "trauma_triage")
    if not t:
        return []
    criteria = t.get("positive_criteria")
    result = ("not recorded" if criteria is None else
              f"positive ({len(criteria)} criteria met)" if criteria else "negative")
    parts: list[Resource] = [{"code": concept(text="Criterion met"),
                              "valueCodeableConcept": concept(text=words(x))}
                             for x in criteria or []]
    if t.get("mtc_pre_alert") is not None:
        parts.append({"code": concept(text="MTC pre-alert"), "valueBoolean": t["mtc_pre_alert"]})
    where = t.get("destination_name") or (words(t["destination"]) if t.get("destination")
                                          else None)
    if where:
        parts.append({"code": concept(text="Destination"), "valueString": where})
    if t.get("bypass_reason"):
        parts.append({"code": concept(text="Reason for not going to the MTC"),
                      "valueString": t["bypass_reason"]})
    out = observation(ctx, "trauma-triage", concept(text="Major trauma triage"),
                      at=t.get("decided_at"), by=t.get("decided_by"),
                      valueCodeableConcept=concept(text=f"Major trauma triage {result}"),
                      component=parts)
    line = f"Major trauma triage {result}"
    if criteria:
        line += ": " + ", ".join(words(x) for x in criteria)
    if where:
        line += f"; destination {where}"
    ctx.say("trauma", line)
    return [made_by_kind(ctx, "trauma.triage", out)]


def _side(region: str) -> str | None:
    side = region.split("-")[0]
    return side if side in ("left", "right") else None


def _injury(ctx: Context, item: Mapping[str, Any]) -> Resource:
    region, view = str(item["region"]), str(item["view"])
    site = f"{words(region)} ({view} view)"
    notes = []
    if _side(region):
        notes.append(f"Laterality: {_side(region)}")
    if item.get("x") is not None:
        notes.append(f"Body map mark at x {item['x']:g}, y {item['y']:g} of the {view} view")
    if item.get("note"):
        notes.append(str(item["note"]))
    out: Resource = {
        "resourceType": "Condition",
        "id": ctx.rid(f"injury:{item['entry']}"),
        "meta": {"profile": [c.profile("UKCore-Condition")]},
        "clinicalStatus": concept(coding(_CONDITION + "clinical", "active", "Active")),
        "verificationStatus": concept(coding(_CONDITION + "ver-status", "provisional",
                                             "Provisional")),
        "category": [concept(coding(_CONDITION + "category", "encounter-diagnosis",
                                    "Encounter Diagnosis"))],
        "code": concept(text=f"Injury: {words(item['type'])}"),
        "bodySite": [concept(text=site)],
        "subject": ctx.patient(),
        "encounter": ctx.encounter(),
    }
    if item.get("severity"):
        out["severity"] = concept(text=str(item["severity"]))
    if item.get("marked_at"):
        out["recordedDate"] = item["marked_at"]
    if item.get("marked_by"):
        out["recorder"] = ctx.practitioner(str(item["marked_by"]))
    if notes:
        out["note"] = [{"text": n} for n in notes]
    severity = f" ({item['severity']})" if item.get("severity") else ""
    ctx.say("trauma", f"Injury: {words(item['type'])}{severity}, {site}")
    return ctx.made(str(item["entry"]), out)


def _applied(ctx: Context, item: Mapping[str, Any], prefix: str, what: str) -> Resource:
    region = item.get("region")
    out = procedure(
        ctx, f"{prefix}:{item['entry']}", concept(text=what), at=item.get("applied_at"),
        by=item.get("applied_by"),
        bodySite=[concept(text=words(region))] if region else None,
        outcome=None if item.get("effective") is None else concept(
            text="effective" if item["effective"] else "not effective"),
        note=[{"text": str(item["note"])}] if item.get("note") else None)
    where = f" ({words(region)})" if region else ""
    ctx.say("trauma", f"{clock(item.get('applied_at'))} {what}{where}")
    return ctx.made(str(item["entry"]), out)


def trauma_resources(ctx: Context) -> list[Resource]:
    """Return mechanism, triage, injuries, haemorrhage control and immobilisation."""
    out = _mechanism(ctx) + _triage(ctx)
    out += [_injury(ctx, i) for i in items(ctx, "injuries")]
    out += [_applied(ctx, i, "haemorrhage", f"Haemorrhage control: {words(i['method'])}")
            for i in items(ctx, "haemorrhage_control")]
    out += [_applied(ctx, i, "immobilisation", f"Immobilisation: {words(i['device'])}")
            for i in items(ctx, "immobilisation")]
    return out


def _airway(ctx: Context, item: Mapping[str, Any]) -> tuple[list[Resource], str]:
    device = str(item["device"])
    size = f" size {item['size']:g}" if item.get("size") is not None else ""
    if device == "ett":
        code, display = c.PROCEDURES["airway-ett"]
        what = concept(coding(c.SNOMED, str(code), display), text=f"Airway: {words(device)}")
    else:
        what = concept(text=f"Airway: {words(device)}")
    notes = [f"Attempts: {item['attempts']}"]
    if item.get("confirmation"):
        notes.append(f"Placement confirmed by {words(item['confirmation'])}")
    out = [procedure(ctx, f"airway:{item['entry']}", what, at=item["performed_at"],
                     by=item.get("performed_by"),
                     usedCode=[concept(text=f"{words(device)}{size}")],
                     outcome=_outcome(item.get("successful")),
                     note=[{"text": n} for n in notes])]
    said = f"{clock(item['performed_at'])} airway: {words(device)}{size}, " \
           f"{item['attempts']} attempt(s), {_yes_no(item.get('successful'))}"
    if item.get("etco2") is not None:
        unit, ucum = _CO2_UNITS[str(item["etco2_unit"])]
        out.append(observation(
            ctx, f"airway:{item['entry']}:etco2", concept(text="End-tidal CO2"),
            at=item["performed_at"], by=item.get("performed_by"), category="vital-signs",
            valueQuantity=quantity(item["etco2"], unit, ucum),
            partOf=[ctx.reference("Procedure", out[0]["id"])]))
        said += f"; EtCO2 {item['etco2']:g} {item['etco2_unit']}"
    if item.get("confirmation"):
        said += f" ({words(item['confirmation'])})"
    return [ctx.made(str(item["entry"]), r) for r in out], said


def _breathing(ctx: Context, item: Mapping[str, Any]) -> tuple[list[Resource], str]:
    settings = [f"{label} {item[k]:g}{unit}" for k, label, unit in (
        ("rate", "rate", "/min"), ("tidal_volume_ml", "tidal volume", " ml"),
        ("peep_cmh2o", "PEEP", " cmH2O"), ("oxygen_l_min", "oxygen", " L/min"))
        if item.get(k) is not None]
    what = f"Ventilation: {words(item['method'])}"
    said = f"{clock(item['started_at'])} {what}" + (
        f" ({', '.join(settings)})" if settings else "")
    return [ctx.made(str(item["entry"]), procedure(
        ctx, f"breathing:{item['entry']}", concept(text=what), at=item["started_at"],
        by=item.get("performed_by"), note=[{"text": s} for s in settings]))], said


def _access(ctx: Context, item: Mapping[str, Any]) -> tuple[list[Resource], str]:
    what = _ACCESS[str(item["route"])]
    said = (f"{clock(item['performed_at'])} {what}: {item['gauge']} G, {item['site']}, "
            f"{item['attempts']} attempt(s), {_yes_no(item.get('successful'))}")
    return [ctx.made(str(item["entry"]), procedure(
        ctx, f"access:{item['entry']}", concept(text=what), at=item["performed_at"],
        by=item.get("performed_by"), bodySite=[concept(text=str(item["site"]))],
        usedCode=[concept(text=f"{item['gauge']} G {item['route']}")],
        outcome=_outcome(item.get("successful")),
        note=[{"text": f"Attempts: {item['attempts']}"}]))], said


def support_resources(ctx: Context) -> list[Resource]:
    """Return the airways (with EtCO2), ventilation and IV/IO access, in time order."""
    out: list[tuple[str, tuple[list[Resource], str]]] = []
    for name, build, at in (("airways", _airway, "performed_at"),
                            ("breathing", _breathing, "started_at"),
                            ("vascular_access", _access, "performed_at")):
        out += [(str(item[at]), build(ctx, item)) for item in items(ctx, name)]
    done: list[Resource] = []
    for _, (resources, said) in sorted(out, key=lambda x: x[0]):
        done += resources
        ctx.say("support", said)
    return done
