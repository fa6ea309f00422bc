"""Where a hub's log holds what this node took from it (`hub_positions`): on both engines,
noted idempotently, read back in the hub's order with the entry where this store holds it."""

from __future__ import annotations

from carechain.entries import HLC, Draft, Entry, crypto, make_grant, new_record_id
from carechain.store import Store
from carechain.trust import NodeKeys
from tests.store.engines import engine_url, pg_url, store

__all__ = ["engine_url", "pg_url", "store"]

KEYS = NodeKeys.generate()


def _grants(n: int) -> list[Entry]:
    return [
        make_grant(
            Draft(new_record_id(), "grant", "P1", HLC(1000 + i), (), ()),
            KEYS,
            crypto.random_bytes(32),
            {KEYS.box_key_id: KEYS.box_public},
        )
        for i in range(n)
    ]


def test_positions_come_back_in_the_hubs_order_with_what_is_held(store: Store) -> None:
    log, other = b"L" * 32, b"M" * 32
    entries = _grants(3)
    store.append(entries[:2])  # this node holds two of them, in its own order
    placed = [(7, entries[1].id), (3, entries[0].id), (9, entries[2].id)]
    store.note_positions(log, placed)
    store.note_positions(log, placed[:1])  # again: nothing twice
    store.note_positions(other, [(1, entries[2].id)])
    got = store.positioned(log, 0, 10)
    assert [(p.seq, p.id) for p in got] == [
        (3, entries[0].id),
        (7, entries[1].id),
        (9, entries[2].id),
    ]
    assert [p.row is not None for p in got] == [True, True, False]
    assert got[0].row is not None and got[0].row.signed == entries[0].signed
    assert got[1].row is not None and got[1].row.seq == 2  # its place in this store
    assert [p.seq for p in store.positioned(log, 3, 1)] == [7]
    assert store.positioned(log, 9, 10) == []
    assert [p.seq for p in store.positioned(other, 0, 10)] == [1]
