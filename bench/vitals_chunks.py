"""Log entries per monitored patient-hour: readings as frames (before) and as chunks (now).

    .venv/bin/python bench/vitals_chunks.py [--minutes 60] [--chunk-s 60]

One crew node (SQLite on disk, in a temporary directory), one record, one monitor sending
a reading a second for `--minutes` minutes (the clock is simulated, so an hour takes
seconds). Before: each reading written as its own `vitals.frame` through the door, with
its audit entry, in a unit of its own (what the MLLP listener did before chunks). Now:
each reading held by `carechain.operations.readings.Readings` and written as one
`vitals.chunk` (and its audit entry) every `--chunk-s` seconds. Prints, for each, the log
entries written, their signed bytes, the time the writes took, and the figures scaled to
a busy trust's day (2,000 patients monitored for 45 minutes each) and month.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from carechain.accounts import FAST_FOR_TESTS, AccountStore
from carechain.node import Node
from carechain.operations import Actor, Door
from carechain.operations import records as ops
from carechain.operations.door import accounts_key
from carechain.operations.readings import Readings
from carechain.testing import make_node, make_trust

PATIENTS_A_DAY = 2000
MINUTES_EACH = 45


def _reading(start: datetime, second: int) -> dict[str, Any]:
    return {"at": (start + timedelta(seconds=second)).isoformat(), "source": "monitor-1",
            "heart_rate": 70 + second % 30, "spo2": 95 + second % 4,
            "respiratory_rate": 16 + second % 5, "systolic_bp": 120, "diastolic_bp": 80}


def _signed_bytes(node: Node, after: int) -> tuple[int, int, int]:
    """Return the entries after `after`, how many are readings (`stream`), their bytes."""
    count, streams, size = 0, 0, 0
    while True:
        page = node.store.since(after, 1000)
        if not page:
            return count, streams, size
        for stored in page:
            count += 1
            streams += stored.entry.header.cls == "stream"
            size += len(stored.entry.signed)
            after = stored.seq


def _run(home: Path, seconds: int, chunk_s: float | None) -> tuple[int, int, int, float]:
    node = make_node(home / "crew", make_trust(home / "trust"))
    accounts = AccountStore(home / "crew" / "accounts.db", accounts_key(node),
                            cost=FAST_FOR_TESTS)
    person, _ = accounts.create_person("P1", "Pat Medic", "paramedic", "482913",
                                       node_role="crew", now_ms=node.clock_ms())
    door = Door(node, accounts)
    actor = Actor.person(person, "web")
    with door.unit() as uow:
        record, _ = ops.open_record(door, actor, uow, data={"callsign": "RRV-1"})
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=seconds + 60)
    before = node.store.count()
    began = time.perf_counter()
    if chunk_s is None:
        for s in range(seconds):
            with door.unit() as uow:
                ops.append(door, actor, uow, record=record, kind="vitals.frame",
                           data=_reading(start, s))
    else:
        now = [0.0]
        readings = Readings(door, every_s=chunk_s, clock=lambda: now[0])
        for s in range(seconds):
            now[0] = float(s)
            readings.add(actor, record, "monitor-1", [_reading(start, s)])
        readings.close()
    took = time.perf_counter() - began
    count, streams, size = _signed_bytes(node, before)
    assert len(node.state(record)["items"]["vitals"]) == seconds
    accounts.close()
    node.close()
    return count, streams, size, took


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=int, default=60)
    parser.add_argument("--chunk-s", type=float, default=60.0)
    args = parser.parse_args()
    seconds = args.minutes * 60
    hours = seconds / 3600
    rows = []
    for name, chunk_s in (("frames (before)", None), (f"chunks of {args.chunk_s:g} s",
                                                       args.chunk_s)):
        with tempfile.TemporaryDirectory() as tmp:
            count, streams, size, took = _run(Path(tmp), seconds, chunk_s)
        per_hour = count / hours
        day = per_hour * PATIENTS_A_DAY * MINUTES_EACH / 60
        rows.append((name, count, streams / hours, per_hour, size / count, size / hours / 1e6,
                     took, day))
    print(f"{seconds} readings (one a second for {args.minutes} min), one monitor, one record")
    print("| storage | entries written | reading entries per monitored hour "
          "| with their audit entries | bytes per entry "
          "| MB per monitored hour | write time (s) | entries a day, busy trust "
          "| entries a month |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, count, streams, per_hour, each, mb, took, day in rows:
        print(f"| {name} | {count:,} | {streams:,.0f} | {per_hour:,.0f} | {each:,.0f} "
              f"| {mb:.2f} | {took:.2f} "
              f"| {day:,.0f} | {day * 30:,.0f} |")


if __name__ == "__main__":
    main()
