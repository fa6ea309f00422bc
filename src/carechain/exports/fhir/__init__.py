"""FHIR R4 (UK Core) from a record's folded state: resources one by one, or the document.

    from carechain.exports.fhir import build_document, record_resources
    bundle = build_document(state, signers=signers)          # Bundle type "document"
    patient = patient_of(state)                               # for a read API: Type/id refs
    resource_id(record_hex, "patient")                        # a resource's id, no fold

Every function takes the state `Node.state(record)` returns; none of them re-scores
anything (the NEWS2 total is `state["scores"]["news2"]`). `signers` maps entry id (hex) to
the `Signer` of that entry (see `carechain.exports.source.signers_of`); without it the
Provenance still names the author but carries no key or signature.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from carechain.exports.fhir._codes import NHS_NUMBER
from carechain.exports.fhir._common import (
    Ref,
    Resource,
    Signer,
    document_ref,
    resource_id,
    rest_ref,
)
from carechain.exports.fhir._context import Context
from carechain.exports.fhir._document import (
    clinical_resources,
    document_bundle,
    support_resources,
)

__all__ = [
    "NHS_NUMBER",
    "Resource",
    "Signer",
    "build_document",
    "encounter_of",
    "observations_of",
    "patient_of",
    "record_resources",
    "resource_id",
    "rest_ref",
]


def build_document(state: dict[str, Any], *, signers: Mapping[str, Signer] | None = None
                   ) -> Resource:
    """Return the record as a FHIR document Bundle (Composition first)."""
    return document_bundle(Context(state, document_ref), signers or {})


def record_resources(state: dict[str, Any], *, signers: Mapping[str, Signer] | None = None,
                     ref: Ref = rest_ref) -> list[Resource]:
    """Return every resource of the record (no Composition), references written by `ref`."""
    ctx = Context(state, ref)
    grouped = clinical_resources(ctx)
    return [r for rs in grouped.values() for r in rs] + support_resources(ctx, signers or {})


def patient_of(state: dict[str, Any], *, ref: Ref = rest_ref) -> Resource:
    """Return the record's UK Core Patient."""
    return clinical_resources(Context(state, ref))["patient"][0]


def encounter_of(state: dict[str, Any], *, ref: Ref = rest_ref) -> Resource:
    """Return the record's Encounter."""
    return clinical_resources(Context(state, ref))["patient"][1]


def observations_of(state: dict[str, Any], *, ref: Ref = rest_ref) -> list[Resource]:
    """Return the record's Observations (vital signs, ACVPU, GCS, glucose, NEWS2)."""
    return clinical_resources(Context(state, ref))["observations"]
