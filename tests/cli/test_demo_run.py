"""`carechain demo --once --random-ports` (what `bash scripts/demo --once --random-ports`
runs once set up) finishes by itself, and it used all four of issue 16's parts: the CAD's
incident reached the hub's webhook and the crew as an offer, the crew accepted it and the
record opened prefilled, the monitor streamed over MLLP, and the 12-lead attached on the
crew is the one the STEMI pre-alert carries to the hospital; the second crew's trauma job
arrived with its tourniquet, injuries and major-trauma pre-alert."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from carechain.demo.chain import DEMO_SECRET
from carechain.dispatch.held import ACCEPTED, held
from carechain.node import Node
from carechain.node.audit import read_audit


def test_the_demo_runs_dispatch_mllp_and_the_12_lead_and_stops_by_itself(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.run(
        [sys.executable, "-m", "carechain", "demo", "--once", "--random-ports",
         "--dir", str(tmp_path)],
        capture_output=True, text=True, env=env, timeout=400, check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "its STEMI pre-alert carries a 12-lead: True" in proc.stdout
    assert "the trauma record arrived: trauma" in proc.stdout
    stemi, trauma = (bytes.fromhex(r) for r in re.findall(r"patient record ([0-9a-f]{32})",
                                                           proc.stdout))

    hub = Node.open(tmp_path / "hub", DEMO_SECRET)
    try:
        received = [e for e in read_audit(hub) if e["action"] == "dispatch.receive"]
        assert [e["detail"]["nodes"] for e in received] == [["crew-ambulance-412"],
                                                            ["crew-ambulance-217"]]
        assert all(e["role"] == "dispatcher" for e in received)
    finally:
        hub.close()

    crew = Node.open(tmp_path / "crew-ambulance-412", DEMO_SECRET)
    try:
        (offer,) = held(crew)
        assert crew.store.get_meta(ACCEPTED + offer.incident) == stemi
        assert [e["detail"]["incident_number"] for e in read_audit(crew)
                if e["action"] == "dispatch.accept"] == [offer.incident]
        incident = crew.state(stemi)["sections"]["incident"]
        assert incident["incident_number"] == offer.incident  # prefilled from dispatch
        assert incident["dispatch_complaint"].startswith("Chest pain")
    finally:
        crew.close()

    hospital = Node.open(tmp_path / "hospital-essex-cardiothoracic", DEMO_SECRET)
    try:
        state = hospital.state(stemi)
        (ecg,) = state["items"]["ecgs"]
        assert state["sections"]["disposition"]["pre_alert_ecg"] == ecg["attachment"]
        assert ecg["interpretation"][0].startswith("SIMULATED")
        assert len(state["items"]["vitals"]) >= 3  # the monitor, over MLLP
        injured = hospital.state(trauma)
        assert injured["sections"]["trauma_triage"]["mtc_pre_alert"] is True
        assert [h["method"] for h in injured["items"]["haemorrhage_control"]] == ["tourniquet"]
        assert len(injured["items"]["injuries"]) == 3
    finally:
        hospital.close()
