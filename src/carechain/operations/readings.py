"""Monitor readings held until they are written as a signed chunk.

A monitor sends a reading a second. Writing each as its own signed entry made them 97% of
a busy trust's log, so a node holds each stream's readings (one buffer per record and
monitor) and writes them as one `vitals.chunk` entry:

- every `every_s` seconds (60 by default) after the buffer's first reading;
- when the buffer holds `CHUNK_READINGS_MAX` readings;
- before the record's handover or sign-off is written (`flush_before`, called by
  `records.append` and `records.address` in the same unit of work, so what the hospital
  is handed includes every reading the crew saw);
- when the monitor is detached, and when the node stops (`close`).

The node's own live view shows held readings at once (`pending`). A crash loses the
readings held and not yet written: at most `every_s` seconds of each monitored stream
(docs/hazard-log.md, "monitor readings held before their chunk is written").
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from carechain.errors import CarechainError, Forbidden
from carechain.node import Node, Unit
from carechain.node.notify import LogNotifier
from carechain.operations.access import held_record, record_access
from carechain.operations.actor import Actor
from carechain.operations.door import Door
from carechain.records.kinds import CHUNK_READINGS_MAX, SHORT_TEXT_MAX, validate_body
from carechain.records.times import check_entry_times

__all__ = ["CHUNK_EVERY_S", "FLUSH_BEFORE", "Readings", "flush_before", "readings_of"]

_log = logging.getLogger(__name__)

CHUNK_EVERY_S = 60.0
# Entries before which a record's held readings are written, in the same unit of work.
FLUSH_BEFORE = frozenset({"disposition.recorded", "record.signed"})

_REGISTRY: weakref.WeakKeyDictionary[Node, Readings] = weakref.WeakKeyDictionary()
_REGISTRY_LOCK = threading.Lock()


def readings_of(node: Node) -> Readings | None:
    """Return the readings a node holds unwritten, if it takes monitor readings."""
    with _REGISTRY_LOCK:
        return _REGISTRY.get(node)


def flush_before(door: Door, uow: Unit, *, record: bytes, kind: str | None) -> None:
    """Write a record's held readings in `uow` before a handover or sign-off entry."""
    held = readings_of(door.node)
    if held is not None and (kind is None or kind in FLUSH_BEFORE):
        held.flush(record, uow=uow)


def _check_writer(door: Door, actor: Actor, record: bytes, now_ms: int) -> None:
    """The writer may write records and has a care relationship with this one."""
    if not actor.can("record.write"):
        raise Forbidden(f"a {actor.role} may not record.write", action="record.write",
                        role=actor.role)
    held_record(door.node, record)
    if not record_access(door.node, door.accounts, actor, record, now_ms).allowed:
        raise Forbidden(f"{actor.name} has no care relationship with this record",
                        action="record.write", role=actor.role)


@dataclass
class _Buffer:
    actor: Actor
    label: str  # the chunk's `source`: the monitor as its frames name it
    first_s: float
    readings: list[dict[str, Any]] = field(default_factory=list)


def _moment(reading: Mapping[str, Any]) -> datetime:
    return datetime.fromisoformat(str(reading["at"])).astimezone(UTC)


