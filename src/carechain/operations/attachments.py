"""Attachments: photos and documents of a record, written and read through the door.

A file is checked before anything is written: its content must be a JPEG, PNG or PDF
(sniffed from its bytes, whatever name or type the browser gave it) and at most
`ATTACHMENT_MAX_BYTES`. It is then written, in one unit of work, as `attachment.chunk`
entries (each encrypted to the record's readers and signed, like every entry) and one
`attachment.added` entry holding its size and SHA-256, with one audit entry. Reading a
file is a record read: access-checked and audited, the chunks joined and checked against
the SHA-256, and sniffed again against the type it claims, before a byte is returned.

The bytes are kept exactly as the camera or the sender produced them (EXIF included):
they are the signed original, the same readers already hold the incident's location,
and a photo's orientation lives in its EXIF (docs/entry-kinds.md).
"""

from __future__ import annotations

import base64
import hashlib
import io
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from PIL import Image, UnidentifiedImageError

from carechain.errors import FieldInvalid, Forbidden, NotFound
from carechain.node import Unit
from carechain.operations import records
from carechain.operations.access import held_record, record_access
from carechain.operations.actor import Actor
from carechain.operations.door import Door
from carechain.records import ecg as ecgs
from carechain.records.kinds import SHORT_TEXT_MAX, validate_body
from carechain.records.kinds.attachments import ATTACHMENT_MAX_BYTES, CHUNK_BYTES

__all__ = [
    "ATTACHMENT_MAX_BYTES",
    "CHUNK_BYTES",
    "ECG_TYPES",
    "Attachment",
    "add",
    "listed",
    "read",
    "sniff",
]

_MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "PNG"),
    (b"%PDF-", "application/pdf", None),
)
_SIZE_RULE = f"must be at most {ATTACHMENT_MAX_BYTES // (1024 * 1024)} MB"


@dataclass(frozen=True)
class Attachment:
    """One attachment's bytes and what `attachment.added` says of them."""

    content: bytes
    content_type: str
    filename: str
    category: str
    item: dict[str, Any]


ECG_TYPES = ("application/dicom", "application/hl7-v3+xml", "application/xml")


def sniff(content: bytes, field: str = "file", *, ecg: bool = False) -> str:
    """Return the content type of a JPEG, PNG or PDF, from its bytes; FieldInvalid naming
    `field` for anything else, or an image that does not decode. With `ecg`, a device's
    ECG file is also recognised: DICOM (`DICM` at byte 128), HL7 aECG or Philips Sierra XML."""
    if not content:
        raise FieldInvalid(field, "must not be empty")
    if len(content) > ATTACHMENT_MAX_BYTES:
        raise FieldInvalid(field, _SIZE_RULE,
                           f"{field}: {_SIZE_RULE} ({ATTACHMENT_MAX_BYTES} bytes); "
                           f"this file is {len(content)} bytes")
    if ecg and ecgs.is_dicom(content):
        return ECG_TYPES[0]
    if ecg and ecgs.is_aecg(content):
        return ECG_TYPES[1]
    if ecg and ecgs.is_sierra(content):
        return ECG_TYPES[2]
    for magic, content_type, image_format in _MAGIC:
        if not content.startswith(magic):
            continue
        if image_format is not None:
            try:
                with Image.open(io.BytesIO(content)) as image:
                    if image.format != image_format:
                        break
                    image.verify()
            except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
                raise FieldInvalid(field, "must be a JPEG or PNG image that opens",
                                   f"{field}: the image is damaged and cannot be shown") from exc
        elif b"%%EOF" not in content[-2048:]:
            raise FieldInvalid(field, "must be a complete PDF",
                               f"{field}: the PDF is cut short (no end-of-file marker)")
        return content_type
    raise FieldInvalid(field, "must be a JPEG or PNG photo, or a PDF document")


def _filename(name: str) -> str:
    clean = "".join(c for c in name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1] if c.isprintable())
    return clean.strip()[:SHORT_TEXT_MAX] or "attachment"


def add(door: Door, actor: Actor, uow: Unit, *, record: bytes, category: str, filename: str,
        content: bytes, caption: str | None = None, ecg: bool = False) -> str:
    """Attach a file to a record; return the attachment's id. Nothing is written unless the
    file, its category and caption all pass. `ecg` (the ECG import alone) admits a
    device's ECG file, as category `ecg`."""
    content_type = sniff(content, ecg=ecg)
    if ecg and category != "ecg":
        raise FieldInvalid("category", "an ECG file is attached as category ecg")
    if not actor.can("record.write"):
        raise Forbidden(f"a {actor.role} may not record.write", action="record.write",
                        role=actor.role)
    held_record(door.node, record)
    if not record_access(door.node, door.accounts, actor, record, door.now_ms()).allowed:
        raise Forbidden(f"{actor.name} has no care relationship with this record",
                        action="record.write", role=actor.role)
    attachment = secrets.token_hex(16)
    chunks = [content[i:i + CHUNK_BYTES] for i in range(0, len(content), CHUNK_BYTES)]
    data: dict[str, Any] = {
        "attachment": attachment, "category": category, "content_type": content_type,
        "filename": _filename(filename), "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(), "chunks": len(chunks),
        "taken_at": datetime.fromtimestamp(door.now_ms() / 1000, tz=UTC).isoformat(),
    }
    if caption:
        data["caption"] = caption
    validate_body("attachment.added", data)  # every rule checked before a chunk is written
    for index, chunk in enumerate(chunks):
        door.node.append(record=record, user=actor.user, kind="attachment.chunk", uow=uow,
                         data={"attachment": attachment, "index": index,
                               "content": base64.b64encode(chunk).decode("ascii")})
    records.append(door, actor, uow, record=record, kind="attachment.added", data=data)
    return attachment


def listed(state: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the attachments of a record's state, newest first."""
    items: list[dict[str, Any]] = state.get("items", {}).get("attachments", [])
    return sorted(items, key=lambda a: str(a.get("recorded_at", "")), reverse=True)


def read(door: Door, actor: Actor, uow: Unit, *, record: bytes, attachment: str,
         what: str = "attachment") -> Attachment:
    """Return an attachment's bytes, checked against its SHA-256; the read is audited as a
    record read (`what`: `attachment`, or `thumbnail`)."""
    state = records.read_state(door, actor, uow, record=record, what=what)
    item = next((a for a in listed(state) if a.get("attachment") == attachment), None)
    if item is None:
        raise NotFound(f"no attachment {attachment!r} in this record")
    parts: dict[int, bytes] = {}
    for stored in door.node.store.record(record):
        body = door.node.body(stored.entry)
        if body is None or body.get("kind") != "attachment.chunk":
            continue
        chunk = body.get("data", {})
        if chunk.get("attachment") == attachment and isinstance(chunk.get("index"), int):
            parts.setdefault(chunk["index"], base64.b64decode(chunk.get("content", "")))
    content = b"".join(parts.get(i, b"") for i in range(int(item["chunks"])))
    if len(content) != item["size"] or hashlib.sha256(content).hexdigest() != item["sha256"]:
        raise NotFound(f"attachment {attachment} is not complete on this node yet")
    try:  # written by any means (the API's entries, another node), it is checked again here
        sniffed = sniff(content, ecg=item.get("category") == "ecg")
    except FieldInvalid:
        sniffed = None
    if sniffed != item["content_type"]:
        raise NotFound(f"attachment {attachment} is not the {item['content_type']} it claims "
                       "to be: it is not served")
    return Attachment(content, str(item["content_type"]), str(item["filename"]),
                      str(item["category"]), item)
