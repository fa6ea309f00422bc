"""The hub and vault admin console: the node's health, its directory, and its accounts.

    GET  /admin                  overview: this node, its log head, hub heads, alerts, peers
    GET  /admin/nodes            every node in the directory; enrol and revoke forms
    POST /admin/nodes/enrol      upload a certificate entry file (`carechain trust certify`)
    POST /admin/nodes/revoke     upload a revocation entry file (`carechain trust revoke`)
    POST /admin/recovery/verification  file a signed verification report (`carechain verify`)
    GET  /admin/people           accounts on this node; create, unlock, disable
    POST /admin/people           create an account
    POST /admin/people/unlock    clear an account's lock
    POST /admin/people/disable   disable an account and end its sessions

Admins read no clinical content here: only routing metadata, the directory and accounts.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from carechain.errors import FieldInvalid
from carechain.operations import admin
from carechain.sync.service import SyncService
from carechain.trust import DIRECTORY_RECORD
from carechain.web.admin import _people as _admin_people
from carechain.web.admin._common import NodeAdmin
from carechain.web.admin._directory import MAX_FILE_BYTES, Kind, store_upload
from carechain.web.admin._recovery import recovery_view
from carechain.web.admin._status import node_rows, orphan_revocations, overview
from carechain.web.shared.render import check_csrf, render
from carechain.web.shared.session import Viewer, context

__all__ = ["ROLES", "router"]

ROLES = ("hub", "vault")

router = APIRouter(prefix="/admin", include_in_schema=False)
router.include_router(_admin_people.router)


def _sync(request: Request) -> SyncService:
    service: SyncService = request.app.state.sync
    return service


def _overview(request: Request, viewer: Viewer, *, status: int = 200,
              report_error: str | None = None) -> Response:
    ctx = context(request)
    peers = None if ctx.sync_loop is None else ctx.sync_loop.status()
    outage = request.query_params.get("outage", "")
    return render(request, "admin/overview.html", viewer, status=status, page="overview",
                  view=overview(ctx.node, _sync(request), peers), now_ms=ctx.now_ms(),
                  recovery=recovery_view(ctx.node), report_error=report_error,
                  report_filed=request.query_params.get("filed") == "report",
                  demo_outage=bool(getattr(request.app.state, "demo_outage", False)),
                  outage_seconds=outage if outage.isdigit() else None,
                  outage_error=request.query_params.get("outage_error", "")[:120])


@router.get("")
def overview_page(request: Request, viewer: NodeAdmin) -> Response:
    return _overview(request, viewer)


@router.post("/recovery/verification")
def file_verification(request: Request, viewer: NodeAdmin,
                      csrf: Annotated[str, Form(max_length=128)] = "",
                      file: Annotated[UploadFile | None, File()] = None) -> Response:
    check_csrf(viewer, csrf)
    ctx = context(request)
    data = b"" if file is None else file.file.read(admin.MAX_REPORT_BYTES + 1)
    name = (file.filename or "") if file is not None else ""
    if not data:
        return _overview(request, viewer, status=422,
                         report_error="Choose the report file that carechain verify wrote.")
    try:
        admin.file_verification(ctx.door, ctx.actor(viewer.person), data=data, filename=name)
    except FieldInvalid as exc:
        return _overview(request, viewer, status=422, report_error=f"The report {exc.rule}.")
    return RedirectResponse("/admin?filed=report#recovery", status_code=303)


def _nodes_page(request: Request, viewer: Viewer, *, status: int = 200,
                errors: dict[str, str] | None = None, notice: str | None = None) -> Response:
    ctx = context(request)
    return render(request, "admin/nodes.html", viewer, status=status, page="nodes",
                  rows=node_rows(ctx.node, ctx.now_ms()), orphans=orphan_revocations(ctx.node),
                  errors=errors or {}, notice=notice, root_id=ctx.node.directory.root_id.hex(),
                  max_kb=MAX_FILE_BYTES // 1024)


def _notice(request: Request, done: str | None, key: str | None) -> str | None:
    """Describe what an upload just did, from the directory itself (not from the URL)."""
    if done not in ("certificate", "revocation", "unchanged") or not key:
        return None
    try:
        key_id = bytes.fromhex(key)
    except ValueError:
        return None
    directory = context(request).node.directory
    certs = directory.certs.get(key_id) or []
    name = max(certs, key=lambda c: c.exp).name if certs else f"key {key[:16]}…"
    if done == "unchanged":
        return f"That entry for {name} was already in the directory: nothing changed."
    if done == "certificate" and certs:
        return (f"Certificate for {name} stored: it reaches every node at their next sync.")
    if done == "revocation" and key_id in directory.revoked:
        return (f"Revocation of {name} stored: every node refuses its entries dated from "
                "the revocation time, from their next sync.")
    return None


@router.get("/nodes")
def nodes_page(request: Request, viewer: NodeAdmin, done: str | None = None,
               key: str | None = None) -> Response:
    return _nodes_page(request, viewer, notice=_notice(request, done, key))


def _upload(request: Request, viewer: Viewer, kind: Kind, csrf: str,
            file: UploadFile | None) -> Response:
    check_csrf(viewer, csrf)
    ctx = context(request)
    field = "enrol_file" if kind == "certificate" else "revoke_file"
    data = b"" if file is None else file.file.read(MAX_FILE_BYTES + 1)
    filename = (file.filename or "")[:100] if file is not None else ""
    try:
        change = store_upload(ctx.node, data, kind)
    except FieldInvalid as exc:
        ctx.audit("key.grant", viewer.person, outcome="refused", record=DIRECTORY_RECORD.hex(),
                  detail={"directory": kind, "file": filename, "error": exc.rule[:300]})
        return _nodes_page(request, viewer, status=422, errors={field: exc.rule})
    ctx.audit("key.grant", viewer.person, record=DIRECTORY_RECORD.hex(),
              detail=change.audit_detail())
    done = kind if change.new else "unchanged"
    return RedirectResponse(f"/admin/nodes?done={done}&key={change.key_id.hex()}",
                            status_code=303)


@router.post("/nodes/enrol")
def enrol(request: Request, viewer: NodeAdmin,
          csrf: Annotated[str, Form(max_length=128)] = "",
          file: Annotated[UploadFile | None, File()] = None) -> Response:
    return _upload(request, viewer, "certificate", csrf, file)


@router.post("/nodes/revoke")
def revoke(request: Request, viewer: NodeAdmin,
           csrf: Annotated[str, Form(max_length=128)] = "",
           file: Annotated[UploadFile | None, File()] = None) -> Response:
    return _upload(request, viewer, "revocation", csrf, file)
