"""Property: whatever mix of a lost hub's positions the survivors hold, the rebuild puts
back exactly the old leaves up to the first position nobody holds, names every position
nobody holds, stores no entry twice and nothing that was not in the old log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carechain.entries import Entry
from carechain.node import Node
from carechain.recovery import Survivor, rebuild_hub
from carechain.store import SqliteStore
from carechain.testing import Trust, make_node, make_trust
from carechain.transparency import CompactRange, TreeHead, leaf_hash, log_id_from_key, sign_head
from carechain.trust import DIRECTORY_RECORD, NodeKeys

RECORDS = 3
PER_RECORD = 6


class Lost:
    """A hub's log (certificates, then records of chained entries by a crew) to rebuild."""

    def __init__(self, tmp: Path, trust: Trust) -> None:
        self.hub = make_node(tmp / "hub", trust, role="hub", name="hub")
        crew = make_node(tmp / "crew", trust, name="crew-1")
        entries: list[Entry] = [s.entry for s in crew.store.record(DIRECTORY_RECORD)]
        for r in range(RECORDS):
            record, _ = crew.open_record(user="P1", data={"callsign": f"RRV-{r}"})
            for i in range(PER_RECORD):
                crew.append(record=record, user="P1", kind="note.added", data={"text": str(i)})
            entries += [s.entry for s in crew.store.record(record)]
        self.hub.ingest(entries)
        self.cert = next(c for c in self.hub.directory.nodes() if c.name == "crew-1")
        crew.close()
        self.entries = {s.entry.id: s.entry for s in self.hub.store.since(0, 10**6)}
        self.ids = self.hub.store.ids(0, 10**6)
        self.log = log_id_from_key(self.hub.keys.sign_public)
        tree = CompactRange()
        for i in self.ids:
            tree.append(leaf_hash(i))
        self.head = sign_head(
            TreeHead(len(self.ids), tree.root(), 1, self.log), self.hub.keys.signing_key
        )

    def survivor(self, name: str, held: set[int], order: list[int]) -> Survivor:
        """A survivor holding the entries at `held` positions, stored in its own order."""
        store = SqliteStore(":memory:")
        mine = [p for p in order if p in held]
        store.append([self.entries[self.ids[p - 1]] for p in mine])
        store.note_positions(self.log, [(p, self.ids[p - 1]) for p in mine])
        return Survivor(name, store, self.cert, heads=[self.head] if name == "vault" else [])


@pytest.fixture(scope="module")
def lost(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lost]:
    tmp = tmp_path_factory.mktemp("lost")
    made = Lost(tmp, make_trust(tmp / "trust"))
    yield made
    made.hub.close()


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    data=st.data(),
    batch=st.integers(min_value=1, max_value=9),
)
def test_the_rebuild_restores_the_prefix_and_names_the_rest(
    lost: Lost, data: st.DataObject, batch: int
) -> None:
    n = len(lost.ids)
    positions = st.sets(st.integers(min_value=1, max_value=n))
    vault = data.draw(positions, label="vault")
    edge = data.draw(positions, label="edge")
    order = data.draw(st.permutations(list(range(1, n + 1))), label="order")
    survivors = [lost.survivor("vault", vault, order), lost.survivor("edge", edge, order)]
    hub = Node(info=lost.hub.info, keys=lost.hub.keys, store=SqliteStore(":memory:"))
    try:
        report = rebuild_hub(hub, survivors, batch=batch)
        rebuilt = hub.store.ids(0, 10**6)
    finally:
        hub.close()
        for s in survivors:
            s.close()
    held = vault | edge
    gone = sorted(set(range(1, n + 1)) - held)
    first_gap = gone[0] if gone else n + 1
    assert rebuilt[: first_gap - 1] == lost.ids[: first_gap - 1]
    assert len(set(rebuilt)) == len(rebuilt)  # nothing twice
    assert set(rebuilt) <= set(lost.ids)  # nothing that was not in the old log
    named = {p for m in report.missing for p in range(m.first, m.last + 1)}
    assert set(gone) <= named  # every position nobody holds is named…
    assert all(any("vault" in who for who in m.proven_by) for m in report.missing)  # …proven
    if not gone:
        assert report.complete and rebuilt == lost.ids
    else:
        assert not report.complete
        stored_after = set(rebuilt[first_gap - 1 :])
        # Held entries after the gap are stored, or refused because what they need is lost.
        for p in held:
            if p > first_gap:
                assert lost.ids[p - 1] in stored_after or any(
                    lost.ids[p - 1].hex() in r for r in report.refused
                )


def test_a_hub_with_a_new_key_rebuilds_the_log_its_old_key_signed(lost: Lost) -> None:
    """The trust may certify the hub a new key (issue 13, item 2): the lost log is still
    found and proven by the old key's heads, leaf for leaf."""
    n = len(lost.ids)
    survivors = [lost.survivor("vault", set(range(1, n + 1)), list(range(1, n + 1)))]
    hub = Node(info=lost.hub.info, keys=NodeKeys.generate(), store=SqliteStore(":memory:"))
    try:
        report = rebuild_hub(hub, survivors, log_key=lost.hub.keys.sign_public)
        assert report.complete and report.heads and report.log_id == lost.log.hex()
        assert hub.store.ids(0, 10**6) == lost.ids
        assert rebuild_hub(hub, survivors).size == n  # under its own key: nothing to add
    finally:
        hub.close()
        for s in survivors:
            s.close()
