"""Monitor readings fold to one series whether they were written as frames (old logs) or
as chunks split in any way, or a mix of both."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from carechain.entries import HLC
from carechain.records.fold import READING_META, FoldEntry, KindInfo, fold
from carechain.records.kinds import KINDS, validate_body

INFO = {name: KindInfo(spec.section, spec.multi) for name, spec in KINDS.items()}
RECORD = bytes(range(16))
START = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
FIELDS = {
    "heart_rate": st.integers(20, 300),
    "spo2": st.integers(50, 100),
    "respiratory_rate": st.integers(0, 80),
    "systolic_bp": st.integers(40, 300),
    "etco2_kpa": st.sampled_from([3.9, 4.8, 5.25]),
}


@st.composite
def readings(draw: st.DrawFn) -> list[tuple[str, dict[str, Any]]]:
    """(monitor, reading) pairs over an hour, one to three monitors, times may repeat."""
    out = []
    for _ in range(draw(st.integers(1, 40))):
        source = draw(st.sampled_from(["monitor-a", "monitor-b", "monitor-c"]))
        at = START + timedelta(seconds=draw(st.integers(0, 3600)))
        names = draw(st.lists(st.sampled_from(sorted(FIELDS)), min_size=1, unique=True))
        out.append((source, {"at": at.isoformat(), **{n: draw(FIELDS[n]) for n in names}}))
    return out


def _entry(n: int, kind: str, data: dict[str, Any], ms: int) -> FoldEntry:
    body = {"kind": kind, "v": 1, "data": validate_body(kind, data)}
    return FoldEntry(hashlib.sha256(f"{kind}{n}".encode()).digest(), HLC(ms, 0), (), "stream",
                     "P1", "crew-1", body)


def _series(entries: list[FoldEntry]) -> list[dict[str, Any]]:
    items = fold(RECORD, entries, INFO)["items"]
    assert "vitals_chunks" not in items  # chunks are listed only as their readings
    return [{k: v for k, v in item.items() if k not in READING_META}
            for item in items.get("vitals", [])]


def _as_frames(pairs: list[tuple[str, dict[str, Any]]], ms: list[int]) -> list[FoldEntry]:
    return [_entry(n, "vitals.frame", {**r, "source": s}, ms[n % len(ms)])
            for n, (s, r) in enumerate(pairs)]


@st.composite
def chunked(draw: st.DrawFn, pairs: list[tuple[str, dict[str, Any]]]) -> list[FoldEntry]:
    """The same readings as chunks: per monitor, shuffled, cut at random places; some
    left as frames."""
    entries: list[FoldEntry] = []
    for source in sorted({s for s, _ in pairs}):
        mine = draw(st.permutations([r for s, r in pairs if s == source]))
        while mine:
            size = draw(st.integers(1, len(mine)))
            part, mine = mine[:size], mine[size:]
            if size == 1 and draw(st.booleans()):
                entries.append(_entry(len(entries), "vitals.frame", {**part[0], "source": source},
                                      draw(st.integers(0, 10))))
                continue
            data = {"at": part[0]["at"], "source": source, "readings": part}
            entries.append(_entry(len(entries), "vitals.chunk", data, draw(st.integers(0, 10))))
    return draw(st.permutations(entries))


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_readings_split_into_chunks_in_any_way_fold_to_the_series_of_frames(
        data: st.DataObject) -> None:
    pairs = data.draw(readings())
    frames = _series(_as_frames(pairs, data.draw(st.lists(st.integers(0, 10), min_size=1))))
    assert len(frames) == len(pairs)
    assert frames == _series(data.draw(chunked(pairs)))
    times = [datetime.fromisoformat(r["at"]) for r in frames]
    assert times == sorted(times)  # listed by reading time, not by when they were written


def test_a_chunks_readings_carry_its_monitor_and_entry() -> None:
    data = {"at": START.isoformat(), "source": "monitor-a", "readings": [
        {"at": (START + timedelta(seconds=1)).isoformat(), "heart_rate": 90},
        {"at": START.isoformat(), "heart_rate": 88},
    ]}
    chunk = _entry(0, "vitals.chunk", data, 5)
    items = fold(RECORD, [chunk], INFO)["items"]["vitals"]
    assert [i["heart_rate"] for i in items] == [88, 90]
    assert {i["source"] for i in items} == {"monitor-a"}
    assert {i["entry"] for i in items} == {chunk.id.hex()}
    assert sorted(i["reading"] for i in items) == [0, 1]
