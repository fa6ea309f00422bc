"""A pull page for a hospital or crew node looks through a bounded window of the log:
however far behind the peer is and however few of the entries it may receive, one page
costs the same, and paging on still hands it exactly its entries, in order."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carechain.entries import HLC, Draft, Entry, crypto, make_encrypted, make_grant, new_record_id
from carechain.store import SqliteStore
from carechain.sync import policy
from carechain.sync.policy import WINDOW_PAGES, page_for
from carechain.trust import Certificate, NodeKeys
from tests.store.test_contract import KEYS, _record

OTHER = NodeKeys.generate()


@dataclass
class Peer:
    role: str
    box_key_id: bytes


def _pages(store: SqliteStore, peer: Any, after: int, limit: int) -> list[tuple[list[int], int]]:
    out = []
    while True:
        page = page_for(store, cast(Certificate, peer), after, limit)
        out.append(([r.seq for r in page.entries], page.next))
        after = page.next
        if not page.more:
            return out


def test_a_page_ends_at_its_window_and_paging_on_gives_every_entry(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    try:
        theirs_before, theirs_after = _record(2, grant_to=OTHER), _record(2, grant_to=OTHER)
        store.append(theirs_before)  # seq 1-3
        for _ in range(20):
            store.append(_record(2))  # seq 4-63: not theirs
        store.append(theirs_after)  # seq 64-66
        peer = Peer("hospital", OTHER.box_key_id)
        limit = 2
        window = limit * WINDOW_PAGES
        assert window < 60  # the gap between their records is wider than one window

        first = page_for(store, cast(Certificate, peer), 3, limit)
        assert first.entries == [] and first.more and first.next == 3 + window

        pages = _pages(store, peer, 0, limit)
        assert [seq for seqs, _ in pages for seq in seqs] == [1, 2, 3, 64, 65, 66]
        assert pages[-1][1] == 66
        assert all(len(seqs) <= limit for seqs, _ in pages)
    finally:
        store.close()


def test_a_peer_up_to_date_gets_one_empty_last_page(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    try:
        store.append(_record(2))
        page = page_for(store, cast(Certificate, Peer("hospital", OTHER.box_key_id)), 3, 500)
        assert (page.entries, page.next, page.more) == ([], 3, False)
    finally:
        store.close()


@dataclass
class _Plan:
    """A record's entries in log order, and where (if anywhere) it is granted to the peer."""

    notes: int
    grant_at: int | None  # index among the notes before which the peer's grant goes


def _plan_entries(plan: _Plan) -> list[Entry]:
    record, key = new_record_id(), crypto.random_bytes(32)
    opening = Draft(record, "grant", "P1", HLC(1000), (), ())
    out = [make_grant(opening, KEYS, key, {KEYS.box_key_id: KEYS.box_public})]
    for i in range(plan.notes + 1):
        if plan.grant_at == i:
            draft = Draft(record, "grant", "P1", HLC(1500 + i), (), ())
            out.append(make_grant(draft, KEYS, key, {OTHER.box_key_id: OTHER.box_public}))
        if i == plan.notes:
            break
        draft = Draft(record, "clinical", "P1", HLC(2000 + i), (out[-1].id,), (KEYS.box_key_id,))
        body = {"kind": "note.added", "v": 1, "data": {"text": f"n{i}"}}
        out.append(make_encrypted(draft, KEYS, key, body))
    return out


plans = st.lists(
    st.integers(0, 4).flatmap(
        lambda n: st.builds(_Plan, st.just(n), st.none() | st.integers(0, n))
    ),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(plans=plans, data=st.data())
def test_paging_while_the_log_grows_hands_a_peer_exactly_its_records(
    tmp_path_factory: pytest.TempPathFactory, plans: list[_Plan], data: st.DataObject
) -> None:
    """Records written in any interleaving, some granted to the peer before, among or after
    their entries and some never (a crew killed between opening a record and addressing
    it): a peer paging at any moment, with any page size, ends with every entry of every
    record granted to it and nothing of the others."""
    store = SqliteStore(tmp_path_factory.mktemp("pull") / "s.db")
    window = policy.WINDOW_PAGES
    policy.WINDOW_PAGES = data.draw(st.integers(1, 3))  # windows far narrower than the log
    try:
        queues = [_plan_entries(p) for p in plans]
        peer = cast(Certificate, Peer("hospital", OTHER.box_key_id))
        got: set[bytes] = set()
        after = 0
        while any(queues):
            i = data.draw(st.sampled_from([n for n, q in enumerate(queues) if q]))
            take = data.draw(st.integers(1, len(queues[i])))
            store.append(queues[i][:take])
            queues[i] = queues[i][take:]
            for _ in range(data.draw(st.integers(0, 2))):  # a page or two now and then
                page = page_for(store, peer, after, data.draw(st.integers(1, 4)))
                got |= {r.id for r in page.entries}
                after = page.next
        while True:
            page = page_for(store, peer, after, data.draw(st.integers(1, 4)))
            got |= {r.id for r in page.entries}
            after = page.next
            if not page.more:
                break
        granted = {i for i, p in enumerate(plans) if p.grant_at is not None}
        rows = list(store.raw())
        records = {r.record for r in rows}
        assert len(records) == len(plans)
        want = {r.id for r in rows if r.record in _granted_records(store)}
        assert got == want
        assert len(_granted_records(store)) == len(granted)
    finally:
        policy.WINDOW_PAGES = window
        store.close()


def _granted_records(store: SqliteStore) -> set[bytes]:
    return set(store.granted_between(OTHER.box_key_id, 0, 2**62))
