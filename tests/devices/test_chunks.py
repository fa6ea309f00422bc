"""Monitor readings held and written as signed `vitals.chunk` entries: one a minute per
monitor, before handover, on detach; the tablet's live chart shows them as they arrive;
a crash loses at most the chunk not yet written."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from carechain.accounts import FAST_FOR_TESTS, AccountStore
from carechain.config import Settings
from carechain.errors import FieldInvalid
from carechain.node import Node
from carechain.operations import Actor, Door
from carechain.operations import records as ops
from carechain.operations.door import accounts_key
from carechain.operations.readings import Readings
from carechain.testing import make_node, make_trust
from carechain.web.shared.context import Closing
from carechain.web.shared.vitals import points_of, read_update
from tests.devices.conftest import OURS, Crew
from tests.devices.test_mllp import _send

START = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
SECRET = "operator-secret"  # carechain.testing.make_node's default


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _reading(second: int, hr: int = 80) -> dict[str, Any]:
    return {"at": (START + timedelta(seconds=second)).isoformat(), "heart_rate": hr,
            "spo2": 97, "source": "monitor-a"}


def _kinds(node: Node, record: bytes) -> list[str]:
    return [str(h.get("kind")) for h in node.state(record)["history"] if h.get("kind")]


def _feed(readings: Readings, crew: Crew, clock: Clock, seconds: range) -> None:
    for s in seconds:
        clock.now = float(s)
        readings.add(crew.actor, crew.record, "monitor-a", [_reading(s, 60 + s % 100)])


def test_readings_are_held_then_written_as_one_chunk_a_minute(crew: Crew) -> None:
    clock = Clock()
    readings = Readings(crew.door, clock=clock)
    _feed(readings, crew, clock, range(60))  # a reading a second for a minute
    assert "vitals.chunk" not in _kinds(crew.node, crew.record)
    assert len(readings.pending(crew.record)) == 60
    _feed(readings, crew, clock, range(60, 61))  # the first is now 60 s old: written
    kinds = _kinds(crew.node, crew.record)
    assert kinds.count("vitals.chunk") == 1 and "vitals.frame" not in kinds
    assert readings.pending(crew.record) == []
    vitals = crew.node.state(crew.record)["items"]["vitals"]
    assert [v["at"] for v in vitals] == [_reading(s)["at"] for s in range(61)]
    assert {v["source"] for v in vitals} == {"monitor-a"} and {v["author"] for v in vitals} == {
        "P1"}
    _feed(readings, crew, clock, range(61, 3600))  # the rest of the hour
    readings.close()
    kinds = _kinds(crew.node, crew.record)
    assert kinds.count("vitals.chunk") == 60  # an hour: 60 entries, not 3,600
    assert len(crew.node.state(crew.record)["items"]["vitals"]) == 3600


def test_handover_writes_the_held_readings_first_in_the_same_unit(crew: Crew) -> None:
    clock = Clock()
    readings = Readings(crew.door, clock=clock)
    _feed(readings, crew, clock, range(20))
    before = crew.node.store.count()
    with crew.door.unit() as uow:
        ops.append(crew.door, crew.actor, uow, record=crew.record, kind="disposition.recorded",
                   data={"outcome": "conveyed", "hospital": "Royal Bolton Hospital"})
    assert readings.pending(crew.record) == []
    state = crew.node.state(crew.record)
    assert len(state["items"]["vitals"]) == 20  # everything the crew saw is in the record
    written = [s.entry.id.hex() for s in crew.node.store.since(before, 100)]
    chunk = state["items"]["vitals"][0]["entry"]
    kinds = {h["entry"]: h.get("kind") for h in state["history"] if "entry" in h}
    ordered = [kinds.get(e) for e in written if kinds.get(e)]
    assert ordered.index("vitals.chunk") < ordered.index("disposition.recorded")
    assert chunk in written


def test_a_handover_that_fails_leaves_the_readings_held(crew: Crew) -> None:
    clock = Clock()
    readings = Readings(crew.door, clock=clock)
    _feed(readings, crew, clock, range(10))
    with pytest.raises(FieldInvalid), crew.door.unit() as uow:
        ops.append(crew.door, crew.actor, uow, record=crew.record, kind="disposition.recorded",
                   data={"outcome": "conveyed", "eta": "not a time"})
    assert "vitals.chunk" not in _kinds(crew.node, crew.record)
    assert len(readings.pending(crew.record)) == 10  # held again, none lost
    readings.flush()
    assert len(crew.node.state(crew.record)["items"]["vitals"]) == 10


def test_a_held_reading_wakes_the_live_chart_at_once(crew: Crew) -> None:
    readings = Readings(crew.door)

    async def wait_for_a_reading() -> None:
        woken = asyncio.Event()
        with Closing().waking(crew.node, woken):
            await asyncio.to_thread(readings.add, crew.actor, crew.record, "monitor-a",
                                    [_reading(0)])
            await asyncio.wait_for(woken.wait(), 5)

    asyncio.run(wait_for_a_reading())


def test_detaching_a_monitor_writes_what_it_sent(crew: Crew) -> None:
    assert _send(crew, "variant-flattened.hl7")["code"] == "AA"
    assert "vitals.chunk" not in _kinds(crew.node, crew.record)  # held, not yet written
    assert len(crew.monitors.readings.pending(crew.record)) == 1
    crew.monitors.detach(crew.actor, OURS)
    kinds = _kinds(crew.node, crew.record)
    assert kinds.count("vitals.chunk") == 1 and "vitals.frame" not in kinds
    assert crew.node.state(crew.record)["items"]["vitals"][0]["heart_rate"] == 112


def test_stopping_the_listener_writes_every_held_reading(crew: Crew) -> None:
    assert _send(crew, "variant-flattened.hl7")["code"] == "AA"
    crew.listener.stop()  # as `carechain serve` does on SIGTERM, before the node closes
    kinds = _kinds(crew.node, crew.record)
    assert kinds.count("vitals.chunk") == 1
    assert crew.node.state(crew.record)["items"]["vitals"][0]["heart_rate"] == 112


def test_the_live_chart_shows_held_readings_and_draws_each_once_after_its_chunk(
        crew: Crew) -> None:
    clock = Clock()
    readings = Readings(crew.door, clock=clock)
    cursor = crew.node.store.count()
    _feed(readings, crew, clock, range(5))
    held = read_update(crew.node, crew.record, cursor)
    assert [p["hr"] for p in held.points] == [60, 61, 62, 63, 64]
    readings.flush()
    written = read_update(crew.node, crew.record, cursor)
    assert [p["hr"] for p in written.points] == [60, 61, 62, 63, 64]
    # The same key before and after: the chart (which keeps one point per key) draws each once.
    assert [p["entry"] for p in written.points] == [p["entry"] for p in held.points]


def test_the_chart_draws_the_same_points_from_chunks_as_from_frames(crew: Crew) -> None:
    with crew.door.unit() as uow:
        old, _ = ops.open_record(crew.door, crew.actor, uow, data={"callsign": "RRV-2"})
    for s in range(90):  # a record written before chunks: a frame a reading
        crew.node.append(record=old, user="P1", kind="vitals.frame", data=_reading(s, 60 + s))
    clock = Clock()
    readings = Readings(crew.door, clock=clock)
    for s in range(90):
        clock.now = float(s)
        readings.add(crew.actor, crew.record, "monitor-a", [_reading(s, 60 + s)])
    readings.flush()
    drawn = [points_of(crew.node.state(r)) for r in (old, crew.record)]
    assert [[(p["t"], p["hr"], p["spo2"]) for p in points] for points in drawn] == [
        [((START + timedelta(seconds=s)).isoformat(), 60 + s, 97) for s in range(90)]] * 2
    assert len({p["entry"] for p in drawn[1]}) == 90  # one key a reading: each drawn once


def test_a_chunk_with_a_reading_dated_in_the_future_is_refused_naming_it(crew: Crew) -> None:
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    data = {"at": _reading(0)["at"], "source": "monitor-a", "readings": [
        {"at": _reading(0)["at"], "heart_rate": 80}, {"at": future, "heart_rate": 81}]}
    with pytest.raises(FieldInvalid) as refused:
        crew.node.append(record=crew.record, user="P1", kind="vitals.chunk", data=data)
    assert refused.value.field == "data.readings.1.at"


def test_a_refused_reading_holds_nothing_of_its_message(crew: Crew) -> None:
    clock = Clock()
    readings = Readings(crew.door, clock=clock)
    future = {**_reading(0), "at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}
    with pytest.raises(FieldInvalid):  # the listener answers AE with this
        readings.add(crew.actor, crew.record, "monitor-a", [_reading(1), future])
    assert readings.pending(crew.record) == []


CRASH = textwrap.dedent("""
    import os, sys
    from datetime import datetime, timedelta
    from pathlib import Path
    from carechain.accounts import FAST_FOR_TESTS, AccountStore
    from carechain.node import Node
    from carechain.operations import Actor, Door
    from carechain.operations.door import accounts_key
    from carechain.operations.readings import Readings
    home, record, start = Path(sys.argv[1]), bytes.fromhex(sys.argv[2]), sys.argv[3]
    node = Node.open(home, "operator-secret")
    accounts = AccountStore(home / "accounts.db", accounts_key(node),
                            cost=FAST_FOR_TESTS)
    actor = Actor.person(accounts.person("P1"), "web")
    now = [0.0]
    readings = Readings(Door(node, accounts), clock=lambda: now[0])
    for s in range(90):  # a chunk is written at 60 s; 29 readings are held after it
        now[0] = float(s)
        at = (datetime.fromisoformat(start) + timedelta(seconds=s)).isoformat()
        readings.add(actor, record, "monitor-a", [{"at": at, "heart_rate": 70}])
    print(len(readings.pending(record)), flush=True)
    sys.stdin.read()  # killed here, before the next chunk
