"""The JSON API of a crew node's patient lookup (PDS) and previous calls, through the
application layer (`carechain.operations.lookups`), as the authenticated caller, audited."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from carechain.api.deps import DoorDep, Reader, RecordId, Writer
from carechain.api.records import RESPONSES, Written
from carechain.operations import lookups as ops

__all__ = ["router"]

router = APIRouter(prefix="/records", tags=["lookup"], responses=RESPONSES)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Lookup(Strict):
    """By NHS number, or by family name and date of birth (with any of the rest)."""

    nhs_number: str | None = Field(None, max_length=16)
    family_name: str | None = Field(None, max_length=64)
    given_name: str | None = Field(None, max_length=64)
    date_of_birth: date | None = None
    sex: Literal["male", "female", "other", "unknown"] | None = None
    postcode: str | None = Field(None, max_length=10)


class Confirm(Strict):
    nhs_number: str = Field(min_length=10, max_length=16,
                            description="The NHS number of the answered patient to record")


class AskPrevious(Strict):
    nhs_number: str | None = Field(
        None, max_length=16, description="Another patient's number (break-glass); the "
        "record's patient's by default")
    reason: str | None = Field(None, max_length=500, description="The break-glass reason")


@router.post("/{record_id}/lookups", status_code=201, summary="Look the patient up on PDS")
def ask(record_id: RecordId, body: Lookup, door: DoorDep, actor: Writer) -> dict[str, Any]:
    fields = body.model_dump(exclude_none=True)
    with door.unit() as uow:
        if "nhs_number" in fields and len(fields) == 1:
            job = ops.ask(door, actor, uow, record=record_id, nhs_number=body.nhs_number)
        else:
            job = ops.ask(door, actor, uow, record=record_id, search=ops.search_of(fields))
    return job.to_dict()


@router.get("/{record_id}/lookups", summary="The record's PDS lookups, newest first")
def list_lookups(record_id: RecordId, door: DoorDep, actor: Reader) -> list[dict[str, Any]]:
    with door.unit() as uow:
        return [j.to_dict() for j in ops.jobs(door, actor, uow, record=record_id)]


@router.post("/{record_id}/lookups/{lookup}/confirm", status_code=201, response_model=Written,
             summary="Record an answered patient's details, with the number's status")
def confirm(record_id: RecordId, lookup: str, body: Confirm, door: DoorDep,
            actor: Writer) -> Written:
    with door.unit() as uow:
        written = ops.confirm(door, actor, uow, record=record_id, lookup=lookup,
                              nhs_number=body.nhs_number)
    return Written(record_id=record_id.hex(), entry_id=written.entry.hex, seq=written.seq)


@router.post("/{record_id}/lookups/{lookup}/dismiss", summary="Set a lookup's answer aside")
def dismiss(record_id: RecordId, lookup: str, door: DoorDep, actor: Writer) -> dict[str, Any]:
    with door.unit() as uow:
        return ops.dismiss(door, actor, uow, record=record_id, lookup=lookup).to_dict()


@router.post("/{record_id}/previous-calls", status_code=201, response_model=Written,
             summary="Ask the records vault for the patient's previous calls")
def ask_previous(record_id: RecordId, body: AskPrevious, door: DoorDep,
                 actor: Writer) -> Written:
    with door.unit() as uow:
        written = ops.request_previous(door, actor, uow, record=record_id,
                                       nhs_number=body.nhs_number, reason=body.reason)
    return Written(record_id=record_id.hex(), entry_id=written.entry.hex, seq=written.seq)


@router.get("/{record_id}/previous-calls",
            summary="The requests, the vault's answers and the previous calls held here")
def list_previous(record_id: RecordId, door: DoorDep, actor: Reader) -> dict[str, Any]:
    with door.unit() as uow:
        return ops.previous(door, actor, uow, record=record_id)
