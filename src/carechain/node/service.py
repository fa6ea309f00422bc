"""The node: verifies what it is given, stores it durably, authors entries, folds records.

Services here take keyword-only arguments. Every authoring method takes an optional unit of
work (`Node.unit()`): the entries drafted in one unit are stored together in one durable
store transaction when it commits, or not at all; without one, a method makes its own.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from carechain.clinical import Formulary, load_example_formulary
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
    open_user,
)
from carechain.errors import (
    BadParents,
    BadSignature,
    CarechainError,
    FieldInvalid,
    Forbidden,
    FormularyBreach,
    InvalidInput,
    NotFound,
    Undecryptable,
)
from carechain.node.home import NodeHome, NodeInfo
from carechain.node.notify import LogNotifier
from carechain.records import build_state, kinds
from carechain.records.fold import AMENDMENT_KIND, FoldEntry, hlc_iso
from carechain.records.safety import SecondClinician, check_medication, confirm_second_clinician
from carechain.records.times import check_entry_times
from carechain.store import SqliteStore, Store, Stored, open_store
from carechain.store.sealed import log_sealer, seal_existing
from carechain.trust import DIRECTORY_RECORD, Directory, NodeKeys
from carechain.trust.certificate import Certificate
from carechain.trust.directory import audit_record_of

__all__ = ["IngestResult", "Node", "Unit", "Written"]

# Kinds `append_many` leaves to their own operations: each is checked against the rest of
# its record (or written by a method of its own).
_NOT_BATCHED = frozenset(
    {AMENDMENT_KIND, "record.opened", "medication.administered", "disposition.recorded"}
)


@dataclass(frozen=True)
class IngestResult:
    """What happened to one offered entry."""

    id: bytes
    seq: int | None
    new: bool
    error: CarechainError | None = None


class Written:
    """An entry drafted in a unit of work; its log position is known once the unit commits."""

    __slots__ = ("_unit", "entry")

    def __init__(self, unit: Unit, entry: Entry) -> None:
        self._unit = unit
        self.entry = entry

    @property
    def seq(self) -> int:
        """Return the entry's position in this node's log (after the unit committed)."""
        seqs = self._unit.seqs
        if seqs is None:
            raise RuntimeError("the unit of work has not committed yet")
        return seqs[self.entry.id]


class Unit:
    """One unit of work: entries drafted in it are stored in one durable transaction.

    Made by `Node.unit()`, which holds the node's lock for its whole life, so drafts in
    it see each other (a second entry of a record descends from the first) and nothing
    else writes meanwhile. If the block raises, nothing of it is stored.
    """

    def __init__(self, node: Node) -> None:
        self.node = node
        self.entries: list[Entry] = []
        self.seqs: dict[bytes, int] | None = None
        self._touched: set[bytes] = set()
        self._keys: set[bytes] = set()

    def add(self, entry: Entry) -> Written:
        """Take a drafted entry into the unit; later drafts of its record descend from it."""
        if self.seqs is not None:
            raise RuntimeError("the unit of work has already committed")
        self.entries.append(entry)
        self._touched.add(entry.header.record)
        self.node._shape(entry.header.record).add(entry)
        return Written(self, entry)

    def keep_key(self, record: bytes, key: bytes) -> None:
        """Know a new record's content key from now on (forgotten if the unit fails)."""
        self.node._content_keys[record] = key
        self._keys.add(record)

    def commit(self) -> list[Stored]:
        """Store every entry of the unit in one durable transaction."""
        node = self.node
        if not self.entries:
            self.seqs = {}
            return []
        seqs = node.store.append(self.entries)
        self.seqs = {e.id: seq for e, (seq, _) in zip(self.entries, seqs, strict=True)}
        node.notifier.notify(max(seq for seq, _ in seqs))
        return [Stored(seq, e) for e, (seq, _) in zip(self.entries, seqs, strict=True)]

    def rollback(self) -> None:
        """Forget what the unit drafted: the records' shapes are read again from the log."""
        for record in self._touched:
            self.node._shapes.pop(record, None)
        for record in self._keys:
            self.node._content_keys.pop(record, None)
        self.entries.clear()


