"""Reading a node's records: their shape, keys, bodies and folded state (a part of `Node`)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from carechain.clinical import Formulary
from carechain.entries import HLC, Clock, Entry, HybridClock, open_body, open_grant, open_user
from carechain.errors import CarechainError, NotFound, Undecryptable
from carechain.node.home import NodeInfo
from carechain.node.notify import LogNotifier
from carechain.node.unit import Shape, Unit
from carechain.records import build_state
from carechain.records.fold import FoldEntry, hlc_iso
from carechain.records.state import without_content
from carechain.store import Store, Stored
from carechain.trust import DIRECTORY_RECORD, Directory, NodeKeys
from carechain.trust.certificate import Certificate

__all__ = ["Reading"]


class Reading:
    """What a node reads of its records."""

    # The node's state these methods share (set in `Node.__init__`).
    info: NodeInfo
    keys: NodeKeys
    store: Store
    wall: Clock
    clock: HybridClock
    directory: Directory
    formulary: Formulary
    notifier: LogNotifier
    _content_keys: dict[bytes, bytes]
    _chunk_bodies: dict[bytes, dict[str, Any]]
    _lock: threading.RLock
    _shapes: dict[bytes, Shape]
    _units: list[Unit]

    def clock_ms(self) -> int:
        """Return this node's wall-clock time in milliseconds."""
        return self.wall.now_ms()

    def _shape(self, record: bytes) -> Shape:
        """Return a record's heads and recipients, read from the log once, then kept."""
        shape = self._shapes.get(record)
        if shape is None:
            shape = Shape()
            for s in self.store.record(record):
                shape.add(s.entry)
            self._shapes[record] = shape
        return shape


    def _stored(self, entries: Sequence[Entry]) -> None:
        """Keep the known shapes of records up to date with newly stored entries."""
        for e in entries:
            shape = self._shapes.get(e.header.record)
            if shape is not None:
                shape.add(e)


    def holds(self, record: bytes) -> bool:
        """Return whether this node holds any entry of a record (stored, or drafted in the
        unit of work under way)."""
        with self._lock:
            return bool(self._shape(record).heads)

    def heads(self, record: bytes) -> frozenset[bytes]:
        """Return the ids of a record's stored heads: they change with every entry the record
        gains, so they name the version of its state (kept in memory, no read of the log)."""
        with self._lock:
            return frozenset(self._shape(record).heads)

    def recipients(self, record: bytes) -> set[bytes]:
        """Return every key id the record's content key has been granted to."""
        with self._lock:
            return set(self._shape(record).recipients)

    def content_key(self, record: bytes) -> bytes:
        """Return the record's content key, from a grant to this node."""
        key = self._content_keys.get(record)
        if key is not None:
            return key
        entries = self.store.record(record)
        if not entries:
            raise NotFound(f"no record {record.hex()}")
        for s in entries:
            if s.entry.header.cls == "grant":
                found = open_grant(s.entry, self.keys.box_key_id, self.keys.box_private)
                if found is not None:
                    self._content_keys[record] = found
                    return found
        raise Undecryptable(f"record {record.hex()} has not been granted to this node")

    def body(self, entry: Entry) -> dict[str, Any] | None:
        """Return an entry's decrypted body, or None for grants and directory entries."""
        if entry.header.cls in ("grant", "directory"):
            return None
        return open_body(entry, self.content_key(entry.header.record))

    def author_name(self, key_id: bytes) -> str:
        """Return the certified name of an author key."""
        certs = self.directory.certs.get(key_id)
        if certs:
            return certs[0].name
        return "trust-root" if key_id == self.directory.root_id else key_id.hex()[:16]

    def _drafted(self, record: bytes) -> list[Stored]:
        """Return the entries of a record drafted in the units of work under way (seq 0)."""
        return [Stored(0, e) for u in self._units for e in u.entries
                if e.header.record == record]

    def state(self, record: bytes) -> dict[str, Any]:
        """Return a record's clinical state, scores, conflicts and history (with what the
        unit of work under way has drafted of it)."""
        with self._lock:
            entries = self.store.record(record) + self._drafted(record)
        if not entries or record == DIRECTORY_RECORD:
            raise NotFound(f"no record {record.hex()}")
        key = self.content_key(record)  # this node must hold the record's key at all
        unreadable: list[str] = []
        fold_entries = []
        for s in entries:
            try:
                # A file's chunk is decrypted for the fold once: it keeps none of the bytes.
                body = self._chunk_bodies.get(s.entry.id) or self.body(s.entry)
                light = without_content(body) if s.seq else None
                if light is not None:
                    body = self._chunk_bodies.setdefault(s.entry.id, light)
                user = open_user(s.entry, key)  # sealed in the header: the hub sees no one
            except Undecryptable:
                body, user = None, ""  # shown as unreadable, never allowed to hide the rest
                unreadable.append(s.entry.hex)
            fold_entries.append(
                FoldEntry(
                    id=s.entry.id,
                    hlc=s.entry.header.hlc,
                    parents=s.entry.header.parents,
                    cls=s.entry.header.cls,
                    user=user,
                    author=self.author_name(s.entry.header.author),
                    body=body,
                )
            )
        state = build_state(record, fold_entries)
        state["unreadable"] = unreadable
        state["recipients"] = [self._recipient_name(r) for r in sorted(self.recipients(record))]
        return state

    def _timeline(self, record: bytes) -> dict[str, Any]:
        """Return the state the time checks read: the fold of the record's clinical
        entries, kept by its shape, never the thousands of frames of a monitored record."""
        folded = []
        for entry_id in list(self._shape(record).clinical):
            stored = self.store.get(entry_id)
            if stored is None:
                continue
            entry, h = stored.entry, stored.entry.header
            try:
                body = self.body(entry)
            except Undecryptable:
                body = None
            folded.append(FoldEntry(entry.id, h.hlc, h.parents, h.cls, "", "", body))
        return build_state(record, folded)

    def list_records(self, *, limit: int = 100) -> list[dict[str, Any]]:
        """Return the records on this node, newest activity first, with a short summary."""
        out: list[dict[str, Any]] = []
        for summary in self.store.records():
            if summary.record == DIRECTORY_RECORD:
                continue
            item: dict[str, Any] = {
                "record_id": summary.record.hex(),
                "entries": summary.entries,
                "first": hlc_iso(HLC(summary.first_ms)),
                "last": hlc_iso(HLC(summary.last_ms)),
            }
            try:
                state = self.state(summary.record)
            except CarechainError:
                item["readable"] = False
            else:
                item["readable"] = True
                item["summary"] = {
                    "record": state["sections"].get("record", {}),
                    "incident": state["sections"].get("incident", {}),
                    "patient": state["sections"].get("patient", {}),
                    "signed": "signoff" in state["sections"],
                }
            out.append(item)
            if len(out) >= limit:
                break
        return out

    def _recipient_name(self, box_key_id: bytes) -> dict[str, str]:
        cert: Certificate | None = self.directory.certificate_for_box_key(box_key_id)
        if cert is None:
            return {"key": box_key_id.hex(), "name": "unknown", "role": "unknown"}
        return {"key": box_key_id.hex(), "name": cert.name, "role": cert.role}
