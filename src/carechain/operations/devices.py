"""Monitors on the crew network: which this node has heard, and which record each feeds.

The MLLP listener (`carechain.devices`) writes a monitor's readings only into the record a
crew member attached it to, as that crew member: held in `readings` (checked as they
arrive) and written as `vitals.chunk` entries (`carechain.operations.readings`). Attaching and
detaching are operations of their own, so the choice is permission-checked (`record.write`
and a care relationship with the record) and leaves an audit entry (`device.attach`,
`device.detach`).

A monitor is named by the equipment id its MDS-level OBX-18 carries, or else by its MSH-3.
Monitors heard recently are listed for the crew's "attach monitor" control. Both tables are
bounded: the node remembers the last `HEARD_MAX` monitors and lists those heard in the
last `HEARD_FOR_S` seconds. Attachments live in the serving process.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from carechain.errors import Forbidden
from carechain.node import Unit
from carechain.operations.access import held_record, record_access
from carechain.operations.actor import Actor
from carechain.operations.door import Door
from carechain.operations.readings import CHUNK_EVERY_S, Readings

__all__ = ["HEARD_FOR_S", "HEARD_MAX", "Attachment", "Heard", "Monitors", "attach_monitor",
           "detach_monitor"]

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


HEARD_MAX = 64
HEARD_FOR_S = 600.0


@dataclass(frozen=True)
class Heard:
    """A monitor the node has heard: its id, what MSH-3/4 called it, when last."""

    monitor: str
    sending_app: str
    sending_facility: str
    last_s: float
    accepted: int


@dataclass(frozen=True)
class Attachment:
    """A monitor feeding a record, and the crew member its frames are written as."""

    monitor: str
    record: bytes
    actor: Actor


class Monitors:
    """The node's monitors: heard recently, and attached to records."""

    def __init__(self, door: Door, *, chunk_s: float = CHUNK_EVERY_S) -> None:
        self.door = door
        self.readings = Readings(door, every_s=chunk_s)
        self._lock = threading.Lock()
        self._heard: dict[str, Heard] = {}
        self._attached: dict[str, Attachment] = {}

    def heard(self, monitor: str, sending_app: str, sending_facility: str,
              accepted: bool) -> None:
        """Note that `monitor` sent a message now."""
        with self._lock:
            old = self._heard.pop(monitor, None)
            count = (old.accepted if old else 0) + (1 if accepted else 0)
            self._heard[monitor] = Heard(monitor, sending_app, sending_facility,
                                         time.monotonic(), count)
            while len(self._heard) > HEARD_MAX:
                self._heard.pop(next(iter(self._heard)))

    def recent(self) -> list[Heard]:
        """Return the monitors heard in the last `HEARD_FOR_S` seconds, latest first."""
        cutoff = time.monotonic() - HEARD_FOR_S
        with self._lock:
            return sorted((h for h in self._heard.values() if h.last_s >= cutoff),
                          key=lambda h: h.last_s, reverse=True)

    def attach(self, actor: Actor, record: bytes, monitor: str) -> None:
        """Feed `monitor`'s frames into `record` as `actor` (checked and audited)."""
        with self.door.unit() as uow:
            attach_monitor(self.door, actor, uow, record=record, monitor=monitor)
        with self._lock:
            self._attached[monitor] = Attachment(monitor, record, actor)

    def detach(self, actor: Actor, monitor: str) -> None:
        """Stop feeding `monitor`'s frames into its record."""
        with self._lock:
            gone = self._attached.pop(monitor, None)
        if gone is not None:
            with self.door.unit() as uow:
                self.readings.flush(gone.record, sources={monitor}, uow=uow)
                detach_monitor(self.door, actor, uow, record=gone.record, monitor=monitor)

    def attachment(self, monitor: str) -> Attachment | None:
        """Return where `monitor` feeds, if anywhere."""
        with self._lock:
            return self._attached.get(monitor)

    def feeding(self, record: bytes) -> list[str]:
        """Return the monitors attached to `record`."""
        with self._lock:
            return sorted(m for m, a in self._attached.items() if a.record == record)
