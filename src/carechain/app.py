"""create_app(node) → the node's ASGI app: the one factory, at the top of the layers.

It puts together the sync protocol (node-signed), the JSON API and the web apps (both
through the application layer, `carechain.operations`), and the edge that resolves who is
calling and refuses anonymous callers outside the allow-list (`carechain.edge`)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI

from carechain import __version__
from carechain.accounts import AccountStore
from carechain.api import MAX_REQUEST_BYTES, dispatch, lookups, quality, records
from carechain.api.fhir import install_fhir
from carechain.edge import install_auth, problems
from carechain.edge.limits import BodyLimit
from carechain.hub import TransparencyLog
from carechain.lookup.queue import LookupQueue
from carechain.node import Node
from carechain.operations import Door
from carechain.operations.attachments import ATTACHMENT_MAX_BYTES
from carechain.store.replica import ReadPath
from carechain.sync import routes as sync_routes
from carechain.sync.live import LiveHub
from carechain.sync.loop import SyncLoop
from carechain.sync.service import SyncService
from carechain.sync.wire import MAX_SYNC_BYTES
from carechain.sync.writer import GroupWriter
from carechain.web import HtmlTooLarge, install_web

__all__ = ["create_app"]

# The roles whose nodes serve the JSON record API: a hub relays ciphertext and can read or
# write no record, so it serves none.
RECORD_API_ROLES = ("crew", "hospital", "vault")


def create_app(
    node: Node,
    *,
    sync_loop: SyncLoop | None = None,
    accounts: AccountStore | None = None,
    read_replica: str | None = None,
    lookup_queue: LookupQueue | None = None,
) -> FastAPI:
    """Return the HTTP API of a node (with its background sync loop, if it runs one), and
    its web apps when it has an accounts store. A hub given a `read_replica` URL serves
    pull pages and live delivery from that PostgreSQL standby (`carechain.store.replica`);
    a crew node's PDS lookups go through `lookup_queue` (without one, they wait for a PDS
    service that is not configured)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await app.state.live.close()
        app.state.writer.close()
        app.state.sync.reads.close()

    app = FastAPI(
        lifespan=lifespan,
        title=f"carechain {node.info.role} node",
        version=__version__,
        description="Signed, end-to-end encrypted patient care records. Errors are RFC 9457 "
        "problem details with a stable `type`.",
    )
    app.state.node = node
    log = TransparencyLog(node.store, node.keys, node.wall) if node.info.role == "hub" else None
    app.state.sync = SyncService(node, log, ReadPath(node.store, read_replica))
    app.state.writer = GroupWriter(app.state.sync)
    app.state.live = LiveHub(app.state.sync)
    app.state.sync_loop = sync_loop
    if lookup_queue is None and node.info.role == "crew":
        lookup_queue = LookupQueue(node, None)
    app.state.door = None if accounts is None else Door(node, accounts, lookup_queue)
    problems.install(app)
    if node.info.role in RECORD_API_ROLES:
        app.include_router(records.router)
    if node.info.role == "vault":
        app.include_router(quality.router)
    if node.info.role == "hub":
        app.include_router(dispatch.hub_router)
    if node.info.role == "crew":
        app.include_router(dispatch.crew_router)
        app.include_router(lookups.router)
    install_fhir(app, node.info.role)
    app.include_router(sync_routes.router)

    @app.get("/health", tags=["node"], summary="Who this node is and how much it holds")
    def health() -> dict[str, Any]:
        return {
            "node": node.info.name,
            "role": node.info.role,
            "org": node.info.org,
            "entries": node.store.count(),
        }

    @app.get("/sync/status", tags=["sync"], summary="Each peer: reachable, last sync, error")
    def sync_status() -> dict[str, Any]:
        peers = [] if sync_loop is None else sync_loop.status()
        hub = [p for p in peers if p["role"] == "hub" or p["name"] == "hub"]
        keeper = app.state.sync.heads
        return {
            "peers": peers,
            "hub_reachable": any(p["reachable"] for p in hub),
            "alerts": [a.to_dict() for a in keeper.alerts()],
        }

    @app.post("/sync/now", tags=["sync"], status_code=202, summary="Sync with every peer now")
    def sync_now() -> dict[str, Any]:
        if sync_loop is not None:
            sync_loop.kick()
        return {"kicked": sync_loop is not None}

    if accounts is not None:
        install_web(app, node, accounts, sync_loop)

    app.add_middleware(BodyLimit, max_bytes=MAX_REQUEST_BYTES, limits={
        "/sync/": MAX_SYNC_BYTES, "/print/import": 40 << 20,
        # a photo or document up to its limit, and a little over, to be told so by name
        "/crew/attachments/": ATTACHMENT_MAX_BYTES + (1 << 20)})
    if accounts is not None:  # a browser's oversized form gets a page, not the limit's JSON
        app.add_middleware(HtmlTooLarge, node=node, limit_bytes=MAX_REQUEST_BYTES)
    install_auth(app)
    problems.describe(app)
    return app
