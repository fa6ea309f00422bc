"""The document: Provenance per signed entry, the Composition, and the Bundle around them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from carechain.exports.fhir import _codes as c
from carechain.exports.fhir._arrest import arrest_resources
from carechain.exports.fhir._care import (
    allergy_resources,
    condition_resource,
    encounter_resource,
    medication_resources,
    patient_resource,
    procedure_resources,
)
from carechain.exports.fhir._common import Resource, Signer, coding, concept, narrative
from carechain.exports.fhir._consent import consent_resources
from carechain.exports.fhir._context import Context
from carechain.exports.fhir._documents import document_resources
from carechain.exports.fhir._trauma import support_resources as airway_resources
from carechain.exports.fhir._trauma import trauma_resources
from carechain.exports.fhir._vitals import news2_resource, observation_resources

__all__ = ["clinical_resources", "document_bundle", "support_resources"]

_SIGNATURE_TYPE = coding("urn:iso-astm:E1762-95:2013", "1.2.840.10065.1.12.1.1",
                         "Author's Signature")
_PROVENANCE_TYPE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"


def clinical_resources(ctx: Context) -> dict[str, list[Resource]]:
    """Return the record's clinical resources by Composition section (Patient first)."""
    observations = observation_resources(ctx)
    news2 = news2_resource(ctx)
    condition = condition_resource(ctx)
    return {
        "patient": [patient_resource(ctx), encounter_resource(ctx)],
        "problems": [condition] if condition else [],
        "observations": observations + ([news2] if news2 else []),
        "medications": medication_resources(ctx),
        "procedures": procedure_resources(ctx),
        "allergies": allergy_resources(ctx),
        "arrest": arrest_resources(ctx),
        "trauma": trauma_resources(ctx),
        "support": airway_resources(ctx),
        **consent_resources(ctx),
        "documents": document_resources(ctx),
    }


def _history(ctx: Context) -> dict[str, Mapping[str, Any]]:
    return {str(h["entry"]): h for h in ctx.state.get("history", [])}


def _devices(ctx: Context, signers: Mapping[str, Signer]) -> dict[str, Resource]:
    out: dict[str, Resource] = {}
    for signer in signers.values():
        if signer.key in out:
            continue
        out[signer.key] = {
            "resourceType": "Device",
            "id": ctx.rid(f"key:{signer.key}"),
            "identifier": [{"system": c.KEY_SYSTEM, "value": signer.key}],
            "deviceName": [{"name": signer.node, "type": "user-friendly-name"}],
        }
    return out


def support_resources(ctx: Context, signers: Mapping[str, Signer]) -> list[Resource]:
    """Return the Practitioners, signing Devices and a Provenance per signed entry."""
    history = _history(ctx)
    devices = _devices(ctx, signers)
    provenance: list[Resource] = []
    for entry, targets in list(ctx.produced.items()) + [
        (e, [t for t, _ in pairs]) for e, pairs in ctx.revised.items()
    ]:
        h = history.get(entry, {})
        user = str(h.get("user") or "unknown")
        agents: list[Resource] = [{
            "type": concept(coding(_PROVENANCE_TYPE, "author", "Author")),
            "who": ctx.practitioner(user),
        }]
        resource: Resource = {
            "resourceType": "Provenance",
            "id": ctx.rid(f"prov:{entry}"),
            "meta": {"profile": [c.profile("UKCore-Provenance")]},
            "target": [ctx.reference(t, i) for t, i in dict.fromkeys(targets)],
            "recorded": h.get("time"),
            "agent": agents,
            "entity": [{"role": "source",
                        "what": {"identifier": {"system": c.ENTRY_SYSTEM, "value": entry},
                                 "display": f"carechain entry {h.get('kind')}"}}],
        }
        signer = signers.get(entry)
        if signer is not None:
            device = devices[signer.key]
            agents.append({
                "type": concept(coding(_PROVENANCE_TYPE, "assembler", "Assembler")),
                "who": ctx.reference("Device", device["id"], signer.node),
            })
            resource["signature"] = [{
                "type": [_SIGNATURE_TYPE],
                "when": h.get("time"),
                "who": ctx.reference("Device", device["id"], signer.node),
                "sigFormat": "application/octet-stream",
                "data": signer.signature,
            }]
        if entry in ctx.revised:
            resource["activity"] = concept(coding(
                "http://terminology.hl7.org/CodeSystem/v3-DataOperation", "UPDATE", "revise"))
            reason = (h.get("data") or {}).get("reason")
            if reason:
                resource["reason"] = [concept(text=str(reason))]
            resource["entity"] += [{"role": "revision", "what": ctx.reference(t, i)}
                                   for _, (t, i) in ctx.revised[entry]]
        if resource["recorded"] is None:
            continue
        provenance.append(resource)
    signoff = ctx.state.get("sections", {}).get("signoff", {})
    signed_by = next((str(h["user"]) for h in ctx.state.get("history", [])
                      if h.get("kind") == "record.signed"), None)
    practitioners = []
    for staff, rid in ctx.staff.items():
        person: Resource = {"resourceType": "Practitioner", "id": rid,
                            "identifier": [{"system": c.STAFF_SYSTEM, "value": staff}]}
        if staff == signed_by and signoff.get("clinician_name"):
            person["name"] = [{"text": signoff["clinician_name"]}]
        if staff == signed_by and signoff.get("registration"):
            person["qualification"] = [{"identifier": [{"value": signoff["registration"]}],
                                        "code": concept(text=str(signoff.get("clinician_role")))}]
        practitioners.append(person)
    return practitioners + list(devices.values()) + provenance


