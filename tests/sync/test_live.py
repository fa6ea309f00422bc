"""Live delivery over a real WebSocket: each new entry reaches the subscriber as soon as the
hub stores it, and a reconnect resumes without gaps."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from carechain.app import create_app
from carechain.node import Node
from carechain.sync.client import sync_with
from carechain.sync.follow import follow
from carechain.testing import ServedApp, Trust
from tests.sync.harness import hub_crew_hospital


@pytest.fixture
def nodes(tmp_path: Path, trust: Trust) -> Iterator[dict[str, Node]]:
    yield from hub_crew_hospital(tmp_path, trust)


async def _follow_for(node: Node, url: str, key: str, done: object, timeout: float) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(follow(node, url, key, stop=stop))
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:  # type: ignore[operator]
        await asyncio.sleep(0.02)
    stop.set()
    await asyncio.wait_for(task, 5)


def test_entries_stream_to_a_subscriber_and_resume_after_reconnect(nodes: dict[str, Node]) -> None:
    hub, crew, hospital = nodes["hub"], nodes["crew"], nodes["hospital"]
    served = ServedApp(create_app(hub))
    try:
        with httpx.Client(base_url=served.url) as http:
            sync_with(hospital, http)  # introduces the hospital to the hub
            sync_with(crew, http)
            record, _ = crew.open_record(user="P1", data={"callsign": "RRV-1"})
            crew.address_to(record=record, user="P1", node_name="hospital-a")
            for pulse in (88, 96, 104):
                crew.append(
                    record=record,
                    user="P1",
                    kind="observation.recorded",
                    data={"taken_at": "2026-11-26T09:00:00+00:00", "pulse": pulse},
                )
            sync_with(crew, http)
            want = {s.entry.id for s in crew.store.record(record)}
            hub_key = hub.keys.key_id.hex()

            def have() -> set[bytes]:
                return {s.entry.id for s in hospital.store.record(record)}

            asyncio.run(_follow_for(hospital, served.url, hub_key, lambda: want <= have(), 10))
            assert want <= have()
            # Disconnected: more entries arrive at the hub; the next connection gets them all.
            crew.append(record=record, user="P1", kind="note.added", data={"text": "missed"})
            sync_with(crew, http)
            want = {s.entry.id for s in crew.store.record(record)}
            asyncio.run(_follow_for(hospital, served.url, hub_key, lambda: want <= have(), 10))
            assert want <= have()
            notes = hospital.state(record)["items"]["notes"]
            assert [n["text"] for n in notes] == ["missed"]
    finally:
        served.stop()


def test_live_stream_delivers_while_connected(nodes: dict[str, Node]) -> None:
    hub, crew, hospital = nodes["hub"], nodes["crew"], nodes["hospital"]
    served = ServedApp(create_app(hub))
    try:
        with httpx.Client(base_url=served.url) as http:
            sync_with(hospital, http)
            sync_with(crew, http)
            record, _ = crew.open_record(user="P1", data={"callsign": "RRV-1"})
            crew.address_to(record=record, user="P1", node_name="hospital-a")
            sync_with(crew, http)

            async def scenario() -> list[int]:
                stop = asyncio.Event()
                seen: list[int] = []
                task = asyncio.create_task(
                    follow(
                        hospital,
                        served.url,
                        hub.keys.key_id.hex(),
                        stop=stop,
                        on_entries=lambda es: seen.append(len(es)),
                    )
                )
                await asyncio.sleep(0.3)
                for pulse in range(60, 70):
                    await asyncio.to_thread(
                        crew.append,
                        record=record,
                        user="P1",
                        kind="observation.recorded",
                        data={"taken_at": "2026-11-26T09:00:00+00:00", "pulse": pulse},
                    )
                    await asyncio.to_thread(sync_with, crew, http)
                deadline = time.monotonic() + 10
                while (
                    time.monotonic() < deadline
                    and len(hospital.state(record)["items"].get("observations", [])) < 10
                ):
                    await asyncio.sleep(0.02)
                stop.set()
                await asyncio.wait_for(task, 5)
                return seen

            seen = asyncio.run(scenario())
            assert len(hospital.state(record)["items"]["observations"]) == 10
            assert len(seen) >= 2  # arrived as they were pushed, not in one page at the end
    finally:
        served.stop()
