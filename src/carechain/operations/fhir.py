"""The FHIR read API's operations: find the records a read or search names, read each one
through the door (care relationship checked, one `record.view` audit entry per record,
stored before the answer: reads made at the same time share one unit of work, see
`carechain.operations.group`), and build the resources with the one FHIR mapping
(`carechain.exports.fhir`).

Resource ids are named from the record (`resource_id(record, "patient")`), so the
`FhirIndex` finds the record of a `Patient`, `Encounter`, `Composition` or document
`Bundle` id without folding anything; a Patient search by NHS number folds the records
held here (once per version, below) and keeps each one's NHS number until the record
grows.

The index also keeps the last records read as `RecordView`s — the folded state, and the
document and Observations built from it, the document already encoded — named by the
record's heads (`Node.heads`), so a record is folded and built again only once it has
gained an entry. What a view holds is checked and audited on every read like any other.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from carechain.errors import CarechainError, Forbidden, NotFound
from carechain.exports.fhir import (
    NHS_NUMBER,
    Resource,
    build_document,
    encounter_of,
    observations_of,
    patient_of,
    resource_id,
)
from carechain.exports.source import signers_of
from carechain.node import Node
from carechain.node.audit import audit_record
from carechain.operations.access import held_record, record_access
from carechain.operations.actor import Actor
from carechain.operations.door import Door
from carechain.operations.group import ReadAudits, View
from carechain.operations.records import check_read
from carechain.trust import DIRECTORY_RECORD

__all__ = [
    "READS",
    "DateTest",
    "FhirIndex",
    "ObservationQuery",
    "RecordView",
    "Served",
    "document",
    "read_resource",
    "search_encounters",
    "search_observations",
    "search_patients",
]

READS = ("record.read_own", "record.read_own_org", "record.read_addressed")
DocumentKind = Literal["Bundle", "Composition"]
ReadKind = Literal["Patient", "Encounter"]
# The resources whose id names a record, and the name each id is made from.
_NAMED = {"Patient": "patient", "Encounter": "encounter", "Bundle": "document",
          "Composition": "composition"}


@dataclass(frozen=True)
class Served:
    """A resource as the API serves it: its type, its id, and its FHIR JSON."""

    kind: str
    rid: str
    body: bytes


def _encode(resource: Resource) -> bytes:
    return json.dumps(resource, separators=(",", ":"), ensure_ascii=False).encode()


def _served(resource: Resource) -> Served:
    return Served(str(resource["resourceType"]), str(resource["id"]), _encode(resource))


@dataclass
class RecordView:
    """A record's folded state at one version (its heads), and what the API builds from it
    (each built, and encoded, once, on first use)."""

    node: Node
    record: bytes
    heads: frozenset[bytes]
    state: dict[str, Any]
    _built: dict[str, Any] = field(default_factory=dict)

    def _once(self, name: str, build: Any) -> Any:
        if name not in self._built:
            self._built[name] = build()
        return self._built[name]

    def document(self) -> bytes:
        """Return the record's document Bundle, encoded as FHIR JSON."""
        def build() -> bytes:
            return _encode(build_document(self.state,
                                          signers=signers_of(self.node, self.record)))
        body: bytes = self._once("document", build)
        return body

    def observations(self) -> list[tuple[Resource, Served]]:
        """Return the record's Observations, each with its FHIR JSON."""
        found: list[tuple[Resource, Served]] = self._once(
            "observations", lambda: [(o, _served(o)) for o in observations_of(self.state)])
        return found

    def resource(self, kind: str) -> Resource:
        """Return the record's Patient or Encounter."""
        made: Resource = self._once(kind, lambda: (patient_of if kind == "Patient"
                                                   else encounter_of)(self.state))
        return made

    def served(self, kind: str) -> Served:
        """Return the record's Patient or Encounter as served."""
        done: Served = self._once(f"{kind}.json", lambda: _served(self.resource(kind)))
        return done


