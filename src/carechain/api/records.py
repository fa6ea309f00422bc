"""The JSON API for records: open, append, amend, address, read state, history, handover,
replication and verification — every one through the application layer, as the
authenticated caller (a bearer token or a browser session), audited."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from carechain.api.deps import Appender, DoorDep, Granter, Reader, RecordId, Writer
from carechain.operations import maternity
from carechain.operations import records as ops

__all__ = ["RESPONSES", "router"]


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }


RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _problem("No valid bearer token or session (`not-authenticated`)"),
    403: _problem("The caller's role or care relationship does not allow this (`forbidden`)"),
    404: _problem("No such record on this node (`not-found`)"),
    413: _problem("The body is over 64 KiB (`body-too-large`)"),
    422: _problem("A field breaks a rule (`field-invalid`, `unknown-kind`, `formulary-breach`)"),
}

router = APIRouter(prefix="/records", tags=["records"], responses=RESPONSES)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OpenRecord(Strict):
    data: dict[str, Any] = Field(default_factory=dict, description="`record.opened` fields")


class Confirmation(Strict):
    """A second clinician's confirmation, typed at the device (the PIN is never stored)."""

    staff_id: str = Field(min_length=1, max_length=64)
    pin: str = Field(min_length=1, max_length=16)


CONFIRMATION = Field(
    None,
    description="A second clinician's staff id and PIN, for a dose the formulary lets through "
    "only with one (a life-threatening allergy); checked against this node's accounts",
)


class AppendEntry(Strict):
    kind: str = Field(min_length=1, max_length=64, description="e.g. observation.recorded")
    data: dict[str, Any]
    confirmation: Confirmation | None = CONFIRMATION


class Amend(Strict):
    supersedes: str = Field(min_length=64, max_length=64, description="Id of the entry to amend")
    reason: str = Field(min_length=1, max_length=1000)
    data: dict[str, Any]
    confirmation: Confirmation | None = CONFIRMATION


def _confirmation(body: AppendEntry | Amend) -> tuple[str, str] | None:
    c = body.confirmation
    return None if c is None else (c.staff_id, c.pin)


class RecordBirth(Strict):
    data: dict[str, Any] = Field(
        description="`birth.recorded` fields, without `baby_record`: the birth names the "
        "baby's new record itself"
    )


class Born(BaseModel):
    record_id: str = Field(description="The mother's record")
    baby_record_id: str = Field(description="The baby's own record, opened by the birth")
    entry_id: str = Field(description="The mother's `birth.recorded` entry")


class AddRecipient(Strict):
    node: str = Field(min_length=1, max_length=128, description="Name of a hospital or vault node")


class Written(BaseModel):
    record_id: str
    entry_id: str
    seq: int


class Granted(BaseModel):
    record_id: str
    granted: bool
    entry_id: str | None


@router.post("", status_code=201, response_model=Written, summary="Open a new record")
def open_record(body: OpenRecord, door: DoorDep, actor: Writer) -> Written:
    with door.unit() as uow:
        record, written = ops.open_record(door, actor, uow, data=body.data)
    return Written(record_id=record.hex(), entry_id=written.entry.hex, seq=written.seq)


@router.get("", summary="List the records the caller may read here")
def list_records(
    door: DoorDep, actor: Reader, limit: int = Query(100, ge=1, le=1000)
) -> list[dict[str, Any]]:
    with door.unit() as uow:
        return ops.list_records(door, actor, uow, limit=limit)


@router.post(
    "/{record_id}/entries", status_code=201, response_model=Written, summary="Append a typed entry"
)
def append(record_id: RecordId, body: AppendEntry, door: DoorDep, actor: Appender) -> Written:
    with door.unit() as uow:
        written = ops.append(door, actor, uow, record=record_id, kind=body.kind, data=body.data,
                             confirmation=_confirmation(body))
    return Written(record_id=record_id.hex(), entry_id=written.entry.hex, seq=written.seq)


@router.post(
    "/{record_id}/births",
    status_code=201,
    response_model=Born,
    summary="Record a birth: open the baby's own record, linked to the mother's both ways",
)
def record_birth(record_id: RecordId, body: RecordBirth, door: DoorDep, actor: Writer) -> Born:
    with door.unit() as uow:
        baby, entry = maternity.record_birth(door, actor, uow, mother=record_id, data=body.data)
    return Born(record_id=record_id.hex(), baby_record_id=baby.hex(), entry_id=entry)


@router.post(
    "/{record_id}/amendments",
    status_code=201,
    response_model=Written,
    summary="Amend an entry, with a reason",
)
def amend(record_id: RecordId, body: Amend, door: DoorDep, actor: Writer) -> Written:
    with door.unit() as uow:
        written = ops.amend(door, actor, uow, record=record_id, supersedes=body.supersedes,
                            reason=body.reason, data=body.data,
                            confirmation=_confirmation(body))
    return Written(record_id=record_id.hex(), entry_id=written.entry.hex, seq=written.seq)


@router.get("/{record_id}", summary="Read the record's current state")
def read_state(record_id: RecordId, door: DoorDep, actor: Reader) -> dict[str, Any]:
    with door.unit() as uow:
        state = ops.read_state(door, actor, uow, record=record_id)
    state.pop("history", None)
    return state


@router.get("/{record_id}/history", summary="Read every entry with author and time")
def read_history(record_id: RecordId, door: DoorDep, actor: Reader) -> list[dict[str, Any]]:
    with door.unit() as uow:
        return ops.read_history(door, actor, uow, record=record_id)


@router.get("/{record_id}/replication", summary="Where each entry has reached")
def read_replication(record_id: RecordId, door: DoorDep, actor: Reader) -> dict[str, Any]:
    with door.unit() as uow:
        return ops.read_replication(door, actor, uow, record=record_id)


@router.post(
    "/{record_id}/recipients",
    status_code=201,
    response_model=Granted,
    summary="Address the record to a node",
)
def add_recipient(
    record_id: RecordId, body: AddRecipient, door: DoorDep, actor: Granter
) -> Granted:
    with door.unit() as uow:
        written = ops.address(door, actor, uow, record=record_id, node_name=body.node)
    return Granted(record_id=record_id.hex(), granted=written is not None,
                   entry_id=None if written is None else written.entry.hex)


@router.get("/{record_id}/handover", summary="ATMIST or SBAR handover from the record")
def read_handover(record_id: RecordId, door: DoorDep, actor: Reader) -> dict[str, Any]:
    with door.unit() as uow:
        return ops.read_handover(door, actor, uow, record=record_id)


@router.get("/{record_id}/verify", summary="Verify every entry of the record")
def verify(record_id: RecordId, door: DoorDep, actor: Reader) -> dict[str, Any]:
    with door.unit() as uow:
        return ops.verify(door, actor, uow, record=record_id)