def _section_lines(ctx: Context, name: str, resources: list[Resource]) -> list[str]:
    sections = ctx.state.get("sections", {})
    if name == "complaint":
        h = sections.get("history", {})
        return [str(h[k]) for k in ("presenting_complaint", "history_of_presenting_complaint")
                if h.get(k)]
    if name == "plan":
        d = sections.get("disposition", {})
        lines = [f"{k.replace('_', ' ')}: {d[k]}" for k in (
            "outcome", "hospital", "pre_alert_category", "eta", "requirements", "referral",
            "safety_netting") if d.get(k) not in (None, "")]
        return lines
    lines = []
    for r in resources:
        code = r.get("code") or r.get("medicationCodeableConcept") or {}
        text = code.get("text") or next((x["display"] for x in code.get("coding", [])), "")
        value = r.get("valueQuantity")
        said = f"{value.get('value')} {value.get('unit')}" if value else ""
        if r.get("component") and r.get("code", {}).get("text") == "Blood pressure":
            said = "/".join(str(p["valueQuantity"]["value"]) for p in r["component"]) + " mmHg"
        if "valueCodeableConcept" in r:
            said = r["valueCodeableConcept"].get("text", "")
        if "valueString" in r:
            said = r["valueString"]
        if "valueInteger" in r:
            said = str(r["valueInteger"])
        when = r.get("effectiveDateTime") or r.get("performedDateTime") or ""
        status = " (superseded)" if r.get("status") == "entered-in-error" else ""
        lines.append(" ".join(x for x in (str(when), str(text), said) if x) + status)
    return lines


def document_bundle(ctx: Context, signers: Mapping[str, Signer]) -> Resource:
    """Return the FHIR document: a Bundle whose first entry is the Composition."""
    grouped = clinical_resources(ctx)
    history = ctx.state.get("history", [])
    date = max((str(h["time"]) for h in history if h.get("time")), default=None)
    sections = []
    headings = {name: (c.SNOMED, code, title, title) for name, (code, title) in
                c.SECTIONS.items()}
    more = {name: (c.HEADINGS, *heading) for name, heading in c.MORE_SECTIONS.items()
            if grouped.get(name)}  # the newer sections only when the record holds them
    order = [n for n in headings if n != "plan"] + list(more) + ["plan"]
    for name in order:
        system, code, display, title = headings.get(name) or more[name]
        resources = [] if name in ("complaint", "plan") else grouped.get(name, [])
        lines = ctx.lines.get(name) if name in more else _section_lines(ctx, name, resources)
        section: Resource = {
            "title": title,
            "code": concept(coding(system, code, display)),
            "text": narrative(lines or []),
        }
        if resources:
            section["entry"] = [ctx.reference(r["resourceType"], r["id"]) for r in resources]
        else:
            section["emptyReason"] = concept(coding(
                "http://terminology.hl7.org/CodeSystem/list-empty-reason", "unavailable",
                "Unavailable"))
        sections.append(section)
    signoff = ctx.state.get("sections", {}).get("signoff", {})
    opener = next((h for h in history if h.get("kind") == "record.opened"), None)
    author = ctx.practitioner(str(opener["user"])) if opener else ctx.practitioner("unknown")
    composition: Resource = {
        "resourceType": "Composition",
        "id": ctx.rid("composition"),
        "meta": {"profile": [c.profile("UKCore-Composition")]},
        "identifier": {"system": c.RECORD_SYSTEM, "value": ctx.record},
        "status": "final" if signoff else "preliminary",
        "type": concept(coding(c.SNOMED, *c.COMPOSITION_TYPE),
                        text="Ambulance patient care record"),
        "subject": ctx.patient(),
        "encounter": ctx.encounter(),
        "date": date,
        "author": [author],
        "title": "Ambulance patient care record",
        "section": sections,
    }
    if signoff:
        signer = next((str(h["user"]) for h in history if h.get("kind") == "record.signed"),
                      "unknown")
        composition["attester"] = [{
            "mode": "legal", "time": signoff.get("signed_at"),
            "party": {k: v for k, v in ctx.practitioner(signer).items() if k != "identifier"},
        }]
    support = support_resources(ctx, signers)  # after the attester: it may be a new person
    everything = [composition] + [r for rs in grouped.values() for r in rs] + support
    return {
        "resourceType": "Bundle",
        "id": ctx.rid("document"),
        "meta": {"profile": [c.profile("UKCore-Bundle")]},
        "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{ctx.rid('document')}"},
        "type": "document",
        "timestamp": date,
        "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in everything],
    }
