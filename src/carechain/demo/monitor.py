"""A simulated patient monitor: one `vitals.frame` a second into a crew record.

The patient deteriorates plausibly over about ten minutes (a STEMI sliding towards
cardiogenic shock): heart rate rising 96 → 138, SpO2 falling 96 → 87 %, respiratory rate
rising 20 → 30, systolic pressure falling 118 → 84 mmHg; with a little beat-to-beat noise.
Every two minutes the crew also records a full observation set, so NEWS2 trends upward.
"""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime

from carechain.node import Node

__all__ = ["Monitor", "vitals_at"]

RAMP_S = 600.0


def _lerp(start: float, end: float, t: float) -> float:
    return start + (end - start) * min(1.0, max(0.0, t))


def vitals_at(seconds: float, rnd: random.Random) -> dict[str, int]:
    """Return the monitor's reading `seconds` after it was attached."""
    t = seconds / RAMP_S
    return {
        "heart_rate": round(_lerp(96, 138, t) + rnd.uniform(-2, 2)),
        "spo2": round(_lerp(96, 87, t) + rnd.uniform(-0.6, 0.6)),
        "respiratory_rate": round(_lerp(20, 30, t) + rnd.uniform(-1, 1)),
        "systolic_bp": round(_lerp(118, 84, t) + rnd.uniform(-2, 2)),
        "diastolic_bp": round(_lerp(76, 52, t) + rnd.uniform(-2, 2)),
    }


class Monitor:
    """Write frames into a record until stopped."""

    def __init__(
        self,
        node: Node,
        record: bytes,
        user: str,
        *,
        period_s: float = 1.0,
        obs_every_s: float = 120.0,
        seed: int = 412,
    ) -> None:
        self.node = node
        self.record = record
        self.user = user
        self.period_s = period_s
        self.obs_every_s = obs_every_s
        self.rnd = random.Random(seed)
        self.frames = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="demo-monitor", daemon=True)

    def start(self) -> None:
        """Start writing frames."""
        self._thread.start()

    def stop(self) -> None:
        """Stop and wait."""
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        elapsed = 0.0
        next_obs = self.obs_every_s
        while not self._stop.wait(self.period_s):
            elapsed += self.period_s
            now = datetime.now(UTC).isoformat()
            reading = vitals_at(elapsed, self.rnd)
            self.node.append(
                record=self.record,
                user=self.user,
                kind="vitals.frame",
                data={"at": now, "source": "monitor-412", **reading},
            )
            self.frames += 1
            if elapsed >= next_obs:
                next_obs += self.obs_every_s
                self.node.append(
                    record=self.record,
                    user=self.user,
                    kind="observation.recorded",
                    data={
                        "taken_at": now,
                        "respiratory_rate": reading["respiratory_rate"],
                        "spo2": reading["spo2"],
                        "oxygen": False,
                        "systolic_bp": reading["systolic_bp"],
                        "diastolic_bp": reading["diastolic_bp"],
                        "pulse": reading["heart_rate"],
                        "acvpu": "A",
                        "temperature_c": 36.9,
                    },
                )
