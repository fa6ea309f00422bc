"""Hub, crew and hospital processes killed with SIGKILL mid-push and mid-pull, at random:
after restart and resync every acknowledged entry is everywhere it should be, nothing is
duplicated, and every store verifies clean."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from carechain.node import Node
from carechain.node.verify import verify_node
from carechain.sync.client import sync_with
from carechain.sync.heads import HeadKeeper
from carechain.testing import Trust, make_node

KILLS = 50
SECRET = "operator-secret"
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Proc:
    """A restartable child process."""

    def __init__(self, args: list[str]) -> None:
        self.args = args
        self.proc: subprocess.Popen[str] | None = None
        self.acked: list[str] = []

    def start(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "CARECHAIN_SECRET": SECRET}
        self.proc = subprocess.Popen(
            self.args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True
        )

    def kill(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        self.proc.send_signal(signal.SIGKILL)
        out = self.proc.stdout.read()
        self.proc.wait()
        self.acked += [line for line in out.split("\n")[:-1] if len(line) == 64]


def _wait_up(url: str) -> None:
    deadline = time.monotonic() + 60  # generous: the machine may be busy
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise AssertionError("hub did not start")


def test_sigkill_during_sync_loses_and_duplicates_nothing(tmp_path: Path, trust: Trust) -> None:
    dirs = {n: tmp_path / n for n in ("hub", "crew", "hospital")}
    make_node(dirs["hub"], trust, role="hub", name="hub", secret=SECRET).close()
    make_node(dirs["crew"], trust, name="crew-1", secret=SECRET).close()
    make_node(dirs["hospital"], trust, role="hospital", name="hospital-a", secret=SECRET).close()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    hub = Proc(
        [sys.executable, "-m", "carechain", "serve", "--dir", str(dirs["hub"]), "--port", str(port)]
    )
    crew = Proc([sys.executable, "-m", "tests.sync.actors", "crew", str(dirs["crew"]), SECRET, url])
    hospital = Proc(
        [sys.executable, "-m", "tests.sync.actors", "hospital", str(dirs["hospital"]), SECRET, url]
    )
    hub.start()
    _wait_up(url)
    for name in ("hospital", "crew"):  # introduce everyone through the hub
        node = Node.open(dirs[name], SECRET)
        with httpx.Client(base_url=url) as http:
            sync_with(node, http)
        node.close()
    crew.start()
    hospital.start()
    rnd = random.Random(1807)
    procs = {"hub": hub, "crew": crew, "hospital": hospital}
    try:
        for _ in range(KILLS):
            time.sleep(rnd.uniform(0.1, 0.5))
            victim = procs[rnd.choice(["hub", "crew", "crew", "hospital", "hospital"])]
            victim.kill()
            victim.start()
            if victim is hub:
                _wait_up(url)
    finally:
        for p in procs.values():
            p.kill()
    # Restart the hub alone and resync everyone to the end.
    hub.start()
    _wait_up(url)
    nodes = {n: Node.open(dirs[n], SECRET) for n in ("crew", "hospital")}
    try:
        with httpx.Client(base_url=url, timeout=30) as http:
            for name in ("crew", "hospital", "crew", "hospital"):
                sync_with(nodes[name], http)
        hub.kill()
        hub_node = Node.open(dirs["hub"], SECRET)
        crew_node, hospital_node = nodes["crew"], nodes["hospital"]
        crew_ids = {s.entry.id for s in crew_node.store.since(0, 10**6)}
        acked = {bytes.fromhex(a) for a in crew.acked}
        assert len(acked) > KILLS
        assert acked <= crew_ids, "the crew lost acknowledged entries"
        hub_ids = [s.entry.id for s in hub_node.store.since(0, 10**6)]
        assert len(hub_ids) == len(set(hub_ids)) == hub_node.store.count()
        assert [s.seq for s in hub_node.store.since(0, 10**6)] == list(range(1, len(hub_ids) + 1))
        assert crew_ids <= set(hub_ids)
        # A crew killed between opening a record and addressing it leaves a record that
        # was never addressed to the hospital: it must never reach it. Every record the
        # crew did address must reach it whole.
        hospital_key = hospital_node.keys.box_key_id
        addressed = set(crew_node.store.granted_between(hospital_key, 0, 2**62))
        crew_records = {r.record for r in crew_node.store.records()} - {bytes(16)}
        hospital_ids = {s.entry.id for s in hospital_node.store.since(0, 10**6)}
        acked_records = set(crew_node.store.records_of(sorted(acked)).values())
        assert acked_records <= addressed, "the crew acknowledged a note in an unaddressed record"
        assert crew_records - addressed, "the crew left no unaddressed record to keep back"
        for record in crew_records:
            held = {s.entry.id for s in crew_node.store.record(record)}
            if record in addressed:
                assert held <= hospital_ids, "an addressed record did not reach the hospital"
            else:
                assert not held & hospital_ids, "an unaddressed record reached the hospital"
        for node in (crew_node, hospital_node, hub_node):
            assert verify_node(node) == []
        # No node raised an integrity alert: a crashed hub is not a lying hub.
        assert HeadKeeper(crew_node.store, crew_node.directory).alerts() == []
        assert HeadKeeper(hospital_node.store, hospital_node.directory).alerts() == []
        hub_node.close()
    finally:
        for n in nodes.values():
            n.close()
