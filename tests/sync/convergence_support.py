"""Support for the convergence state machine (tests/sync/test_convergence.py): a
five-node network, an independent model of `Node.ingest`, log checks, clinical data.

The network is real: every node has its own directory, SQLite store and FastAPI app,
reached through Starlette's TestClient, as in `tests/sync/harness.py`.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

from fastapi.testclient import TestClient
from hypothesis import event, note
from hypothesis import strategies as st

from carechain.app import create_app
from carechain.clinical import Formulary, load_example_formulary
from carechain.entries import Entry
from carechain.errors import CarechainError
from carechain.node import Node
from carechain.store import Store
from carechain.sync.client import PeerClient, PeerRefused, SyncReport, sync_with
from carechain.sync.policy import FULL_ROLES, allow_for
from carechain.sync.wire import PushResult
from carechain.testing import make_node, make_trust
from carechain.trust import DIRECTORY_RECORD

HUB = "hub"
CREWS = ("crew-1", "crew-2")
HOSPITAL = "hospital-a"
VAULT = "vault"
ROLES: dict[str, str] = {
    HUB: "hub",
    "crew-1": "crew",
    "crew-2": "crew",
    HOSPITAL: "hospital",
    VAULT: "vault",
}
NAMES: tuple[str, ...] = tuple(ROLES)
PAIRS: tuple[tuple[str, str], ...] = tuple(itertools.combinations(NAMES, 2))
SECRET = "operator-secret"


@contextmanager
def steady_nodes() -> Iterator[None]:
    """Make new nodes cheaper to start, and new records' ids predictable.

    - Records get ids derived from a counter instead of random bytes. The hospital writes
      its receipts in record-id order, and that order feeds the log positions the state
      machine draws from: with random ids the same steps would pick other entries on a
      replay, and Hypothesis could neither replay nor shrink a failure.
    - Every node shares one parse of the example formulary (frozen dataclasses), instead
      of parsing its YAML again for each node and restart (a third of the start-up time).
    """
    count = itertools.count(1)

    def new_record_id() -> bytes:
        return hashlib.sha256(b"record %d" % next(count)).digest()[:16]

    with (
        mock.patch("carechain.node._authoring.new_record_id", new_record_id),
        mock.patch("carechain.node.service.load_example_formulary", _example_formulary),
    ):
        yield


@functools.cache
def _example_formulary() -> Formulary:
    return load_example_formulary()


# --- the network ----------------------------------------------------------------------


@dataclass
class Net:
    """Named nodes, each with its own app and HTTP client, under one directory."""

    root: Path
    nodes: dict[str, Node] = field(default_factory=dict)
    clients: dict[str, TestClient] = field(default_factory=dict)

    @classmethod
    def build(cls, root: Path) -> Net:
        """Create a trust and its five nodes, each knowing every other's certificate."""
        net = cls(root)
        trust = make_trust(root / "trust")
        for name in NAMES:
            net.nodes[name] = make_node(
                root / name, trust, role=ROLES[name], name=name, secret=SECRET
            )
            net.clients[name] = _serve(net.nodes[name])
        # Introduce them: every node learns every certificate (a crew needs the vault's to
        # seal new records to it, the hospital's to address records to it). Root-signed
        # directory entries may come by any road; syncing for them only costs time.
        directory = [s.entry for n in net.nodes.values() for s in n.store.record(DIRECTORY_RECORD)]
        for node in net.nodes.values():
            assert all(r.error is None for r in node.ingest(directory))
        return net

    def sync(self, a: str, b: str) -> SyncReport:
        """Node a runs one sync round with node b."""
        return sync_with(self.nodes[a], self.clients[b])

    def restart(self, name: str) -> None:
        """Close a node and open it again from its directory, with a fresh app."""
        self.clients[name].__exit__(None, None, None)
        self.nodes[name].close()
        self.nodes[name] = Node.open(self.root / name, SECRET)
        self.clients[name] = _serve(self.nodes[name])

    def close(self) -> None:
        """Close every client and store."""
        for client in self.clients.values():
            client.__exit__(None, None, None)
        for node in self.nodes.values():
            node.close()


def _serve(node: Node) -> TestClient:
    """Return a client of the node's app, entered: one event loop for all its requests
    (a client used outside `with` starts a loop thread per request)."""
    client = TestClient(create_app(node))
    client.__enter__()
    return client


# --- reading stores -------------------------------------------------------------------


def all_entries(store: Store) -> list[Entry]:
    """Return every entry of a store, in log order."""
    return [s.entry for s in store.since(0, 1_000_000)]


def record_ids(store: Store, record: bytes) -> set[bytes]:
    """Return the ids of a record's entries in a store."""
    return {s.entry.id for s in store.record(record)}


