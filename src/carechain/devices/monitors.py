"""Which monitors this crew node has heard, and which record each one feeds.

A monitor is named by the equipment id its MDS-level OBX-18 carries, or else by its MSH-3.
Monitors heard recently are listed for the crew's "attach monitor" control; a monitor feeds
a record only once a crew member attaches it (`attach`), and its frames are then written as
that crew member. Both tables are bounded: the node remembers the last `HEARD_MAX`
monitors and drops those silent for `HEARD_FOR_S`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from carechain.operations import Actor, Door
from carechain.operations.devices import attach_monitor, detach_monitor

__all__ = ["HEARD_FOR_S", "HEARD_MAX", "Attachment", "Heard", "Monitors"]

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

    def __init__(self, door: Door) -> None:
        self.door = door
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
                detach_monitor(self.door, actor, uow, record=gone.record, monitor=monitor)

    def attachment(self, monitor: str) -> Attachment | None:
        """Return where `monitor` feeds, if anywhere."""
        with self._lock:
            return self._attached.get(monitor)