class FhirIndex:
    """Which record each served id names, the NHS number of each record searched, the
    last records read (`views`, at most `keep`), and the reads waiting for their audit
    entries to be stored (`audits`, a group commit).

    Kept in memory by the API (one per app), thread-safe; a record's NHS number and view
    are made again once the record has gained entries since."""

    def __init__(self, keep: int = 512) -> None:
        self._lock = threading.Lock()
        self._ids: dict[tuple[str, str], bytes] = {}
        self._known: set[bytes] = set()
        self._nhs: dict[bytes, tuple[int, str | None]] = {}
        self._views: OrderedDict[bytes, RecordView] = OrderedDict()
        self._keep = keep
        self.audits = ReadAudits()

    def _records(self, node: Node) -> dict[bytes, int]:
        """Return every patient record held here with its entry count, indexing new ones."""
        skip = {DIRECTORY_RECORD, audit_record(node)}
        held = {s.record: s.entries for s in node.store.records() if s.record not in skip}
        with self._lock:
            for record in held.keys() - self._known:
                for kind, name in _NAMED.items():
                    self._ids[(kind, resource_id(record.hex(), name))] = record
                self._known.add(record)
        return held

    def record_of(self, node: Node, kind: str, rid: str) -> bytes | None:
        """Return the record a resource id names, or None."""
        with self._lock:
            found = self._ids.get((kind, rid))
        if found is None:
            self._records(node)
            with self._lock:
                found = self._ids.get((kind, rid))
        return found

    def view(self, node: Node, record: bytes) -> RecordView:
        """Return the record's view at its current heads (folding it if it has changed)."""
        heads = node.heads(record)
        with self._lock:
            view = self._views.get(record)
            if view is not None and view.heads == heads:
                self._views.move_to_end(record)
                return view
        view = RecordView(node, record, heads, node.state(record))
        with self._lock:
            self._views[record] = view
            self._views.move_to_end(record)
            while len(self._views) > self._keep:
                self._views.popitem(last=False)
        return view

    def nhs_number(self, node: Node, record: bytes, entries: int) -> str | None:
        """Return a record's NHS number (folding it only when it has grown)."""
        with self._lock:
            cached = self._nhs.get(record)
        if cached is not None and cached[0] == entries:
            return cached[1]
        number = _nhs_of(self.view(node, record).resource("Patient"))
        with self._lock:
            self._nhs[record] = (entries, number)
        return number

    def held(self, node: Node) -> dict[bytes, int]:
        """Return every patient record held here with its entry count."""
        return self._records(node)


def _nhs_of(patient: Resource) -> str | None:
    for identifier in patient.get("identifier", []):
        if identifier.get("system") == NHS_NUMBER:
            return str(identifier.get("value"))
    return None


@dataclass(frozen=True)
class DateTest:
    """One `date` search test: a FHIR prefix and the range its value stands for
    (`start` inclusive, `end` exclusive: a day, a minute, a second, as precise as given)."""

    prefix: Literal["eq", "ne", "gt", "lt", "ge", "le", "sa", "eb"]
    start: datetime
    end: datetime

    def holds(self, when: datetime) -> bool:
        """Return whether an instant passes this test."""
        if self.prefix == "eq":
            return self.start <= when < self.end
        if self.prefix == "ne":
            return not self.start <= when < self.end
        if self.prefix in ("gt", "sa"):
            return when >= self.end
        if self.prefix in ("lt", "eb"):
            return when < self.start
        if self.prefix == "ge":
            return when >= self.start
        return when < self.end  # le


@dataclass(frozen=True)
class ObservationQuery:
    """An Observation search: the patient, then every group of `categories` (a group is
    one `category` parameter: any of its tokens, `code` or `system|code`), and every one
    of `dates`."""

    patient: str
    categories: tuple[tuple[str, ...], ...] = ()
    dates: tuple[DateTest, ...] = ()

    def matches(self, observation: Resource) -> bool:
        """Return whether an Observation passes the search."""
        if observation.get("status") == "entered-in-error":
            return False  # a superseded value: in the document, marked; never a search hit
        if self.categories:
            codes = {(c.get("system"), c.get("code"))
                     for cat in observation.get("category", []) for c in cat.get("coding", [])}
            if not all(any(_token_in(t, codes) for t in group) for group in self.categories):
                return False
        if self.dates:
            effective = observation.get("effectiveDateTime")
            if not effective:
                return False
            when = datetime.fromisoformat(str(effective))
            when = when if when.tzinfo else when.replace(tzinfo=UTC)
            return all(test.holds(when) for test in self.dates)
        return True


