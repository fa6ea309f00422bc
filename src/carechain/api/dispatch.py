"""Incidents from dispatch: the hub's webhook for a CAD system, and a crew node's offers.

`POST /dispatch/v1/incidents` (hub, `dispatch.receive`): the body is the incident's JSON
(docs/dispatch.md), read as bytes so the raw payload is what the crews get, sealed.
`GET /dispatch/offers` and `POST /dispatch/offers/{incident}/accept` (crew): what dispatch
offered this crew node, and accepting one (the record opens with it).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse

from carechain.api.deps import DoorDep, Needs, Writer
from carechain.api.records import RESPONSES
from carechain.operations import Actor
from carechain.operations import dispatch as ops

__all__ = ["crew_router", "hub_router"]

hub_router = APIRouter(prefix="/dispatch/v1", tags=["dispatch"], responses=RESPONSES)
crew_router = APIRouter(prefix="/dispatch", tags=["dispatch"], responses=RESPONSES)

Dispatcher = Annotated[Actor, Depends(Needs("dispatch.receive"))]
OwnReader = Annotated[Actor, Depends(Needs("record.read_own"))]
Incident = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
                               description="The CAD's incident number")]

_BODY = {
    "requestBody": {
        "required": True,
        "description": "The incident as the CAD knows it now (docs/dispatch.md)",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


@hub_router.post(
    "/incidents",
    summary="Take an incident from a dispatch system and offer it to its crews",
    responses={200: {"description": "A duplicate of a delivery already taken"},
               201: {"description": "A new incident or a new revision of one"}},
    openapi_extra=_BODY,
)
async def receive(request: Request, door: DoorDep, actor: Dispatcher) -> JSONResponse:
    raw = await request.body()
    with door.unit() as uow:
        answer = ops.receive_incident(door, actor, uow, raw=raw)
    return JSONResponse(answer, status_code=200 if answer["duplicate"] else 201)


@crew_router.get("/offers", summary="The incidents dispatch offered this crew node")
def offers(door: DoorDep, actor: OwnReader) -> list[dict[str, Any]]:
    return ops.held_offers(door, actor)


@crew_router.post("/offers/{incident}/accept", status_code=201,
                  summary="Accept an offered incident: the record opens with it")
def accept(incident: Incident, door: DoorDep, actor: Writer) -> dict[str, Any]:
    with door.unit() as uow:
        record = ops.accept_offer(door, actor, uow, incident=incident)
    return {"incident_number": incident, "record_id": record.hex()}