""")


def test_a_crash_between_chunks_loses_only_the_readings_held_since_the_last(
        tmp_path: Path) -> None:
    home = tmp_path / "crew"
    node = make_node(home, make_trust(tmp_path / "trust"))
    accounts = AccountStore(home / "accounts.db", accounts_key(node), cost=FAST_FOR_TESTS)
    person = accounts.create_person("P1", "Pat Medic", "paramedic", "482913",
                                    node_role="crew", now_ms=node.clock_ms())[0]
    door = Door(node, accounts)
    with door.unit() as uow:
        record, _ = ops.open_record(door, Actor.person(person, "web"), uow,
                                    data={"callsign": "RRV-1"})
    accounts.close()
    node.close()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-c", CRASH, str(home), record.hex(),
                             START.isoformat()], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            env=env, text=True)
    assert proc.stdout is not None
    held = int(proc.stdout.readline())
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    assert held == 29
    node = Node.open(home, SECRET)
    try:
        vitals = node.state(record)["items"]["vitals"]
        assert len(vitals) == 61  # the written chunk: every reading of it, none half-written
        assert [v["at"] for v in vitals] == [_reading(s)["at"] for s in range(61)]
        assert 90 - len(vitals) == held  # lost: the held readings, under a minute of them
    finally:
        node.close()


@pytest.mark.parametrize("seconds", [0.5, 601.0])
def test_the_chunk_interval_setting_is_checked(seconds: float) -> None:
    with pytest.raises(FieldInvalid) as caught:
        Settings(data_dir=Path("n"), monitor_chunk_s=seconds)
    assert caught.value.field == "monitor_chunk_s"
    assert Settings(data_dir=Path("n"), monitor_chunk_s=10).monitor_chunk_s == 10
    assert Settings(data_dir=Path("n")).monitor_chunk_s == 0  # at once: live per reading
