"""The FHIR read API (`/fhir`, on hospital and vault nodes): the records the caller may
read, as FHIR R4 (UK Core) resources built by the one mapping (`carechain.exports.fhir`),
through the application layer (`carechain.operations.fhir`): every record read is one
`record.view` audit entry, stored before the answer leaves. Answers are
`application/fhir+json`; errors are `OperationOutcome` (`carechain.edge.outcome`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import Response

from carechain.api.deps import DoorDep, Reader
from carechain.api.fhir.capability import capability_statement, searchset
from carechain.api.fhir.params import (
    EncounterSearch,
    ObservationSearch,
    PatientSearch,
    ResourceId,
)
from carechain.edge.outcome import FHIR_MEDIA_TYPE, FHIR_PREFIX
from carechain.operations import fhir as ops

__all__ = ["FHIR_ROLES", "install_fhir", "router"]

# A hospital reads what is addressed to it, a vault its organisation's records; a crew
# device and a hub serve no FHIR.
FHIR_ROLES = ("hospital", "vault")

_OUTCOME = {"description": "An OperationOutcome naming what went wrong",
            "content": {FHIR_MEDIA_TYPE: {}}}
router = APIRouter(prefix=FHIR_PREFIX, tags=["fhir"], responses={
    400: _OUTCOME, 401: _OUTCOME, 403: _OUTCOME, 404: _OUTCOME})


async def _index(request: Request) -> ops.FhirIndex:
    index: ops.FhirIndex = request.app.state.fhir_index
    return index


Index = Annotated[ops.FhirIndex, Depends(_index)]


def _fhir(resource: dict[str, Any]) -> Response:
    return Response(json.dumps(resource, separators=(",", ":"), ensure_ascii=False),
                    media_type=FHIR_MEDIA_TYPE)


def _served(served: ops.Served) -> Response:
    return Response(served.body, media_type=FHIR_MEDIA_TYPE)


def _bundle(request: Request, found: list[ops.Served]) -> Response:
    base = str(request.base_url).rstrip("/") + FHIR_PREFIX
    body = searchset(base, str(request.url), [(s.kind, s.rid, s.body) for s in found])
    return Response(body, media_type=FHIR_MEDIA_TYPE)


@router.get("/metadata", summary="The CapabilityStatement: what this server serves")
def metadata(request: Request) -> Response:
    now = datetime.fromtimestamp(request.app.state.node.clock_ms() / 1000, tz=UTC)
    return _fhir(capability_statement(now.date().isoformat()))


@router.get("/Patient", summary="Search Patients by NHS number")
def search_patients(request: Request, door: DoorDep, actor: Reader, index: Index,
                    numbers: PatientSearch) -> Response:
    return _bundle(request, ops.search_patients(door, actor, index, nhs_numbers=numbers))


@router.get("/Patient/{resource_id}", summary="Read a Patient")
def read_patient(door: DoorDep, actor: Reader, index: Index, resource_id: ResourceId
                 ) -> Response:
    return _served(ops.read_resource(door, actor, index, kind="Patient", rid=resource_id))


@router.get("/Encounter", summary="Search Encounters by patient")
def search_encounters(request: Request, door: DoorDep, actor: Reader, index: Index,
                      patient: EncounterSearch) -> Response:
    return _bundle(request, ops.search_encounters(door, actor, index, patient=patient))


@router.get("/Encounter/{resource_id}", summary="Read an Encounter")
def read_encounter(door: DoorDep, actor: Reader, index: Index, resource_id: ResourceId
                   ) -> Response:
    return _served(ops.read_resource(door, actor, index, kind="Encounter", rid=resource_id))


@router.get("/Observation", summary="Search Observations by patient, category and date")
def search_observations(request: Request, door: DoorDep, actor: Reader, index: Index,
                        query: ObservationSearch) -> Response:
    return _bundle(request, ops.search_observations(door, actor, index, query))


@router.get("/Bundle/{resource_id}", summary="Read a record's document Bundle")
def read_document(door: DoorDep, actor: Reader, index: Index, resource_id: ResourceId
                  ) -> Response:
    body = ops.document(door, actor, index, kind="Bundle", rid=resource_id)
    return Response(body, media_type=FHIR_MEDIA_TYPE)


@router.get("/Composition/{resource_id}/$document",
            summary="The document of a Composition ($document)")
def composition_document(door: DoorDep, actor: Reader, index: Index,
                         resource_id: ResourceId) -> Response:
    body = ops.document(door, actor, index, kind="Composition", rid=resource_id)
    return Response(body, media_type=FHIR_MEDIA_TYPE)


def install_fhir(app: FastAPI, node_role: str) -> None:
    """Serve the FHIR API on a hospital or vault node (nothing on any other)."""
    if node_role in FHIR_ROLES:
        app.state.fhir_index = ops.FhirIndex()
        app.include_router(router)
