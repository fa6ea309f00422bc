"""Attachments and 12-lead ECGs as DocumentReferences: what the file is, when it was
taken, its size and SHA-256, and for an ECG the device's interpretation statements
verbatim.

The file's bytes are not in the document: the FHIR export and the read API carry no
attachment content (a photo may be 10 MB); the record's node holds the file, named by the
attachment id given as the DocumentReference's identifier. An ECG's file is described once,
by the ECG's DocumentReference, not again as a plain attachment.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from carechain.exports.fhir import _codes as c
from carechain.exports.fhir._common import Resource, coding, concept
from carechain.exports.fhir._context import Context
from carechain.exports.fhir._make import clock, items, words

__all__ = ["document_resources"]


def _reference(ctx: Context, rid: str, attachment: Mapping[str, Any], taken_at: object,
               kind: Resource) -> Resource:
    meta: Resource = {"title": str(attachment.get("filename") or "attachment"),
                      "creation": taken_at}
    if attachment.get("content_type"):
        meta["contentType"] = attachment["content_type"]
    if attachment.get("size"):
        meta["size"] = attachment["size"]
    identifiers = [{"system": c.ATTACHMENT_SYSTEM, "value": str(attachment["attachment"])}]
    if attachment.get("sha256"):
        identifiers.append({"system": c.SHA256_SYSTEM, "value": str(attachment["sha256"])})
    return {
        "resourceType": "DocumentReference",
        "id": ctx.rid(rid),
        "meta": {"profile": [c.profile("UKCore-DocumentReference")]},
        "identifier": identifiers,
        "status": "current",
        "type": kind,
        "subject": ctx.patient(),
        "date": taken_at,
        "content": [{"attachment": meta}],
        "context": {"encounter": [ctx.encounter()]},
    }


def document_resources(ctx: Context) -> list[Resource]:
    """Return a DocumentReference per ECG and per other attachment."""
    files = {str(a["attachment"]): a for a in items(ctx, "attachments")}
    out = []
    described = set()
    for ecg in items(ctx, "ecgs"):
        file = files.get(str(ecg["attachment"]), {"attachment": ecg["attachment"]})
        described.add(str(ecg["attachment"]))
        statements = [str(s) for s in ecg.get("interpretation") or []]
        resource = _reference(ctx, f"ecg:{ecg['entry']}", file, ecg["taken_at"], concept(
            coding(c.LOINC, *c.ECG_DOCUMENT), text="12-lead ECG"))
        leads = ", ".join(str(lead["lead"]) for lead in ecg.get("leads") or [])
        resource["description"] = "\n".join(statements) or "No interpretation statements"
        resource["content"][0]["format"] = {"system": "urn:carechain:ecg-format",
                                            "code": str(ecg["format"]),
                                            "display": words(ecg["format"])}
        out.append(ctx.made(str(ecg["entry"]), resource))
        ctx.say("documents", f"{clock(ecg['taken_at'])} 12-lead ECG ({words(ecg['format'])}, "
                             f"{ecg['sample_rate_hz']:g} Hz, leads {leads})")
        for statement in statements:
            ctx.say("documents", f"ECG statement: {statement}")
    for file in files.values():
        if str(file["attachment"]) in described:
            continue
        form = "photo" if str(file["content_type"]).startswith("image/") else "document"
        kind = concept(text=f"{words(file['category']).capitalize()} {form}")
        resource = _reference(ctx, f"attachment:{file['entry']}", file, file["taken_at"], kind)
        if file.get("caption"):
            resource["description"] = file["caption"]
        out.append(ctx.made(str(file["entry"]), resource))
        caption = f": {file['caption']}" if file.get("caption") else ""
        ctx.say("documents", f"{clock(file['taken_at'])} {kind['text']} {file['filename']} "
                             f"({file['size']} bytes){caption}")
    return out
