"""The photos and documents of a record at the hospital, decrypted only through the door.

    /hospital/records/{id}/attachments/{aid}            the file itself
    /hospital/records/{id}/attachments/{aid}/thumbnail  a small JPEG of a photo

Each is a read of the record: checked (addressed here, or break-glass) and audited, as
`attachment` or `thumbnail`, by `carechain.operations.attachments`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from carechain.errors import NotFound
from carechain.operations import attachments as files
from carechain.web.shared.files import file_response, thumbnail_response
from carechain.web.shared.session import Viewer, context, require

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
ReadDep = Annotated[Viewer, require("record.read_addressed")]


def _read(request: Request, viewer: Viewer, record_id: str, attachment: str,
          what: str) -> files.Attachment:
    try:
        record = bytes.fromhex(record_id)
    except ValueError:
        record = b""
    if len(record) != 16:
        raise NotFound(f"no record {record_id[:64]!r} here")
    ctx = context(request)
    with ctx.door.unit() as uow:
        return files.read(ctx.door, ctx.actor(viewer.person), uow, record=record,
                          attachment=attachment, what=what)


@router.get("/hospital/records/{record_id}/attachments/{attachment}")
def attachment_file(request: Request, record_id: str, attachment: str,
                    viewer: ReadDep) -> Response:
    """The file as the crew attached it, byte for byte."""
    return file_response(_read(request, viewer, record_id, attachment, "attachment"))


@router.get("/hospital/records/{record_id}/attachments/{attachment}/thumbnail")
def attachment_thumbnail(request: Request, record_id: str, attachment: str,
                         viewer: ReadDep) -> Response:
    """A photo, small; a document has none."""
    found = _read(request, viewer, record_id, attachment, "thumbnail")
    small = thumbnail_response(found)
    if small is None:
        raise NotFound(f"attachment {attachment} is a document: it has no thumbnail")
    return small
