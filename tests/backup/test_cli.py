"""`carechain backup create / verify / restore` as an operator runs them (the runbook's
commands), and the restored node passes `carechain verify`."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from carechain.cli import app
from carechain.testing import make_trust
from tests.backup.support import SECRET, VAULT_SECRET, World

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_create_verify_restore_and_verify_the_restored_node(world: World,
                                                            tmp_path: Path) -> None:
    world.node.close()
    db = ["--database", world.database] if world.database else []
    trust = str(world.trust.home.path)
    code, out = _run("backup", "create", "--dir", str(world.home), *db,
                     "--out", str(tmp_path / "hub.ccbk"), "--secret", SECRET)
    assert code == 0, out
    assert "sealed to hub hub-1, vault vault-records" in out

    code, out = _run("backup", "verify", str(tmp_path / "hub.ccbk"), "--trust-dir", trust)
    assert code == 0, out
    assert "backup of hub node 'hub-1'" in out and "every hash matches" in out

    code, out = _run("backup", "verify", str(tmp_path / "hub.ccbk"), "--deep",
                     "--vault-dir", str(world.vault), "--secret", VAULT_SECRET)
    assert code == 0, out
    assert "entries verify; counts and tree root match" in out

    code, out = _run("backup", "restore", str(tmp_path / "hub.ccbk"), "--dir",
                     str(tmp_path / "hub-restored"), "--trust-dir", trust, "--node", "hub-1",
                     "--secret", SECRET)
    assert code == 0, out
    assert "restored hub node 'hub-1'" in out

    code, out = _run("verify", "--dir", str(tmp_path / "hub-restored"), "--secret", SECRET)
    assert code == 0, out
    assert out.startswith("all ") and "entries verify" in out
    world.reopen()


def test_refusals_print_their_code_and_exit_2(world: World, tmp_path: Path) -> None:
    world.node.close()
    db = ["--database", world.database] if world.database else []
    _run("backup", "create", "--dir", str(world.home), *db,
         "--out", str(tmp_path / "hub.ccbk"), "--secret", SECRET)
    data = (tmp_path / "hub.ccbk").read_bytes()
    (tmp_path / "cut.ccbk").write_bytes(data[: len(data) // 2])
    other = make_trust(tmp_path / "other")

    code, out = _run("backup", "verify", str(tmp_path / "cut.ccbk"),
                     "--trust-dir", str(world.trust.home.path))
    assert code == 2 and "[backup-truncated]" in out
    code, out = _run("backup", "verify", str(tmp_path / "hub.ccbk"),
                     "--trust-dir", str(other.home.path))
    assert code == 2 and "[backup-foreign]" in out
    code, out = _run("backup", "restore", str(tmp_path / "hub.ccbk"), "--dir",
                     str(tmp_path / "x"), "--trust-dir", str(world.trust.home.path),
                     "--secret", "wrong")
    assert code == 2 and "[keystore-locked]" in out and not (tmp_path / "x").exists()
    code, out = _run("backup", "restore", str(tmp_path / "hub.ccbk"), "--dir", str(tmp_path / "x"))
    assert code == 2 and "name the trust" in out
    world.reopen()


def test_a_deep_verify_names_an_entry_altered_before_the_backup(world: World,
                                                                tmp_path: Path) -> None:
    if world.database:
        return  # the SQLite file is the one altered by hand here
    world.node.close()
    db = sqlite3.connect(world.home / "store.db")
    db.execute("DROP TRIGGER entries_append_only_update")
    db.execute("UPDATE entries SET signature = zeroblob(64) WHERE seq = 5")
    db.commit()
    db.close()
    _run("backup", "create", "--dir", str(world.home), "--out", str(tmp_path / "hub.ccbk"),
         "--secret", SECRET)

    code, out = _run("backup", "verify", str(tmp_path / "hub.ccbk"), "--trust-dir",
                     str(world.trust.home.path), "--deep", "--secret", SECRET)

    assert code == 1, out
    assert "BAD seq 5 entry" in out and "bad-signature" in out
    world.reopen()
