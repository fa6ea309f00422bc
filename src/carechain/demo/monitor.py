"""A simulated patient monitor that speaks IHE PCD-01 (HL7 v2.6 `ORU^R01`) over MLLP to
the crew node's listener, one message a second, as a real monitor's HL7 output would.

The patient deteriorates plausibly over about ten minutes (a STEMI sliding towards
cardiogenic shock): heart rate rising 96 → 138, SpO2 falling 96 → 87 %, respiratory rate
rising 20 → 30, systolic pressure falling 118 → 84 mmHg; with a little beat-to-beat noise.
Every two minutes the crew also records a full observation set, so NEWS2 trends upward.
The monitor's readings reach the record only because the crew attached it (`devices.md`).
"""

from __future__ import annotations

import random
import socket
import threading
from datetime import UTC, datetime

from carechain.devices import frame
from carechain.node import Node

__all__ = ["MONITOR_APP", "Monitor", "pcd01_message", "vitals_at"]

RAMP_S = 600.0
# MSH-3 of the simulated monitor: the name the crew attaches.
MONITOR_APP = "DEMO_MONITOR_412^0012340000000412^EUI-64"
# (MDC code, name, OBX-4 metric id, unit code, unit name) of each reading it sends.
_METRICS = {
    "heart_rate": (147842, "MDC_ECG_CARD_BEAT_RATE", "1.2.1.1", 264864, "MDC_DIM_BEAT_PER_MIN"),
    "respiratory_rate": (151562, "MDC_RESP_RATE", "1.2.1.2", 264928, "MDC_DIM_RESP_PER_MIN"),
    "spo2": (150456, "MDC_PULS_OXIM_SAT_O2", "1.3.1.1", 262688, "MDC_DIM_PERCENT"),
    "systolic_bp": (150021, "MDC_PRESS_BLD_NONINV_SYS", "1.1.1.1", 266016, "MDC_DIM_MMHG"),
    "diastolic_bp": (150022, "MDC_PRESS_BLD_NONINV_DIA", "1.1.1.2", 266016, "MDC_DIM_MMHG"),
}
_DEVICES = (
    ("69965^MDC_DEV_MON_PHYSIO_MULTI_PARAM_MDS^MDC", "1.0.0.0"),
    ("70686^MDC_DEV_PRESS_BLD_NONINV_VMD^MDC", "1.1.0.0"),
    ("70687^MDC_DEV_PRESS_BLD_NONINV_CHAN^MDC", "1.1.1.0"),
    ("4262^MDC_DEV_ECG_VMD^MDC", "1.2.0.0"),
    ("4263^MDC_DEV_ECG_CHAN^MDC", "1.2.1.0"),
    ("69642^MDC_DEV_ANALY_SAT_O2_VMD^MDC", "1.3.0.0"),
    ("70771^MDC_DEV_ANALY_PERF_REL_CHAN^MDC", "1.3.1.0"),
)


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


def pcd01_message(reading: dict[str, int], at: datetime, seq: int) -> bytes:
    """Return one PCD-01 observation report: the device tree (MDS, VMDs, channels) and a
    metric OBX per reading, each with its MDC code and unit."""
    stamp = at.astimezone(UTC).strftime("%Y%m%d%H%M%S+0000")
    control = f"DEMO412-{seq:08d}"
    segments = [
        f"MSH|^~\\&|{MONITOR_APP}|Demo ambulance 412|||{stamp}||ORU^R01^ORU_R01|{control}|P|"
        "2.6|||AL|NE||UNICODE UTF-8|||IHE_PCD_001^IHE PCD^1.3.6.1.4.1.19376.1.6.1.1.1^ISO",
        f"OBR|1||{control}|69965^MDC_DEV_MON_PHYSIO_MULTI_PARAM_MDS^MDC|||{stamp}",
    ]
    rows = [(ident, sub, "ST", "", "", "X") for ident, sub in _DEVICES]
    for name, number in reading.items():
        code, text, sub, unit_code, unit_text = _METRICS[name]
        rows.append((f"{code}^{text}^MDC", sub, "NM", str(number), f"{unit_code}^{unit_text}^MDC",
                     "R"))
    rows.sort(key=lambda r: [int(p) for p in r[1].split(".")])
    for n, (ident, sub, kind, value, unit, status) in enumerate(rows, 1):
        when = stamp if kind == "NM" else ""
        segments.append(f"OBX|{n}|{kind}|{ident}|{sub}|{value}|{unit}|||||{status}|||{when}")
    return ("\r".join(segments) + "\r").encode()


class Monitor:
    """Send a reading a second to the crew node's MLLP listener until stopped; every two
    minutes write the crew's full observation set into the record."""

    def __init__(
        self,
        address: tuple[str, int],
        node: Node,
        record: bytes,
        user: str,
        *,
        period_s: float = 1.0,
        obs_every_s: float = 120.0,
        seed: int = 412,
    ) -> None:
        self.address = address
        self.node = node
        self.record = record
        self.user = user
        self.period_s = period_s
        self.obs_every_s = obs_every_s
        self.rnd = random.Random(seed)
        self.frames = 0
        self.refused = 0
        self._sock: socket.socket | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="demo-monitor", daemon=True)

    def start(self) -> None:
        """Start sending."""
        self._thread.start()

    def stop(self) -> None:
        """Stop and wait."""
        self._stop.set()
        self._thread.join(5)

    def _send(self, message: bytes) -> bool:
        """Send one message and wait for its ACK; reconnect next time if the link drops."""
        try:
            if self._sock is None:
                self._sock = socket.create_connection(self.address, timeout=10)
            self._sock.sendall(frame(message))
            answer = b""
            while not answer.endswith(b"\x1c\r"):
                chunk = self._sock.recv(4096)
                if not chunk:
                    raise ConnectionError("the listener closed the connection")
                answer += chunk
        except OSError:
            if self._sock is not None:
                self._sock.close()
            self._sock = None
            return False
        return b"\rMSA|AA|" in answer

    def _run(self) -> None:
        elapsed = 0.0
        next_obs = self.obs_every_s
        while not self._stop.wait(self.period_s):
            elapsed += self.period_s
            at = datetime.now(UTC).replace(microsecond=0)
            reading = vitals_at(elapsed, self.rnd)
            if self._send(pcd01_message(reading, at, int(elapsed))):
                self.frames += 1
            else:
                self.refused += 1
            if elapsed >= next_obs:
                next_obs += self.obs_every_s
                self.node.append(
                    record=self.record,
                    user=self.user,
                    kind="observation.recorded",
                    data={
                        "taken_at": at.isoformat(),
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
        if self._sock is not None:
            self._sock.close()