class Node:
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
        self._lock = threading.RLock()
        self._shapes: dict[bytes, _Shape] = {}
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

    def clock_ms(self) -> int:
        """Return this node's wall-clock time in milliseconds."""
        return self.wall.now_ms()

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

    # --- authoring -------------------------------------------------------------------

    @contextmanager
    def unit(self) -> Iterator[Unit]:
        """Open a unit of work: what is drafted in the block is stored when it ends, in one
        durable transaction, or not at all if the block (or the store) raises."""
        with self._lock:
            unit = Unit(self)
            self._units.append(unit)
            try:
                yield unit
                unit.commit()
            except BaseException:
                unit.rollback()
                raise
            finally:
                self._units.remove(unit)

    @contextmanager
    def _joined(self, uow: Unit | None) -> Iterator[Unit]:
        """Use the caller's unit of work, or one of this call's own."""
        if uow is not None:
            if uow.node is not self:
                raise ValueError("a unit of work of another node")
            with self._lock:
                yield uow
            return
        with self.unit() as own:
            yield own

    def _shape(self, record: bytes) -> _Shape:
        """Return a record's heads and recipients, read from the log once, then kept."""
        shape = self._shapes.get(record)
        if shape is None:
            shape = _Shape()
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

    def _draft(self, record: bytes, cls: str, user: str, recipients: Sequence[bytes]) -> Draft:
        heads = tuple(sorted(self._shape(record).heads))
        return Draft(record, cls, user, self.clock.tick(), heads, tuple(recipients))


    def default_recipients(self) -> dict[bytes, bytes]:
        """Return who can read a new record: this node and the trust's records vaults."""
        found = {self.keys.box_key_id: self.keys.box_public}
        for cert in self.directory.nodes("vault"):
            if cert.org == self.info.org:
                found[cert.box_key_id] = cert.box_key
        return found

    def open_record(
        self, *, user: str, data: dict[str, Any], uow: Unit | None = None
    ) -> tuple[bytes, Written]:
        """Start a record: grant its content key, then write `record.opened`."""
        self._may_author()
        clean = kinds.validate_body("record.opened", data)
        record = new_record_id()
        key = crypto.random_bytes(crypto.KEY_BYTES)
        with self._joined(uow) as unit:
            recipients = self.default_recipients()
            grant = make_grant(self._draft(record, "grant", user, ()), self.keys, key, recipients)
            unit.add(grant)
            unit.keep_key(record, key)
            written = self._append_body(unit, record, user, "record.opened", clean)
        return record, written

    def grant(
        self,
        *,
        record: bytes,
        user: str,
        recipients: dict[bytes, bytes],
        uow: Unit | None = None,
    ) -> Written:
        """Give more nodes (key id → X25519 key) the record's content key."""
        self._may_author(record)
        with self._joined(uow) as unit:
            key = self.content_key(record)
            draft = self._draft(record, "grant", user, ())
            return unit.add(make_grant(draft, self.keys, key, recipients))

    def _may_author(self, record: bytes | None = None) -> None:
        """Refuse to write a record on a hub: it relays records and writes only its audit trail."""
        if self.info.role == "hub" and record != audit_record_of(self.keys.key_id):
            raise Forbidden("a hub relays records and writes none of its own")

    def _append_body(
        self, unit: Unit, record: bytes, user: str, kind: str, data: dict[str, Any]
    ) -> Written:
        return unit.add(self._seal(record, user, kind, data))

    def _seal(self, record: bytes, user: str, kind: str, data: dict[str, Any]) -> Entry:
        key = self.content_key(record)
        cls = kinds.KINDS[kind].cls if kind in kinds.KINDS else "clinical"
        draft = self._draft(record, cls, user, sorted(self.recipients(record)))
        body = {"kind": kind, "v": 1, "data": data}
        return make_encrypted(draft, self.keys, key, body)

    def append_many(
        self, *, user: str, items: Sequence[tuple[bytes, str, Any]], uow: Unit | None = None
    ) -> list[Written]:
        """Append a section to each of several records in one durable transaction.

        For sections that stand alone: each kind must be one a record holds many of and
        that is checked against nothing else in the record (so not a medication), and each
        record may appear once. A hospital writes its receipts for a pulled page so, with
        one fsync instead of one per record.
        """
        records = [record for record, _, _ in items]
        if len(set(records)) != len(records):
            raise FieldInvalid("items", "each record may appear once")
        clean: list[tuple[bytes, str, dict[str, Any]]] = []
        for record, kind, data in items:
            spec = kinds.KINDS.get(kind)
            if spec is None or not spec.multi or kind in _NOT_BATCHED:
                raise FieldInvalid("kind", f"{kind} is not appended in a batch")
            clean.append((record, kind, kinds.validate_body(kind, data)))
        if not clean:
            return []
        with self._joined(uow) as unit:
            for record, kind, data in clean:
                self._may_author(record)
                if not self._shape(record).heads:
                    raise NotFound(f"no record {record.hex()}")
                timeline = functools.partial(self._timeline, record)
                check_entry_times(kind, data, now_ms=self.clock_ms(), state=timeline)
            return [unit.add(self._seal(r, user, k, d)) for r, k, d in clean]

    def append(
        self,
        *,
        record: bytes,
        user: str,
        kind: str,
        data: Any,
        confirmation: SecondClinician | None = None,
        uow: Unit | None = None,
    ) -> Written:
        """Validate a section and append it to a record.

        `confirmation`: a second clinician's staff id and PIN, for a dose the formulary
        lets through only when a second clinician confirms (a life-threatening allergy).
        """
        if kind == AMENDMENT_KIND or kind == "record.opened":
            raise FieldInvalid("kind", f"{kind} has its own operation")
        self._may_author(record)
        clean = kinds.validate_body(kind, data)
        spec = kinds.KINDS[kind]
        with self._joined(uow) as unit:
            if not spec.multi:
                state = self.state(record)
                merged = {**state["sections"].get(spec.section, {}), **clean}
                kinds.check_section(spec.section, merged)
            elif not self._shape(record).heads:
                raise NotFound(f"no record {record.hex()}")
            timeline = functools.partial(self._timeline, record)
            check_entry_times(kind, clean, now_ms=self.clock_ms(), state=timeline)
            if kind == "medication.administered":
                self._check_medication(unit, record, user, clean, confirmation=confirmation)
            if kind == "disposition.recorded" and clean.get("hospital_node"):
                self.address_to(
                    record=record,
                    user=user,
                    node_name=clean["hospital_node"],
                    field="data.hospital_node",
                    uow=unit,
                )
            return self._append_body(unit, record, user, kind, clean)

    def _check_medication(
        self,
        unit: Unit,
        record: bytes,
        user: str,
        data: dict[str, Any],
        replacing: str | None = None,
        confirmation: SecondClinician | None = None,
    ) -> None:
        """Refuse a formulary breach, or record the clinician's override before the dose.

        `replacing`: the id (hex) of the administration an amendment corrects, left out of
        the doses already given. An allergy the formulary's policy guards more closely
        (by default a life-threatening one) needs a second clinician's `confirmation`.
        """
        state = self.state(record)
        if replacing is not None:
            items = state.get("items", {})
            given = items.get("medications", [])
            items["medications"] = [m for m in given if m.get("entry") != replacing]
        breaches = check_medication(self.formulary, state, data)
        if not breaches:
            return
        listed = [b.to_dict() for b in breaches]
        blocking = [b for b in breaches if not b.overridable]
        second = any(b.second_clinician for b in breaches)
        reason = data.get("override_reason")
        if blocking or not reason or (second and confirmation is None):
            first = (blocking or [b for b in breaches if b.second_clinician] or breaches)[0]
            hint = (
                ""
                if blocking
                else "; give override_reason and a second clinician's confirmation (staff id "
                "and PIN) to proceed"
                if second
                else "; give override_reason to proceed"
            )
            raise FormularyBreach(
                f"data.{first.field}: {first.message}{hint}",
                field=f"data.{first.field}",
                rule=first.message,
                breaches=listed,
                overridable=not blocking,
                second_clinician=second,
            )
        override: dict[str, Any] = {
            "drug": data["drug"],
            "reason": reason,
            "by": data["given_by"],
            "at": data["given_at"],
            "breaches": [{"rule": b.rule, "message": b.message} for b in breaches],
        }
        if second and confirmation is not None:
            try:
                override["confirmed_by"] = confirm_second_clinician(
                    self.formulary,
                    confirmation,
                    given_by=str(data["given_by"]),
                    user=user,
                    now_ms=self.clock_ms(),
                )
            except FieldInvalid as exc:
                from carechain.node.audit import write_audit  # it imports this module

                for event in getattr(exc.__cause__, "events", []):  # a wrong PIN (P6)
                    write_audit(self, event)
                raise
        self._append_body(
            unit, record, user, "safety.override",
            kinds.validate_body("safety.override", override),
        )

    def address_to(
        self,
        *,
        record: bytes,
        user: str,
        node_name: str,
        field: str = "node",
        uow: Unit | None = None,
    ) -> Written | None:
        """Grant a record to a named hospital or vault node; None if it already holds it."""
        certs = [
            c
            for c in self.directory.nodes()
            if c.name == node_name and c.role in ("hospital", "vault", "crew")
        ]
        if not certs:
            raise FieldInvalid(
                field,
                f"no hospital, vault or crew node named {node_name!r} is in this node's directory",
            )
        cert = certs[0]
        with self._joined(uow) as unit:
            if cert.box_key_id in self.recipients(record):
                return None
            return self.grant(
                record=record, user=user, recipients={cert.box_key_id: cert.box_key}, uow=unit
            )

    def amend(
        self,
        *,
        record: bytes,
        user: str,
        supersedes: str,
        reason: str,
        data: Any,
        confirmation: SecondClinician | None = None,
        uow: Unit | None = None,
    ) -> Written:
        """Supersede an earlier entry's data with a reason; the original stays in history."""
        self._may_author(record)
        if not reason.strip():
            raise FieldInvalid("reason", "an amendment needs a reason")
        try:
            target = self.store.get(bytes.fromhex(supersedes))
        except ValueError:
            raise FieldInvalid("supersedes", "must be an entry id in hex") from None
        if target is None or target.entry.header.record != record:
            raise FieldInvalid("supersedes", "must name an entry of this record")
        with self._joined(uow) as unit:
            body = self.body(target.entry)
            if body is None or target.entry.header.cls != "clinical":
                raise FieldInvalid("supersedes", "only clinical entries can be amended")
            original = target.entry
            while body["kind"] == AMENDMENT_KIND:
                inner = self.store.get(bytes.fromhex(body["data"]["supersedes"]))
                assert inner is not None
                original = inner.entry
                body = self.body(inner.entry) or {}
            clean = kinds.validate_body(str(body["kind"]), data)
            timeline = functools.partial(self._timeline, record)
            check_entry_times(str(body["kind"]), clean, now_ms=self.clock_ms(), state=timeline)
            if body["kind"] == "medication.administered":
                # The amended dose is checked as if it had been given instead of the one
                # it corrects: an amendment cannot slip an overdose past the formulary.
                self._check_medication(
                    unit, record, user, clean, replacing=original.hex, confirmation=confirmation
                )
            amendment = {"supersedes": supersedes, "reason": reason.strip(), "data": clean}
            return self._append_body(unit, record, user, AMENDMENT_KIND, amendment)

    # --- reading ---------------------------------------------------------------------

    def holds(self, record: bytes) -> bool:
        """Return whether this node holds any entry of a record (stored, or drafted in the
        unit of work under way)."""
        with self._lock:
            return bool(self._shape(record).heads)

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
                body = self.body(s.entry)
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

    def close(self) -> None:
        """Close the store."""
        self.store.close()


@dataclass
class _Shape:
    """A record's heads (entries no other entry names as a parent), recipients, and the
    ids of its clinical entries (what the time checks fold).

    Entries arrive parents first, so a new entry is never the parent of one already
    held: adding it removes its parents from the heads and makes it one.
    """

    heads: set[bytes] = field(default_factory=set)
    recipients: set[bytes] = field(default_factory=set)
    clinical: list[bytes] = field(default_factory=list)  # ids: tens, where frames are thousands

    def add(self, entry: Entry) -> None:
        """Take one more stored entry into account."""
        self.heads.difference_update(entry.header.parents)
        self.heads.add(entry.id)
        if entry.header.cls == "grant":
            self.recipients.update(entry.header.recipients)
        elif entry.header.cls == "clinical":
            self.clinical.append(entry.id)
