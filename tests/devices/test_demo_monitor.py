"""The demo's simulated monitor speaks PCD-01 over MLLP: its messages parse to the readings
it meant, and a running monitor's readings reach the record through the listener."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime

from carechain.demo.monitor import MONITOR_APP, Monitor, pcd01_message, vitals_at
from carechain.devices import default_map, parse_report
from tests.devices.conftest import Crew


def test_a_demo_message_is_pcd01_that_maps_to_its_reading() -> None:
    reading = vitals_at(300, random.Random(1))
    at = datetime(2026, 12, 3, 10, 0, 0, tzinfo=UTC)
    report = parse_report(pcd01_message(reading, at, 7), default_map())
    assert report.monitor == MONITOR_APP and report.control_id == "DEMO412-00000007"
    assert report.unknown == []
    assert report.frames == [{**reading, "at": "2026-12-03T10:00:00+00:00",
                              "source": MONITOR_APP}]


def test_a_running_demo_monitor_reaches_the_record(crew: Crew) -> None:
    crew.monitors.attach(crew.actor, crew.record, MONITOR_APP)
    monitor = Monitor(("127.0.0.1", crew.listener.port), crew.node, crew.record, "P1",
                      period_s=0.05, obs_every_s=3600)
    monitor.start()
    deadline = time.monotonic() + 20
    while monitor.frames < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    monitor.stop()
    assert monitor.frames >= 5 and monitor.refused == 0
    frames = crew.frames()
    assert len(frames) == monitor.frames
    assert {f["source"] for f in frames} == {MONITOR_APP}
    assert {f["author"] for f in frames} == {"P1"}
