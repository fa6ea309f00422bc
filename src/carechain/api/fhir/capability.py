"""What the FHIR API serves, said once: the CapabilityStatement (`GET /fhir/metadata`) is
built from the same table the tests compare with the router, and the searchset Bundle."""

from __future__ import annotations

import json
from typing import Any

from carechain import __version__

__all__ = ["FHIR_VERSION", "SERVED", "capability_statement", "searchset"]

FHIR_VERSION = "4.0.1"

_UKCORE = "https://fhir.hl7.org.uk/StructureDefinition/"

# resource type -> (interactions, search parameters (name, type, documentation), profile)
SERVED: dict[str, tuple[tuple[str, ...], tuple[tuple[str, str, str], ...], str]] = {
    "Patient": (("read", "search-type"), (
        ("identifier", "token", "The NHS number: https://fhir.nhs.uk/Id/nhs-number|<number> "
         "(or the number alone); each record the caller may read has a Patient of its own"),
    ), "UKCore-Patient"),
    "Encounter": (("read", "search-type"), (
        ("patient", "reference", "The Patient (Patient/<id> or <id>); required"),
    ), "UKCore-Encounter"),
    "Observation": (("search-type",), (
        ("patient", "reference", "The Patient (Patient/<id> or <id>); required"),
        ("category", "token", "vital-signs, survey, laboratory, procedure "
         "(or system|code); a comma means any of them"),
        ("date", "date", "effective time, with a prefix: eq, ne, gt, lt, ge, le, sa, eb"),
    ), "UKCore-Observation"),
    "Bundle": (("read",), (), "UKCore-Bundle"),
    "Composition": ((), (), "UKCore-Composition"),
}


def capability_statement(date: str) -> dict[str, Any]:
    """Return the server's CapabilityStatement (FHIR R4, JSON only, bearer tokens)."""
    resources = []
    for kind, (interactions, params, profile) in SERVED.items():
        entry: dict[str, Any] = {"type": kind, "profile": _UKCORE + profile}
        if interactions:
            entry["interaction"] = [{"code": code} for code in interactions]
        if params:
            entry["searchParam"] = [{"name": n, "type": t, "documentation": d}
                                    for n, t, d in params]
        if kind == "Composition":
            entry["operation"] = [{
                "name": "document",
                "definition": "http://hl7.org/fhir/OperationDefinition/Composition-document",
                "documentation": "GET Composition/<id>/$document: the record's document "
                                 "Bundle, the same as GET Bundle/<document id>",
            }]
        resources.append(entry)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": date,
        "publisher": "carechain",
        "kind": "instance",
        "software": {"name": "carechain", "version": __version__},
        "implementation": {"description": "carechain FHIR read API: the records this node "
                                          "holds, read only, each read audited"},
        "fhirVersion": FHIR_VERSION,
        "format": ["json"],
        "rest": [{
            "mode": "server",
            "security": {
                "service": [{"text": "Bearer token (carechain token issue)"}],
                "description": "Authorization: Bearer <token> of an API client; only records "
                               "the caller may read are served, and every read is audited",
            },
            "resource": resources,
        }],
    }


def searchset(base: str, self_url: str, found: list[tuple[str, str, bytes]]) -> bytes:
    """Return a searchset Bundle of every match, each given as (type, id, its FHIR JSON),
    in one page (a search names one patient, or one NHS number)."""
    head = json.dumps({"resourceType": "Bundle", "type": "searchset", "total": len(found),
                       "link": [{"relation": "self", "url": self_url}]},
                      separators=(",", ":"), ensure_ascii=False).encode()
    if not found:  # FHIR JSON has no empty arrays
        return head
    entries = b",".join(
        b'{"fullUrl":' + json.dumps(f"{base}/{kind}/{rid}").encode() + b',"resource":' + body
        + b',"search":{"mode":"match"}}' for kind, rid, body in found)
    return head[:-1] + b',"entry":[' + entries + b"]}"
