"""Kinds written as a record travels: receipts, safety overrides, and monitor stream frames."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from carechain.records.kinds._common import (
    LIST_MAX,
    Between,
    Bool,
    FreeText,
    Int,
    KindModel,
    Num,
    ShortText,
    StaffId,
    Time,
    one_of,
)

__all__ = [
    "AuditEvent",
    "ConfirmedBy",
    "EcgChunk",
    "OverrideBreach",
    "ReceiptRecorded",
    "SafetyOverride",
    "VitalsChunk",
    "VitalsFrame",
    "VitalsReading",
]

# A chunk holds at most ten minutes of readings at one a second (a writer flushes every
# minute by default; a longer chunk risks more readings on a crash before it is written).
CHUNK_READINGS_MAX = 600

Lead = Literal["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]


class ReceiptRecorded(KindModel):
    """`receipt.recorded`: a receiving node's signed statement that it holds the record
    (every entry this one descends from); with `accepted_by`, the handover is accepted."""

    received_at: Time
    node: ShortText
    accepted_by: StaffId | None = None
    handover_accepted: Bool | None = None


class OverrideBreach(KindModel):
    """One formulary rule a medication broke."""

    rule: ShortText
    message: FreeText


class ConfirmedBy(KindModel):
    """The second clinician who confirmed an override, as their account names them."""

    staff_id: StaffId
    name: ShortText
    role: ShortText


class SafetyOverride(KindModel):
    """`safety.override`: a clinician's reason for giving a drug despite formulary warnings."""

    drug: ShortText
    breaches: Annotated[list[OverrideBreach], Field(min_length=1, max_length=LIST_MAX)]
    reason: Annotated[FreeText, Field(min_length=10)]
    by: StaffId
    at: Time
    # Set when the formulary asks a second clinician to confirm (a severe allergy).
    confirmed_by: ConfirmedBy | None = None


class VitalsReading(KindModel):
    """One monitor reading with its time (the fields of a frame, without its source)."""

    at: Time
    heart_rate: Annotated[Int, Between(20, 300, "/min")] | None = None
    spo2: Annotated[Int, Between(50, 100, "%")] | None = None
    respiratory_rate: Annotated[Int, Between(0, 80, "/min")] | None = None
    systolic_bp: Annotated[Int, Between(40, 300, "mmHg")] | None = None
    diastolic_bp: Annotated[Int, Between(20, 200, "mmHg")] | None = None
    etco2_kpa: Annotated[Num, Between(0, 15, "kPa")] | None = None


class VitalsFrame(VitalsReading):
    """`vitals.frame` (stream): one reading from a monitor, typically every second."""

    source: ShortText | None = None


class VitalsChunk(KindModel):
    """`vitals.chunk` (stream): a stretch of one monitor's readings, each with its time;
    the fold lists them in section `vitals` exactly as if each had been a frame."""

    at: Time
    source: ShortText | None = None
    readings: Annotated[list[VitalsReading], Field(min_length=1, max_length=CHUNK_READINGS_MAX)]


class EcgChunk(KindModel):
    """`ecg.chunk` (stream): a few seconds of one ECG lead, in microvolts."""

    at: Time
    lead: Annotated[Lead, one_of(Lead)]
    sample_rate_hz: Annotated[Int, Between(100, 1000, "Hz")]
    samples_uv: Annotated[
        list[Annotated[Int, Between(-10000, 10000, "µV")]], Field(min_length=1, max_length=5000)
    ]


class AuditEvent(KindModel):
    """`audit.event` (audit): a login, record view, export, key grant or break-glass access,
    as built by `carechain.accounts.audit_event`."""

    v: Int
    action: ShortText
    staff_id: ShortText | None = None
    role: ShortText | None = None
    at_ms: Annotated[Int, Between(0, 2**53, "ms")]
    outcome: Annotated[
        Literal["success", "failure", "refused"], one_of(Literal["success", "failure", "refused"])
    ]
    record: ShortText | None = None
    detail: dict[str, Any] = Field(default_factory=dict)
