"""`carechain node rekey`, `node heads` and `trust rotate-hub` refuse what they must and
change nothing when they do (the whole rotation runs in tests/sync/test_hub_key_rotation.py)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from carechain.cli import app
from carechain.node import NodeHome
from carechain.store import SqliteStore
from carechain.store.sealed import FRONTIER_KEY
from carechain.testing import Trust, make_node

SECRET = "operator-secret"
TRUST_SECRET = "trust-secret"


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        app, list(args), env={"CARECHAIN_SECRET": SECRET, "CARECHAIN_TRUST_SECRET": TRUST_SECRET}
    )
    return result.exit_code, result.output


def test_rekey_refuses_a_log_that_does_not_match_its_head_and_changes_nothing(
    tmp_path: Path, trust: Trust
) -> None:
    make_node(tmp_path / "hub", trust, role="hub", name="hub").close()
    home = NodeHome(tmp_path / "hub")
    store = SqliteStore(home.store_file)
    store.set_meta(FRONTIER_KEY, b"\x00" * 8)  # the head no longer matches what is kept
    store.close()
    keys, request = home.keys_file.read_bytes(), home.request_file.read_bytes()
    code, out = _run("node", "rekey", "--dir", str(home.path))
    assert code == 2 and "does not match the head the old key signed" in out
    assert home.keys_file.read_bytes() == keys and home.request_file.read_bytes() == request
    assert not home.replaced_keys_file.exists()


def test_rekey_then_the_node_opens_with_its_new_key_and_its_log_checks(
    tmp_path: Path, trust: Trust
) -> None:
    make_node(tmp_path / "crew", trust).close()
    home = NodeHome(tmp_path / "crew")
    old_request = home.request_file.read_bytes()
    code, out = _run("node", "rekey", "--dir", str(home.path))
    assert code == 0, out
    assert (home.path / "request.replaced.cbor").read_bytes() == old_request
    assert home.replaced_keys_file.exists() and home.request_file.read_bytes() != old_request
    code, out = _run("verify", "--dir", str(home.path))
    assert code == 0, out  # the log's own head is signed again with the new key
    code, out = _run("node", "heads", "--dir", str(home.path))
    assert code == 0 and "no hub heads accepted yet" in out


def test_rotate_hub_refuses_a_request_for_another_node(tmp_path: Path, trust: Trust) -> None:
    make_node(tmp_path / "hub", trust, role="hub", name="hub").close()
    make_node(tmp_path / "crew", trust).close()
    out_dir = tmp_path / "rotation"
    common = ["--dir", str(trust.home.path), "--old", str(tmp_path / "hub" / "request.cbor"),
              "--size", "1", "--out-dir", str(out_dir)]  # fmt: skip
    code, out = _run(
        "trust", "rotate-hub", str(tmp_path / "crew" / "request.cbor"), *common,
        "--root", "00" * 32,
    )  # fmt: skip
    assert code == 2 and "must be for hub 'hub'" in out
    code, out = _run(
        "trust", "rotate-hub", str(tmp_path / "hub" / "request.cbor"), *common, "--root", "zz"
    )
    assert code == 2 and "--root" in out
    assert not out_dir.exists()
