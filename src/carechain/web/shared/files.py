"""Serving an attachment to a browser: the file itself, or a small JPEG of a photo.

The file is sent with its sniffed type, `nosniff` and a sandboxing content security
policy, so a PDF or image opened in its own tab runs nothing; never cached.
"""

from __future__ import annotations

import io

from fastapi.responses import Response
from PIL import Image, ImageOps

from carechain.operations.attachments import Attachment

__all__ = ["CATEGORIES", "THUMBNAIL_PX", "file_response", "thumbnail_response"]

CATEGORIES = {
    "scene": "Scene",
    "wound": "Wound or injury",
    "medication": "Medication",
    "dnacpr": "DNACPR form",
    "ecg": "ECG print-out",
    "document": "Other document",
    "other": "Other photo",
}
THUMBNAIL_PX = 320
_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox; default-src 'none'; img-src 'self'; style-src "
                               "'unsafe-inline'",
    "Cache-Control": "no-store",
}


def _disposition(found: Attachment) -> str:
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in found.filename)
    return f'inline; filename="{safe or "attachment"}"'


def file_response(found: Attachment) -> Response:
    """Return the file as sent, with its type and a name to save it as."""
    return Response(found.content, media_type=found.content_type,
                    headers={**_HEADERS, "Content-Disposition": _disposition(found)})


def thumbnail_response(found: Attachment) -> Response | None:
    """Return a JPEG at most `THUMBNAIL_PX` on its longer side, turned as its EXIF says;
    None for a document."""
    if not found.content_type.startswith("image/"):
        return None
    with Image.open(io.BytesIO(found.content)) as image:
        small = ImageOps.exif_transpose(image)
        small.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
        out = io.BytesIO()
        small.convert("RGB").save(out, "JPEG", quality=80)
    return Response(out.getvalue(), media_type="image/jpeg", headers=_HEADERS)
