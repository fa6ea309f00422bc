"""The runbooks of docs/operations.md, command for command: the hub is gone (from a backup
and the survivors, or from its key store and the survivors), the hub is breached, and the
vault restored from its backup then used to rebuild the hub."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from carechain.cli import app
from carechain.node import NodeHome
from carechain.sync.heads import HubMisbehaved
from carechain.testing import Trust
from tests.recovery.support import hub_ids, serve_hub, wipe_hub
from tests.sync.harness import Chain, document_stemi, standard_chain
from tests.sync.hostile import HUB_SECRET, HubDb, alerts, start_node, stop_node

NODES = ("crew-1", "hospital-a", "vault")
SECRET = HUB_SECRET  # every test node's operator secret


def _run(home: Path, *args: str) -> tuple[int, str]:
    """Run a command from the runbook, as typed in the folder holding the nodes (`home`:
    the test's working directory)."""
    assert Path.cwd() == home
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def _shift(chain: Chain) -> None:
    document_stemi(chain)
    for name in NODES:
        chain.sync(name, "hub")


def _rebuild_and_verify(home: Path) -> None:
    code, out = _run(home, "hub", "rebuild", "--dir", "hub", "--from", "vault",
                     "--from", "hospital-a", "--from", "crew-1", "--secret", SECRET,
                     "--report", "rebuild.json")  # fmt: skip
    assert code == 0, out
    assert "complete: every head proven" in out
    code, out = _run(home, "verify", "--log", "hub", "--trust-dir", "trust",
                     "--heads-from", "vault", "--heads-from", "hospital-a",
                     "--heads-from", "crew-1", "--report", "verification.json",
                     "--sign-key", "verifier.key")  # fmt: skip
    assert code == 0, out
    assert "clean: every entry verifies and every head holds" in out


def _resume(chain: Chain, home: Path, before: list[bytes], *, served: bool = False) -> None:
    """Every node syncs with the rebuilt hub with no new alert, and the shift goes on."""
    hub = chain.nodes["hub"] if served else serve_hub(chain, home)
    assert hub_ids(hub)[: len(before)] == before
    raised = {name: len(alerts(chain.nodes[name])) for name in NODES}
    _shift(chain)
    for name in NODES:
        chain.sync(name, "hub")
        assert len(alerts(chain.nodes[name])) == raised[name], name


def test_the_hub_is_gone_from_its_backup_and_the_survivors(
    tmp_path: Path, trust: Trust, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    chain = standard_chain(tmp_path, trust)
    try:
        _shift(chain)
        stop_node(chain, "hub")
        code, out = _run(tmp_path, "backup", "create", "--dir", "hub",
                         "--out", "hub.ccbk", "--secret", SECRET)  # fmt: skip
        assert code == 0, out
        start_node(chain, tmp_path, "hub")
        _shift(chain)  # after the backup: only the survivors hold these
        before = hub_ids(chain.nodes["hub"])
        stop_node(chain, "hub")
        shutil.rmtree(tmp_path / "hub")  # the whole machine is gone
        code, out = _run(tmp_path, "backup", "restore", "hub.ccbk",
                         "--dir", "hub", "--trust-dir", "trust", "--node", "hub",
                         "--secret", SECRET)  # fmt: skip
        assert code == 0, out
        _rebuild_and_verify(tmp_path)
        _resume(chain, tmp_path, before)
    finally:
        chain.close()


def test_the_hub_is_gone_from_its_key_store_and_the_survivors(
    tmp_path: Path, trust: Trust, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    chain = standard_chain(tmp_path, trust)
    try:
        _shift(chain)
        before = hub_ids(chain.nodes["hub"])
        wipe_hub(chain, tmp_path)  # node.json and keys.sealed are all that is left
        assert sorted(p.name for p in (tmp_path / "hub").iterdir()) == [
            "keys.sealed",
            "node.json",
            "request.cbor",
        ]
        _rebuild_and_verify(tmp_path)
        _resume(chain, tmp_path, before)
    finally:
        chain.close()


def test_the_hub_is_breached(tmp_path: Path, trust: Trust, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    chain = standard_chain(tmp_path, trust)
    try:
        _shift(chain)
        record = document_stemi(chain)  # reaches the hub; the others have not pulled it yet
        chain.sync("crew-1", "hub")
        before = hub_ids(chain.nodes["hub"])
        victim = chain.nodes["crew-1"].store.record(record)[1].entry
        stop_node(chain, "hub")
        store = NodeHome(tmp_path / "hub").store_file
        with HubDb(store) as db:  # the intruder edits an entry in place
            signed = bytearray(db.row(victim.id).signed)
            signed[-8] ^= 0x01
            db.set_signed(victim.id, bytes(signed))
        start_node(chain, tmp_path, "hub")
        with pytest.raises(HubMisbehaved):  # the hospital meets it first: alert, stopped
            chain.sync("hospital-a", "hub")
        stop_node(chain, "hub")
        code, out = _run(tmp_path, "verify", "--log", "hub", "--trust-dir", "trust",
                         "--heads-from", "vault", "--heads-from", "hospital-a",
                         "--heads-from", "crew-1")  # fmt: skip
        assert code == 1 and f"entry {victim.hex}" in out, out
        evidence = tmp_path / "hub-breached"
        evidence.mkdir()
        for suffix in ("", "-wal", "-shm"):  # kept as evidence, out of service
            if Path(f"{store}{suffix}").exists():
                shutil.move(f"{store}{suffix}", evidence)
        _rebuild_and_verify(tmp_path)
        serve_hub(chain, tmp_path)
        stop_node(chain, "hospital-a")
        code, out = _run(tmp_path, "alerts", "clear", "--dir", "hospital-a", "--hub", "hub",
                         "--reason", "hub rebuilt from the survivors and verified",
                         "--by", "A9001", "--secret", SECRET)  # fmt: skip
        assert code == 0, out
        start_node(chain, tmp_path, "hospital-a")
        _resume(chain, tmp_path, before, served=True)
    finally:
        chain.close()


def test_restore_the_vault_then_rebuild_the_hub_from_it(
    tmp_path: Path, trust: Trust, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    chain = standard_chain(tmp_path, trust)
    try:
        _shift(chain)
        stop_node(chain, "vault")
        code, out = _run(tmp_path, "backup", "create", "--dir", "vault",
                         "--out", "vault.ccbk", "--secret", SECRET)  # fmt: skip
        assert code == 0, out
        shutil.rmtree(tmp_path / "vault")  # the vault is lost…
        code, out = _run(tmp_path, "backup", "restore", "vault.ccbk",
                         "--dir", "vault", "--trust-dir", "trust", "--node", "vault",
                         "--secret", SECRET)  # fmt: skip
        assert code == 0, out
        start_node(chain, tmp_path, "vault")
        before = hub_ids(chain.nodes["hub"])
        wipe_hub(chain, tmp_path)  # …and then the hub
        _rebuild_and_verify(tmp_path)
        _resume(chain, tmp_path, before)
    finally:
        chain.close()
