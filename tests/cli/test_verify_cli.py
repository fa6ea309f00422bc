"""`carechain verify` names every altered entry and exits non-zero."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from carechain.cli import app
from carechain.node import Node
from carechain.node.verify import verify_node
from carechain.testing import Trust, make_node

SECRET = "operator-secret"


def _node_with_record(tmp_path: Path, trust: Trust) -> tuple[Path, bytes]:
    path = tmp_path / "crew"
    node = make_node(path, trust, secret=SECRET)
    record, _ = node.open_record(user="P1", data={"callsign": "RRV-1"})
    stored = node.append(
        record=record, user="P1", kind="note.added", data={"text": "chest pain since 09:30"}
    )
    node.close()
    return path, stored.entry.id


def _tamper(path: Path, entry_id: bytes, column: str, index: int) -> None:
    db = sqlite3.connect(path / "store.db")
    db.execute("DROP TRIGGER IF EXISTS entries_append_only_update")
    (value,) = db.execute(f"SELECT {column} FROM entries WHERE id = ?", (entry_id,)).fetchone()
    changed = bytearray(value)
    changed[index] ^= 0x01
    db.execute(f"UPDATE entries SET {column} = ? WHERE id = ?", (bytes(changed), entry_id))
    db.commit()
    db.close()


def test_a_clean_store_verifies(tmp_path: Path, trust: Trust) -> None:
    path, _ = _node_with_record(tmp_path, trust)
    result = CliRunner().invoke(app, ["verify", "--dir", str(path), "--secret", SECRET])
    assert result.exit_code == 0, result.output
    assert "all 4 entries verify" in result.output


def test_every_flipped_byte_of_an_entry_is_named(tmp_path: Path, trust: Trust) -> None:
    path, entry_id = _node_with_record(tmp_path, trust)
    node = Node.open(path, SECRET)
    signed_len = len(node.store.get(entry_id).entry.signed)  # type: ignore[union-attr]
    node.close()
    positions = [("signed", i) for i in range(signed_len)] + [("signature", i) for i in range(64)]
    for column, index in positions:
        _tamper(path, entry_id, column, index)
        node = Node.open(path, SECRET)
        findings = verify_node(node)
        node.close()
        assert [f.entry for f in findings] == [entry_id.hex()], (column, index)
        _tamper(path, entry_id, column, index)  # flip it back


@pytest.mark.parametrize("column", ["signed", "signature", "id"])
def test_cli_names_the_entry_and_exits_non_zero(tmp_path: Path, trust: Trust, column: str) -> None:
    path, entry_id = _node_with_record(tmp_path, trust)
    _tamper(path, entry_id, column, 20)
    proc = subprocess.run(
        [sys.executable, "-m", "carechain", "verify", "--dir", str(path)],
        capture_output=True,
        text=True,
        env={"CARECHAIN_SECRET": SECRET, "PATH": ""},
        check=False,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    named = entry_id.hex() if column != "id" else ""
    assert f"entry {named}" in proc.stdout
    assert "1 bad entry of 4" in proc.stdout


def test_the_log_refuses_update_and_delete(tmp_path: Path, trust: Trust) -> None:
    path, entry_id = _node_with_record(tmp_path, trust)
    db = sqlite3.connect(path / "store.db")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("UPDATE entries SET signature = x'00' WHERE id = ?", (entry_id,))
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("DELETE FROM entries")
    db.close()
