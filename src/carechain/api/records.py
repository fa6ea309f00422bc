"""Routes for records: open, append, amend, read state and history, verify."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from carechain.api.deps import NodeDep, RecordId
from carechain.handover import build_handover
from carechain.node.replication import replication
from carechain.node.verify import verify_record

__all__ = ["router"]

router = APIRouter(prefix="/records", tags=["records"])

USER = Field(min_length=1, max_length=128, description="Staff id of the person writing")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OpenRecord(Strict):
    user: str = USER
    data: dict[str, Any] = Field(default_factory=dict, description="`record.opened` fields")


class AppendEntry(Strict):
    user: str = USER
    kind: str = Field(min_length=1, max_length=64, description="e.g. observation.recorded")
    data: dict[str, Any]


class Amend(Strict):
    user: str = USER
    supersedes: str = Field(min_length=64, max_length=64, description="Id of the entry to amend")
    reason: str = Field(min_length=1, max_length=1000)
    data: dict[str, Any]


class AddRecipient(Strict):
    user: str = USER
    node: str = Field(min_length=1, max_length=128, description="Name of a hospital or vault node")


class Written(BaseModel):
    record_id: str
    entry_id: str
    seq: int


@router.post("", status_code=201, response_model=Written, summary="Open a new record")
def open_record(body: OpenRecord, node: NodeDep) -> Written:
    record, stored = node.open_record(user=body.user, data=body.data)
    return Written(record_id=record.hex(), entry_id=stored.entry.hex, seq=stored.seq)


@router.get("", summary="List records on this node")
def list_records(node: NodeDep, limit: int = Query(100, ge=1, le=1000)) -> list[dict[str, Any]]:
    return node.list_records(limit=limit)


@router.post(
    "/{record_id}/entries", status_code=201, response_model=Written, summary="Append a typed entry"
)
def append(record_id: RecordId, body: AppendEntry, node: NodeDep) -> Written:
    stored = node.append(record=record_id, user=body.user, kind=body.kind, data=body.data)
    return Written(record_id=record_id.hex(), entry_id=stored.entry.hex, seq=stored.seq)


@router.post(
    "/{record_id}/amendments",
    status_code=201,
    response_model=Written,
    summary="Amend an entry, with a reason",
)
def amend(record_id: RecordId, body: Amend, node: NodeDep) -> Written:
    stored = node.amend(
        record=record_id,
        user=body.user,
        supersedes=body.supersedes,
        reason=body.reason,
        data=body.data,
    )
    return Written(record_id=record_id.hex(), entry_id=stored.entry.hex, seq=stored.seq)


@router.get("/{record_id}", summary="Read the record's current state")
def read_state(record_id: RecordId, node: NodeDep) -> dict[str, Any]:
    state = node.state(record_id)
    state.pop("history", None)
    return state


@router.get("/{record_id}/history", summary="Read every entry with author and time")
def read_history(record_id: RecordId, node: NodeDep) -> list[dict[str, Any]]:
    history: list[dict[str, Any]] = node.state(record_id)["history"]
    return history


@router.get("/{record_id}/replication", summary="Where each entry has reached")
def read_replication(record_id: RecordId, node: NodeDep) -> dict[str, Any]:
    return replication(node, record_id)


@router.post("/{record_id}/recipients", status_code=201, summary="Address the record to a node")
def add_recipient(record_id: RecordId, body: AddRecipient, node: NodeDep) -> dict[str, Any]:
    stored = node.address_to(record=record_id, user=body.user, node_name=body.node)
    return {
        "record_id": record_id.hex(),
        "granted": stored is not None,
        "entry_id": None if stored is None else stored.entry.hex,
    }


@router.get("/{record_id}/handover", summary="ATMIST or SBAR handover from the record")
def read_handover(record_id: RecordId, node: NodeDep) -> dict[str, Any]:
    handover = build_handover(node.state(record_id), now=datetime.now(UTC))
    return {**handover.to_dict(), "text": handover.to_text()}


@router.get("/{record_id}/verify", summary="Verify every entry of the record")
def verify(record_id: RecordId, node: NodeDep) -> dict[str, Any]:
    findings = verify_record(node, record_id)
    return {
        "record_id": record_id.hex(),
        "ok": not findings,
        "findings": [f.to_dict() for f in findings],
    }
