"""SIGKILL during `carechain hub rebuild`, then the same command again: nothing lost,
nothing stored twice, every node's head proven (a subprocess, killed at random points)."""

from __future__ import annotations

import itertools
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from carechain.node import NodeHome
from carechain.testing import Trust
from tests.recovery.support import hub_ids, serve_hub, wipe_hub
from tests.sync.harness import document_stemi, standard_chain
from tests.sync.hostile import HUB_SECRET, alerts

ROOT = Path(__file__).resolve().parents[2]
KILLS = 2


def _rebuild_cli(home: Path, report: Path) -> list[str]:
    return [
        sys.executable, "-m", "carechain", "hub", "rebuild", "--dir", str(home / "hub"),
        "--from", str(home / "vault"), "--from", str(home / "hospital-a"),
        "--from", str(home / "crew-1"), "--secret", HUB_SECRET, "--batch", "4",
        "--report", str(report),
    ]  # fmt: skip


def _ids(store_file: Path) -> list[bytes]:
    """Return the ids in the hub's log as committed so far (none before it exists)."""
    try:
        db = sqlite3.connect(f"file:{store_file}?mode=ro", uri=True, timeout=0.1)
        try:
            return [bytes(r[0]) for r in db.execute("SELECT id FROM entries ORDER BY seq")]
        finally:
            db.close()
    except sqlite3.Error:
        return []


def _count(store_file: Path) -> int:
    return len(_ids(store_file))


@pytest.mark.slow
def test_sigkill_during_a_rebuild_then_run_it_again(tmp_path: Path, trust: Trust) -> None:
    chain = standard_chain(tmp_path, trust)
    try:
        for _ in range(2):
            document_stemi(chain)
        for name in ("crew-1", "hospital-a", "vault"):
            chain.sync(name, "hub")
        before = hub_ids(chain.nodes["hub"])
        wipe_hub(chain, tmp_path)
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        store = NodeHome(tmp_path / "hub").store_file
        rnd = random.Random(20261203)
        report = tmp_path / "rebuild.json"
        seen: list[int] = []
        for _ in range(KILLS):
            proc = subprocess.Popen(
                _rebuild_cli(tmp_path, report), env=env,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            start = _count(store)
            deadline = time.monotonic() + 60
            goal = start + rnd.randint(1, 12)
            while _count(store) < goal and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.005)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            held = _ids(store)
            assert held == before[: len(held)]  # a prefix of the old log, each entry once
            seen.append(len(held))
        # Each kill left a prefix of the old log, longer each time: killed mid-rebuild.
        assert all(0 < a <= b < len(before) for a, b in itertools.pairwise(seen)), seen
        done = subprocess.run(_rebuild_cli(tmp_path, report), env=env, capture_output=True,
                              text=True, timeout=120)  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        assert "complete: every head proven" in done.stdout
        hub = serve_hub(chain, tmp_path)
        assert hub_ids(hub) == before
        for name in ("crew-1", "hospital-a", "vault"):
            chain.sync(name, "hub")
            assert alerts(chain.nodes[name]) == []
    finally:
        chain.close()
