"""A burst of entries while a node both follows a hub live and runs sync rounds with it:
the two accept the hub's heads independently, and neither may turn the other's head into
a false integrity alert (hazard H-202)."""

from __future__ import annotations

import asyncio
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carechain.app import create_app
from carechain.node import Node
from carechain.sync.client import sync_with
from carechain.sync.follow import follow
from carechain.sync.heads import HeadKeeper
from carechain.sync.live import LiveHub
from carechain.testing import ServedApp, Trust
from tests.sync.harness import hub_crew_hospital

NOTE_CHARS = 3000  # about 3 KB of free text an entry, as a long handover note


@dataclass
class Outcome:
    """What the follower ended with."""

    alerts: list[dict[str, Any]]
    failure: BaseException | None
    missing: int  # entries of the crew's record the follower does not hold
    left: int  # bursts never written (the stream stalled before them)


def _burst(crew: Node, record: bytes, size: int, round_no: int) -> None:
    """Write `size` notes of about 3 KB in one unit of work."""
    with crew.unit() as unit:
        for i in range(size):
            text = (f"round {round_no} note {i} " * 200)[:NOTE_CHARS]
            crew.append(record=record, user="P1", kind="note.added", data={"text": text}, uow=unit)


class _Gate:
    """Holds the hub's live dispatcher before it signs a head, as a busy hub would be."""

    def __init__(self) -> None:
        self.open = threading.Event()
        self.open.set()


def _burst_while_following(
    nodes: dict[str, Node], bursts: Sequence[int], extra: int, hold: bool, gate: _Gate
) -> Outcome:
    """Follow the hub from the hospital; while the hospital stores each live message, the
    crew writes its next burst in one unit of work and pushes it, the hospital's own sync
    round accepts the hub's newer head, and `extra` more entries reach the hub, the live
    dispatcher held meanwhile if `hold` (so the round's head is one the stream never sends)."""
    hub, crew, hospital = nodes["hub"], nodes["crew"], nodes["hospital"]
    served = ServedApp(create_app(hub))
    try:
        with httpx.Client(base_url=served.url) as http:
            sync_with(hospital, http)
            sync_with(crew, http)
            record, _ = crew.open_record(user="P1", data={"callsign": "RRV-1"})
            crew.address_to(record=record, user="P1", node_name="hospital-a")
            sync_with(crew, http)
        pending = list(bursts)
        lock = threading.Lock()
        real_ingest = hospital.ingest
        inside = threading.local()

        def ingest(entries: Any, **kwargs: Any) -> Any:
            results = real_ingest(entries, **kwargs)
            if getattr(inside, "round", False):
                return results  # the hospital's own round, started below
            with lock:
                size = pending[0] if pending else 0
            if not size:
                return results
            if hold:
                gate.open.clear()
            try:
                _burst(crew, record, size, len(bursts) - len(pending))
                with httpx.Client(base_url=served.url) as own:
                    sync_with(crew, own)
                    inside.round = True
                    try:
                        sync_with(hospital, own)
                    finally:
                        inside.round = False
                    for i in range(extra):
                        crew.append(
                            record=record, user="P1", kind="note.added", data={"text": f"+{i}"}
                        )
                    if extra:
                        sync_with(crew, own)
            finally:
                gate.open.set()
                with lock:
                    pending.pop(0)
            return results

        hospital.ingest = ingest  # type: ignore[method-assign]

        def missing() -> int:
            want = {s.entry.id for s in crew.store.record(record)}
            return len(want - {s.entry.id for s in hospital.store.record(record)})

        async def scenario() -> BaseException | None:
            stop = asyncio.Event()
            task = asyncio.create_task(
                follow(hospital, served.url, hub.keys.key_id.hex(), stop=stop)
            )
            deadline = time.monotonic() + 60
            while (pending or missing()) and not task.done() and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            stop.set()
            try:
                await asyncio.wait_for(task, 10)
            except Exception as exc:  # the follower's failure, in the outcome
                return exc
            return None

        failure = asyncio.run(scenario())
        hospital.ingest = real_ingest  # type: ignore[method-assign]
        alerts = [a.to_dict() for a in HeadKeeper(hospital.store, hospital.directory).alerts()]
        return Outcome(alerts, failure, missing(), len(pending))
    finally:
        gate.open.set()
        served.stop()


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> _Gate:
    """The hub's live dispatcher, made to wait at its gate before it signs a head."""
    held = _Gate()
    real_prove = LiveHub._prove

    def prove(self: LiveHub, seqs: set[int], knowns: set[int]) -> Any:
        held.open.wait(30)
        return real_prove(self, seqs, knowns)

    monkeypatch.setattr(LiveHub, "_prove", prove)
    return held


@pytest.fixture
def nodes(tmp_path: Path, trust: Trust) -> Iterator[dict[str, Node]]:
    yield from hub_crew_hospital(tmp_path, trust)


@pytest.mark.parametrize("bursts", [(80, 80, 80), (1, 80, 7)], ids=["3x80", "1-80-7"])
def test_a_round_accepting_heads_during_a_live_burst_raises_no_alert(
    nodes: dict[str, Node], bursts: tuple[int, ...], gate: _Gate
) -> None:
    """The follower's round takes a head the stream never sends, then one more entry
    reaches the hub: the stream's next head, proven from the largest head the hub sent on
    the stream, is still accepted, and every entry arrives."""
    outcome = _burst_while_following(nodes, bursts, extra=1, hold=True, gate=gate)
    assert outcome.alerts == []
    assert outcome.failure is None
    assert (outcome.missing, outcome.left) == (0, 0)


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    bursts=st.lists(st.integers(1, 80), min_size=1, max_size=3),
    extra=st.integers(0, 3),
    hold=st.booleans(),
)
def test_bursts_of_any_size_and_timing_raise_no_alert(
    trust: Trust, gate: _Gate, bursts: list[int], extra: int, hold: bool
) -> None:
    """Whatever the bursts' sizes, whether more entries follow the round and whether the
    hub's dispatcher is slower than the round: no alert, nothing lost."""
    with tempfile.TemporaryDirectory() as tmp:
        made = hub_crew_hospital(Path(tmp), trust)
        nodes = next(made)
        try:
            outcome = _burst_while_following(nodes, bursts, extra, hold, gate)
        finally:
            next(made, None)
    assert outcome.alerts == []
    assert outcome.failure is None
    assert (outcome.missing, outcome.left) == (0, 0)