class Readings:
    """The readings a node holds, per (record, monitor), until each chunk is written."""

    def __init__(self, door: Door, *, every_s: float = CHUNK_EVERY_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.door = door
        self.every_s = every_s
        self._clock = clock
        self._lock = threading.Lock()
        self._buffers: dict[tuple[bytes, str], _Buffer] = {}
        self._stop = threading.Event()
        self._version = 0
        # Told on every reading held, so a live chart draws it at once (`listen_async`).
        self.changed = LogNotifier()
        self._ticker: threading.Thread | None = None
        with _REGISTRY_LOCK:
            _REGISTRY[door.node] = self

    def add(self, actor: Actor, record: bytes, source: str,
            frames: Iterable[Mapping[str, Any]]) -> int:
        """Hold `frames` (`vitals.frame` data) from `source` for `record`, written as
        `actor`; all or none: a refused frame raises and nothing is held. Return how many
        chunks became due and were written."""
        now_ms = self.door.now_ms()
        _check_writer(self.door, actor, record, now_ms)
        clean = []
        label = source[:SHORT_TEXT_MAX]
        for frame in frames:
            data = validate_body("vitals.frame", dict(frame))
            check_entry_times("vitals.frame", data, now_ms=now_ms, state=dict)
            label = str(data.pop("source", None) or label)
            clean.append(data)
        if not clean:
            return 0
        key = (record, source)
        with self._lock:
            buffer = self._buffers.get(key)
            if buffer is None:
                buffer = self._buffers[key] = _Buffer(actor, label, self._clock())
            buffer.actor = actor
            buffer.readings.extend(clean)
            full = len(buffer.readings) >= CHUNK_READINGS_MAX
        with self._lock:
            self._version += 1
            version = self._version
        self.changed.notify(version)  # wake the live charts
        try:  # the readings are held whatever happens here; a failed chunk is held again
            return self.flush(record, sources={source}) if full else self.due()
        except CarechainError:
            _log.exception("writing a chunk of monitor readings failed")
            return 0

    def pending(self, record: bytes) -> list[dict[str, Any]]:
        """Return the record's held readings as frame data (with `source`), in time order."""
        with self._lock:
            found = [{**r, "source": b.label} for (rec, _), b in self._buffers.items()
                     if rec == record for r in b.readings]
        return sorted(found, key=_moment)

    def due(self) -> int:
        """Write every buffer held for `every_s` seconds or more; return how many."""
        now = self._clock()
        with self._lock:
            old = [k for k, b in self._buffers.items() if now - b.first_s >= self.every_s]
        written = 0
        for record, source in old:
            written += self.flush(record, sources={source})
        return written

    def flush(self, record: bytes | None = None, *, sources: set[str] | None = None,
              uow: Unit | None = None) -> int:
        """Write held readings (of `record`, or all; of `sources`, or every monitor) as
        one chunk per buffer, in `uow` or in a unit of their own; return how many. If the
        unit fails, the readings are held again. The node's lock is never taken while
        this object's is held (a unit calls `flush` with the node's lock held)."""
        with self._lock:
            keys = [k for k in self._buffers if (record is None or k[0] == record)
                    and (sources is None or k[1] in sources)]
            taken = {k: self._buffers.pop(k) for k in keys}
        if not taken:
            return 0
        try:
            if uow is not None:
                self._write(taken, uow)
                uow.on_rollback(lambda: self._hold_again(taken))
            else:
                with self.door.unit() as own:
                    self._write(taken, own)
        except BaseException:
            self._hold_again(taken)
            raise
        return len(taken)

    def _hold_again(self, taken: Mapping[tuple[bytes, str], _Buffer]) -> None:
        """Hold again readings whose chunk was not stored, before any held since."""
        with self._lock:
            for k, b in taken.items():
                again = self._buffers.setdefault(k, _Buffer(b.actor, b.label, b.first_s))
                again.first_s = min(again.first_s, b.first_s)
                again.readings[:0] = b.readings

    def _write(self, taken: Mapping[tuple[bytes, str], _Buffer], uow: Unit) -> None:
        for (record, _), buffer in taken.items():
            for start in range(0, len(buffer.readings), CHUNK_READINGS_MAX):
                part = sorted(buffer.readings[start:start + CHUNK_READINGS_MAX], key=_moment)
                data = {"at": part[0]["at"], "source": buffer.label, "readings": part}
                self.door.node.append(record=record, user=buffer.actor.user,
                                      kind="vitals.chunk", data=data, uow=uow)
                self.door.audit(buffer.actor, uow, "record.write", record=record,
                                detail={"kind": "vitals.chunk"})

    def start(self, tick_s: float = 1.0) -> None:
        """Write due chunks every `tick_s` seconds on a thread of their own."""
        if self._ticker is not None:
            return
        self._stop.clear()

        def run() -> None:
            while not self._stop.wait(tick_s):
                try:
                    self.due()
                except Exception:  # held again: the next tick retries
                    _log.exception("writing a chunk of monitor readings failed")

        self._ticker = threading.Thread(target=run, name="vitals-chunks", daemon=True)
        self._ticker.start()

    def close(self) -> None:
        """Stop the ticker and write everything held."""
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
            self._ticker = None
        self.flush()
