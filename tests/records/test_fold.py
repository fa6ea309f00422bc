"""The fold: same entries in any order give the same state; conflicts and amendments show."""

from __future__ import annotations

import hashlib
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from carechain.entries import HLC
from carechain.records.fold import AMENDMENT_KIND, FoldEntry, KindInfo, fold

KINDS = {
    "patient.recorded": KindInfo("patient", multi=False),
    "note.added": KindInfo("notes", multi=True),
}
RECORD = bytes(range(16))


def _entry(
    n: int, parents: tuple[bytes, ...], ms: int, kind: str, data: dict[str, Any], user: str = "P1"
) -> FoldEntry:
    eid = hashlib.sha256(f"{n}".encode()).digest()
    return FoldEntry(
        eid, HLC(ms, 0), parents, "clinical", user, "crew-1", {"kind": kind, "v": 1, "data": data}
    )


@st.composite
def dags(draw: st.DrawFn) -> list[FoldEntry]:
    count = draw(st.integers(1, 14))
    out: list[FoldEntry] = []
    for n in range(count):
        parents = (
            tuple(sorted({out[i].id for i in draw(st.lists(st.integers(0, n - 1), max_size=3))}))
            if n
            else ()
        )
        ms = draw(st.integers(0, 5))  # few distinct times: ties are common
        if draw(st.booleans()):
            data = {draw(st.sampled_from(["given_name", "sex"])): draw(st.sampled_from(["a", "b"]))}
            out.append(_entry(n, parents, ms, "patient.recorded", data))
        elif n and draw(st.booleans()):
            target = out[draw(st.integers(0, n - 1))]
            assert target.body is not None
            inner = target.body["data"] if target.body["kind"] != AMENDMENT_KIND else {"text": "x"}
            amended = {"supersedes": target.id.hex(), "reason": "typo", "data": dict(inner)}
            out.append(_entry(n, (*parents, target.id), ms, AMENDMENT_KIND, amended))
        else:
            out.append(_entry(n, parents, ms, "note.added", {"text": f"note {n}"}))
    return out


@settings(max_examples=300, deadline=None)
@given(dags(), st.randoms(use_true_random=False))
def test_fold_does_not_depend_on_delivery_order(entries: list[FoldEntry], rnd: Any) -> None:
    expected = fold(RECORD, entries, KINDS)
    shuffled = list(entries)
    rnd.shuffle(shuffled)
    assert fold(RECORD, shuffled, KINDS) == expected


def test_concurrent_single_valued_writes_are_a_conflict_with_both_values() -> None:
    opened = _entry(0, (), 1, "note.added", {"text": "opened"})
    a = _entry(1, (opened.id,), 2, "patient.recorded", {"given_name": "John"}, user="P1")
    b = _entry(2, (opened.id,), 3, "patient.recorded", {"given_name": "Jon"}, user="P2")
    state = fold(RECORD, [opened, a, b], KINDS)
    [conflict] = state["conflicts"]
    assert conflict["section"] == "patient" and conflict["field"] == "given_name"
    assert {(v["user"], v["value"]) for v in conflict["values"]} == {("P1", "John"), ("P2", "Jon")}
    # A later entry that has seen both settles it.
    c = _entry(3, (a.id, b.id), 4, "patient.recorded", {"given_name": "John"})
    settled = fold(RECORD, [opened, a, b, c], KINDS)
    assert settled["conflicts"] == []
    assert settled["sections"]["patient"]["given_name"] == "John"


def test_sequential_writes_are_not_a_conflict() -> None:
    a = _entry(1, (), 2, "patient.recorded", {"given_name": "John"})
    b = _entry(2, (a.id,), 3, "patient.recorded", {"given_name": "Jon"})
    state = fold(RECORD, [b, a], KINDS)
    assert state["conflicts"] == []
    assert state["sections"]["patient"]["given_name"] == "Jon"


def test_amendment_supersedes_in_place_and_keeps_the_original_in_history() -> None:
    a = _entry(1, (), 2, "note.added", {"text": "GCS 13"})
    fix = _entry(
        2,
        (a.id,),
        3,
        AMENDMENT_KIND,
        {"supersedes": a.id.hex(), "reason": "wrong patient", "data": {"text": "GCS 15"}},
    )
    state = fold(RECORD, [fix, a], KINDS)
    [note] = state["items"]["notes"]
    assert note["text"] == "GCS 15" and note["amended_by"] == fix.id.hex()
    original = next(h for h in state["history"] if h["entry"] == a.id.hex())
    assert original["data"] == {"text": "GCS 13"}
    assert original["superseded_by"] == [fix.id.hex()]
    amendment = next(h for h in state["history"] if h["entry"] == fix.id.hex())
    assert amendment["data"]["reason"] == "wrong patient"


def test_two_concurrent_amendments_of_one_entry_are_a_conflict() -> None:
    a = _entry(1, (), 2, "note.added", {"text": "x"})
    f1 = _entry(
        2,
        (a.id,),
        3,
        AMENDMENT_KIND,
        {"supersedes": a.id.hex(), "reason": "r", "data": {"text": "y"}},
    )
    f2 = _entry(
        3,
        (a.id,),
        3,
        AMENDMENT_KIND,
        {"supersedes": a.id.hex(), "reason": "r", "data": {"text": "z"}},
    )
    state = fold(RECORD, [a, f1, f2], KINDS)
    assert [c["section"] for c in state["conflicts"]] == ["amendment"]
