"""A wiped hub rebuilt from the survivors (issue 13, item 1): the same leaves in the same
order, so every node's last head is proven at its next sync with no operator action and
no alert; what no survivor holds is named, never silently dropped."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from carechain.demo import chest_pain_stemi
from carechain.testing import Trust
from carechain.transparency import log_id_from_key
from tests.recovery.support import hub_ids, rebuild, serve_hub, wipe_hub
from tests.sync.harness import Chain, document_stemi, standard_chain
from tests.sync.hostile import alerts

NODES = ("crew-1", "hospital-a", "vault")


def _shift(chain: Chain) -> bytes:
    """A crew documents a case; it reaches the hub, the hospital and the vault."""
    record = document_stemi(chain)
    chain.sync("crew-1", "hub")
    chain.sync("hospital-a", "hub")
    chain.sync("vault", "hub")
    return record


def _undestined_case(chain: Chain) -> bytes:
    """A crew documents a case not (yet) addressed to any hospital."""
    node = chain.nodes["crew-1"]
    case = chest_pain_stemi()
    record, _ = node.open_record(user="P1", data=case.opened)
    for kind, data in list(case.at(datetime(2026, 11, 26, 10, 0, tzinfo=UTC)))[:3]:
        if kind != "disposition.recorded":
            node.append(record=record, user="P1", kind=kind, data=data)
    return record


def _everyone_resumes(chain: Chain) -> None:
    for name in (*NODES, *NODES):
        chain.sync(name, "hub")  # raises HubMisbehaved on any doubt about the log
    for name in NODES:
        assert alerts(chain.nodes[name]) == [], name


def _same_record(chain: Chain, record: bytes, names: tuple[str, ...]) -> None:
    held = {n: sorted(s.entry.id for s in chain.nodes[n].store.record(record)) for n in names}
    first = held[names[0]]
    assert first
    assert all(ids == first for ids in held.values()), held


def test_a_wiped_hub_comes_back_leaf_for_leaf(tmp_path: Path, trust: Trust) -> None:
    chain = standard_chain(tmp_path, trust)
    try:
        record = _shift(chain)
        before = hub_ids(chain.nodes["hub"])
        wipe_hub(chain, tmp_path)
        report = rebuild(tmp_path, ["vault", "hospital-a", "crew-1"], batch=7)
        assert report.complete, report.summary()
        assert report.size == len(before)
        assert report.heads and all(h.proven for h in report.heads)
        hub = serve_hub(chain, tmp_path)
        assert hub_ids(hub) == before
        _everyone_resumes(chain)
        # Mid-shift: the same crew goes on, and everyone still agrees.
        second = _shift(chain)
        _everyone_resumes(chain)
        _same_record(chain, record, ("hub", "crew-1", "hospital-a", "vault"))
        _same_record(chain, second, ("hub", "crew-1", "hospital-a", "vault"))
    finally:
        chain.close()


def test_entries_the_vault_missed_are_refilled_from_the_edges(tmp_path: Path, trust: Trust) -> None:
    chain = standard_chain(tmp_path, trust)
    try:
        _shift(chain)
        # The vault falls behind: a second case reaches the hub and the hospital only.
        late = document_stemi(chain)
        chain.sync("crew-1", "hub")
        chain.sync("hospital-a", "hub")
        before = hub_ids(chain.nodes["hub"])
        wipe_hub(chain, tmp_path)
        report = rebuild(tmp_path, ["vault", "hospital-a", "crew-1"])
        assert report.complete, report.summary()
        assert report.by_survivor.get("hospital-a", 0) + report.by_survivor.get("crew-1", 0) > 0
        hub = serve_hub(chain, tmp_path)
        assert hub_ids(hub) == before
        _everyone_resumes(chain)
        _same_record(chain, late, ("hub", "crew-1", "hospital-a", "vault"))
    finally:
        chain.close()


def test_a_rebuild_run_again_stores_nothing_twice(tmp_path: Path, trust: Trust) -> None:
    chain = standard_chain(tmp_path, trust)
    try:
        _shift(chain)
        before = hub_ids(chain.nodes["hub"])
        wipe_hub(chain, tmp_path)
        first = rebuild(tmp_path, ["vault"], batch=3)
        again = rebuild(tmp_path, ["vault", "crew-1"])
        assert first.complete and again.complete
        assert again.held_before == len(before) and again.placed == 0
        hub = serve_hub(chain, tmp_path)
        assert hub_ids(hub) == before
        _everyone_resumes(chain)
    finally:
        chain.close()


def test_what_no_survivor_holds_is_named_with_the_heads_that_prove_it(
    tmp_path: Path, trust: Trust
) -> None:
    chain = standard_chain(tmp_path, trust)
    try:
        _shift(chain)
        # A case for no hospital reaches the hub only; the hospital then syncs (its head
        # covers the case, its store does not), and the crew node is lost with the hub.
        _undestined_case(chain)
        chain.sync("crew-1", "hub")
        chain.sync("hospital-a", "hub")
        size = len(hub_ids(chain.nodes["hub"]))
        wipe_hub(chain, tmp_path)
        report = rebuild(tmp_path, ["vault"])  # the hospital's head is not among these
        assert report.complete  # the vault's own head is proven…
        assert report.size < size  # …but nothing says the rest existed
        report = rebuild(tmp_path, ["vault", "hospital-a"])
        assert not report.complete
        assert report.missing, report.summary()
        assert report.missing[-1].last == size
        assert any("hospital-a" in p for p in report.missing[0].proven_by)
        assert [h.proven for h in report.heads if h.holder == "hospital-a"] == [False]
        assert any(line.startswith("LOST positions") for line in report.summary())
    finally:
        chain.close()


def test_every_node_notes_where_the_hubs_log_holds_what_it_took(
    tmp_path: Path, trust: Trust
) -> None:
    chain = standard_chain(tmp_path, trust)
    try:
        _shift(chain)
        hub = chain.nodes["hub"]
        log = log_id_from_key(hub.keys.sign_public)
        leaves = dict(enumerate(hub_ids(hub), start=1))
        for name in ("hospital-a", "vault"):
            node = chain.nodes[name]
            noted = node.store.positioned(log, 0, 10_000)
            assert noted, name
            assert all(leaves[p.seq] == p.id for p in noted), name  # the hub's own order
            assert all(p.row is not None for p in noted), name  # of entries it holds
        vault = chain.nodes["vault"].store.positioned(log, 0, 10_000)
        assert [p.seq for p in vault] == sorted(leaves)  # the vault: the whole log
    finally:
        chain.close()
