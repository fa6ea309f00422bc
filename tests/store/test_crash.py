"""SIGKILL at random moments loses no acknowledged entry, and the store verifies clean."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from carechain.node import Node
from carechain.node.verify import verify_node
from carechain.testing import Trust, make_node

KILLS = 50
SECRET = "operator-secret"


def test_sigkill_loses_nothing_acknowledged(tmp_path: Path, trust: Trust) -> None:
    path = tmp_path / "crew"
    make_node(path, trust, secret=SECRET).close()
    rnd = random.Random(20231118)
    acknowledged: list[str] = []
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    for _ in range(KILLS):
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.store.writer", str(path), SECRET],
            stdout=subprocess.PIPE,
            env=env,
            text=True,
        )
        assert proc.stdout is not None
        first = proc.stdout.readline()  # the writer is up and has written
        assert first, "writer died before writing"
        acknowledged.append(first.strip())
        time.sleep(rnd.uniform(0.0, 0.15))
        proc.send_signal(signal.SIGKILL)
        rest = proc.stdout.read()
        proc.wait()
        # A line cut off by the kill was never acknowledged.
        acknowledged += rest.split("\n")[:-1]
    node = Node.open(path, SECRET)
    try:
        missing = [a for a in acknowledged if node.store.get(bytes.fromhex(a)) is None]
        assert missing == []
        assert verify_node(node) == []
        assert len(acknowledged) > KILLS
        assert node.store.count() >= len(acknowledged)
    finally:
        node.close()