def _token_in(token: str, codes: set[tuple[Any, Any]]) -> bool:
    if "|" in token:
        system, code = token.split("|", 1)
        return any(c == code and (not system or s == system) for s, c in codes)
    return any(c == token for _, c in codes)


def _permit(actor: Actor) -> None:
    if not any(actor.can(a) for a in READS):
        raise Forbidden(f"a {actor.role} may not read clinical records", action=READS[0],
                        role=actor.role)


def _record(door: Door, index: FhirIndex, kind: str, rid: str) -> bytes:
    record = index.record_of(door.node, kind, rid)
    if record is None:
        raise NotFound(f"no {kind}/{rid} on this node")
    return record


def _check(door: Door, actor: Actor, index: FhirIndex, record: bytes,
           what: str) -> tuple[RecordView, View]:
    """Check a read of a record through the door (its care relationship; a refusal audited)
    and return its view and the audit entry the read is to leave."""
    held_record(door.node, record)
    try:
        view = index.view(door.node, record)
    except CarechainError:  # not readable here: refused (and audited) as any read
        check_read(door, actor, record=record, what=what)
        raise
    access = check_read(door, actor, record=record, what=what, state=view.state)
    return view, (actor, record, {"what": what, **access.detail()})


def _read(door: Door, actor: Actor, index: FhirIndex, record: bytes, what: str) -> RecordView:
    """Read one record: checked, and its audit entry stored, before anything is returned."""
    view, seen = _check(door, actor, index, record, what)
    index.audits.store(door, [seen])
    return view


def document(door: Door, actor: Actor, index: FhirIndex, *, kind: DocumentKind,
             rid: str) -> bytes:
    """Return the record's FHIR document (encoded), named by its Bundle or Composition id."""
    _permit(actor)
    record = _record(door, index, kind, rid)
    return _read(door, actor, index, record, f"fhir {kind} document").document()


def read_resource(door: Door, actor: Actor, index: FhirIndex, *, kind: ReadKind,
                  rid: str) -> Served:
    """Return a record's Patient or Encounter by id."""
    _permit(actor)
    record = _record(door, index, kind, rid)
    return _read(door, actor, index, record, f"fhir {kind}").served(kind)


def _patient_view(door: Door, actor: Actor, index: FhirIndex, patient: str,
                  what: str) -> RecordView | None:
    """Return the view of the record of a Patient id (read, audited), or None if no record
    here has that Patient."""
    record = index.record_of(door.node, "Patient", patient)
    if record is None:
        return None
    return _read(door, actor, index, record, what)


def search_encounters(door: Door, actor: Actor, index: FhirIndex, *,
                      patient: str) -> list[Served]:
    """Return the Encounters of a patient (one record has one)."""
    _permit(actor)
    view = _patient_view(door, actor, index, patient, "fhir Encounter search")
    return [] if view is None else [view.served("Encounter")]


def search_observations(door: Door, actor: Actor, index: FhirIndex,
                        query: ObservationQuery) -> list[Served]:
    """Return a patient's Observations passing the search (current values only)."""
    _permit(actor)
    view = _patient_view(door, actor, index, query.patient, "fhir Observation search")
    if view is None:
        return []
    return [served for o, served in view.observations() if query.matches(o)]


def search_patients(door: Door, actor: Actor, index: FhirIndex, *,
                    nhs_numbers: Sequence[str]) -> list[Served]:
    """Return the Patient of every record the caller may read whose patient has one of the
    NHS numbers (each record has a Patient of its own). A record the caller may not read
    is not shown, and leaves no audit entry; each record shown leaves one."""
    _permit(actor)
    node = door.node
    wanted = set(nhs_numbers)
    found: list[Served] = []
    seen: list[View] = []
    for record, entries in index.held(node).items():
        try:
            state = index.view(node, record).state
            if not record_access(node, door.accounts, actor, record, door.now_ms(),
                                 state).allowed:
                continue
            if index.nhs_number(node, record, entries) not in wanted:
                continue
        except CarechainError:  # a record this node cannot open
            continue
        view, read = _check(door, actor, index, record, "fhir Patient search")
        found.append(view.served("Patient"))
        seen.append(read)
    index.audits.store(door, seen)
    return found
