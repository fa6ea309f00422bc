"""The stores' bulk seam: a snapshot sees one instant, a load fills an empty store in one
transaction or not at all (both engines)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from carechain.errors import StoreError
from carechain.node import Node
from carechain.store import Store, open_store
from carechain.store.bulk import BulkStore
from tests.backup.support import rows
from tests.conftest import OPENED
from tests.store.engines import engine_url, pg_url  # noqa: F401 - fixtures


@pytest.fixture
def empty(engine_url: str) -> Iterator[Store]:  # noqa: F811
    store = open_store(engine_url)
    yield store
    store.close()


def _some_rows(crew: Node) -> list[tuple[object, ...]]:
    record, _ = crew.open_record(user="P1", data=OPENED)
    for n in range(3):
        crew.append(record=record, user="P1", kind="note.added", data={"text": str(n)})
    return rows(crew.store)["entries"]


def test_a_snapshot_does_not_see_later_appends(crew: Node) -> None:
    store = crew.store
    assert isinstance(store, BulkStore)
    record, _ = crew.open_record(user="P1", data=OPENED)
    snapshot = store.snapshot()
    try:
        before = store.count()
        crew.append(record=record, user="P1", kind="note.added", data={"text": "later"})
        seen = [r for page in snapshot.entry_pages(2) for r in page]
        assert len(seen) == before < store.count()
        assert [r[0] for r in seen] == list(range(1, before + 1))
    finally:
        snapshot.close()


def test_a_load_commits_exact_rows_or_nothing(empty: Store, crew: Node) -> None:
    source = _some_rows(crew)
    assert isinstance(empty, BulkStore)
    load = empty.bulk_load()
    load.add_entries(source)
    load.rollback()
    assert empty.count() == 0

    load = empty.bulk_load()
    load.add_entries(source)
    load.add_meta([("k", b"v")])
    load.commit()
    assert rows(empty)["entries"] == source and empty.get_meta("k") == b"v"
    assert empty.append([crew.store.since(0, 1)[0].entry]) == [(1, False)]

    with pytest.raises(StoreError, match="not empty"):
        empty.bulk_load()
    assert empty.count() == len(source)  # and the store still works after the refusal
    empty.set_meta("after", b"1")
