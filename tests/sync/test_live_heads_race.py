"""A burst of entries while a node both follows a hub live and runs sync rounds with it:
the two accept the hub's heads independently, and neither may turn the other's head into
a false integrity alert (hazard H-202)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from carechain.app import create_app
from carechain.node import Node
from carechain.sync.client import sync_with
from carechain.sync.follow import follow
from carechain.sync.heads import HeadKeeper
from carechain.sync.live import LiveHub
from carechain.testing import ServedApp, Trust
from tests.sync.harness import hub_crew_hospital

NOTE_CHARS = 3000  # about 3 KB of free text an entry, as a long handover note


@pytest.fixture
def nodes(tmp_path: Path, trust: Trust) -> Iterator[dict[str, Node]]:
    yield from hub_crew_hospital(tmp_path, trust)


def _burst(crew: Node, record: bytes, size: int, round_no: int) -> None:
    """Write `size` notes of about 3 KB in one unit of work."""
    with crew.unit() as unit:
        for i in range(size):
            text = (f"round {round_no} note {i} " * 200)[:NOTE_CHARS]
            crew.append(record=record, user="P1", kind="note.added", data={"text": text}, uow=unit)


def _alerts(node: Node) -> list[dict[str, Any]]:
    return [a.to_dict() for a in HeadKeeper(node.store, node.directory).alerts()]


@pytest.mark.parametrize("bursts", [(80, 80, 80), (1, 80, 7)], ids=["3x80", "1-80-7"])
def test_a_round_accepting_heads_during_a_live_burst_raises_no_alert(
    nodes: dict[str, Node], bursts: tuple[int, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the follower stores each live message of a burst, the crew's next burst reaches
    the hub and the follower's own sync round accepts the hub's newer head, then one more
    entry reaches the hub: the live stream's next head, proven from the head the hub last
    sent on the stream, is still accepted, and every entry arrives."""
    hub, crew, hospital = nodes["hub"], nodes["crew"], nodes["hospital"]
    # A busy hub: its live dispatcher signs its next head only after the round below, so
    # the head the round accepted is one the stream never sends.
    gate = threading.Event()
    gate.set()
    real_prove = LiveHub._prove

    def prove(self: LiveHub, seqs: set[int], knowns: set[int]) -> Any:
        gate.wait(30)
        return real_prove(self, seqs, knowns)

    monkeypatch.setattr(LiveHub, "_prove", prove)
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
                # The follower stores a live message; meanwhile, the crew's next burst
                # reaches the hub and a sync round of the follower accepts a newer head.
                results = real_ingest(entries, **kwargs)
                if getattr(inside, "round", False):
                    return results
                with lock:
                    size = pending[0] if pending else 0
                if size:
                    gate.clear()
                    _burst(crew, record, size, len(bursts) - len(pending))
                    with httpx.Client(base_url=served.url) as own:
                        sync_with(crew, own)
                        inside.round = True
                        try:
                            sync_with(hospital, own)
                        finally:
                            inside.round = False
                        # More reaches the hub before its next live message is proven.
                        crew.append(record=record, user="P1", kind="note.added", data={"text": "x"})
                        sync_with(crew, own)
                    gate.set()
                    with lock:
                        pending.pop(0)
                return results

            hospital.ingest = ingest  # type: ignore[method-assign]

            def done() -> bool:
                want = {s.entry.id for s in crew.store.record(record)}
                return not pending and want <= {s.entry.id for s in hospital.store.record(record)}

            async def scenario() -> BaseException | None:
                stop = asyncio.Event()
                task = asyncio.create_task(
                    follow(hospital, served.url, hub.keys.key_id.hex(), stop=stop)
                )
                deadline = time.monotonic() + 60
                while not done() and not task.done() and time.monotonic() < deadline:
                    await asyncio.sleep(0.05)
                stop.set()
                try:
                    await asyncio.wait_for(task, 10)
                except Exception as exc:  # the follower's failure, asserted below
                    return exc
                return None

            failure = asyncio.run(scenario())
            hospital.ingest = real_ingest  # type: ignore[method-assign]
            gate.set()
            assert _alerts(hospital) == []
            assert failure is None
            assert not pending
            want = {s.entry.id for s in crew.store.record(record)}
            assert want <= {s.entry.id for s in hospital.store.record(record)}
    finally:
        served.stop()
