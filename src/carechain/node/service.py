"""The node: verifies what it is given and stores it durably (here), authors entries in units
of work (`_authoring`), and reads and folds its records (`_reading`).

Services take keyword-only arguments. Every authoring method takes an optional unit of work
(`Node.unit()`): the entries drafted in one unit are stored together in one durable store
transaction when it commits, or not at all; without one, a method makes its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from carechain.clinical import Formulary, load_example_formulary
from carechain.entries import (
    Clock,
    Entry,
    HybridClock,
    SystemClock,
    crypto,
    open_body,
    open_grant,
)
from carechain.errors import (
    BadParents,
    BadSignature,
    CarechainError,
    Forbidden,
    InvalidInput,
    NotFound,
    Undecryptable,
)
from carechain.node._authoring import Authoring
from carechain.node.home import NodeHome, NodeInfo
from carechain.node.notify import LogNotifier
from carechain.node.unit import Shape, Unit, Written
from carechain.store import SqliteStore, Store, open_store
from carechain.store.sealed import log_sealer, seal_existing
from carechain.trust import DIRECTORY_RECORD, Directory, NodeKeys

__all__ = ["IngestResult", "Node", "Unit", "Written"]



@dataclass(frozen=True)
class IngestResult:
    """What happened to one offered entry."""

    id: bytes
    seq: int | None
    new: bool
    error: CarechainError | None = None


class Node(Authoring):
    """One carechain node: its keys, its directory of the trust, and its log."""

    def __init__(
        self,
        *,
        info: NodeInfo,
        keys: NodeKeys,
        store: Store,
        clock: Clock | None = None,
        formulary: Formulary | None = None,
    ) -> None:
        self.info = info
        self.keys = keys
        self.store = store
        self.wall: Clock = clock or SystemClock()
        self.clock = HybridClock(self.wall)
        self.directory = Directory(bytes.fromhex(info.root_public))
        self._content_keys: dict[bytes, bytes] = {}
        self._chunk_bodies: dict[bytes, dict[str, Any]] = {}  # entry id → body, no bytes
        self._lock = threading.RLock()
        self._shapes: dict[bytes, Shape] = {}
        self._units: list[Unit] = []  # units of work under way (under the lock): their drafts
        self.notifier = LogNotifier()
        self.formulary = formulary or load_example_formulary()
        # Every append also signs a head of the whole log, so the node can tell its store
        # was edited behind its back (`carechain verify`).
        store.set_sealer(log_sealer(keys.signing_key, self.wall.now_ms))
        seal_existing(store, keys.signing_key, self.wall.now_ms())
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
    def open(
        cls,
        path: Path,
        secret: str,
        clock: Clock | None = None,
        *,
        store_url: str | None = None,
        formulary: Formulary | None = None,
    ) -> Node:
        """Open an enrolled node's directory with its operator secret.

        The log is the directory's SQLite file unless `store_url` names another store (a
        PostgreSQL database for a hub or vault); the node's certificate is copied into it.
        """
        home = NodeHome(path)
        info = home.info()
        if not info.root_public:
            raise InvalidInput(f"node {info.name!r} is not enrolled: run `carechain node enroll`")
        keys = home.keys(secret)
        if store_url is None:
            return cls(
                info=info,
                keys=keys,
                store=SqliteStore(home.store_file),
                clock=clock,
                formulary=formulary,
            )
        store = open_store(store_url)
        store.set_sealer(log_sealer(keys.signing_key, (clock or SystemClock()).now_ms))
        local = SqliteStore(home.store_file)
        try:
            store.append([s.entry for s in local.record(DIRECTORY_RECORD)])
        finally:
            local.close()
        return cls(info=info, keys=keys, store=store, clock=clock, formulary=formulary)

    # --- receiving -------------------------------------------------------------------

    def check(
        self,
        entry: Entry,
        parents: Mapping[bytes, bytes],
        signature_ok: bool | None = None,
        keys: dict[bytes, bytes | None] | None = None,
    ) -> bytes | None:
        """Verify an entry against the trust and its parents' records (id → record).

        `signature_ok` is the entry's answer from `Directory.verify_batch`, if any. `keys`
        holds the content keys known so far in a batch being ingested (record → key, None
        if this node holds none): a body addressed to this node is checked with its
        record's key, also when the grant came earlier in the same batch. Returns the
        content key a grant to this node carries (None for anything else).
        """
        self.directory.check_signature(entry, signature_ok)
        for parent in entry.header.parents:
            record = parents.get(parent)
            if record is None:
                raise BadParents(f"entry {entry.hex}: parent {parent.hex()} is not known here")
            if record != entry.header.record:
                raise BadParents(f"entry {entry.hex}: parent {parent.hex()} is of another record")
        mine = self.keys.box_key_id in entry.header.recipients
        if entry.header.cls == "grant" and mine:
            return open_grant(entry, self.keys.box_key_id, self.keys.box_private)
        if entry.header.cls in ("clinical", "stream", "audit") and mine:
            record = entry.header.record
            if keys is None:
                key = self._known_key(record)
            elif record in keys:
                key = keys[record]
            else:
                key = keys[record] = self._known_key(record)
            if key is not None:
                open_body(entry, key)  # a body addressed to this node must open
        return None

    def _signature_holds(self, entry: Entry, signature_ok: bool | None) -> bool:
        """Return whether the entry's own signature verifies (for a second copy of an id)."""
        if signature_ok is not None:
            return signature_ok
        key = self.directory.signing_key(entry)
        return key is not None and crypto.verify_signature(key, entry.id, entry.signature)

    def _known_key(self, record: bytes) -> bytes | None:
        """Return the record's content key if this node already holds a grant of it."""
        try:
            return self.content_key(record)
        except (NotFound, Undecryptable):
            return None

    def ingest(
        self,
        entries: Sequence[Entry],
        *,
        allow: Callable[[Sequence[Entry]], set[bytes] | None] | None = None,
        signatures: Sequence[bool | None] | None = None,
    ) -> list[IngestResult]:
        """Verify and durably store entries in one transaction; answer for each.

        `signatures`, if given, is `Directory.verify_batch(entries)` done beforehand (say,
        while the previous batch was being stored); every other check is made here.

        `allow`, given the entries that verified, names the records this node holds (None:
        all; see sync.policy); entries of other records are refused as not addressed to
        it. Only a grant that itself verified can open a record.
        """
        results: list[IngestResult] = []
        accepted: dict[bytes, Entry] = {}
        keys: dict[bytes, bytes | None] = {}  # content keys met in this batch (see check)
        first_grants: dict[bytes, tuple[bytes, bytes]] = {}  # grant id → (record, its key)
        if signatures is None:
            signatures = self.directory.verify_batch(entries)  # on every core, before the lock
        elif len(signatures) != len(entries):
            raise ValueError("one signature answer per entry")
        with self._lock:
            wanted = {p for e in entries for p in e.header.parents} | {e.id for e in entries}
            known = self.store.records_of(sorted(wanted))
            # Records no grant here or in the batch could open are refused before anything
            # else; after checking, only grants that verified count (below).
            hopeful = None if allow is None else allow(entries)
            for entry, signature_ok in zip(entries, signatures, strict=True):
                if entry.id in known and entry.id not in accepted:
                    results.append(IngestResult(entry.id, None, False))
                    continue
                if entry.id in accepted:
                    first = accepted[entry.id]
                    if entry.signature != first.signature and not self._signature_holds(
                        entry, signature_ok
                    ):
                        forged = BadSignature(f"entry {entry.hex}: signature does not verify")
                        results.append(IngestResult(entry.id, None, False, forged))
                        continue
                    results.append(IngestResult(entry.id, None, False))  # a repeat in the batch
                    continue
                try:
                    if hopeful is not None and entry.header.record not in hopeful:
                        raise Forbidden(
                            f"entry {entry.hex}: its record is not addressed to this node"
                        )
                    granted = self.check(entry, known, signature_ok, keys)
                    if entry.header.cls == "directory":
                        self.directory.absorb(entry)
                except CarechainError as exc:
                    results.append(IngestResult(entry.id, None, False, exc))
                    continue
                accepted[entry.id] = entry
                known[entry.id] = entry.header.record
                record = entry.header.record
                if granted is not None and record not in keys:
                    keys[record] = self._known_key(record)
                if granted is not None and keys[record] is None:
                    keys[record] = granted  # the record's first grant to this node
                    first_grants[entry.id] = (record, granted)
                self.clock.observe(entry.header.hlc)
                results.append(IngestResult(entry.id, None, True))
            allowed = None if allow is None else allow(list(accepted.values()))
            if allowed is not None:
                dropped = {k for k, e in accepted.items() if e.header.record not in allowed}
                for i, r in enumerate(results):
                    if r.error is None and r.id in dropped:  # the entry, or a repeat of it
                        refusal = Forbidden(
                            f"entry {r.id.hex()}: its record is not addressed to this node"
                        )
                        results[i] = IngestResult(r.id, None, False, refusal)
                for entry_id in dropped:
                    del accepted[entry_id]
            seqs = dict(zip(accepted, self.store.append(list(accepted.values())), strict=True))
            for grant_id, (record, key) in first_grants.items():
                if grant_id in seqs:  # stored: `content_key` would find it first from now on
                    self._content_keys.setdefault(record, key)
            self._stored(list(accepted.values()))
            missing = [r.id for r in results if r.error is None and r.id not in seqs]
            if missing:
                seqs.update((i, (seq, False)) for i, seq in self.store.seqs_of(missing).items())
        out = [
            r
            if r.error is not None
            else IngestResult(r.id, seqs[r.id][0], seqs[r.id][1] and r.new)
            for r in results
        ]
        if accepted:
            self.notifier.notify(max(seq for seq, _ in seqs.values()))
        return out

    def close(self) -> None:
        """Close the store."""
        self.store.close()
