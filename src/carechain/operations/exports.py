"""Records leaving the chain (FHIR, NEMSIS, the printed handover) and coming back from
paper, through the door: who may export what, and a `record.export` audit entry for every
record that leaves."""

from __future__ import annotations

from typing import Any

from carechain.errors import CarechainError, Forbidden
from carechain.exports.qr import Imported, import_codes
from carechain.exports.source import exportable_records
from carechain.node import Unit
from carechain.operations.access import held_record, record_access
from carechain.operations.actor import Actor
from carechain.operations.door import Door

__all__ = ["PRINTS", "export_state", "exportable", "import_from_codes", "may_export"]

# The printed handover (and its codes on screen) goes with the patient: a crew member who
# hands over (`handover.send`) or the ED clinician receiving them prints it. Every other
# format is the organisation's export (`record.export`).
PRINTS = frozenset({"pdf", "qr-screen"})


def may_export(actor: Actor, fmt: str) -> bool:
    """Return whether the actor's role may export a record in `fmt`."""
    if actor.can("record.export"):
        return True
    return fmt in PRINTS and (actor.can("handover.send") or actor.can("record.read_addressed"))


def export_state(door: Door, actor: Actor, uow: Unit, *, record: bytes, fmt: str,
                 detail: dict[str, Any] | None = None) -> dict[str, Any]:
    """Check that `actor` may export `record` as `fmt`, draft its `record.export` audit entry,
    and return the record's state for the exporter."""
    if not may_export(actor, fmt):
        raise Forbidden(f"a {actor.role} may not export records as {fmt}",
                        action="record.export", role=actor.role)
    held_record(door.node, record)
    access = record_access(door.node, door.accounts, actor, record, door.now_ms())
    if not access.allowed:
        raise door.refuse(actor, "record.export",
                          f"{actor.name} has no care relationship with this record",
                          audit_as="record.export", record=record, detail={"format": fmt})
    door.audit(actor, uow, "record.export", record=record,
               detail={"format": fmt, **access.detail(), **(detail or {})})
    return door.node.state(record)


def exportable(door: Door, actor: Actor, fmt: str) -> list[bytes]:
    """Return the records on this node that `actor` may export as `fmt`."""
    if not may_export(actor, fmt):
        raise Forbidden(f"a {actor.role} may not export records as {fmt}",
                        action="record.export", role=actor.role)
    out = []
    for record in exportable_records(door.node):
        try:
            if record_access(door.node, door.accounts, actor, record, door.now_ms()).allowed:
                out.append(record)
        except CarechainError:
            continue
    return out


def import_from_codes(door: Door, actor: Actor, codes: list[bytes]) -> Imported:
    """Ingest a record from its QR codes (every entry checked; all or nothing), then audit
    the read of it: the importer sees the record it brought in."""
    if not (actor.can("record.read_addressed") or actor.can("record.read_own")
            or actor.can("record.export")):
        raise Forbidden(f"a {actor.role} may not import records", action="record.import",
                        role=actor.role)
    done = import_codes(door.node, codes)
    with door.unit() as uow:
        door.audit(actor, uow, "record.view", record=done.record,
                   detail={"what": "import", "codes": done.codes, "new": done.new})
    return done
