"""Random partitions, reordering, duplication and restarts among five nodes converge
(DESIGN P2, §4, §6, §10).

A Hypothesis state machine drives a hub, two crew nodes, a hospital and a vault of one
trust. Crews open records (addressed to the hospital through a disposition, through
`address_to`, or not at all), write observations, notes, patient details, impressions and
dispositions, amend entries (and amendments), and grant records to the other crew or,
late, to the hospital; the hospital writes notes and patient details to the records it
holds, sometimes the same patient field as a crew at the same time. The network is cut
into random partitions; nodes sync with any peer they can reach, in either direction;
shuffled, duplicated parts of one node's log are handed to another, straight into
`ingest` or through the real `/sync/v1/push` route; nodes are closed and reopened from
their directories.

After every step: no store holds an entry before its parents, and a crew or hospital
node holds only records granted to it by a grant it holds (see the two regression tests
at the end).
Every handed-over batch is answered exactly as an independent model of `ingest`
predicts. At the end the network heals, a few sync rounds run until nothing moves, and:
every node holds exactly the entries of the records it is entitled to, nothing
acknowledged is lost, every record is sealed to whom it was addressed, the nodes that can
read a record compute the same state, the hub reads none, every store verifies clean and
no node has raised an integrity alert.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, event, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from carechain.entries import Draft, Entry, make_encrypted, make_grant
from carechain.errors import Undecryptable
from carechain.node.verify import verify_node
from carechain.sync import client
from carechain.sync.client import PeerClient
from carechain.sync.heads import HeadKeeper
from carechain.sync.policy import FULL_ROLES
from carechain.testing import Trust
from carechain.trust import DIRECTORY_RECORD
from tests.sync.convergence_support import (
    BODIES,
    CREWS,
    DISPOSITION,
    HOSPITAL,
    HUB,
    NAMES,
    PAIRS,
    PATIENT_VALUES,
    VAULT,
    LogWatch,
    Net,
    all_entries,
    can_decrypt,
    deliver,
    record_ids,
    steady_nodes,
)
from tests.sync.harness import standard_chain

HEAL_ROUNDS = 4  # nothing may still be moving after this many rounds of healing
WRITERS = (*CREWS, HOSPITAL)
HOSPITAL_KINDS = ("note.added", "patient.recorded")
CREW_KINDS = (
    *HOSPITAL_KINDS,
    "observation.recorded",
    "impression.recorded",
    "disposition.recorded",
)
COUNTED = {"note.added": "notes", "observation.recorded": "observations"}
# Healing may refuse only entries of a record that a page boundary cut from its grant
# (they come again, with the grant, in the next page).
HEALING_REFUSALS = {"forbidden"}


class Convergence(RuleBasedStateMachine):
    """Five real nodes under random partitions, reordering, duplication and restarts."""

    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="carechain-convergence-"))
        self.patches = ExitStack()
        self.patches.enter_context(steady_nodes())
        self.net = Net.build(self.dir)
        self.links: set[tuple[str, str]] = set(PAIRS)
        self.records: list[bytes] = []  # in the order they were opened
        self.grantees: dict[bytes, set[str]] = {}  # who may read each record
        self.written: dict[bytes, set[bytes]] = {}  # acknowledged entry ids, per record
        self.kind_of: dict[bytes, str] = {}  # entry id → the kind it holds or amends
        self.items: dict[bytes, Counter[str]] = {}  # notes and observations written
        self.watch = {name: LogWatch() for name in NAMES}
        self.stores_are_sound()

    # --- writing ------------------------------------------------------------------------

    def _local(self, name: str, record: bytes, op: Any) -> Any:
        """Run a local write on a node and note every entry it acknowledged."""
        node = self.net.nodes[name]
        before = record_ids(node.store, record)
        result = op(node)
        self.written[record] |= record_ids(node.store, record) - before
        return result

    def _readers(self, names: tuple[str, ...]) -> list[tuple[str, bytes]]:
        """Return (node, record) for every record each node can read now."""
        return [(n, r) for r in self.records for n in names if can_decrypt(self.net.nodes[n], r)]

    @initialize(page=st.sampled_from([client.PAGE, 3]))
    def page_size(self, page: int) -> None:
        """Sync in pages of this many entries (small pages cut records across pages)."""
        self.patches.enter_context(mock.patch.object(client, "PAGE", page))

    @initialize(crew=st.sampled_from(CREWS), opening=BODIES["record.opened"])
    def first_record(self, crew: str, opening: dict[str, Any]) -> None:
        self.open_record(crew, "disposition", opening)

    @rule(
        crew=st.sampled_from(CREWS),
        how=st.sampled_from([None, "disposition", "address_to"]),
        opening=BODIES["record.opened"],
    )
    def open_record(self, crew: str, how: str | None, opening: dict[str, Any]) -> None:
        node = self.net.nodes[crew]
        record, stored = node.open_record(user=f"{crew}-P1", data=opening)
        self.records.append(record)
        self.grantees[record] = {crew, VAULT}
        self.written[record] = record_ids(node.store, record)
        self.kind_of[stored.entry.id] = "record.opened"
        self.items[record] = Counter()
        if how == "disposition":
            self._write(crew, record, "disposition.recorded", DISPOSITION)
        elif how == "address_to":
            self._address(crew, record, HOSPITAL)

    def _address(self, name: str, record: bytes, target: str) -> None:
        made = self._local(
            name, record, lambda n: n.address_to(record=record, user=f"{name}-P1", node_name=target)
        )
        if made is None:  # the node's own copy of the record already names the target
            assert target in self.grantees[record]
        self.grantees[record].add(target)

    def _write(self, name: str, record: bytes, kind: str, data: dict[str, Any]) -> None:
        stored = self._local(
            name, record, lambda n: n.append(record=record, user=f"{name}-U1", kind=kind, data=data)
        )
        if kind == "disposition.recorded":
            self.grantees[record].add(HOSPITAL)
        else:
            self.kind_of[stored.entry.id] = kind
        if kind in COUNTED:
            self.items[record][COUNTED[kind]] += 1

    @rule(data=st.data())
    def address(self, data: st.DataObject) -> None:
        """A node that reads a record grants it to the hospital or to a crew, late."""
        choices = self._readers(WRITERS)
        if choices:
            name, record = data.draw(st.sampled_from(choices), label="holder, record")
            target = data.draw(
                st.sampled_from([t for t in (HOSPITAL, *CREWS) if t != name]), label="target"
            )
            self._address(name, record, target)

    @rule(data=st.data(), kind=st.sampled_from(CREW_KINDS))
    def write(self, data: st.DataObject, kind: str) -> None:
        """A crew writes any of its sections; the hospital notes and patient details."""
        choices = self._readers(WRITERS if kind in HOSPITAL_KINDS else CREWS)
        if choices:
            name, record = data.draw(st.sampled_from(choices), label="writer, record")
            body = DISPOSITION if kind == "disposition.recorded" else data.draw(BODIES[kind])
            self._write(name, record, kind, body)

    @rule(data=st.data(), field=st.sampled_from(sorted(PATIENT_VALUES)))
    def concurrent_edit(self, data: st.DataObject, field: str) -> None:
        """Two nodes that read a record set the same patient field, neither seeing the other."""
        readers: dict[bytes, list[str]] = {}
        for name, record in self._readers(WRITERS):
            readers.setdefault(record, []).append(name)
        shared = [r for r in self.records if len(readers.get(r, ())) > 1]
        if shared:
            record = data.draw(st.sampled_from(shared), label="record")
            pair = data.draw(st.permutations(readers[record]), label="writers")[:2]
            values = data.draw(
                st.lists(st.sampled_from(PATIENT_VALUES[field]), min_size=2, max_size=2),
                label="values",
            )
            for name, value in zip(pair, values, strict=True):
                self._write(name, record, "patient.recorded", {field: value})

    @rule(data=st.data())
    def amend(self, data: st.DataObject) -> None:
        """A node that reads a record amends one of its entries, or an amendment."""
        choices = [
            (n, r, s.entry.id)
            for n, r in self._readers(WRITERS)
            for s in self.net.nodes[n].store.record(r)
            if s.entry.id in self.kind_of
        ]
        if choices:
            name, record, target = data.draw(st.sampled_from(choices), label="amend")
            kind = self.kind_of[target]
            body = data.draw(BODIES[kind], label="amended data")
            stored = self._local(
                name,
                record,
                lambda n: n.amend(
                    record=record,
                    user=f"{name}-U1",
                    supersedes=target.hex(),
                    reason="corrected after review",
                    data=body,
                ),
            )
            self.kind_of[stored.entry.id] = kind

    # --- the network --------------------------------------------------------------------

    @rule(links=st.sets(st.sampled_from(PAIRS)))
    def partition(self, links: set[tuple[str, str]]) -> None:
        """Set which pairs of nodes can reach each other."""
        self.links = links

    def _link(self, data: st.DataObject) -> tuple[str, str]:
        a, b = data.draw(st.sampled_from(sorted(self.links)), label="link")
        return (b, a) if data.draw(st.booleans(), label="reversed") else (a, b)

    @precondition(lambda self: self.links)
    @rule(data=st.data())
    def sync(self, data: st.DataObject) -> None:
        """A node runs a sync round with a peer it can reach, perhaps again and again.

        The first round may make a hospital write receipts, the second carry them; a
        third round must find nothing left to move.
        """
        a, b = self._link(data)
        rounds = data.draw(st.sampled_from([1, 3]), label="rounds")
        for _ in range(rounds):
            report = self.net.sync(a, b)
            note(f"sync {a} → {b}: {report.summary()}")
        if rounds == 3:
            assert report.pulled == report.pushed == 0, report.summary()

    @precondition(lambda self: self.links)
    @rule(data=st.data(), via=st.sampled_from(["ingest", "push"]))
    def handover_batch(self, data: st.DataObject, via: str) -> None:
        """Hand a shuffled, duplicated part of one node's log (of what the peer lacks, or
        of anything) to a peer it can reach."""
        a, b = self._link(data)
        source = all_entries(self.net.nodes[a].store)
        lacking = [e for e in source if e.id not in self.watch[b].records]
        mode = data.draw(st.sampled_from(["lacking", "whole log", "any"]), label="mode")
        pool = lacking if mode == "lacking" and lacking else source
        batch: list[Entry]
        if mode == "whole log":
            rnd = data.draw(st.randoms(use_true_random=False), label="shuffle")
            batch = source + rnd.choices(source, k=min(len(source), 10))
            rnd.shuffle(batch)
        else:
            picks = data.draw(
                st.lists(st.integers(0, len(pool) - 1), min_size=1, max_size=30), label="picks"
            )
            batch = [pool[i] for i in picks]
        deliver(self.net, self.watch[b], a, b, batch[:1000], via)

    @rule(name=st.sampled_from(NAMES))
    def restart(self, name: str) -> None:
        """Close a node and open it again from its directory, with a new app."""
        self.net.restart(name)

    # --- after every step ---------------------------------------------------------------

    @invariant()
    def stores_are_sound(self) -> None:
        """Parents are stored before children; crew and hospital hold only their records."""
        for name in NAMES:
            assert self.watch[name].advance(self.net.nodes[name]) == []
        for name in (*CREWS, HOSPITAL):
            # By a grant it holds itself: not one refused, nor one still on its way.
            stray = self.watch[name].held_records() - self.watch[name].granted
            assert not stray, f"{name} holds records not granted to it: {stray}"

    # --- at the end ---------------------------------------------------------------------

    def teardown(self) -> None:
        try:
            if sys.exc_info()[0] is None:  # a failed step is reported as it failed
                self.heal_and_check()
        finally:
            self.net.close()
            self.patches.close()
            shutil.rmtree(self.dir, ignore_errors=True)

    def heal_and_check(self) -> None:
        """Heal the network, sync until nothing moves, and check that all converged."""
        net = self.net
        pairs = [(n, HUB) for n in NAMES if n != HUB] + [(c, HOSPITAL) for c in CREWS]
        for rounds in range(1, HEAL_ROUNDS + 1):
            moved = 0
            for a, b in pairs:
                report = net.sync(a, b)
                moved += report.pulled + report.pushed
                codes = {r.rsplit(": ", 1)[-1] for r in report.refused}
                assert codes <= HEALING_REFUSALS, (a, b, report.refused)
            if moved == 0:
                event(f"healed in {rounds} rounds")
                break
        assert moved == 0, f"entries still moving after {HEAL_ROUNDS} rounds of healing"
        self.stores_are_sound()

        universe: dict[bytes, set[bytes]] = {}
        sealed_to: dict[bytes, set[bytes]] = {}
        for node in net.nodes.values():
            for e in all_entries(node.store):
                universe.setdefault(e.header.record, set()).add(e.id)
                if e.header.cls == "grant":
                    sealed_to.setdefault(e.header.record, set()).update(e.header.recipients)

        # Nothing acknowledged is lost; every record is sealed to exactly whom it was sent.
        assert set(universe) == {DIRECTORY_RECORD, *self.records}
        for record in self.records:
            assert self.written[record] <= universe[record]
            names = {n for n in NAMES if net.nodes[n].keys.box_key_id in sealed_to[record]}
            assert names == self.grantees[record], record.hex()

        # Every node holds, whole, exactly the records it is entitled to; all verify clean.
        for name, node in net.nodes.items():
            for record, ids in universe.items():
                entitled = (
                    record == DIRECTORY_RECORD
                    or node.info.role in FULL_ROLES
                    or name in self.grantees[record]
                )
                assert record_ids(node.store, record) == (ids if entitled else set()), (
                    name,
                    record.hex(),
                )
            assert verify_node(node) == [], name
            assert HeadKeeper(node.store, node.directory).alerts() == [], name

        # The nodes that can read a record agree on its state; the hub reads nothing.
        for record in self.records:
            states = {}
            for name in sorted(self.grantees[record]):
                state = net.nodes[name].state(record)
                del state["recipients"]  # names as this node's directory knows them
                states[name] = state
            first = next(iter(states.values()))
            for name, state in states.items():
                assert state == first, (name, record.hex())
            assert first["unreadable"] == []
            event(f"records with conflicts: {bool(first['conflicts'])}")
            event(f"records read by: {'+'.join(sorted(states))}")
            for section, count in self.items[record].items():
                assert len(first["items"].get(section, [])) == count, section
            with pytest.raises(Undecryptable):
                net.nodes[HUB].state(record)


Convergence.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
TestConvergence = Convergence.TestCase


def test_a_refused_grant_lets_nothing_in(tmp_path: Path, trust: Trust) -> None:
    """A hospital handed a record's entries with its grant out of order holds none of it.

    The grant addressing the record to the hospital comes first, before the entries it
    descends from, so it is refused for missing parents; the entries before it must be
    refused too, not kept as a record the hospital cannot read. (Found by the state
    machine above, when a grant in the batch opened its record whether it was stored
    or not.)
    """
    chain = standard_chain(tmp_path, trust)
    try:
        crew, hospital = chain.nodes["crew-1"], chain.nodes["hospital-a"]
        record, _ = crew.open_record(user="P1", data={"callsign": "RRV-412"})
        crew.address_to(record=record, user="P1", node_name="hospital-a")
        root_grant, opened, to_hospital = [s.entry for s in crew.store.record(record)]
        PeerClient(crew, chain.clients["hospital-a"]).call(
            "POST",
            "/sync/v1/push",
            body={"entries": [e.to_wire() for e in (to_hospital, root_grant, opened)]},
        )
        held = record_ids(hospital.store, record)
        assert not held or can_decrypt(hospital, record), "holds a record it cannot read"
    finally:
        chain.close()


def test_a_forged_grant_lets_nothing_in(tmp_path: Path, trust: Trust) -> None:
    """A grant whose signature does not verify opens no record to the hospital.

    Any certified peer could otherwise make a hospital keep, unreadable and for ever, a
    record never addressed to it: no real grant will ever follow this one.
    """
    chain = standard_chain(tmp_path, trust)
    try:
        crew, hospital = chain.nodes["crew-1"], chain.nodes["hospital-a"]
        record, opened = crew.open_record(user="P1", data={"callsign": "RRV-412"})
        to = next(c for c in crew.directory.nodes("hospital") if c.name == "hospital-a")
        draft = Draft(record, "grant", "P1", crew.clock.tick(), (opened.entry.id,), ())
        grant = make_grant(draft, crew.keys, crew.content_key(record), {to.box_key_id: to.box_key})
        forged = Entry.assemble(grant.header, grant.body, bytes(64))
        batch = [forged, *(s.entry for s in crew.store.record(record))]
        PeerClient(crew, chain.clients["hospital-a"]).call(
            "POST", "/sync/v1/push", body={"entries": [e.to_wire() for e in batch]}
        )
        assert record_ids(hospital.store, record) == set()
    finally:
        chain.close()


def test_a_body_that_does_not_open_is_refused_in_the_batch_of_its_grant(
    tmp_path: Path, trust: Trust
) -> None:
    """A hospital checks that each body addressed to it opens with its record's key, also
    when the grant that gives it the key comes in the same push (not only once stored)."""
    chain = standard_chain(tmp_path, trust)
    try:
        crew, hospital = chain.nodes["crew-1"], chain.nodes["hospital-a"]
        record, _ = crew.open_record(user="P1", data={"callsign": "RRV-412"})
        crew.address_to(record=record, user="P1", node_name="hospital-a")
        good = [s.entry for s in crew.store.record(record)]
        to = next(c for c in crew.directory.nodes("hospital") if c.name == "hospital-a")
        recipients = tuple(sorted({*good[-1].header.recipients, to.box_key_id}))
        draft = Draft(record, "clinical", "P1", crew.clock.tick(), (good[-1].id,), recipients)
        wrong_key = make_encrypted(  # signed by a certified crew, sealed under another key
            draft, crew.keys, bytes(32), {"kind": "note.added", "v": 1, "data": {"text": "x"}})
        answer = PeerClient(crew, chain.clients["hospital-a"]).call(
            "POST", "/sync/v1/push",
            body={"entries": [e.to_wire() for e in [*good, wrong_key]]},
        )
        codes = [r[3] if len(r) > 3 else None for r in answer["results"]]
        assert codes == [None] * len(good) + ["undecryptable"]
        assert record_ids(hospital.store, record) == {e.id for e in good}
    finally:
        chain.close()
