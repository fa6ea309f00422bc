"""Independent verification (issue 13, item 3): with only the trust's public root key,
anyone checks a hub's whole log and every head the nodes hold of it, and signs the report;
an altered entry is named, a dropped one shows as heads that no longer hold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from carechain.cli import app
from carechain.errors import InvalidInput
from carechain.node import NodeHome
from carechain.recovery import check_signed_report
from carechain.testing import Trust
from tests.recovery.support import hub_ids, rebuild, serve_hub, wipe_hub
from tests.sync.harness import Chain, document_stemi, standard_chain
from tests.sync.hostile import HUB_SECRET, HubDb, stop_node

NODES = ("crew-1", "hospital-a", "vault")


def _verify(home: Path, trust: Trust, *extra: str) -> tuple[int, str]:
    args = ["verify", "--log", str(home / "hub"), "--trust-dir", str(trust.home.path)]
    for name in NODES:
        args += ["--heads-from", str(home / name)]
    result = CliRunner().invoke(app, [*args, *extra])
    return result.exit_code, result.output


def _shift(chain: Chain) -> bytes:
    record = document_stemi(chain)
    for name in NODES:
        chain.sync(name, "hub")
    return record


def test_a_rebuilt_hub_verifies_and_the_report_is_signed(tmp_path: Path, trust: Trust) -> None:
    chain = standard_chain(tmp_path, trust)
    try:
        _shift(chain)
        size = len(hub_ids(chain.nodes["hub"]))
        wipe_hub(chain, tmp_path)
        assert rebuild(tmp_path, list(NODES)).complete
        report, key = tmp_path / "verification.json", tmp_path / "verifier.key"
        code, out = _verify(tmp_path, trust, "--report", str(report), "--sign-key", str(key))
        assert code == 0, out
        assert "clean: every entry verifies and every head holds" in out
        document = json.loads(report.read_text())
        signer = bytes.fromhex(document["signer"])
        body = check_signed_report(document, signer)
        assert body["entries"] == size and body["clean"] is True
        assert {h["holder"] for h in body["heads"]} == set(NODES)
        assert all(h["holds"] for h in body["heads"])
        document["report"]["entries"] += 1  # anyone can check the report was not edited
        with pytest.raises(InvalidInput):
            check_signed_report(document)
        serve_hub(chain, tmp_path)
    finally:
        chain.close()


def test_an_altered_entry_is_named_and_a_dropped_one_breaks_the_heads(
    tmp_path: Path, trust: Trust
) -> None:
    chain = standard_chain(tmp_path, trust)
    try:
        record = _shift(chain)
        crew = chain.nodes["crew-1"]
        altered, dropped = (s.entry for s in crew.store.record(record)[2:4])
        stop_node(chain, "hub")
        with HubDb(NodeHome(tmp_path / "hub").store_file) as db:
            signed = bytearray(db.row(altered.id).signed)
            signed[-8] ^= 0x01  # a ciphertext byte
            db.set_signed(altered.id, bytes(signed))
        code, out = _verify(tmp_path, trust)
        assert code == 1
        assert f"entry {altered.hex}" in out
        assert "head of size" in out and "DOES NOT HOLD" not in out  # the ids are unchanged
        with HubDb(NodeHome(tmp_path / "hub").store_file) as db:
            db.delete(dropped.id)
        code, out = _verify(tmp_path, trust)
        assert code == 1
        assert "DOES NOT HOLD" in out
        serve_hub(chain, tmp_path)
    finally:
        chain.close()


def test_the_report_is_signed_with_the_verifiers_node_key(tmp_path: Path, trust: Trust) -> None:
    chain = standard_chain(tmp_path, trust)
    try:
        _shift(chain)
        stop_node(chain, "hub")
        report = tmp_path / "verification.json"
        vault = str(tmp_path / "vault")
        code, out = _verify(
            tmp_path, trust, "--report", str(report), "--sign-node", vault, "--secret", HUB_SECRET
        )
        assert code == 0, out
        document = json.loads(report.read_text())
        vault_key = chain.nodes["vault"].keys.sign_public
        assert check_signed_report(document, vault_key)["clean"] is True
        serve_hub(chain, tmp_path)
    finally:
        chain.close()
