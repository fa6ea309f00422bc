"""MLLP throughput: PCD-01 messages from one monitor into one crew record, ACK by ACK.

    .venv/bin/python bench/mllp_throughput.py [--messages 500]

A crew node (SQLite on disk, in a temporary directory) serves its MLLP listener on
127.0.0.1; the demo's simulated monitor message (device tree and five metrics) is sent
`--messages` times over one connection, each waiting for its ACK (as a monitor in
original acknowledgement mode does), then the same number again sent all at once
(a flood) with the ACKs read at the end. Every message's reading is checked and held
through the door, and written in the monitor's `vitals.chunk` (a minute of readings and
one audit entry) when the listener stops. Prints messages per second and the ACK round
trip (p50, p99) of the one-at-a-time run. A real monitor sends one message a second.
"""

from __future__ import annotations

import argparse
import random
import socket
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from carechain.accounts import FAST_FOR_TESTS, AccountStore
from carechain.demo.monitor import MONITOR_APP, pcd01_message, vitals_at
from carechain.devices import MllpListener, Monitors, default_map, frame
from carechain.operations import Actor, Door
from carechain.operations import records as ops
from carechain.operations.door import accounts_key
from carechain.testing import make_node, make_trust


def _ack(sock: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\x1c\r"):
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        node = make_node(home / "crew", make_trust(home / "trust"))
        accounts = AccountStore(home / "crew" / "accounts.db", accounts_key(node),
                                cost=FAST_FOR_TESTS)
        person, _ = accounts.create_person("P1", "Pat Medic", "paramedic", "482913",
                                           node_role="crew", now_ms=node.clock_ms())
        door = Door(node, accounts)
        actor = Actor.person(person, "web")
        with door.unit() as uow:
            record, _ = ops.open_record(door, actor, uow, data={"callsign": "RRV-1"})
        monitors = Monitors(door)
        listener = MllpListener(monitors, default_map(), port=0)
        listener.start()
        monitors.attach(actor, record, MONITOR_APP)
        rnd = random.Random(1)
        now = datetime.now(UTC).replace(microsecond=0)
        messages = [frame(pcd01_message(vitals_at(i, rnd), now, i))
                    for i in range(2 * args.messages)]
        try:
            with socket.create_connection(("127.0.0.1", listener.port)) as sock:
                trips: list[float] = []
                started = time.perf_counter()
                for message in messages[: args.messages]:
                    sent = time.perf_counter()
                    sock.sendall(message)
                    assert b"MSA|AA|" in _ack(sock)
                    trips.append(time.perf_counter() - sent)
                one_by_one = time.perf_counter() - started
                started = time.perf_counter()
                sock.sendall(b"".join(messages[args.messages:]))
                answers = b""
                while answers.count(b"\x1c\r") < args.messages:
                    answers += sock.recv(65536)
                flood = time.perf_counter() - started
                assert answers.count(b"MSA|AA|") == args.messages
        finally:
            listener.stop()
        stored = len(node.state(record)["items"]["vitals"])
        accounts.close()
        node.close()
    trips.sort()
    p99 = trips[min(len(trips) - 1, int(len(trips) * 0.99))]
    print(f"messages: {args.messages} one at a time, {args.messages} flooded; "
          f"frames stored: {stored}")
    print(f"one at a time: {args.messages / one_by_one:,.0f} messages/s; ACK round trip "
          f"p50 {statistics.median(trips) * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms")
    print(f"flood: {args.messages / flood:,.0f} messages/s")


if __name__ == "__main__":
    main()
