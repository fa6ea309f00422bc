"""SIGKILL at random moments never leaves one part of a multi-entry write without the
other: a record's opening without its audit entry, a dose without the override that
allowed it, an observation without the trace of who wrote it."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from carechain.accounts import FAST_FOR_TESTS, AccountStore
from carechain.node import Node
from carechain.node.audit import audit_record, read_audit
from carechain.operations.door import accounts_key
from carechain.testing import Trust, make_node
from carechain.trust import DIRECTORY_RECORD

KILLS = 12
SECRET = "operator-secret"


@pytest.mark.slow
def test_sigkill_never_splits_a_unit_of_work(tmp_path: Path, trust: Trust) -> None:
    path = tmp_path / "crew"
    node = make_node(path, trust, secret=SECRET)
    with AccountStore(path / "accounts.db", accounts_key(node), cost=FAST_FOR_TESTS) as acc:
        acc.create_person("P1", "Sam Smith", "paramedic", "482913", node_role="crew",
                          now_ms=node.clock_ms())
    node.close()
    rnd = random.Random(20261203)
    acknowledged: list[list[str]] = []
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    for _ in range(KILLS):
        proc = subprocess.Popen([sys.executable, "-m", "tests.operations.unit_writer",
                                 str(path), SECRET], stdout=subprocess.PIPE, env=env, text=True)
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("unit "), "writer died before writing"
        acknowledged.append(first.split()[1:])
        time.sleep(rnd.uniform(0.0, 0.3))
        proc.send_signal(signal.SIGKILL)
        rest = proc.stdout.read()
        proc.wait()
        acknowledged += [line.split()[1:] for line in rest.split("\n")[:-1]]
    node = Node.open(path, SECRET)
    try:
        # Every acknowledged unit is whole.
        for unit in acknowledged:
            assert all(node.store.get(bytes.fromhex(e)) is not None for e in unit)
        # Nothing stored is a part of a unit without the rest: per record, each kind written
        # has one audit entry, and each override stands beside its dose.
        audited: Counter[tuple[str, str]] = Counter(
            (e["record"], e["detail"]["kind"]) for e in read_audit(node)
            if e["action"] == "record.write"
        )
        written: Counter[tuple[str, str]] = Counter()
        overrides: Counter[str] = Counter()
        for summary in node.store.records():
            if summary.record in (audit_record(node), DIRECTORY_RECORD):
                continue
            state = node.state(summary.record)
            for h in state["history"]:
                if h["kind"] == "safety.override":
                    overrides[summary.record.hex()] += 1
                elif h["kind"] is not None:
                    written[(summary.record.hex(), h["kind"])] += 1
        assert written and written == audited
        doses = Counter(r for r, k in written.elements() if k == "medication.administered")
        assert overrides == doses
        assert len(acknowledged) > KILLS
    finally:
        node.close()
