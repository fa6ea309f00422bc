"""Attachments: `attachment.chunk` carries a file's bytes, `attachment.added` describes it.

A file larger than one entry may carry (`MAX_BODY_BYTES`) travels as several chunks, each
an encrypted, signed entry of the record; `attachment.added` is written after its chunks,
in the same unit of work, with the size and SHA-256 of the whole file, so a reader joins
the chunks and checks them against it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from carechain.records.kinds._common import (
    Between,
    FreeText,
    Int,
    KindModel,
    ShortText,
    Time,
    one_of,
)

__all__ = [
    "ATTACHMENT_MAX_BYTES",
    "CHUNK_BYTES",
    "AttachmentAdded",
    "AttachmentCategory",
    "AttachmentChunk",
    "ContentType",
    "EcgLeadInfo",
    "EcgRecorded",
]

ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
# Bytes of the file per chunk: base64 makes 4/3 of it, well within an entry's body.
CHUNK_BYTES = 128 * 1024
_MAX_CHUNKS = -(-ATTACHMENT_MAX_BYTES // CHUNK_BYTES)

AttachmentCategory = Literal[
    "scene", "wound", "medication", "dnacpr", "ecg", "document", "other"
]
ContentType = Literal[
    "image/jpeg", "image/png", "application/pdf",
    "application/dicom", "application/hl7-v3+xml", "application/xml",
]
EcgFormat = Literal["dicom", "hl7-aecg", "philips-sierra"]
EcgLeadName = Literal["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]
_Id = Annotated[str, StringConstraints(strict=True, pattern=r"^[0-9a-f]{32}$")]
_Sha256 = Annotated[str, StringConstraints(strict=True, pattern=r"^[0-9a-f]{64}$")]
_Base64 = Annotated[
    str,
    StringConstraints(
        strict=True, min_length=4, max_length=-(-CHUNK_BYTES // 3) * 4,
        pattern=r"^[A-Za-z0-9+/]+={0,2}$",
    ),
]


class AttachmentChunk(KindModel):
    """`attachment.chunk`: bytes `index × CHUNK_BYTES` onwards of one attachment, base64."""

    attachment: _Id
    index: Annotated[Int, Between(0, _MAX_CHUNKS - 1, "")]
    content: _Base64


class AttachmentAdded(KindModel):
    """`attachment.added`: a photo or document of the record, its chunks already written."""

    attachment: _Id
    category: Annotated[AttachmentCategory, one_of(AttachmentCategory)]
    content_type: Annotated[ContentType, one_of(ContentType)]
    filename: ShortText
    size: Annotated[Int, Between(1, ATTACHMENT_MAX_BYTES, "bytes")]
    sha256: _Sha256
    chunks: Annotated[Int, Between(1, _MAX_CHUNKS, "")]
    taken_at: Time
    caption: Annotated[FreeText, Field(max_length=500)] | None = None


class EcgLeadInfo(KindModel):
    """One lead of an imported ECG: its name, how many samples, and µV per device unit."""

    lead: Annotated[EcgLeadName, one_of(EcgLeadName)]
    samples: Annotated[Int, Between(1, 1_000_000, "samples")]
    uv_per_unit: Annotated[float, Field(gt=0, le=1_000_000)]


class EcgRecorded(KindModel):
    """`ecg.recorded`: a 12-lead ECG imported from the device's file, kept as the
    attachment `attachment` (category `ecg`); what the device recorded and said of it."""

    attachment: _Id
    format: Annotated[EcgFormat, one_of(EcgFormat)]
    sample_rate_hz: Annotated[float, Field(ge=100, le=10000)]
    leads: Annotated[list[EcgLeadInfo], Field(min_length=1, max_length=12)]
    interpretation: Annotated[list[Annotated[FreeText, Field(max_length=1000)]],
                              Field(max_length=50)] = Field(default_factory=list)
    device_time: ShortText | None = None
    taken_at: Time
