"""Authoring entries on a node, in units of work (a part of `Node`).

Every authoring method takes an optional unit of work (`unit()`): the entries drafted in one
unit are stored together in one durable store transaction when it commits, or not at all;
without one, a method makes its own.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

from carechain.entries import Draft, Entry, crypto, make_encrypted, make_grant, new_record_id
from carechain.errors import FieldInvalid, Forbidden, FormularyBreach, NotFound
from carechain.node._reading import Reading
from carechain.node.unit import Unit, Written
from carechain.records import kinds
from carechain.records.fold import AMENDMENT_KIND
from carechain.records.safety import SecondClinician, check_medication, confirm_second_clinician
from carechain.records.times import check_entry_times
from carechain.trust.directory import audit_record_of

if TYPE_CHECKING:
    from carechain.node.service import Node

__all__ = ["Authoring"]

# Kinds `append_many` leaves to their own operations: each is checked against the rest of
# its record (or written by a method of its own).
_NOT_BATCHED = frozenset(
    {AMENDMENT_KIND, "record.opened", "medication.administered", "disposition.recorded"}
)


class Authoring(Reading):
    """What a node writes: records, grants, sections and amendments, in units of work."""


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
                    write_audit(cast("Node", self), event)
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
        self._may_author(record)
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
