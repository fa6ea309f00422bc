"""Print and paper: the handover PDF, its QR codes on screen, and import from codes.

    /print/{id}.pdf          the A4 handover PDF with the QR codes (crew and hospital)
    /print/{id}/codes        the same codes on screen, to scan from the tablet
    /print/import            hospital: upload a PDF, photo or scan of the codes; POST imports

Everything is rendered by the node itself, so printing works with no network. Printing
goes through the door (`operations.exports`): a crew member who hands over
(`handover.send`), an ED clinician (`record.read_addressed`) or a clinical lead, with a care
relationship to the record; every PDF or code page is a `record.export` audit entry.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import segno
from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from carechain.errors import CarechainError, NotFound
from carechain.exports.pdf import render_pdf
from carechain.exports.qr import label, read_codes, record_codes
from carechain.operations import exports
from carechain.web.shared.render import check_csrf, render
from carechain.web.shared.session import Viewer, context, require

__all__ = ["ROLES", "router"]

ROLES = ("crew", "hospital")
router = APIRouter(include_in_schema=False)
MAX_UPLOAD_BYTES = 40 * 1024 * 1024
ImportDep = Annotated[Viewer, require("record.read_addressed")]
Printer = Annotated[Viewer, require("handover.send", "record.read_addressed", "record.export",
                                    refusal="print records")]


def _record_id(record_id: str) -> bytes:
    try:
        record = bytes.fromhex(record_id.lower())
    except ValueError:
        record = b""
    if len(record) != 16:
        raise NotFound(f"no record {record_id!r} on this node")
    return record


def _now(request: Request) -> datetime:
    return datetime.fromtimestamp(context(request).now_ms() / 1000, tz=UTC)


@router.get("/print/{record_id}.pdf")
def print_pdf(request: Request, record_id: str, viewer: Printer) -> Response:
    ctx = context(request)
    record = _record_id(record_id)
    codes = record_codes(ctx.node, record) if ctx.node.holds(record) else []
    with ctx.door.unit() as uow:
        state = exports.export_state(ctx.door, ctx.actor(viewer.person), uow, record=record,
                                     fmt="pdf", detail={"codes": len(codes)})
    pdf = render_pdf(state, codes, now=_now(request))
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="record-{record.hex()}.pdf"',
        "Cache-Control": "no-store"})


@router.get("/print/{record_id}/codes")
def codes_page(request: Request, record_id: str, viewer: Printer) -> Response:
    ctx = context(request)
    record = _record_id(record_id)
    codes = record_codes(ctx.node, record) if ctx.node.holds(record) else []
    with ctx.door.unit() as uow:
        exports.export_state(ctx.door, ctx.actor(viewer.person), uow, record=record,
                             fmt="qr-screen", detail={"codes": len(codes)})
    shown = [{"label": label(code), "svg": segno.make(code, mode="byte", error="m",
                                                       boost_error=False).svg_inline(
        scale=3, title=f"code {label(code)}")} for code in codes]
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
        done = exports.import_from_codes(ctx.door, ctx.actor(viewer.person), found)
    except CarechainError as exc:
        return render(request, "print/import.html", viewer, status=422, result=None,
                      error=f"Nothing was imported: {exc.detail}")
    return render(request, "print/import.html", viewer, error=None, result={
        "record": done.record.hex(), "entries": done.entries, "new": done.new,
        "codes": done.codes})
