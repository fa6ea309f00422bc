"""A pull page for a hospital or crew node looks through a bounded window of the log:
however far behind the peer is and however few of the entries it may receive, one page
costs the same, and paging on still hands it exactly its entries, in order."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from carechain.store import SqliteStore
from carechain.sync.policy import WINDOW_PAGES, page_for
from carechain.trust import Certificate, NodeKeys
from tests.store.test_contract import _record

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
