"""Capacity, refusal, non-conveyance referrals, signatures and safeguarding.

A capacity assessment is an Observation (the two-stage test, each answer a component); a
refusal is a Consent that denies what was refused, with an Observation of what the
patient was told and who they were left with, and a Flag so a later reader sees that care
was declined; a referral is a ServiceRequest; a drawn signature is a DocumentReference
carrying the image (the entry itself holds it), which the refusal's Consent names as its
source; a safeguarding concern is a Flag, and its referral a ServiceRequest.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from carechain.exports.fhir import _codes as c
from carechain.exports.fhir._common import Resource, coding, concept
from carechain.exports.fhir._context import Context
from carechain.exports.fhir._make import clock, items, observation, words, written

__all__ = ["consent_resources"]

_ABILITIES = ("understand", "retain", "weigh", "communicate")
_PNG = "data:image/png;base64,"


def _capacity(ctx: Context, item: Mapping[str, Any]) -> Resource:
    parts: list[Resource] = [
        {"code": concept(text="Decision"), "valueString": item["decision"]},
        {"code": concept(text="Stage 1: impairment of, or disturbance in the functioning "
                              "of, the mind or brain"), "valueBoolean": item["impairment"]},
    ]
    parts += [{"code": concept(text=f"Stage 2: can {a} the information" if a != "communicate"
                               else "Stage 2: can communicate the decision"),
               "valueBoolean": item[a]} for a in _ABILITIES if item.get(a) is not None]
    notes = [f"{name.removesuffix('_notes')}: {item[name]}" for name in
             ("impairment_notes", *(f"{a}_notes" for a in _ABILITIES)) if item.get(name)]
    conclusion = words(item["conclusion"])
    ctx.say("capacity", f"{clock(item['assessed_at'])} {item['decision']}: {conclusion} "
                        f"(assessed by {item['assessed_by']})" + "".join(
                            f"; {n}" for n in notes))
    return ctx.made(str(item["entry"]), observation(
        ctx, f"capacity:{item['entry']}",
        concept(text="Mental capacity assessment (Mental Capacity Act 2005, two-stage test)"),
        at=item["assessed_at"], by=item["assessed_by"], category="survey",
        valueCodeableConcept=concept(text=conclusion), component=parts,
        note=[{"text": n} for n in notes]))


def _signature(ctx: Context, item: Mapping[str, Any]) -> Resource:
    image = str(item["image"])
    if item["format"] == "png":
        content_type, data = "image/png", image.removeprefix(_PNG)
    else:  # an SVG path: wrapped in the smallest SVG document that draws it
        svg = ('<svg xmlns="http://www.w3.org/2000/svg"><path fill="none" stroke="black" '
               f'd="{image}"/></svg>')
        content_type, data = "image/svg+xml", base64.b64encode(svg.encode()).decode()
    said = f"Signed by {item['name']} ({item['signer']}) for {words(item['signed_for'])}"
    ctx.say("consent", f"{clock(item['signed_at'])} {said}")
    return ctx.made(str(item["entry"]), {
        "resourceType": "DocumentReference",
        "id": ctx.rid(f"signature:{item['entry']}"),
        "meta": {"profile": [c.profile("UKCore-DocumentReference")]},
        "status": "current",
        "type": concept(text=f"Signature ({item['signer']})"),
        "subject": ctx.patient(),
        "date": item["signed_at"],
        "description": said,
        "content": [{"attachment": {"contentType": content_type, "data": data,
                                    "title": f"Signature of {item['name']}",
                                    "creation": item["signed_at"]}}],
    })


def _refusal(ctx: Context, item: Mapping[str, Any], signed: list[Resource]) -> list[Resource]:
    entry = str(item["entry"])
    item = {**item, "recorded_at": written(ctx, item, "recorded_at")}
    refused = ", ".join(words(x) for x in item["refused"])
    capacity = words(item["capacity"])
    left = words(item["left_with"]) + (f" ({item['left_with_name']})"
                                       if item.get("left_with_name") else "")
    consent: Resource = {
        "resourceType": "Consent",
        "id": ctx.rid(f"refusal:{entry}"),
        "meta": {"profile": [c.profile("UKCore-Consent")]},
        "status": "active",
        "scope": concept(coding(c.CONSENT_SCOPE, "treatment", "Treatment")),
        "category": [concept(coding(c.LOINC, *c.CONSENT_CATEGORY))],
        "patient": ctx.patient(),
        "dateTime": item["recorded_at"],
        "performer": [ctx.patient()],
        "policyRule": concept(text="Mental Capacity Act 2005; JRCALC: patients declining care"),
        "provision": {"type": "deny",
                      "code": [concept(text=words(x)) for x in item["refused"]]},
    }
    later = [s for s in signed if str(s["date"]) >= str(item["recorded_at"])]
    if signed:
        source = (later or signed)[0]
        consent["sourceReference"] = ctx.reference("DocumentReference", source["id"])
    told = [("Capacity", capacity), ("Risks explained", item.get("risks_explained")),
            ("Best interests", item.get("best_interests")),
            ("Worsening advice", item.get("worsening_advice")), ("Left with", left)]
    details = observation(
        ctx, f"refusal:{entry}:details", concept(text="Refusal of care"),
        at=item["recorded_at"], by=item["recorded_by"], category="survey",
        valueCodeableConcept=concept(text=f"Declined: {refused}"),
        component=[{"code": concept(text=k), "valueString": str(v)} for k, v in told if v],
        focus=[ctx.reference("Consent", consent["id"])],
        note=[{"text": str(item["details"])}] if item.get("details") else None)
    flag: Resource = {
        "resourceType": "Flag",
        "id": ctx.rid(f"refusal:{entry}:flag"),
        "meta": {"profile": [c.profile("UKCore-Flag")]},
        "status": "active",
        "category": [concept(coding(c.FLAG_CATEGORY, "clinical", "Clinical"))],
        "code": concept(text=f"Patient declined {refused} ({capacity})"),
        "subject": ctx.patient(),
        "period": {"start": item["recorded_at"]},
        "author": ctx.practitioner(str(item["recorded_by"])),
    }
    ctx.say("consent", f"{clock(item['recorded_at'])} Declined {refused}; {capacity}; "
                       + "; ".join(f"{k.lower()}: {v}" for k, v in told[1:] if v))
    return [ctx.made(entry, r) for r in (consent, details, flag)]


def _request(ctx: Context, rid: str, what: str, *, at: object, by: object,
             reference: object, reason: object = None, notes: object = None) -> Resource:
    out: Resource = {
        "resourceType": "ServiceRequest",
        "id": ctx.rid(rid),
        "meta": {"profile": [c.profile("UKCore-ServiceRequest")]},
        "status": "active",
        "intent": "order",
        "code": concept(text=what),
        "subject": ctx.patient(),
        "encounter": ctx.encounter(),
        "authoredOn": at,
        "requester": ctx.practitioner(str(by)),
    }
    if reference:
        out["identifier"] = [{"system": c.REFERENCE_SYSTEM, "value": str(reference)}]
    if reason:
        out["reasonCode"] = [concept(text=str(reason))]
    if notes:
        out["note"] = [{"text": str(notes)}]
    return out


def _referral(ctx: Context, item: Mapping[str, Any]) -> Resource:
    service = item.get("service_name") or words(item["service"])
    ref = f" (reference {item['reference']})" if item.get("reference") else ""
    ctx.say("consent", f"{clock(item['made_at'])} Referred to {service}{ref}")
    out = _request(ctx, f"referral:{item['entry']}", f"Referral to {service}",
                   at=item["made_at"], by=item["made_by"], reference=item.get("reference"),
                   notes=item.get("notes"))
    out["performerType"] = concept(text=str(service))
    return ctx.made(str(item["entry"]), out)


def _safeguarding(ctx: Context, item: Mapping[str, Any]) -> list[Resource]:
    entry, who = str(item["entry"]), str(item["concern_for"])
    person = "a child" if who == "child" else "an adult"
    sent = (f"referral sent, reference {item['reference']}" if item["referral_sent"]
            else f"referral not sent: {item.get('reason_not_sent')}")
    flag: Resource = {
        "resourceType": "Flag",
        "id": ctx.rid(f"safeguarding:{entry}"),
        "meta": {"profile": [c.profile("UKCore-Flag")]},
        "status": "active",
        "category": [concept(coding(c.FLAG_CATEGORY, "safety", "Safety"))],
        "code": concept(text=f"Safeguarding concern for {person}: {item['concern']}; {sent}"),
        "subject": ctx.patient(),
        "period": {"start": item["raised_at"]},
        "author": ctx.practitioner(str(item["raised_by"])),
    }
    out = [flag]
    if item["referral_sent"]:
        out.append(_request(ctx, f"safeguarding:{entry}:referral",
                            f"Safeguarding referral ({who})", at=item["raised_at"],
                            by=item["raised_by"], reference=item.get("reference"),
                            reason=item["concern"]))
    ctx.say("safeguarding", f"{clock(item['raised_at'])} Concern for {person}: "
                            f"{item['concern']}; {sent}")
    return [ctx.made(entry, r) for r in out]


def consent_resources(ctx: Context) -> dict[str, list[Resource]]:
    """Return the capacity, consent and safeguarding sections' resources."""
    signed = [_signature(ctx, i) for i in items(ctx, "signatures")]
    by_refusal = [s for s, i in zip(signed, items(ctx, "signatures"), strict=True)
                  if i.get("signed_for") == "refusal"]
    consent: list[Resource] = []
    for item in items(ctx, "refusals"):
        consent += _refusal(ctx, item, by_refusal)
    consent += [_referral(ctx, i) for i in items(ctx, "referrals")]
    return {
        "capacity": [_capacity(ctx, i) for i in items(ctx, "capacity")],
        "consent": consent + signed,
        "safeguarding": [r for i in items(ctx, "safeguarding") for r in _safeguarding(ctx, i)],
    }
