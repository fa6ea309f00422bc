"""The record's scores and prompts do not depend on the order entries were delivered in."""

from __future__ import annotations

import hashlib
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from carechain.entries import HLC
from carechain.records import build_state
from carechain.records.fold import FoldEntry
from carechain.records.kinds import validate_body

RECORD = bytes(range(16))

observation = st.fixed_dictionaries(
    {
        "taken_at": st.integers(0, 59).map(lambda m: f"2026-11-26T09:{m:02d}:00+00:00"),
        "pulse": st.integers(20, 300),
    },
    optional={
        "respiratory_rate": st.integers(0, 80),
        "spo2": st.integers(50, 100),
        "oxygen": st.booleans(),
        "systolic_bp": st.integers(60, 300),
        "acvpu": st.sampled_from(["A", "C", "V", "P", "U"]),
        "temperature_c": st.integers(300, 420).map(lambda t: t / 10),
    },
).flatmap(
    lambda o: st.one_of(
        st.just(o),
        st.integers(1, 6).map(lambda m: {**o, "gcs_eye": 4, "gcs_verbal": 5, "gcs_motor": m}),
    )
)


def _entry(n: int, parents: tuple[bytes, ...], kind: str, data: dict[str, Any]) -> FoldEntry:
    body = {"kind": kind, "v": 1, "data": validate_body(kind, data)}
    return FoldEntry(
        hashlib.sha256(str(n).encode()).digest(),
        HLC(1000 + n),
        parents,
        "clinical",
        "P1",
        "crew-1",
        body,
    )


@settings(max_examples=100, deadline=None)
@given(st.lists(observation, min_size=1, max_size=6), st.booleans(), st.randoms())
def test_scores_do_not_depend_on_delivery_order(
    obs: list[dict[str, Any]], infection: bool, rnd: Any
) -> None:
    entries = [
        _entry(0, (), "patient.recorded", {"date_of_birth": "1959-03-14", "sex": "male"}),
        _entry(1, (), "history.recorded", {"suspected_infection": infection}),
    ]
    for i, o in enumerate(obs):  # two devices writing concurrently: no parent links
        entries.append(_entry(2 + i, (), "observation.recorded", o))
    expected = build_state(RECORD, entries)
    shuffled = list(entries)
    rnd.shuffle(shuffled)
    got = build_state(RECORD, shuffled)
    assert got["scores"] == expected["scores"]
    assert got["prompts"] == expected["prompts"]
    assert 0 <= got["scores"]["news2"]["aggregate"] <= 20