def can_decrypt(node: Node, record: bytes) -> bool:
    """Return whether the node holds a grant of the record to itself."""
    try:
        node.content_key(record)
    except CarechainError:
        return False
    return True


@dataclass
class LogWatch:
    """What one node's log has been seen to hold so far (the log is append-only)."""

    seq: int = 0
    records: dict[bytes, bytes] = field(default_factory=dict)  # entry id → record
    granted: set[bytes] = field(default_factory=set)  # records granted to this node

    def advance(self, node: Node) -> list[str]:
        """Read the entries stored since the last call; return the rules they break.

        Log positions run densely; an entry is stored once; every parent of an entry is
        stored before it (at a lower position), in the same record.
        """
        problems: list[str] = []
        for stored in node.store.since(self.seq, 1_000_000):
            entry = stored.entry
            if stored.seq != self.seq + 1:
                problems.append(f"log position {stored.seq} follows {self.seq}")
            self.seq = stored.seq
            if entry.id in self.records:
                problems.append(f"entry {entry.hex} stored twice")
            for parent in entry.header.parents:
                if self.records.get(parent) != entry.header.record:
                    problems.append(
                        f"{node.info.name} stored {entry.hex} at {stored.seq} "
                        f"without its parent {parent.hex()}"
                    )
            self.records[entry.id] = entry.header.record
            if entry.header.cls == "grant" and node.keys.box_key_id in entry.header.recipients:
                self.granted.add(entry.header.record)
        return problems

    def held_records(self) -> set[bytes]:
        """Return the clinical records (not the directory) with an entry here."""
        return set(self.records.values()) - {DIRECTORY_RECORD}


# --- an independent model of Node.ingest ------------------------------------------------


def model_ingest(
    node: Node, watch: LogWatch, batch: Sequence[Entry]
) -> tuple[list[str | None], set[bytes]]:
    """Predict `ingest` of a well-signed batch: a result code per entry, and what is stored.

    `watch` must be up to date with the node's log. The rules (DESIGN §6, sync/policy.py):
    a hub or vault keeps every record; a crew or hospital node the directory and the
    records granted to its receiving key, by a grant it holds or one in the same batch
    that is itself stored; an entry whose parents are not held (in its own record) when it
    comes is refused whole as `bad-parents`; a duplicate is answered as already held.
    """
    full = node.info.role in FULL_ROLES
    key = node.keys.box_key_id
    hopeful = {DIRECTORY_RECORD, *watch.granted}
    hopeful.update(
        e.header.record for e in batch if e.header.cls == "grant" and key in e.header.recipients
    )
    known = dict(watch.records)
    codes: list[str | None] = []
    stored: set[bytes] = set()
    for entry in batch:
        if entry.id in known:
            codes.append(None)
        elif not full and entry.header.record not in hopeful:
            codes.append("forbidden")
        elif any(known.get(p) != entry.header.record for p in entry.header.parents):
            codes.append("bad-parents")
        else:
            codes.append(None)
            known[entry.id] = entry.header.record
            stored.add(entry.id)
    if not full:  # only grants that were stored open a record
        by_id = {e.id: e for e in batch}
        allowed = {DIRECTORY_RECORD, *watch.granted}
        allowed.update(
            by_id[i].header.record
            for i in stored
            if by_id[i].header.cls == "grant" and key in by_id[i].header.recipients
        )
        dropped = {i for i in stored if by_id[i].header.record not in allowed}
        codes = [
            "forbidden" if c is None and e.id in dropped else c
            for c, e in zip(codes, batch, strict=True)
        ]
        stored -= dropped
    return codes, stored


