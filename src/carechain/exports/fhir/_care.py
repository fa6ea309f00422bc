"""Patient, Encounter and the care given: medications, procedures, allergies, impression."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from carechain.clinical.nhs_number import VERIFICATION_STATUS
from carechain.exports.fhir import _codes as c
from carechain.exports.fhir._common import Resource, coding, concept, get, quantity
from carechain.exports.fhir._context import Context

__all__ = [
    "allergy_resources",
    "condition_resource",
    "encounter_resource",
    "medication_resources",
    "patient_resource",
    "procedure_resources",
]


def _section(ctx: Context, name: str) -> Mapping[str, Any]:
    found: Mapping[str, Any] = ctx.state.get("sections", {}).get(name, {}) or {}
    return found


def _writers(ctx: Context, kind: str) -> list[str]:
    return [str(h["entry"]) for h in ctx.state.get("history", []) if h.get("kind") == kind]


def patient_resource(ctx: Context) -> Resource:
    """Return the UK Core Patient."""
    p = _section(ctx, "patient")
    out: Resource = {
        "resourceType": "Patient",
        "id": ctx.rid("patient"),
        "meta": {"profile": [c.profile("UKCore-Patient")]},
    }
    if p.get("nhs_number"):
        # The recorded status: 01 when the crew confirmed a PDS trace (docs/lookup.md), 02
        # (not traced) for a number as told or read, and for records written before it.
        code = str(p.get("nhs_number_status") or "02")
        status = coding(c.NHS_VERIFICATION_CS, code, VERIFICATION_STATUS.get(code, code))
        out["identifier"] = [{
            "extension": [{"url": c.NHS_VERIFICATION_EXT,
                           "valueCodeableConcept": concept(status)}],
            "system": c.NHS_NUMBER,
            "value": str(p["nhs_number"]),
        }]
    name: Resource = {"use": "official"}
    if p.get("family_name"):
        name["family"] = p["family_name"]
    if p.get("given_name"):
        name["given"] = [p["given_name"]]
    if len(name) > 1:
        out["name"] = [name]
    elif p.get("unknown_patient"):
        out["name"] = [{"use": "anonymous", "text": "Unknown patient"}]
    if p.get("sex"):
        out["gender"] = p["sex"]
    if p.get("date_of_birth"):
        out["birthDate"] = p["date_of_birth"]
    if p.get("address") or p.get("postcode"):
        address: Resource = {"use": "home"}
        if p.get("address"):
            address["text"] = p["address"]
        if p.get("postcode"):
            address["postalCode"] = p["postcode"]
        out["address"] = [address]
    kin = p.get("next_of_kin")
    if isinstance(kin, Mapping):
        contact: Resource = {}
        if kin.get("relationship"):
            contact["relationship"] = [concept(text=str(kin["relationship"]))]
        if kin.get("name"):
            contact["name"] = {"text": kin["name"]}
        if kin.get("phone"):
            contact["telecom"] = [{"system": "phone", "value": kin["phone"]}]
        out["contact"] = [contact]
    if p.get("gp_practice"):
        out["generalPractitioner"] = [{"display": p["gp_practice"]}]
    for entry in _writers(ctx, "patient.recorded"):
        ctx.made(entry, out)
    return out


_PERIOD_START = ("patient_contact", "on_scene", "mobile", "call_received")
_PERIOD_END = ("handover", "at_hospital", "clear", "left_scene")


def encounter_resource(ctx: Context) -> Resource:
    """Return the Encounter: the ambulance attendance, from patient contact to handover."""
    incident = _section(ctx, "incident")
    disposition = _section(ctx, "disposition")
    signed = "signoff" in ctx.state.get("sections", {})
    out: Resource = {
        "resourceType": "Encounter",
        "id": ctx.rid("encounter"),
        "meta": {"profile": [c.profile("UKCore-Encounter")]},
        "status": "finished" if signed else "in-progress",
        "class": coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "EMER",
                        "emergency"),
        "subject": ctx.patient(),
    }
    if incident.get("incident_number"):
        out["identifier"] = [{"system": c.INCIDENT_SYSTEM, "value": incident["incident_number"]}]
    period: Resource = {}
    start = next((incident[k] for k in _PERIOD_START if incident.get(k)), None)
    end = next((incident[k] for k in _PERIOD_END if incident.get(k)), None)
    if start:
        period["start"] = start
    if end and signed:
        period["end"] = end
    if period:
        out["period"] = period
    if incident.get("dispatch_complaint"):
        out["reasonCode"] = [concept(text=str(incident["dispatch_complaint"]))]
    if incident.get("category") is not None:
        out["priority"] = concept(text=f"ARP category {incident['category']}")
    if disposition.get("outcome") == "conveyed" and disposition.get("hospital"):
        out["hospitalization"] = {"destination": {"display": disposition["hospital"]}}
    if incident.get("address"):
        out["location"] = [{"location": {"display": incident["address"]}}]
    for kind in ("incident.recorded", "disposition.recorded", "record.opened"):
        for entry in _writers(ctx, kind):
            ctx.made(entry, out)
    return out


def _dmd(drug: str) -> Resource:
    found = c.dmd_codes().get(drug.casefold())
    if found is None:
        return concept(text=drug)
    return concept(coding(c.SNOMED, found[0], found[1]), text=drug)


def medication_resources(ctx: Context) -> list[Resource]:
    """Return a MedicationAdministration per dose given."""
    out = []
    for item in ctx.state.get("items", {}).get("medications", []):
        entry = str(item["entry"])
        unit = str(item["unit"])
        dosage: Resource = {"dose": {"value": item["dose"], "unit": unit}}
        if unit in c.DOSE_UNITS:
            dosage["dose"] = quantity(item["dose"], unit, c.DOSE_UNITS[unit])
        route = c.ROUTES.get(str(item["route"]))
        dosage["route"] = concept(coding(c.SNOMED, *route), text=item["route"]) if route \
            else concept(text=str(item["route"]))
        resource: Resource = {
            "resourceType": "MedicationAdministration",
            "id": ctx.rid(f"med:{entry}"),
            "meta": {"profile": [c.profile("UKCore-MedicationAdministration")]},
            "status": "completed",
            "medicationCodeableConcept": _dmd(str(item["drug"])),
            "subject": ctx.patient(),
            "context": ctx.encounter(),
            "effectiveDateTime": item["given_at"],
            "performer": [{"actor": ctx.practitioner(str(item["given_by"]))}],
            "dosage": dosage,
        }
        notes = []
        if item.get("batch"):
            notes.append(f"Batch {item['batch']}")
        if item.get("override_reason"):
            notes.append(f"Given despite a formulary warning: {item['override_reason']}")
        if item.get("amended_by"):
            notes.append("Amended: this is the corrected administration")
        if notes:
            resource["note"] = [{"text": n} for n in notes]
        out.append(ctx.made(entry, resource))
    return out


def procedure_resources(ctx: Context) -> list[Resource]:
    """Return a Procedure per procedure performed."""
    out = []
    for item in ctx.state.get("items", {}).get("procedures", []):
        entry = str(item["entry"])
        code, display = c.PROCEDURES.get(str(item["procedure"]), (None, str(item["procedure"])))
        text = str(item.get("details") or display)
        resource: Resource = {
            "resourceType": "Procedure",
            "id": ctx.rid(f"proc:{entry}"),
            "meta": {"profile": [c.profile("UKCore-Procedure")]},
            "status": "completed",
            "code": concept(coding(c.SNOMED, code, display), text=text) if code
            else concept(text=text),
            "subject": ctx.patient(),
            "encounter": ctx.encounter(),
            "performedDateTime": item["performed_at"],
            "performer": [{"actor": ctx.practitioner(str(item["performed_by"]))}],
        }
        if item.get("site"):
            resource["bodySite"] = [concept(text=str(item["site"]))]
        if item.get("successful") is not None:
            resource["outcome"] = concept(
                text="successful" if item["successful"] else "unsuccessful")
        if item.get("attempts"):
            resource["note"] = [{"text": f"Attempts: {item['attempts']}"}]
        out.append(ctx.made(entry, resource))
    return out


_CRITICALITY = {"life-threatening": "high", "severe": "high", "moderate": "low", "mild": "low"}
_SEVERITY = {"mild": "mild", "moderate": "moderate", "severe": "severe",
             "life-threatening": "severe"}


def allergy_resources(ctx: Context) -> list[Resource]:
    """Return the allergies, or one 'no known allergy' when NKDA is recorded."""
    history = _section(ctx, "history")
    writers = _writers(ctx, "history.recorded")
    base: Resource = {
        "resourceType": "AllergyIntolerance",
        "meta": {"profile": [c.profile("UKCore-AllergyIntolerance")]},
        "clinicalStatus": concept(coding(
            "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active",
            "Active")),
        "verificationStatus": concept(coding(
            "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification",
            "unconfirmed", "Unconfirmed")),
        "patient": ctx.patient(),
        "encounter": ctx.encounter(),
    }
    out = []
    for i, allergy in enumerate(history.get("allergies") or []):
        resource: Resource = {**base, "id": ctx.rid(f"allergy:{i}"),
                              "code": concept(text=str(allergy["substance"]))}
        severity = allergy.get("severity")
        if severity in _CRITICALITY:
            resource["criticality"] = _CRITICALITY[severity]
        if allergy.get("reaction"):
            reaction: Resource = {"manifestation": [concept(text=str(allergy["reaction"]))]}
            if severity in _SEVERITY:
                reaction["severity"] = _SEVERITY[severity]
            resource["reaction"] = [reaction]
        out.append(resource)
    if not out and history.get("no_known_allergies") is True:
        out.append({**base, "id": ctx.rid("allergy:none"),
                    "verificationStatus": concept(coding(
                        "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification",
                        "confirmed", "Confirmed")),
                    "code": concept(coding(c.SNOMED, *c.NO_KNOWN_ALLERGY),
                                    text="No known drug allergies")})
    for resource in out:
        for entry in writers:
            ctx.made(entry, resource)
    return out


def condition_resource(ctx: Context) -> Resource | None:
    """Return the working impression as a provisional encounter diagnosis."""
    impression = _section(ctx, "impression")
    text = impression.get("working_impression") or get(impression, "category")
    if not text:
        return None
    out: Resource = {
        "resourceType": "Condition",
        "id": ctx.rid("impression"),
        "meta": {"profile": [c.profile("UKCore-Condition")]},
        "clinicalStatus": concept(coding(
            "http://terminology.hl7.org/CodeSystem/condition-clinical", "active", "Active")),
        "verificationStatus": concept(coding(
            "http://terminology.hl7.org/CodeSystem/condition-ver-status", "provisional",
            "Provisional")),
        "category": [concept(coding(
            "http://terminology.hl7.org/CodeSystem/condition-category", "encounter-diagnosis",
            "Encounter Diagnosis"))],
        "code": concept(text=str(text)),
        "subject": ctx.patient(),
        "encounter": ctx.encounter(),
    }
    if impression.get("category"):
        out["note"] = [{"text": f"Category: {impression['category']}"}]
    for entry in _writers(ctx, "impression.recorded"):
        ctx.made(entry, out)
    return out
