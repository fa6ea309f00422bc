"""A hub on PostgreSQL, over a real connection: sync through it, and two hub processes
sharing one database deliver live to a subscriber of the other."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from carechain.app import create_app
from carechain.node import Node
from carechain.node.verify import verify_node
from carechain.sync.client import sync_with
from carechain.sync.follow import follow
from carechain.sync.pusher import StreamPusher
from carechain.testing import ServedApp, Trust, make_node
from tests.store.engines import pg_url

__all__ = ["pg_url"]

SECRET = "operator-secret"
ROOT = Path(__file__).resolve().parents[2]


def test_sync_through_a_postgresql_hub(tmp_path: Path, trust: Trust, pg_url: str) -> None:
    make_node(tmp_path / "hub", trust, role="hub", name="hub", secret=SECRET).close()
    hub = Node.open(tmp_path / "hub", SECRET, store_url=pg_url)
    crew = make_node(tmp_path / "crew", trust, name="crew-1")
    hospital = make_node(tmp_path / "hospital", trust, role="hospital", name="hospital-a")
    client = TestClient(create_app(hub))
    try:
        sync_with(hospital, client)
        sync_with(crew, client)
        record, _ = crew.open_record(user="P1", data={"callsign": "RRV-1"})
        crew.address_to(record=record, user="P1", node_name="hospital-a")
        crew.append(record=record, user="P1", kind="note.added", data={"text": "on PostgreSQL"})
        assert sync_with(crew, client).pushed == 4  # grant, opened, grant to hospital, note
        sync_with(hospital, client)
        assert hospital.state(record)["items"]["notes"][0]["text"] == "on PostgreSQL"
        assert verify_node(hub) == []
        assert hub.store.count() == len({s.entry.id for s in hub.store.since(0, 1000)})
    finally:
        client.close()
        for n in (hub, crew, hospital):
            n.close()


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(hub_dir: Path, port: int, url: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CARECHAIN_SECRET": SECRET}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "carechain",
            "serve",
            "--dir",
            str(hub_dir),
            "--port",
            str(port),
            "--database",
            url,
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(hub_dir.parent / f"hub-{port}.log").open("wb"),
    )


def _up(base: str, log: Path) -> None:
    deadline = time.monotonic() + 60  # generous: the machine may be busy
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.05)
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    raise AssertionError(f"{base} did not start:\n{tail}")


def test_two_hub_processes_share_one_database_and_deliver_live(
    tmp_path: Path, trust: Trust, pg_url: str
) -> None:
    make_node(tmp_path / "hub", trust, role="hub", name="hub", secret=SECRET).close()
    crew = make_node(tmp_path / "crew", trust, name="crew-1")
    hospital = make_node(tmp_path / "hospital", trust, role="hospital", name="hospital-a")
    ports = [_port(), _port()]
    procs = [_serve(tmp_path / "hub", p, pg_url) for p in ports]
    a, b = (f"http://127.0.0.1:{p}" for p in ports)
    try:
        _up(a, tmp_path / f"hub-{ports[0]}.log")
        _up(b, tmp_path / f"hub-{ports[1]}.log")
        with httpx.Client(base_url=b) as hb:
            sync_with(hospital, hb)  # the hospital is introduced through hub process B
        with httpx.Client(base_url=a) as ha:
            sync_with(crew, ha)  # the crew only ever talks to hub process A
            record, _ = crew.open_record(user="P1", data={"callsign": "RRV-1"})
            crew.address_to(record=record, user="P1", node_name="hospital-a")
            sync_with(crew, ha)

            async def scenario() -> list[float]:
                stop = asyncio.Event()
                arrived: list[float] = []
                key = crew.directory.nodes("hub")[0].key_id.hex()
                task = asyncio.create_task(
                    follow(
                        hospital,
                        b,
                        key,
                        stop=stop,
                        on_entries=lambda es: arrived.append(time.monotonic()),
                    )
                )
                await asyncio.sleep(0.5)
                sent = time.monotonic()
                await asyncio.to_thread(
                    crew.append,
                    record=record,
                    user="P1",
                    kind="note.added",
                    data={"text": "via hub A"},
                )
                await asyncio.to_thread(sync_with, crew, ha)
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline and not any(
                    n.get("text") == "via hub A"
                    for n in hospital.state(record)["items"].get("notes", [])
                ):
                    await asyncio.sleep(0.02)
                stop.set()
                await asyncio.wait_for(task, 5)
                return [t - sent for t in arrived]

            delays = asyncio.run(scenario())
        notes = hospital.state(record)["items"]["notes"]
        assert [n["text"] for n in notes] == ["via hub A"]
        assert delays, "nothing arrived over hub B's live stream"
    finally:
        for p in procs:
            p.kill()
            p.wait()
        crew.close()
        hospital.close()


def test_stream_push_to_a_postgresql_hub(tmp_path: Path, trust: Trust, pg_url: str) -> None:
    """The crew's push-on-write stream, into a hub on PostgreSQL over a real socket: every
    entry stored once, each checked against the hub's proofs and marked held."""
    make_node(tmp_path / "hub", trust, role="hub", name="hub", secret=SECRET).close()
    hub = Node.open(tmp_path / "hub", SECRET, store_url=pg_url)
    crew = make_node(tmp_path / "crew", trust, name="crew-1")
    served = ServedApp(create_app(hub))
    try:
        record, _ = crew.open_record(user="P1", data={"callsign": "RRV-1"})
        for n in range(600):  # two messages of 500 and 103, then frames as they come
            crew.append(record=record, user="P1", kind="vitals.frame",
                        data={"at": f"2026-11-26T09:{n // 60:02d}:{n % 60:02d}+00:00",
                              "heart_rate": 70 + n % 50})
        mine = [s.entry for s in crew.store.since(0, 10_000)]

        async def push() -> int:
            pusher = StreamPusher(crew, served.url)
            stop = asyncio.Event()
            task = asyncio.create_task(pusher.run(stop))
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not task.done() and not all(
                    crew.store.get_meta(f"at-hub:{e.hex}") for e in mine):
                await asyncio.sleep(0.05)
            stop.set()
            await asyncio.wait_for(task, 10)
            return pusher.pushed

        pushed = asyncio.run(push())
        assert pushed == len([e for e in mine if e.header.record == record])
        assert all(hub.store.get(e.id) is not None for e in mine)
        assert hub.store.count() == len({s.entry.id for s in hub.store.since(0, 10_000)})
        assert verify_node(hub) == []
    finally:
        served.stop()
        for n in (hub, crew):
            n.close()
