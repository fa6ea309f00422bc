"""Run proofs on pulled pages (`sync/_runs.py`): one proof per run of consecutive log
positions holds exactly when the page gives the hub's entries at those positions, and any
change to a run, an entry or its position is caught."""

from __future__ import annotations

import os

from hypothesis import given, settings
from hypothesis import strategies as st

from carechain.entries import Entry
from carechain.sync._runs import run_fault
from carechain.sync.wire import RunProof
from carechain.transparency import MerkleTree, TreeHead, leaf_hash, sign_head
from carechain.trust import NodeKeys
from tests.store.test_contract import _record

HUB = NodeKeys.generate()
POOL: list[Entry] = [e for _ in range(6) for e in _record(6)]  # 42 distinct entries


def _page(size: int, chosen: list[int]) -> tuple[list[tuple[int, Entry, bool]], list[RunProof],
                                                 object]:
    """A log of `size` leaves holding POOL's entries at the chosen positions (1-based), and
    the page a hub gives for them: a run proof per run of two or more, singletons alone."""
    placed = {seq: POOL[i] for i, seq in enumerate(chosen)}
    tree = MerkleTree()
    tree.extend(leaf_hash(placed[s].id) if s in placed else os.urandom(32)
                for s in range(1, size + 1))
    head = sign_head(TreeHead(size, tree.root(size), 1, HUB.key_id), HUB.signing_key)
    runs: list[RunProof] = []
    alone: set[int] = set()
    start = 0
    for i in range(1, len(chosen) + 1):
        if i < len(chosen) and chosen[i] == chosen[i - 1] + 1:
            continue
        first, last = chosen[start], chosen[i - 1]
        if last > first:
            consistency = [] if last == size else tree.consistency_proof(last, size)
            runs.append(RunProof(first, last - first + 1, tree.frontier(first - 1), consistency))
        else:
            alone.add(first)
        start = i
    items = [(s, placed[s], s in alone) for s in chosen]
    return items, runs, head


pages = st.integers(2, 300).flatmap(
    lambda size: st.tuples(
        st.just(size),
        st.lists(st.integers(1, size), min_size=1, max_size=min(size, len(POOL)), unique=True)
        .map(sorted),
    )
)


@settings(max_examples=150, deadline=None)
@given(page=pages)
def test_an_honest_page_holds(page: tuple[int, list[int]]) -> None:
    items, runs, head = _page(*page)
    assert run_fault(items, runs, head) is None  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(page=pages, data=st.data())
def test_any_change_to_a_run_or_its_entries_is_caught(
    page: tuple[int, list[int]], data: st.DataObject
) -> None:
    items, runs, head = _page(*page)
    if not runs:
        return
    k = data.draw(st.integers(0, len(runs) - 1))
    run = runs[k]
    how = data.draw(st.sampled_from(["left", "consistency", "first", "count", "entry", "drop",
                                     "swap", "no-run"]))
    in_run = [i for i, (s, _, alone) in enumerate(items) if not alone and
              run.first <= s < run.first + run.count]
    if how == "left" and run.left:
        runs[k] = RunProof(run.first, run.count, [os.urandom(32), *run.left[1:]], run.consistency)
    elif how == "consistency" and run.consistency:
        runs[k] = RunProof(run.first, run.count, run.left, [os.urandom(32), *run.consistency[1:]])
    elif how == "first":
        runs[k] = RunProof(run.first + 1, run.count, run.left, run.consistency)
    elif how == "count":
        runs[k] = RunProof(run.first, run.count - 1, run.left, run.consistency)
    elif how == "entry":
        i = data.draw(st.sampled_from(in_run))
        other = next(e for e in POOL if e.id not in {x[1].id for x in items})
        items[i] = (items[i][0], other, False)
    elif how == "drop":
        items.pop(data.draw(st.sampled_from(in_run)))
    elif how == "swap":
        i = in_run[0]
        items[i], items[i + 1] = (items[i][0], items[i + 1][1], False), (
            items[i + 1][0], items[i][1], False)
    elif how == "no-run":
        runs.pop(k)
    else:
        return  # nothing to change (an empty left or consistency proof)
    fault = run_fault(items, runs, head)  # type: ignore[arg-type]
    assert fault is not None
    # A run that names a position the page lacks reads as an entry left out on the way
    # (the page is asked for again with a proof per entry); a proof that does not hold
    # for the entries given never does.
    if how == "drop":
        assert fault.gap
    if how in ("left", "consistency", "entry", "swap"):
        assert not fault.gap
