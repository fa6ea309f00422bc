"""The outage drill (bench/drill.py, issue 13 item 5) at a tiny scale, so it cannot rot:
a month's shape in seconds — records with frames, the vault behind, the hub wiped,
rebuilt from the vault and the edges, verified, every node resumed with no alert, the
vault backed up and restored."""

from __future__ import annotations

from pathlib import Path

from bench import drill

from carechain.node import Node
from carechain.records.kinds import validate_body


def test_the_drill_runs_every_phase_end_to_end(tmp_path: Path) -> None:
    args = drill.parser().parse_args([
        "--incidents", "12", "--per-incident", "20", "--monitored", "4", "--minutes", "1",
        "--crews", "2", "--vault-behind", "0.25", "--batch", "97", "--readings", "frames"])
    done = drill.run(args, tmp_path)
    assert list(done.times) == ["wipe", "rebuild", "verify", "resume", "backup", "restore"]
    assert done.entries == 12 * 20 + 4 * 60 and done.frames == 4 * 60
    assert done.vault_size < done.log_size  # the edges refilled what the vault lacked
    vault = Node.open(tmp_path / "vault", drill.SECRET)
    restored = Node.open(tmp_path / "vault-restored", drill.SECRET)
    try:
        assert restored.store.ids(0, 10**6) == vault.store.ids(0, 10**6)
        assert vault.store.count() > done.entries  # the whole month after its resume round
    finally:
        vault.close()
        restored.close()


def test_the_drills_monitor_readings_are_a_chunk_a_minute_by_default() -> None:
    items, readings = drill._incident(7, 60, 3, True, "hospital-a", chunks=True)
    chunks = [data for _, kind, data in items if kind == "vitals.chunk"]
    assert readings == 180 and len(chunks) == 3 and len(items) == 59 + 3
    assert [len(c["readings"]) for c in chunks] == [60, 60, 60]
    for chunk in chunks:
        validate_body("vitals.chunk", chunk)
    assert drill.parser().parse_args([]).readings == "chunks"


def test_the_drills_records_are_valid_clinical_entries() -> None:
    items, frames = drill._incident(7, 60, 2, True, "hospital-a")
    assert len(items) == 59 + 120 and frames == 120  # the grant makes the 60th
    kinds = {kind for _, kind, _ in items}
    assert {"observation.recorded", "medication.administered", "procedure.performed",
            "impression.recorded", "disposition.recorded", "vitals.frame"} <= kinds
    for _, kind, data in items:
        validate_body(kind, data)  # raises on any field the kind does not allow
