"""12-lead ECGs: a device's file imported into a record, and read back as its leads.

`add` parses the file first (DICOM 12-lead waveform, HL7 aECG or Philips Sierra XML,
`carechain.records.ecg`);
a file that does not parse is refused naming the field, and nothing is written. In one
unit of work it then writes the file, byte for byte, as an attachment of category `ecg`
(encrypted and signed, `carechain.operations.attachments`) and one `ecg.recorded` entry
naming it, with the leads, sample rate, µV per unit and the device's interpretation
statements verbatim. `read` returns the trace from the signed original: the attachment is
checked against its SHA-256 and parsed by the same code; nothing is computed from it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from carechain.errors import FieldInvalid, NotFound
from carechain.node import Unit
from carechain.operations import attachments, records
from carechain.operations.actor import Actor
from carechain.operations.door import Door
from carechain.operations.prealert import ecgs_of
from carechain.records.ecg import Ecg, parse
from carechain.records.kinds import validate_body

__all__ = ["add", "listed", "read"]


def _body(ecg: Ecg, attachment: str, taken_at: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "attachment": attachment, "format": ecg.format, "sample_rate_hz": ecg.sample_rate_hz,
        "leads": [{"lead": lead.lead, "samples": len(lead.samples),
                   "uv_per_unit": lead.uv_per_unit} for lead in ecg.leads],
        "interpretation": list(ecg.interpretation), "taken_at": taken_at,
    }
    if ecg.recorded_at:
        data["device_time"] = ecg.recorded_at
    return data


def add(door: Door, actor: Actor, uow: Unit, *, record: bytes, filename: str,
        content: bytes, field: str = "file") -> str:
    """Import a device's ECG file into a record; return the attachment's id. A refusal
    names `field` (the form's file input) and the file's own field that is wrong."""
    if not content or len(content) > attachments.ATTACHMENT_MAX_BYTES:
        attachments.sniff(content, field, ecg=True)  # the rule of size, by name
    ecg = parse(content, field)
    taken_at = datetime.fromtimestamp(door.now_ms() / 1000, tz=UTC).isoformat()
    validate_body("ecg.recorded", _body(ecg, "0" * 32, taken_at))  # every rule, before writing
    attachment = attachments.add(door, actor, uow, record=record, category="ecg",
                                 filename=filename, content=content, ecg=True)
    records.append(door, actor, uow, record=record, kind="ecg.recorded",
                   data=_body(ecg, attachment, taken_at))
    return attachment


def listed(state: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the ECGs of a record's state, newest first."""
    return ecgs_of(state)


def read(door: Door, actor: Actor, uow: Unit, *, record: bytes,
         attachment: str) -> tuple[dict[str, Any], Ecg]:
    """Return an ECG's `ecg.recorded` item and its trace, parsed from the signed original;
    audited as a record read (`what` = `ecg`)."""
    original = attachments.read(door, actor, uow, record=record, attachment=attachment,
                                what="ecg")
    state = door.node.state(record)
    item = next((e for e in listed(state) if e.get("attachment") == attachment), None)
    if item is None:
        raise NotFound(f"no ECG {attachment!r} in this record")
    try:  # an entry written past the import (the entries API) may name any attachment
        return item, parse(original.content)
    except FieldInvalid as exc:
        raise NotFound(f"attachment {attachment} is not an ECG file this node can read: "
                       f"{exc.rule}") from exc
