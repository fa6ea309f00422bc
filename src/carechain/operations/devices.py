"""Attaching a monitor to a record: the crew member's choice, checked and audited.

The MLLP listener (`carechain.devices`) writes a monitor's frames only into the record a
crew member attached it to, as that crew member, through `records.append`; attaching and
detaching are operations of their own so the choice is permission-checked (`record.write`
and a care relationship with the record) and leaves an audit entry.
"""

from __future__ import annotations

from carechain.errors import Forbidden
from carechain.node import Unit
from carechain.operations.access import held_record, record_access
from carechain.operations.actor import Actor
from carechain.operations.door import Door

__all__ = ["attach_monitor", "detach_monitor"]


def attach_monitor(door: Door, actor: Actor, uow: Unit, *, record: bytes, monitor: str) -> None:
    """Check that `actor` may write `record` and audit that `monitor` now feeds it."""
    if not actor.can("record.write"):
        raise Forbidden(f"a {actor.role} may not record.write", action="record.write",
                        role=actor.role)
    held_record(door.node, record)
    if not record_access(door.node, door.accounts, actor, record, door.now_ms()).allowed:
        raise Forbidden(f"{actor.name} has no care relationship with this record",
                        action="record.write", role=actor.role)
    door.audit(actor, uow, "device.attach", record=record, detail={"monitor": monitor})


def detach_monitor(door: Door, actor: Actor, uow: Unit, *, record: bytes, monitor: str) -> None:
    """Audit that `monitor` no longer feeds `record`."""
    door.audit(actor, uow, "device.detach", record=record, detail={"monitor": monitor})
