"""`Node.append_many`: one section on each of several records, in one transaction; what it
refuses changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from carechain.errors import CarechainError, FieldInvalid, NotFound
from carechain.node import Node
from carechain.testing import Trust, make_node

NOTE = {"text": "Handed over in resus."}


@pytest.fixture
def crew(tmp_path: Path, trust: Trust) -> Iterator[Node]:
    node = make_node(tmp_path / "crew", trust)
    yield node
    node.close()


def _records(crew: Node, n: int) -> list[bytes]:
    return [crew.open_record(user="P1", data={"callsign": f"RRV-{i}"})[0] for i in range(n)]


def test_each_record_gets_its_section_in_one_transaction(crew: Node) -> None:
    records = _records(crew, 3)
    appends: list[int] = []
    real = crew.store.append

    def counted(entries: Any) -> Any:
        appends.append(len(entries))
        return real(entries)

    crew.store.append = counted  # type: ignore[method-assign]
    stored = crew.append_many(user="P1", items=[(r, "note.added", NOTE) for r in records])
    crew.store.append = real  # type: ignore[method-assign]
    assert appends == [3]
    assert [s.seq for s in stored] == list(range(stored[0].seq, stored[0].seq + 3))
    for record, s in zip(records, stored, strict=True):
        assert s.entry.header.record == record
        assert crew.state(record)["items"]["notes"][0]["text"] == NOTE["text"]
        after = crew.append(record=record, user="P1", kind="note.added", data=NOTE)
        assert after.entry.header.parents == (s.entry.id,)  # the batch's entry is the head


@pytest.mark.parametrize(
    ("items", "error", "field"),
    [
        (lambda r: [(r[0], "note.added", NOTE), (r[0], "note.added", NOTE)], FieldInvalid, "items"),
        (lambda r: [(r[0], "patient.recorded", {"sex": "female"})], FieldInvalid, "kind"),
        (lambda r: [(r[0], "medication.administered", {})], FieldInvalid, "kind"),
        (lambda r: [(r[0], "entry.amended", {})], FieldInvalid, "kind"),
        (lambda r: [(r[0], "no.such.kind", {})], FieldInvalid, "kind"),
        (lambda r: [(r[0], "note.added", NOTE), (b"\x01" * 16, "note.added", NOTE)],
         NotFound, None),
        (lambda r: [(r[0], "note.added", NOTE), (r[1], "note.added", {"text": 5})],
         CarechainError, None),
    ],
    ids=["repeated-record", "single-valued", "medication", "amendment", "unknown-kind",
         "unknown-record", "bad-field"],
)
def test_a_refused_batch_stores_nothing(
    crew: Node, items: Any, error: type[CarechainError], field: str | None
) -> None:
    records = _records(crew, 2)
    before = crew.store.count()
    with pytest.raises(error) as raised:
        crew.append_many(user="P1", items=items(records))
    if field is not None:
        assert raised.value.extra.get("field") == field
    assert crew.store.count() == before
    assert crew.append_many(user="P1", items=[]) == []
