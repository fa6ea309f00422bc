"""What every resource builder shares: stable ids, references, codings, quantities."""

from __future__ import annotations

import html
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from carechain.exports.fhir._codes import LOINC, SNOMED, UCUM

__all__ = [
    "Ref",
    "Signer",
    "coding",
    "concept",
    "document_ref",
    "narrative",
    "quantity",
    "resource_id",
    "rest_ref",
]

# Resource ids are UUIDs named from the record and what the resource stands for, so the
# same record exports to the same document on every node, and the golden files hold.
_NAMESPACE = uuid.UUID("6f1c2a8e-3b7d-5e4f-9a01-c4a7e7b0d5a1")

Resource = dict[str, Any]
Ref = Callable[[str, str], str]


def resource_id(record: str, name: str) -> str:
    """Return the stable id of the resource `name` of a record."""
    return str(uuid.uuid5(_NAMESPACE, f"{record}:{name}"))


def document_ref(resource_type: str, rid: str) -> str:
    """Reference a resource inside a document Bundle (its fullUrl)."""
    return f"urn:uuid:{rid}"


def rest_ref(resource_type: str, rid: str) -> str:
    """Reference a resource as a FHIR server serves it (Type/id)."""
    return f"{resource_type}/{rid}"


@dataclass(frozen=True)
class Signer:
    """Who signed one entry: the author's certified node, its key id and the signature."""

    node: str
    key: str
    signature: str  # base64 Ed25519 signature over the entry id


def coding(system: str, code: str, display: str) -> dict[str, str]:
    """Return a Coding."""
    return {"system": system, "code": code, "display": display}


def concept(*codings: dict[str, str], text: str | None = None) -> dict[str, Any]:
    """Return a CodeableConcept of the given codings and text."""
    out: dict[str, Any] = {}
    if codings:
        out["coding"] = list(codings)
    if text:
        out["text"] = text
    return out


def loinc_snomed(loinc: tuple[str, str], snomed: tuple[str, str]) -> dict[str, Any]:
    """Return a CodeableConcept with a LOINC and a SNOMED CT coding."""
    return concept(coding(LOINC, *loinc), coding(SNOMED, *snomed), text=snomed[1])


def quantity(value: Any, unit: str, code: str) -> dict[str, Any]:
    """Return a UCUM Quantity."""
    return {"value": value, "unit": unit, "system": UCUM, "code": code}


def narrative(lines: list[str]) -> dict[str, str]:
    """Return generated XHTML narrative, one paragraph per line."""
    body = "".join(f"<p>{html.escape(line)}</p>" for line in lines) or "<p>None recorded.</p>"
    return {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{body}</div>'}


def get(mapping: Mapping[str, Any], *path: str) -> Any:
    """Return a nested value, or None when any step is missing."""
    value: Any = mapping
    for step in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(step)
    return value
