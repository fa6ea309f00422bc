"""Sync protocol v1 over HTTP: CBOR bodies, signed requests, problem details on error."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, WebSocket
from fastapi.responses import Response

from carechain.entries import Entry
from carechain.errors import FieldInvalid
from carechain.sync.auth import check_request
from carechain.sync.live import LiveHub
from carechain.sync.service import SyncService
from carechain.sync.stream import serve_stream
from carechain.sync.wire import (
    CBOR,
    decode_entries,
    decode_heads,
    decode_message,
    encode_head,
    encode_message,
)
from carechain.sync.writer import GroupWriter
from carechain.trust import DIRECTORY_RECORD, Certificate

__all__ = ["router"]

router = APIRouter(prefix="/sync/v1", tags=["sync"])


def _service(request: Request) -> SyncService:
    service: SyncService = request.app.state.sync
    return service


async def _peer(request: Request) -> Certificate:
    service = _service(request)
    body = await request.body()
    now = service.node.clock_ms()
    peer = check_request(
        service.node.directory,
        request.headers,
        request.method,
        request.url.path,
        request.url.query,
        body,
        now,
    )
    # When each node last synced here, for the admin console; written at most once a minute.
    if service.seen_due(peer, now):
        await asyncio.to_thread(service.note_seen, peer, now)
    return peer


Service = Annotated[SyncService, Depends(_service)]
Peer = Annotated[Certificate, Depends(_peer)]


def _cbor(body: dict[str, Any]) -> Response:
    return Response(encode_message(body), media_type=CBOR)


@router.get("/info", summary="Who this node is (unauthenticated)")
def info(service: Service) -> Response:
    node = service.node
    head = service.head()
    return _cbor(
        {
            "name": node.info.name,
            "role": node.info.role,
            "org": node.info.org,
            "key": node.keys.key_id,
            "size": node.store.count(),
            "head": None if head is None else encode_head(head),
            "directory": [s.entry.to_wire() for s in node.store.record(DIRECTORY_RECORD)],
        }
    )


@router.post("/directory", summary="Offer directory entries (unauthenticated: root-signed only)")
async def directory(request: Request, service: Service) -> Response:
    message = decode_message(await request.body())
    items = decode_entries(message.get("entries"))
    entries = [i for i in items if isinstance(i, Entry)]
    if len(entries) != len(items) or any(e.header.cls != "directory" for e in entries):
        raise FieldInvalid("entries", "must hold only directory entries signed by the trust root")
    results = service.node.ingest(entries)
    return _cbor(
        {
            "stored": sum(r.new for r in results),
            "refused": [r.error.code for r in results if r.error is not None],
        }
    )


@router.post("/push", summary="Push a batch of entries; answered per entry")
async def push(request: Request, service: Service, peer: Peer) -> Response:
    message = decode_message(await request.body())
    items = decode_entries(message.get("entries"))
    theirs = decode_heads(message.get("heads"))
    # Stored by the writer thread with whatever else is waiting (group commit).
    writer: GroupWriter = request.app.state.writer
    answer = await writer.push(peer, items)
    gossiping = service.log is None  # a hub proves its own log; it keeps no heads of others
    notes = service.heads.gossip_noting(theirs) if theirs and gossiping else []
    mine = service.heads.heads() if gossiping else []
    return _cbor({**answer.to_wire(), "heads": [encode_head(h) for h in mine], "notes": notes})


@router.get("/pull", summary="Entries after a cursor that the caller may receive")
def pull(
    service: Service,
    peer: Peer,
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
    proofs: bool = False,
) -> Response:
    page = service.pull(peer, after, limit, proofs)
    return _cbor(
        {
            "entries": [[seq, wire, proof] for seq, wire, proof in page.entries],
            "next": page.next,
            "more": page.more,
            "head": None if page.head is None else encode_head(page.head),
        }
    )


@router.get("/consistency", summary="Consistency proof between two sizes of the log")
def consistency(
    service: Service,
    peer: Peer,
    first: Annotated[int, Query(ge=0)],
    second: Annotated[int, Query(ge=0)],
) -> Response:
    del peer
    return _cbor({"proof": service.consistency(first, second)})


@router.post("/heads", summary="Exchange the hub tree heads each node holds (gossip)")
async def heads(request: Request, service: Service, peer: Peer) -> Response:
    del peer
    message = decode_message(await request.body())
    theirs = decode_heads(message.get("heads"))
    if not isinstance(message.get("heads"), list):
        raise FieldInvalid("heads", "must be a list")
    notes = service.heads.gossip_noting(theirs)
    return _cbor({"heads": [encode_head(h) for h in service.heads.heads()], "notes": notes})


@router.websocket("/stream")
async def stream(websocket: WebSocket) -> None:
    """Take pushes over one socket, answered in order (see carechain.sync.stream)."""
    await serve_stream(websocket, websocket.app.state.sync, websocket.app.state.writer)


@router.websocket("/live")
async def live(websocket: WebSocket) -> None:
    """Stream new entries the caller may receive, from `?after=` its cursor."""
    hub: LiveHub = websocket.app.state.live
    await hub.serve(websocket)