def deliver(net: Net, watch: LogWatch, a: str, b: str, batch: list[Entry], via: str) -> None:
    """Hand node b a batch from node a, into `ingest` (with the `allow` rule the sync
    service uses) or pushed through `/sync/v1/push`; check every answer against `model_ingest`
    and that b stored exactly what it predicts, plus, on a hospital answering a push, one
    receipt per record that received clinical entries addressed to it."""
    node = net.nodes[b]
    if via == "push" and net.nodes[a].info.role == "hub":
        # A hub pushes nothing: what it holds it gives by pull and live, with proofs.
        count = node.store.count()
        try:
            PeerClient(net.nodes[a], net.clients[b]).call(
                "POST", "/sync/v1/push", body={"entries": [e.to_wire() for e in batch]}
            )
        except PeerRefused as exc:
            assert exc.extra["status"] == 403, exc.detail
        else:
            raise AssertionError("a push from a hub was taken")
        assert node.store.count() == count
        event("a hub's push refused")
        return
    expected, new = model_ingest(node, watch, batch)
    before = set(watch.records)
    if via == "push":
        answer = PeerClient(net.nodes[a], net.clients[b]).call(
            "POST", "/sync/v1/push", body={"entries": [e.to_wire() for e in batch]}
        )
        codes = [PushResult.from_wire(r).code for r in answer["results"]]
    else:
        allow = allow_for(node.store, node.info.role, node.keys.box_key_id)
        codes = [None if r.error is None else r.error.code for r in node.ingest(batch, allow=allow)]
    note(
        f"deliver {a} → {b} via {via}: {len(batch)} entries, "
        f"{dict(Counter(c or 'ok' for c in codes))}"
    )
    assert codes == expected
    event(f"handover to {node.info.role}: {'some' if new else 'no'} new entries")
    for code in sorted({c for c in codes if c}):
        event(f"handover to {node.info.role} refused {code}")
    assert watch.advance(node) == []
    assert set(watch.records) >= before | new
    receipted: list[bytes] = []
    if via == "push" and node.info.role == "hospital":
        receipted = sorted(
            {
                e.header.record
                for e in batch
                if e.id in new
                and e.header.cls == "clinical"
                and e.header.author != node.keys.key_id
                and node.keys.box_key_id in e.header.recipients
            }
        )
    extra = [s for s in map(node.store.get, set(watch.records) - before - new) if s]
    assert sorted(s.entry.header.record for s in extra) == receipted
    for stored in extra:
        assert stored.entry.header.author == node.keys.key_id
        assert (node.body(stored.entry) or {}).get("kind") == "receipt.recorded"
    if extra:
        event("hospital wrote receipts for a pushed batch")


# --- clinical data ----------------------------------------------------------------------

BASE = datetime(2024, 11, 26, 9, 0, tzinfo=UTC)  # in the past, whatever the clock
WORDS = (
    "pain",
    "eased",
    "after",
    "GTN",
    "patient",
    "alert",
    "family",
    "present",
    "resus",
    "cath",
    "lab",
    "informed",
    "handover",
    "given",
)
PATIENT_VALUES: dict[str, tuple[Any, ...]] = {
    "given_name": ("Arthur", "Ada", "Grace", "Alan"),
    "family_name": ("Pemberton", "Lovelace", "Hopper", "Turing"),
    "sex": ("male", "female", "unknown"),
    "weight_kg": (54.5, 70.0, 82.3, 101.0),
}


def _at(minutes: int) -> str:
    return (BASE + timedelta(minutes=minutes)).isoformat()


notes = st.builds(
    lambda ws: {"text": " ".join(ws)}, st.lists(st.sampled_from(WORDS), min_size=1, max_size=6)
)


@st.composite
def observations(draw: Callable[[st.SearchStrategy[Any]], Any]) -> dict[str, Any]:
    """Return a valid `observation.recorded` body: a few vital signs at one time."""
    data: dict[str, Any] = {"taken_at": _at(draw(st.integers(0, 180)))}
    data["pulse"] = draw(st.integers(30, 200))
    if draw(st.booleans()):
        data["spo2"] = draw(st.integers(80, 100))
    if draw(st.booleans()):
        data["respiratory_rate"] = draw(st.integers(6, 45))
    if draw(st.booleans()):
        systolic = draw(st.integers(70, 220))
        data.update(systolic_bp=systolic,
                    diastolic_bp=draw(st.integers(30, min(200, systolic - 10))))
    if draw(st.booleans()):
        data["temperature_c"] = draw(st.integers(340, 410)) / 10
    if draw(st.booleans()):
        data.update(
            gcs_eye=draw(st.integers(1, 4)),
            gcs_verbal=draw(st.integers(1, 5)),
            gcs_motor=draw(st.integers(1, 6)),
        )
    return data


patients = st.sets(st.sampled_from(sorted(PATIENT_VALUES)), min_size=1).flatmap(
    lambda fields: st.fixed_dictionaries(
        {f: st.sampled_from(PATIENT_VALUES[f]) for f in sorted(fields)}
    )
)
impressions = st.fixed_dictionaries(
    {
        "working_impression": st.sampled_from(
            ("Inferior STEMI", "Musculoskeletal pain", "Sepsis, chest source")
        ),
        "category": st.sampled_from(("stemi", "non-cardiac-chest-pain", "sepsis")),
    }
)
openings = st.builds(lambda n: {"callsign": f"RRV-{n}"}, st.integers(100, 999))

BODIES: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "note.added": notes,
    "observation.recorded": observations(),
    "patient.recorded": patients,
    "impression.recorded": impressions,
    "record.opened": openings,
}
DISPOSITION = {
    "outcome": "conveyed",
    "hospital": "Colchester General Hospital",
    "hospital_node": HOSPITAL,
}
