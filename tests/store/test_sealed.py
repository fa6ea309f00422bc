"""A node's own signed head of its log (issue 11, item 6), written in each append's own
transaction on every engine, and what `check_sealed` makes of a store edited without it."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carechain.entries import HLC, Draft, Entry, crypto, make_encrypted, make_grant, new_record_id
from carechain.errors import StoreError
from carechain.store import Store, open_store
from carechain.store.sealed import (
    FRONTIER_KEY,
    HEAD_KEY,
    UNSEALED_KEY,
    check_sealed,
    log_sealer,
    read_head,
    seal_existing,
)
from carechain.transparency import leaf_hash, root_from_leaf_hashes, verify_head
from carechain.trust import NodeKeys
from tests.store.engines import engine_url, pg_url, store

__all__ = ["engine_url", "pg_url", "store"]

KEYS = NodeKeys.generate()


def _record(n: int) -> list[Entry]:
    record, key = new_record_id(), crypto.random_bytes(32)
    grant = make_grant(Draft(record, "grant", "P1", HLC(1000), (), ()), KEYS, key,
                       {KEYS.box_key_id: KEYS.box_public})
    out = [grant]
    for i in range(n):
        draft = Draft(record, "clinical", "P1", HLC(2000 + i), (out[-1].id,), (KEYS.box_key_id,))
        out.append(make_encrypted(draft, KEYS, key,
                                  {"kind": "note.added", "v": 1, "data": {"text": f"n{i}"}}))
    return out


def _sealed(store: Store) -> Store:
    store.set_sealer(log_sealer(KEYS.signing_key, lambda: 1_700_000_000_000))
    seal_existing(store, KEYS.signing_key, 1_700_000_000_000)
    return store


def test_every_append_signs_a_head_of_the_whole_log(store: Store) -> None:
    _sealed(store)
    assert store.get_meta(UNSEALED_KEY) == b""  # a new store is sealed as it is: empty
    entries = _record(4)
    for batch in (entries[:2], entries[:3], entries):  # repeats are stored once
        store.append(batch)
        head = read_head(store)
        assert head is not None
        verify_head(head, KEYS.sign_public)
        ids = store.ids(0, 100)
        assert head.size == len(ids) == store.count()
        assert head.root == root_from_leaf_hashes(leaf_hash(i) for i in ids)
    assert check_sealed(store, KEYS.sign_public) == []


def test_a_head_that_fails_to_be_written_takes_its_entries_with_it(store: Store) -> None:
    """The head is written in the append's transaction: if sealing fails, nothing is stored."""
    _sealed(store)
    store.append(_record(1))

    def broken(read: Callable[[str], bytes | None], before: int,
               added: Sequence[bytes]) -> list[tuple[str, bytes]]:
        raise StoreError("the disk is full")

    store.set_sealer(broken)
    with pytest.raises(StoreError):
        store.append(_record(2))
    assert store.count() == 2
    assert check_sealed(store, KEYS.sign_public) == []


def test_a_store_filled_before_heads_existed_is_sealed_when_first_opened(
        engine_url: str) -> None:
    store = open_store(engine_url)
    try:
        store.append(_record(3))  # no sealer: as an older version wrote it
        assert read_head(store) is None and store.get_meta(UNSEALED_KEY) == b"1"
        assert check_sealed(store, KEYS.sign_public) == []  # not judged before it is sealed
        _sealed(store)
        head = read_head(store)
        assert head is not None and head.size == 4
        assert store.get_meta(UNSEALED_KEY) == b""
        store.append(_record(1))
        assert check_sealed(store, KEYS.sign_public) == []
    finally:
        store.close()


def test_a_missing_head_is_named_and_not_sealed_again(store: Store) -> None:
    _sealed(store)
    store.append(_record(2))
    store.set_meta_many([(HEAD_KEY, b""), (FRONTIER_KEY, b"")])  # the rows emptied
    [finding] = check_sealed(store, KEYS.sign_public)
    assert finding.code == "log-head-missing"
    store.append(_record(1))  # what is there now is not vouched for
    [finding] = check_sealed(store, KEYS.sign_public)
    assert finding.code == "log-head-missing"


def test_a_head_signed_by_another_key_is_refused(store: Store) -> None:
    _sealed(store)
    store.append(_record(2))
    other = NodeKeys.generate()
    store.set_sealer(log_sealer(other.signing_key, lambda: 1))
    store.append(_record(1))
    [finding] = check_sealed(store, KEYS.sign_public)
    assert finding.code == "log-head-invalid"


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 40), cut=st.data())
def test_the_first_altered_subtree_is_named(n: int, cut: st.DataObject) -> None:
    """A log of any size whose entry at any position is replaced: named by the range of
    the first full subtree of the signed log that contains it."""
    from carechain.store.sealed import _first_difference

    ids = [bytes([i % 256]) * 32 for i in range(n)]
    from carechain.transparency import CompactRange

    compact = CompactRange()
    for i in ids:
        compact.append(leaf_hash(i))
    at = cut.draw(st.integers(0, n - 1))
    changed = [*ids[:at], b"\xff" * 32, *ids[at + 1 :]]
    first, last = _first_difference(changed, n, compact.frontier)
    assert first - 1 <= at <= last - 1
    assert (last - first + 1) & (last - first) == 0  # one full subtree: a power of two
