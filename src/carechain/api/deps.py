"""Dependencies shared by the routes, as `Annotated` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from carechain.errors import NotFound
from carechain.node import Node

__all__ = ["NodeDep", "RecordId"]


def _node(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


def _record_id(record_id: Annotated[str, Path(description="Record id, 32 hex digits")]) -> bytes:
    try:
        value = bytes.fromhex(record_id)
    except ValueError:
        value = b""
    if len(value) != 16:
        raise NotFound(f"no record {record_id!r}: a record id is 32 hex digits")
    return value


NodeDep = Annotated[Node, Depends(_node)]
RecordId = Annotated[bytes, Depends(_record_id)]
