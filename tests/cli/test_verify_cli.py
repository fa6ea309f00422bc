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


# --- the log as a whole, against the node's own signed head (issue 11, item 6) -----------


def _hospital_with_audit(tmp_path: Path, trust: Trust, events: int = 3) -> Path:
    from carechain.accounts import audit_event
    from carechain.node.audit import write_audit

    path = tmp_path / "hospital"
    node = make_node(path, trust, role="hospital", name="hospital-a", secret=SECRET)
    for n in range(events):
        write_audit(node, audit_event("login", staff_id=f"ED{n}", role="ed_clinician",
                                      at_ms=node.clock_ms(), outcome="success"))
    node.close()
    return path


def _verify(path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["verify", "--dir", str(path), "--secret", SECRET])
    return result.exit_code, result.output


def _raw(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path / "store.db", isolation_level=None)
    for trigger in ("entries_append_only_update", "entries_append_only_delete"):
        db.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    return db


def test_the_newest_audit_entry_deleted_from_the_store_is_flagged(
        tmp_path: Path, trust: Trust) -> None:
    """The attack: the hospital's newest audit entry deleted straight from its store, which
    `carechain verify` did not flag. Every remaining entry still verifies on its own; the
    log no longer matches the head the node signed."""
    path = _hospital_with_audit(tmp_path, trust)
    code, output = _verify(path)
    assert code == 0 and "entries verify" in output, output
    db = _raw(path)
    (top,) = db.execute("SELECT max(seq) FROM entries").fetchone()
    db.execute("DELETE FROM entries WHERE seq = ?", (top,))
    db.close()
    code, output = _verify(path)
    assert code == 1, output
    assert f"BAD log from seq {top}: log-trimmed" in output
    assert f"the node signed a log of {top} entries; the store holds {top - 1}" in output
    assert f"all {top - 1} entries verify; the log is not the one this node signed" in output


def test_an_entry_removed_and_the_log_renumbered_is_flagged(tmp_path: Path, trust: Trust) -> None:
    path = _hospital_with_audit(tmp_path, trust, events=6)
    db = _raw(path)
    (top,) = db.execute("SELECT max(seq) FROM entries").fetchone()
    middle = top // 2
    db.execute("DELETE FROM entries WHERE seq = ?", (middle,))
    db.execute("UPDATE entries SET seq = seq - 1 WHERE seq > ?", (middle,))
    db.close()
    code, output = _verify(path)
    assert code == 1
    assert "log-trimmed" in output  # one fewer than the node signed
    # Put one entry back at the end (a copy of another): the count matches again, the
    # entries do not.
    db = _raw(path)
    db.execute("INSERT INTO entries SELECT ?, randomblob(32), record, cls, author, hlc_ms,"
               " hlc_counter, signed, signature, stored_ms FROM entries WHERE seq = 1", (top,))
    db.close()
    code, output = _verify(path)
    assert code == 1 and "log-altered" in output
    found = next(line for line in output.splitlines() if "log-altered" in line)
    first, last = (int(x) for x in found.split("entries at ")[1].split(" ")[0].split(".."))
    assert first <= middle <= last


def test_a_row_slipped_into_the_store_is_flagged(tmp_path: Path, trust: Trust) -> None:
    path = _hospital_with_audit(tmp_path, trust)
    other = make_node(tmp_path / "crew", trust, secret=SECRET)
    record, _ = other.open_record(user="P1", data={"callsign": "RRV-1"})
    [grant, opened] = [s.entry for s in other.store.record(record)]
    other.close()
    db = _raw(path)
    for e in (grant, opened):
        h = e.header
        db.execute("INSERT INTO entries (id, record, cls, author, hlc_ms, hlc_counter, signed,"
                   " signature, stored_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)",
                   (e.id, h.record, h.cls, h.author, h.hlc.ms, h.hlc.counter, e.signed,
                    e.signature))
    db.close()
    code, output = _verify(path)
    assert code == 1 and "log-unsealed" in output
    assert "2 entries after the" in output


@pytest.mark.parametrize("how", ["deleted", "older"])
def test_the_head_itself_deleted_or_put_back_from_earlier_is_flagged(
        tmp_path: Path, trust: Trust, how: str) -> None:
    path = _hospital_with_audit(tmp_path, trust, events=1)
    db = _raw(path)
    earlier = db.execute(
        "SELECT key, value FROM meta WHERE key IN ('log:head', 'log:frontier')").fetchall()
    db.close()
    node = Node.open(path, SECRET)
    from carechain.accounts import audit_event
    from carechain.node.audit import write_audit

    write_audit(node, audit_event("login", staff_id="ED9", role="ed_clinician",
                                  at_ms=node.clock_ms(), outcome="success"))
    node.close()
    db = _raw(path)
    if how == "deleted":
        db.execute("DELETE FROM meta WHERE key IN ('log:head', 'log:frontier')")
    else:
        db.executemany("UPDATE meta SET value = ? WHERE key = ?", [(v, k) for k, v in earlier])
    db.close()
    code, output = _verify(path)
    assert code == 1
    assert ("log-head-missing" if how == "deleted" else "log-unsealed") in output
