"""The background loop streams to a hub: an entry written on the crew reaches the hub at
once over the push stream, without a whole sync round per entry; a peer that is not a hub
or vault still gets rounds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from carechain.app import create_app
from carechain.node import Node
from carechain.sync.loop import PeerStatus, SyncLoop
from carechain.testing import ServedApp, Trust
from tests.sync.harness import hub_crew_hospital, wait_until


@pytest.fixture
def nodes(tmp_path: Path, trust: Trust) -> Iterator[dict[str, Node]]:
    yield from hub_crew_hospital(tmp_path, trust)


def _counting(loop: SyncLoop) -> list[str]:
    rounds: list[str] = []
    real = loop.sync_peer

    def counted(status: PeerStatus) -> None:
        rounds.append(status.url)
        real(status)

    loop.sync_peer = counted  # type: ignore[method-assign]
    return rounds


def test_entries_reach_the_hub_over_the_stream_without_a_round_each(
        nodes: dict[str, Node]) -> None:
    hub, crew = nodes["hub"], nodes["crew"]
    served = ServedApp(create_app(hub))
    loop = SyncLoop(crew, (served.url,), interval=60)
    rounds = _counting(loop)
    loop.start()
    try:
        wait_until(lambda: loop.pushers[served.url].connected and len(rounds) >= 1)
        before = len(rounds)
        record, _ = crew.open_record(user="P1", data={"callsign": "RRV-1"})
        for n in range(20):
            crew.append(record=record, user="P1", kind="vitals.frame",
                        data={"at": f"2026-11-26T09:00:{n:02d}+00:00", "heart_rate": 80 + n})
        written = [s.entry for s in crew.store.record(record)]
        wait_until(lambda: all(hub.store.get(e.id) is not None for e in written))
        wait_until(lambda: all(crew.store.get_meta(f"at-hub:{e.hex}") is not None for e in written))
        assert len(rounds) - before <= 1  # the stream carried them, not a round per entry
    finally:
        loop.stop()
        served.stop()


def test_a_hospital_peer_gets_no_stream_and_rounds_carry_the_record(
        nodes: dict[str, Node]) -> None:
    hospital, crew = nodes["hospital"], nodes["crew"]
    served = ServedApp(create_app(hospital))
    loop = SyncLoop(crew, (served.url,), interval=60)
    rounds = _counting(loop)
    loop.start()
    try:
        wait_until(lambda: loop.peers[served.url].last_ok_ms is not None)  # a first round, done
        crew.ingest([s.entry for s in hospital.store.since(0, 100)])  # the hospital's cert
        record, _ = crew.open_record(user="P1", data={"callsign": "RRV-1"})
        crew.address_to(record=record, user="P1", node_name="hospital-a")
        written = [s.entry for s in crew.store.record(record)]
        wait_until(lambda: all(hospital.store.get(e.id) is not None for e in written))
        assert not loop.pushers[served.url].connected
        assert len(rounds) >= 2  # a new entry started a round, as before
    finally:
        loop.stop()
        served.stop()
