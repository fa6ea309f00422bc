"""Sync protocol v1 over HTTP: CBOR bodies, signed requests, problem details on error.

Nothing here decodes or verifies on the event loop: a request's signature is checked, and
its body decoded (after the bounded scan of `carechain.entries.canonical.scan`), on a
worker thread, so a hostile body costs a thread its time, never every other request's.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, WebSocket
from fastapi.responses import Response

from carechain.dispatch.held import offers_since
from carechain.entries import Entry
from carechain.errors import CarechainError, FieldInvalid, Forbidden
from carechain.sync.auth import check_request
from carechain.sync.live import LiveHub
from carechain.sync.service import SyncService
from carechain.sync.stream import serve_stream
from carechain.sync.wire import (
    CBOR,
    MAX_ASK,
    MAX_POSITION,
    decode_entries,
    decode_heads,
    decode_message,
    encode_head,
    encode_message,
)
from carechain.sync.writer import GroupWriter
from carechain.transparency import SignedTreeHead
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
    peer = await asyncio.to_thread(
        check_request,
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


class CborResponse(Response):
    """A sync answer: a deterministic CBOR map (docs/sync-protocol.md)."""

    media_type = CBOR


def _cbor(body: dict[str, Any]) -> Response:
    return CborResponse(encode_message(body))


_BINARY = {"type": "string", "format": "binary"}
_PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem details; `type` ends in a code of docs/errors.md",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "field": {"type": "string"},
        "rule": {"type": "string"},
    },
    "required": ["type", "title", "status", "detail"],
}
_WHY = {
    400: "Malformed entry or message (`malformed-entry`)",
    401: "Not signed by a node certified by the trust (`not-authenticated`)",
    403: "A revoked node, or a hub pushing (`forbidden`)",
    413: "Body over 32 MiB (`body-too-large`)",
    422: "A field breaks a rule, or bytes are not carechain's CBOR (`field-invalid`, "
    "`bad-encoding`)",
}


def _doc(answer: str, *codes: int, body: str | None = None) -> dict[str, Any]:
    """Return what the OpenAPI document says of a sync route: its CBOR answer, its
    problem answers, and its CBOR request body if it takes one."""
    responses: dict[int | str, dict[str, Any]] = {
        200: {"description": answer, "content": {CBOR: {"schema": _BINARY}}}
    }
    for code in codes:
        responses[code] = {
            "description": _WHY[code],
            "content": {"application/problem+json": {"schema": _PROBLEM}},
        }
    extra: dict[str, Any] = {}
    if body is not None:
        extra["requestBody"] = {
            "required": True,
            "description": body,
            "content": {CBOR: {"schema": _BINARY}},
        }
    return {"response_class": CborResponse, "responses": responses, "openapi_extra": extra}


_SIGNED = (401, 403, 422)


@router.get(
    "/info",
    summary="Who this node is (unauthenticated)",
    **_doc("`{name, role, org, key, size, head, directory}`"),
)
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


def _take_directory(service: SyncService, body: bytes) -> dict[str, Any]:
    message = decode_message(body)
    items = decode_entries(message.get("entries"))
    entries = [i for i in items if isinstance(i, Entry)]
    if len(entries) != len(items) or any(e.header.cls != "directory" for e in entries):
        raise FieldInvalid("entries", "must hold only directory entries signed by the trust root")
    results = service.node.ingest(entries)
    return {
        "stored": sum(r.new for r in results),
        "refused": [r.error.code for r in results if r.error is not None],
    }


@router.post(
    "/directory",
    summary="Offer directory entries (unauthenticated: root-signed only)",
    **_doc("`{stored, refused}`", 400, 413, 422, body="`{v: 1, entries}`"),
)
async def directory(request: Request, service: Service) -> Response:
    body = await request.body()
    return _cbor(await asyncio.to_thread(_take_directory, service, body))


def _read_push(body: bytes) -> tuple[list[Entry | CarechainError], list[SignedTreeHead]]:
    message = decode_message(body)
    return decode_entries(message.get("entries")), decode_heads(message.get("heads"))


def _gossip(service: SyncService, theirs: list[SignedTreeHead]) -> dict[str, Any]:
    gossiping = service.log is None  # a hub proves its own log; it keeps no heads of others
    notes = service.heads.gossip_noting(theirs) if theirs and gossiping else []
    mine = service.heads.heads() if gossiping else []
    return {"heads": [encode_head(h) for h in mine], "notes": notes}


@router.post(
    "/push",
    summary="Push a batch of entries; answered per entry",
    **_doc(
        "`{results, head, range, heads, notes}`",
        400,
        *_SIGNED,
        413,
        body="`{v: 1, entries, heads}`",
    ),
)
async def push(request: Request, service: Service, peer: Peer) -> Response:
    if peer.role == "hub":
        raise Forbidden(
            f"{peer.name} is a hub: a hub gives what it holds by pull and live, where every "
            "entry comes with its proof, and pushes nothing"
        )
    items, theirs = await asyncio.to_thread(_read_push, await request.body())
    # Stored by the writer thread with whatever else is waiting (group commit).
    writer: GroupWriter = request.app.state.writer
    answer = await writer.push(peer, items)
    gossip = await asyncio.to_thread(_gossip, service, theirs)
    return _cbor({**answer.to_wire(), **gossip})


@router.get(
    "/pull",
    summary="Entries after a cursor that the caller may receive",
    **_doc("`{entries: [[seq, entry, proof]], next, more, head, runs}`", *_SIGNED),
)
def pull(
    service: Service,
    peer: Peer,
    after: Annotated[int, Query(ge=0, le=MAX_POSITION)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
    proofs: bool = False,
    runs: bool = False,
) -> Response:
    page = service.pull(peer, after, limit, proofs, runs)
    return _cbor(
        {
            "entries": [[seq, wire, proof] for seq, wire, proof in page.entries],
            "next": page.next,
            "more": page.more,
            "head": None if page.head is None else encode_head(page.head),
            "runs": [run.to_wire() for run in page.runs],
        }
    )


@router.get(
    "/entries",
    summary="Entries by id that the caller may receive (to fill a gap), with their proofs",
    **_doc("`{entries: [[seq, entry, proof]], head}`", *_SIGNED),
)
def entries(
    service: Service,
    peer: Peer,
    ids: Annotated[str, Query(max_length=MAX_ASK * 65, pattern="^[0-9a-f]{64}(,[0-9a-f]{64})*$")],
) -> Response:
    page = service.entries(peer, [bytes.fromhex(i) for i in ids.split(",")])
    return _cbor(
        {
            "entries": [[seq, wire, proof] for seq, wire, proof in page.entries],
            "head": None if page.head is None else encode_head(page.head),
        }
    )


@router.get(
    "/consistency",
    summary="Consistency proof between two sizes of the log",
    **_doc("`{proof}`", *_SIGNED),
)
def consistency(
    service: Service,
    peer: Peer,
    first: Annotated[int, Query(ge=0, le=MAX_POSITION)],
    second: Annotated[int, Query(ge=0, le=MAX_POSITION)],
) -> Response:
    del peer
    return _cbor({"proof": service.consistency(first, second)})


def _exchange_heads(service: SyncService, body: bytes) -> dict[str, Any]:
    message = decode_message(body)
    theirs = decode_heads(message.get("heads"))
    if not isinstance(message.get("heads"), list):
        raise FieldInvalid("heads", "must be a list")
    notes = service.heads.gossip_noting(theirs)
    return {"heads": [encode_head(h) for h in service.heads.heads()], "notes": notes}


@router.post(
    "/heads",
    summary="Exchange the hub tree heads each node holds (gossip)",
    **_doc("`{heads, notes}`", 400, *_SIGNED, 413, body="`{v: 1, heads}`"),
)
async def heads(request: Request, service: Service, peer: Peer) -> Response:
    del peer
    body = await request.body()
    return _cbor(await asyncio.to_thread(_exchange_heads, service, body))


@router.websocket("/stream")
async def stream(websocket: WebSocket) -> None:
    """Take pushes over one socket, answered in order (see carechain.sync.stream)."""
    await serve_stream(websocket, websocket.app.state.sync, websocket.app.state.writer)


@router.websocket("/live")
async def live(websocket: WebSocket) -> None:
    """Stream new entries the caller may receive, from `?after=` its cursor."""
    hub: LiveHub = websocket.app.state.live
    await hub.serve(websocket)


@router.get(
    "/offers",
    summary="Dispatch offers sealed to the caller, after a cursor (docs/dispatch.md)",
    **_doc("`{offers: [offer], last}`", *_SIGNED),
)
def offers(
    service: Service,
    peer: Peer,
    after: Annotated[int, Query(ge=0, le=MAX_POSITION)] = 0,
) -> Response:
    found, last = offers_since(service.node, peer.box_key_id, after)
    return _cbor({"offers": found, "last": last})
