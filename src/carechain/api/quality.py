"""The JSON API for the vault's quality indicators: a month's report, as the console shows
it, for a bearer token (or a session) whose role has `quality.read`; through the
application layer, audited like the console's CSV."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from carechain.api.deps import DoorDep, Needs
from carechain.api.records import RESPONSES
from carechain.operations import Actor
from carechain.operations import quality as ops

__all__ = ["router"]

router = APIRouter(prefix="/quality-indicators", tags=["quality"],
                   responses={k: v for k, v in RESPONSES.items() if k != 413})

QualityReader = Annotated[Actor, Depends(Needs("quality.read"))]


@router.get("/{month}", summary="A month's quality indicators and the records that miss")
def month_report(month: Annotated[str, Path(description="The month, YYYY-MM (UK time)",
                                            max_length=20)],
                 door: DoorDep, actor: QualityReader) -> dict[str, Any]:
    with door.unit() as uow:
        return ops.export_json(door, actor, uow, month=month)
