"""Print and paper: the handover PDF, its QR codes on screen, and import from codes.

    /print/{id}.pdf          the A4 handover PDF with the QR codes (crew and hospital)
    /print/{id}/codes        the same codes on screen, to scan from the tablet
    /print/import            hospital: upload a PDF, photo or scan of the codes; POST imports

Everything is rendered by the node itself, so printing works with no network. A crew
reader needs `record.read_own`; a hospital reader `record.read_addressed` and a record
addressed to this hospital. Every PDF or code page is a `record.export` audit event.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import segno
from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response

from carechain.errors import CarechainError, Forbidden, NotFound
from carechain.exports.pdf import render_pdf
from carechain.exports.qr import import_codes, label, read_codes, record_codes
from carechain.node.audit import audit_record
from carechain.trust import DIRECTORY_RECORD
from carechain.web._hospital_board import Board
from carechain.web.render import check_csrf, render
from carechain.web.session import Viewer, ViewerDep, context, require

__all__ = ["ROLES", "router"]

ROLES = ("crew", "hospital")
router = APIRouter(include_in_schema=False)
MAX_UPLOAD_BYTES = 40 * 1024 * 1024
ImportDep = Annotated[Viewer, require("record.read_addressed")]


def _reader(request: Request, viewer: ViewerDep) -> Viewer:
    """Allow a crew member on a crew node, an ED clinician on a hospital node."""
    action = "record.read_own" if context(request).node.info.role == "crew" \
        else "record.read_addressed"
    if not viewer.can(action):
        raise Forbidden(f"a {viewer.person.role} may not print records ({action})")
    return viewer


Reader = Annotated[Viewer, Depends(_reader)]


def _record(request: Request, viewer: Viewer, record_id: str) -> bytes:
    """Return a record this viewer may print, or refuse (audited) / NotFound."""
    ctx = context(request)
    node = ctx.node
    try:
        record = bytes.fromhex(record_id.lower())
    except ValueError:
        record = b""
    if (len(record) != 16 or record in (DIRECTORY_RECORD, audit_record(node))
            or not node.store.record(record)):
        raise NotFound(f"no record {record_id!r} on this node")
    if node.info.role == "hospital":
        patient = Board().patient(node, record)
        if patient is None or not patient.addressed:
            ctx.audit("record.export", viewer.person, outcome="refused", record=record.hex(),
                      detail={"format": "pdf"})
            raise Forbidden("only a record addressed to this hospital can be printed here")
    return record


def _now(request: Request) -> datetime:
    return datetime.fromtimestamp(context(request).now_ms() / 1000, tz=UTC)


@router.get("/print/{record_id}.pdf")
def print_pdf(request: Request, record_id: str, viewer: Reader) -> Response:
    ctx = context(request)
    record = _record(request, viewer, record_id)
    codes = record_codes(ctx.node, record)
    pdf = render_pdf(ctx.node.state(record), codes, now=_now(request))
    ctx.audit("record.export", viewer.person, record=record.hex(),
              detail={"format": "pdf", "codes": len(codes)})
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="record-{record.hex()}.pdf"',
        "Cache-Control": "no-store"})


@router.get("/print/{record_id}/codes")
def codes_page(request: Request, record_id: str, viewer: Reader) -> Response:
    ctx = context(request)
    record = _record(request, viewer, record_id)
    codes = record_codes(ctx.node, record)
    shown = [{"label": label(code), "svg": segno.make(code, mode="byte", error="m",
                                                       boost_error=False).svg_inline(
        scale=3, title=f"code {label(code)}")} for code in codes]
    ctx.audit("record.export", viewer.person, record=record.hex(),
              detail={"format": "qr-screen", "codes": len(codes)})
    back = "/crew/records/" if ctx.node.info.role == "crew" else "/hospital/records/"
    return render(request, "print/codes.html", viewer, record_id=record.hex(), codes=shown,
                  back=back + record.hex())


@router.get("/print/import")
def import_form(request: Request, viewer: ImportDep) -> Response:
    return render(request, "print/import.html", viewer, result=None, error=None)


@router.post("/print/import")
async def import_upload(request: Request, viewer: ImportDep,
                        files: Annotated[list[UploadFile], File()],
                        csrf: Annotated[str, Form(max_length=128)] = "") -> Response:
    check_csrf(viewer, csrf)
    ctx = context(request)
    datas = []
    for upload in files:
        data = await upload.read(MAX_UPLOAD_BYTES + 1)
        if len(data) > MAX_UPLOAD_BYTES:
            return render(request, "print/import.html", viewer, status=413, result=None,
                          error=f"{upload.filename} is larger than 40 MB.")
        datas.append(data)
    try:
        found = read_codes(datas)
        done = import_codes(ctx.node, found)
    except CarechainError as exc:
        return render(request, "print/import.html", viewer, status=422, result=None,
                      error=f"Nothing was imported: {exc.detail}")
    ctx.audit("record.view", viewer.person, record=done.record.hex(),
              detail={"page": "import", "codes": done.codes, "new": done.new})
    return render(request, "print/import.html", viewer, error=None, result={
        "record": done.record.hex(), "entries": done.entries, "new": done.new,
        "codes": done.codes})
