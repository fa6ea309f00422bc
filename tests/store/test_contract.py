"""Every storage engine keeps the same contract (SQLite and PostgreSQL, for real)."""

from __future__ import annotations

import pytest

from carechain.entries import HLC, Draft, Entry, crypto, make_encrypted, make_grant, new_record_id
from carechain.store import Store, open_store
from carechain.trust import NodeKeys
from tests.store.engines import engine_url, pg_url, store

__all__ = ["engine_url", "pg_url", "store"]

KEYS = NodeKeys.generate()
OTHER = NodeKeys.generate()


def _record(n: int, *, grant_to: NodeKeys = KEYS) -> list[Entry]:
    record, key = new_record_id(), crypto.random_bytes(32)
    grant = make_grant(
        Draft(record, "grant", "P1", HLC(1000), (), ()),
        KEYS,
        key,
        {grant_to.box_key_id: grant_to.box_public},
    )
    out = [grant]
    for i in range(n):
        draft = Draft(
            record, "clinical", "P1", HLC(2000 + i), (out[-1].id,), (grant_to.box_key_id,)
        )
        out.append(
            make_encrypted(
                draft, KEYS, key, {"kind": "note.added", "v": 1, "data": {"text": f"n{i}"}}
            )
        )
    return out


def test_append_is_idempotent_and_numbers_densely(store: Store) -> None:
    entries = _record(3)
    first = store.append(entries[:2])
    assert first == [(1, True), (2, True)]
    again = store.append(entries)
    assert again == [(1, False), (2, False), (3, True), (4, True)]
    assert store.count() == 4
    assert [s.seq for s in store.since(0, 10)] == [1, 2, 3, 4]
    assert store.ids(1, 2) == [entries[1].id, entries[2].id]
    assert store.has([entries[0].id, b"x" * 32]) == {entries[0].id}


def test_reads_give_back_the_same_entries(store: Store) -> None:
    entries = _record(2)
    store.append(entries)
    got = store.get(entries[1].id)
    assert got is not None and got.entry == entries[1] and got.seq == 2
    assert [s.entry for s in store.record(entries[0].header.record)] == entries
    [summary] = store.records()
    assert summary.entries == 3 and summary.first_ms == 1000 and summary.last_ms == 2001
    assert [r.id for r in store.raw()] == [e.id for e in entries]
    assert store.last_hlc() == HLC(2001)
    assert store.get(b"y" * 32) is None


def test_access_follows_grants(store: Store) -> None:
    mine, theirs = _record(2, grant_to=KEYS), _record(1, grant_to=OTHER)
    store.append(mine + theirs)
    rows = store.since_for(OTHER.box_key_id, 0, 10, 10)
    assert [(r.id, r.signed, r.signature) for r in rows] == [
        (e.id, e.signed, e.signature) for e in theirs]
    assert [r.id for r in store.since_for(KEYS.box_key_id, 1, 10, 10)] == [e.id for e in mine[1:]]
    assert [r.seq for r in store.since_for(KEYS.box_key_id, 0, 10, 1)] == [1]  # (0, 1] only
    assert store.since_for(OTHER.box_key_id, 0, 10, 2) == []
    assert [r.id for r in store.raw_record(mine[0].header.record)] == [e.id for e in mine]
    assert [(r.seq, r.cls) for r in store.raw_record(theirs[0].header.record)] == [
        (4, "grant"), (5, "clinical")]
    assert store.granted_between(OTHER.box_key_id, 0, 10) == [theirs[0].header.record]
    assert store.granted_between(OTHER.box_key_id, 4, 10) == []


def test_meta_is_set_replaced_and_listed(store: Store) -> None:
    assert store.get_meta("a") is None
    store.set_meta("hub:1", b"x")
    store.set_meta("hub:1", b"y")
    store.set_meta("hub:2", b"z")
    store.set_meta("other", b"w")
    assert store.get_meta("hub:1") == b"y"
    assert store.meta_items("hub:") == [("hub:1", b"y"), ("hub:2", b"z")]


def test_the_log_is_durable_across_reopening(engine_url: str) -> None:
    entries = _record(2)
    s = open_store(engine_url)
    s.append(entries)
    s.close()
    s = open_store(engine_url)
    try:
        assert [x.entry for x in s.since(0, 10)] == entries
    finally:
        s.close()


def test_meta_many_and_seqs_of(store: Store) -> None:
    entries = _record(2)
    store.append(entries)
    store.set_meta_many([("at:1", b"a"), ("at:2", b"b"), ("at:1", b"c")])
    assert store.meta_items("at:") == [("at:1", b"c"), ("at:2", b"b")]
    store.set_meta_many([])
    assert store.seqs_of([entries[2].id, b"z" * 32, entries[0].id]) == {
        entries[0].id: 1,
        entries[2].id: 3,
    }


def test_append_sets_its_meta_in_the_same_transaction(store: Store) -> None:
    entries = _record(1)
    store.append(entries, [("dispatch/offer/000000000001", b"offer"), ("dispatch/newest", b"1")])
    assert store.get_meta("dispatch/offer/000000000001") == b"offer"
    assert store.meta_items("dispatch/") == [("dispatch/newest", b"1"),
                                             ("dispatch/offer/000000000001", b"offer")]
    # A failing append (an entry that is not one) keeps neither its entries nor its meta.
    broken = _record(1)
    with pytest.raises(AttributeError):
        store.append([broken[0], "not an entry"], [("dispatch/newest", b"2")])  # type: ignore[list-item]
    assert store.get_meta("dispatch/newest") == b"1"
    assert store.get(broken[0].id) is None
