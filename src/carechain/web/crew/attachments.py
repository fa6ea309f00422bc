"""The crew's photos and documents of a record: take a photo with the tablet's camera or
upload a JPEG, PNG or PDF, and see what is attached (`carechain.operations.attachments`).

    /crew/records/{id}/attachments          the list, and the form
    /crew/attachments/{id}                  POST: attach a file (multipart; up to 10 MB)
    /crew/attachments/{id}/ecg              POST: import a 12-lead ECG (DICOM or HL7 aECG)
    /crew/records/{id}/attachments/{aid}    the file itself, decrypted: an audited read

The upload has its own path, outside `/crew/records/`, because the body limit is set by
path prefix: only this form may carry a file of megabytes.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from carechain.errors import FieldInvalid, NotFound
from carechain.node.audit import audit_record
from carechain.operations import attachments as files
from carechain.operations import ecgs
from carechain.trust import DIRECTORY_RECORD
from carechain.web.crew._deps import viewed
from carechain.web.crew._pages import _frame
from carechain.web.shared.files import CATEGORIES, file_response
from carechain.web.shared.render import check_csrf
from carechain.web.shared.session import Viewer, context, require

__all__ = ["UPLOAD_PREFIX", "router"]

UPLOAD_PREFIX = "/crew/attachments/"
router = APIRouter(include_in_schema=False)


def _record_id(request: Request, record_id: str) -> bytes:
    """Return a record held here from the path, or NotFound (as the record's other pages)."""
    try:
        value = bytes.fromhex(record_id)
    except ValueError:
        value = b""
    node = context(request).node
    if (len(value) != 16 or value in (DIRECTORY_RECORD, audit_record(node))
            or not node.store.record(value)):
        raise NotFound(f"no record {record_id[:64]!r} on this device")
    return value


Writer = Annotated[Viewer, require("record.write")]
RecordDep = Annotated[bytes, Depends(_record_id)]


def _page(request: Request, viewer: Viewer, record: bytes, *, status: int = 200,
          error: FieldInvalid | None = None, added: str | None = None) -> Response:
    state = viewed(request, viewer, record, "attachments")  # lists its files: audited
    return _frame(request, viewer, record, state, "crew/attachments.html", status_code=status,
                  attachments=files.listed(state), categories=CATEGORIES, error=error,
                  ecgs=ecgs.listed(state),
                  added=added, max_mb=files.ATTACHMENT_MAX_BYTES // (1024 * 1024))


@router.get("/crew/records/{record_id}/attachments")
def attachments_page(request: Request, viewer: Writer, record: RecordDep,
                     added: str | None = None) -> Response:
    """List the record's photos and documents, with the form to add one."""
    return _page(request, viewer, record, added=added)


async def _read(upload: UploadFile | None) -> tuple[str, bytes] | None:
    if upload is None or not upload.filename:
        return None
    return upload.filename, await upload.read(files.ATTACHMENT_MAX_BYTES + 1)


@router.post(UPLOAD_PREFIX + "{record_id}")
async def attach(request: Request, viewer: Writer, record: RecordDep,
                 category: Annotated[str, Form(max_length=32)] = "",
                 caption: Annotated[str, Form(max_length=600)] = "",
                 csrf: Annotated[str, Form(max_length=128)] = "",
                 photo: Annotated[UploadFile | None, File()] = None,
                 file: Annotated[UploadFile | None, File()] = None) -> Response:
    """Attach a photo from the camera, or an uploaded file; nothing is stored if it fails."""
    check_csrf(viewer, csrf)
    given = [(name, read) for name, read in (("photo", await _read(photo)),
                                             ("file", await _read(file))) if read]
    try:
        if len(given) != 1:
            raise FieldInvalid("file", "take one photo or choose one file")
        if category not in CATEGORIES:
            raise FieldInvalid("category", "must be one of the listed categories")
        field, (filename, content) = given[0]
        files.sniff(content, field)
        ctx = context(request)
        with ctx.door.unit() as uow:
            attachment = files.add(ctx.door, ctx.actor(viewer.person), uow, record=record,
                                   category=category, filename=filename, content=content,
                                   caption=caption.strip() or None)
    except FieldInvalid as exc:
        return _page(request, viewer, record, status=422, error=exc)
    return RedirectResponse(f"/crew/records/{record.hex()}/attachments?added={attachment}",
                            status_code=303)


@router.post(UPLOAD_PREFIX + "{record_id}/ecg")
async def import_ecg(request: Request, viewer: Writer, record: RecordDep,
                     csrf: Annotated[str, Form(max_length=128)] = "",
                     ecg: Annotated[UploadFile | None, File()] = None) -> Response:
    """Import a 12-lead ECG from the device's file; nothing is stored if it fails."""
    check_csrf(viewer, csrf)
    given = await _read(ecg)
    try:
        if given is None:
            raise FieldInvalid("ecg", "choose the ECG file the monitor exported")
        filename, content = given
        ctx = context(request)
        with ctx.door.unit() as uow:
            attachment = ecgs.add(ctx.door, ctx.actor(viewer.person), uow, record=record,
                                  filename=filename, content=content, field="ecg")
    except FieldInvalid as exc:
        return _page(request, viewer, record, status=422, error=exc)
    return RedirectResponse(f"/crew/records/{record.hex()}/attachments?added={attachment}",
                            status_code=303)


@router.get("/crew/records/{record_id}/attachments/{attachment}")
def attachment_file(request: Request, viewer: Writer, record: RecordDep,
                    attachment: str) -> Response:
    """The file itself, decrypted here: an audited read of the record."""
    ctx = context(request)
    with ctx.door.unit() as uow:
        found = files.read(ctx.door, ctx.actor(viewer.person), uow, record=record,
                           attachment=attachment)
    return file_response(found)
