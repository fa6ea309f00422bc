"""What the crew app's routes depend on: the submitted form, the record from the path, and
who may read, write or sign."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import Depends, Request

from carechain.errors import NotFound
from carechain.node.audit import audit_record
from carechain.operations import records as ops
from carechain.trust import DIRECTORY_RECORD
from carechain.web.crew._forms import FormValues
from carechain.web.shared.session import Viewer, context, require

__all__ = ["FormDep", "Reader", "RecordDep", "Signer", "Writer", "record_id_of", "viewed"]


async def _form(request: Request) -> FormValues:
    """Return the submitted form (or JSON object) as text values; repeated names as lists."""
    out: FormValues = {}
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            body = {}
        for key, value in body.items() if isinstance(body, dict) else ():
            out[str(key)] = (
                [str(v) for v in value]
                if isinstance(value, list)
                else ""
                if value is None
                else str(value)
            )
        return out
    form = await request.form()
    for key in form:
        texts = [v for v in form.getlist(key) if isinstance(v, str)]
        out[key] = texts if len(texts) > 1 else texts[0] if texts else ""
    return out


def viewed(request: Request, viewer: Viewer, record: bytes, page: str) -> dict[str, Any]:
    """Return the record's state through the door: the read is audited in the same unit (P6)."""
    ctx = context(request)
    with ctx.door.unit() as uow:
        return ops.read_state(ctx.door, ctx.actor(viewer.person), uow, record=record, what=page)


def record_id_of(request: Request, record_id: str) -> bytes:
    """Return a record id from the path, or NotFound."""
    try:
        value = bytes.fromhex(record_id)
    except ValueError:
        value = b""
    node = context(request).node
    if (
        len(value) != 16
        or value in (DIRECTORY_RECORD, audit_record(node))
        or not node.store.record(value)
    ):
        raise NotFound(f"no record {record_id!r} on this device")
    return value


FormDep = Annotated[FormValues, Depends(_form)]
# People who may read this crew's records (not administrators).
Reader = Annotated[
    Viewer, require("record.read_own", "record.read_own_org", refusal="read clinical records")
]
Writer = Annotated[Viewer, require("record.write")]
Signer = Annotated[Viewer, require("record.sign")]
RecordDep = Annotated[bytes, Depends(record_id_of)]
