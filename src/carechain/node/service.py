"""The node: verifies what it is given, stores it durably, authors entries, folds records.

Services here take keyword-only arguments; every append is one store transaction that is
durable before it returns (the acknowledgement).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from carechain.entries import (
    HLC,
    Clock,
    Draft,
    Entry,
    HybridClock,
    SystemClock,
    crypto,
    make_encrypted,
    make_grant,
    new_record_id,
    open_body,
    open_grant,
)
from carechain.errors import (
    BadParents,
    CarechainError,
    FieldInvalid,
    InvalidInput,
    NotFound,
    Undecryptable,
)
from carechain.node.home import NodeHome, NodeInfo
from carechain.records import build_state, kinds
from carechain.records.fold import AMENDMENT_KIND, FoldEntry, hlc_iso
from carechain.store import SqliteStore, Store, Stored
from carechain.trust import DIRECTORY_RECORD, Directory, NodeKeys
from carechain.trust.certificate import Certificate

__all__ = ["IngestResult", "Node"]


@dataclass(frozen=True)
class IngestResult:
    """What happened to one offered entry."""

    id: bytes
    seq: int | None
    new: bool
    error: CarechainError | None = None


class Node:
    """One carechain node: its keys, its directory of the trust, and its log."""

    def __init__(
        self, *, info: NodeInfo, keys: NodeKeys, store: Store, clock: Clock | None = None
    ) -> None:
        self.info = info
        self.keys = keys
        self.store = store
        self.clock = HybridClock(clock or SystemClock())
        self.directory = Directory(bytes.fromhex(info.root_public))
        self._content_keys: dict[bytes, bytes] = {}
        self._lock = threading.RLock()
        for stored in store.record(DIRECTORY_RECORD):
            try:
                self.directory.check_signature(stored.entry)
                self.directory.absorb(stored.entry)
            except CarechainError:
                continue  # `carechain verify` names it; a bad entry must not stop the node
        last = store.last_hlc()
        if last is not None:
            self.clock.observe(last)

    @classmethod
    def open(cls, path: Path, secret: str, clock: Clock | None = None) -> Node:
        """Open an enrolled node's directory with its operator secret."""
        home = NodeHome(path)
        info = home.info()
        if not info.root_public:
            raise InvalidInput(f"node {info.name!r} is not enrolled: run `carechain node enroll`")
        keys = home.keys(secret)
        return cls(info=info, keys=keys, store=SqliteStore(home.store_file), clock=clock)

    # --- receiving -------------------------------------------------------------------

    def check(self, entry: Entry, batch: dict[bytes, Entry] | None = None) -> None:
        """Verify an entry against the trust and this node's log, or raise why not."""
        self.directory.check_signature(entry)
        for parent in entry.header.parents:
            found = (batch or {}).get(parent)
            if found is None:
                stored = self.store.get(parent)
                found = None if stored is None else stored.entry
            if found is None:
                raise BadParents(f"entry {entry.hex}: parent {parent.hex()} is not known here")
            if found.header.record != entry.header.record:
                raise BadParents(f"entry {entry.hex}: parent {parent.hex()} is of another record")
        if entry.header.cls == "grant" and self.keys.box_key_id in entry.header.recipients:
            open_grant(entry, self.keys.box_key_id, self.keys.box_private)

    def ingest(self, entries: Sequence[Entry]) -> list[IngestResult]:
        """Verify and durably store entries; answer for each."""
        results: list[IngestResult] = []
        accepted: dict[bytes, Entry] = {}
        with self._lock:
            for entry in entries:
                existing = self.store.get(entry.id)
                if existing is not None:
                    results.append(IngestResult(entry.id, existing.seq, False))
                    continue
                try:
                    self.check(entry, accepted)
                    if entry.header.cls == "directory":
                        self.directory.absorb(entry)
                except CarechainError as exc:
                    results.append(IngestResult(entry.id, None, False, exc))
                    continue
                accepted[entry.id] = entry
                self.clock.observe(entry.header.hlc)
                results.append(IngestResult(entry.id, None, True))
            stored = iter(self.store.append(list(accepted.values())))
            out = []
            for r in results:
                if r.new:
                    seq, new = next(stored)
                    r = IngestResult(r.id, seq, new)
                out.append(r)
        return out

    # --- authoring -------------------------------------------------------------------

    def _draft(self, record: bytes, cls: str, user: str, recipients: Sequence[bytes]) -> Draft:
        heads = _heads(self.store.record(record))
        return Draft(record, cls, user, self.clock.tick(), heads, tuple(recipients))

    def _commit(self, entry: Entry) -> Stored:
        seq, _ = self.store.append([entry])[0]
        return Stored(seq, entry)

    def default_recipients(self) -> dict[bytes, bytes]:
        """Return who can read a new record: this node and the trust's records vaults."""
        found = {self.keys.box_key_id: self.keys.box_public}
        for cert in self.directory.nodes("vault"):
            if cert.org == self.info.org:
                found[cert.box_key_id] = cert.box_key
        return found

    def open_record(self, *, user: str, data: dict[str, Any]) -> tuple[bytes, Stored]:
        """Start a record: grant its content key, then write `record.opened`."""
        clean = kinds.validate_body("record.opened", data)
        record = new_record_id()
        key = crypto.random_bytes(crypto.KEY_BYTES)
        with self._lock:
            recipients = self.default_recipients()
            grant = make_grant(self._draft(record, "grant", user, ()), self.keys, key, recipients)
            self._commit(grant)
            self._content_keys[record] = key
            stored = self._append_body(record, user, "record.opened", clean)
        return record, stored

    def grant(self, *, record: bytes, user: str, recipients: dict[bytes, bytes]) -> Stored:
        """Give more nodes (key id → X25519 key) the record's content key."""
        with self._lock:
            key = self.content_key(record)
            draft = self._draft(record, "grant", user, ())
            return self._commit(make_grant(draft, self.keys, key, recipients))

    def _append_body(self, record: bytes, user: str, kind: str, data: dict[str, Any]) -> Stored:
        key = self.content_key(record)
        draft = self._draft(record, "clinical", user, sorted(self.recipients(record)))
        body = {"kind": kind, "v": 1, "data": data}
        return self._commit(make_encrypted(draft, self.keys, key, body))

    def append(self, *, record: bytes, user: str, kind: str, data: Any) -> Stored:
        """Validate a section and append it to a record."""
        if kind == AMENDMENT_KIND or kind == "record.opened":
            raise FieldInvalid("kind", f"{kind} has its own operation")
        clean = kinds.validate_body(kind, data)
        with self._lock:
            state = self.state(record)
            spec = kinds.KINDS[kind]
            if not spec.multi:
                merged = {**state["sections"].get(spec.section, {}), **clean}
                kinds.check_section(spec.section, merged)
            return self._append_body(record, user, kind, clean)

    def amend(
        self, *, record: bytes, user: str, supersedes: str, reason: str, data: Any
    ) -> Stored:
        """Supersede an earlier entry's data with a reason; the original stays in history."""
        if not reason.strip():
            raise FieldInvalid("reason", "an amendment needs a reason")
        try:
            target = self.store.get(bytes.fromhex(supersedes))
        except ValueError:
            raise FieldInvalid("supersedes", "must be an entry id in hex") from None
        if target is None or target.entry.header.record != record:
            raise FieldInvalid("supersedes", "must name an entry of this record")
        with self._lock:
            body = self.body(target.entry)
            if body is None or target.entry.header.cls != "clinical":
                raise FieldInvalid("supersedes", "only clinical entries can be amended")
            while body["kind"] == AMENDMENT_KIND:
                inner = self.store.get(bytes.fromhex(body["data"]["supersedes"]))
                assert inner is not None
                body = self.body(inner.entry) or {}
            clean = kinds.validate_body(str(body["kind"]), data)
            amendment = {"supersedes": supersedes, "reason": reason.strip(), "data": clean}
            return self._append_body(record, user, AMENDMENT_KIND, amendment)

    # --- reading ---------------------------------------------------------------------

    def recipients(self, record: bytes) -> set[bytes]:
        """Return every key id the record's content key has been granted to."""
        out: set[bytes] = set()
        for s in self.store.record(record):
            if s.entry.header.cls == "grant":
                out.update(s.entry.header.recipients)
        return out

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

    def state(self, record: bytes) -> dict[str, Any]:
        """Return a record's clinical state, scores, conflicts and history."""
        entries = self.store.record(record)
        if not entries or record == DIRECTORY_RECORD:
            raise NotFound(f"no record {record.hex()}")
        fold_entries = [
            FoldEntry(
                id=s.entry.id,
                hlc=s.entry.header.hlc,
                parents=s.entry.header.parents,
                cls=s.entry.header.cls,
                user=s.entry.header.user,
                author=self.author_name(s.entry.header.author),
                body=self.body(s.entry),
            )
            for s in entries
        ]
        state = build_state(record, fold_entries)
        state["recipients"] = [self._recipient_name(r) for r in sorted(self.recipients(record))]
        return state

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

    def close(self) -> None:
        """Close the store."""
        self.store.close()


def _heads(entries: Sequence[Stored]) -> tuple[bytes, ...]:
    """Return the ids of a record's entries that no other entry names as a parent."""
    referenced = {p for s in entries for p in s.entry.header.parents}
    return tuple(sorted(s.entry.id for s in entries if s.entry.id not in referenced))
