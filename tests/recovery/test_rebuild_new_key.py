"""The worst case, with the commands of docs/operations.md ("The hub is gone and its key with
it"): the hub's machine is lost, store and keys; the trust certifies a new hub key, vouching
for the largest head the survivors hold; a new hub directory is enrolled under it, the old
log is rebuilt from the survivors, and crew, hospital and vault carry on with no alert and
no operator action, the same records everywhere, and what the crew writes next flows."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from carechain.app import create_app
from carechain.cli import app
from carechain.node import Node
from carechain.store.postgres import create_schema, drop_schema
from carechain.sync.heads import HeadKeeper
from carechain.testing import Trust, make_node
from carechain.transparency import log_id_from_key
from tests.recovery.support import hub_ids, serve_hub
from tests.store.engines import fresh_pg_url
from tests.sync.harness import Chain, document_stemi, standard_chain
from tests.sync.hostile import HUB_SECRET, alerts, stop_node

NODES = ("crew-1", "hospital-a", "vault")
SECRET = HUB_SECRET  # every test node's operator secret
TRUST_SECRET = "trust-secret"  # carechain.testing.make_trust's default


def _run(*args: str) -> str:
    """Run a command of the runbook, as typed in the folder holding the nodes."""
    result = CliRunner().invoke(app, list(args), env={"CARECHAIN_TRUST_SECRET": TRUST_SECRET})
    assert result.exit_code == 0, result.output
    return result.output


def _shift(chain: Chain) -> bytes:
    record = document_stemi(chain)
    for name in NODES:
        chain.sync(name, "hub")
    return record


def _largest_head() -> tuple[str, str, str]:
    """Return (key, size, root) of the largest hub head any survivor accepted."""
    found: list[tuple[int, str, str]] = []
    for name in NODES:
        out = _run("node", "heads", "--dir", name, "--secret", SECRET)
        for line in out.splitlines():
            if line.startswith("hub "):
                key, size, root = (line.split(f"{word} ")[1].split()[0]
                                   for word in ("key", "size", "root"))  # fmt: skip
                found.append((int(size), key, root))
    size, key, root = max(found)
    return key, str(size), root


def _records(chain: Chain, name: str, records: list[bytes]) -> set[bytes]:
    return {s.entry.id for r in records for s in chain.nodes[name].store.record(r)}


def test_the_hub_is_gone_with_its_key_and_a_new_key_takes_over_its_log(
    tmp_path: Path, trust: Trust, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    chain = standard_chain(tmp_path, trust)
    try:
        records = [_shift(chain)]
        records.append(document_stemi(chain))  # reaches the hub only through the crew
        chain.sync("crew-1", "hub")
        before = hub_ids(chain.nodes["hub"])
        old_key = chain.nodes["hub"].keys.sign_public
        stop_node(chain, "hub")
        shutil.rmtree(tmp_path / "hub")  # the whole machine is gone, keys and all
        records.append(document_stemi(chain))  # the crew works on meanwhile (P1)

        key, size, root = _largest_head()
        assert key == old_key.hex() and int(size) <= len(before)
        _run("node", "init", "--dir", "hub", "--role", "hub", "--name", "hub",
             "--org", "Example Ambulance Service NHS Trust", "--secret", SECRET)  # fmt: skip
        _run("trust", "rotate-hub", "hub/request.cbor", "--dir", "trust", "--old", key,
             "--size", size, "--root", root, "--out-dir", "rotation",
             "--reason", "hub lost with its key")  # fmt: skip
        shutil.copytree("hub", "hub-enrolled")  # enrolled as any node: refused, with the fix
        _run("node", "enroll", "rotation/certificate.cbor", "--dir", "hub-enrolled",
             "--trust-dir", "trust")  # fmt: skip
        wrong = CliRunner().invoke(app, ["hub", "rebuild", "--dir", "hub-enrolled", "--log-key",
                                         key, "--from", "vault", "--secret", SECRET])  # fmt: skip
        assert wrong.exit_code != 0 and "--empty-log" in wrong.output, wrong.output
        _run("node", "enroll", "rotation/certificate.cbor", "--dir", "hub",
             "--trust-dir", "trust", "--empty-log")  # fmt: skip
        out = _run("hub", "rebuild", "--dir", "hub", "--log-key", key, "--from", "vault",
                   "--from", "hospital-a", "--from", "crew-1", "--secret", SECRET,
                   "--report", "rebuild.json")  # fmt: skip
        assert "complete: every head proven" in out
        refused = CliRunner().invoke(app, ["serve", "--dir", "hub", "--secret", SECRET])
        assert refused.exit_code != 0 and "import its certificate first" in refused.output
        _run("node", "import", "rotation/certificate.cbor", "rotation/transition.cbor",
             "rotation/revocation.cbor", "--dir", "hub", "--secret", SECRET)  # fmt: skip
        out = _run("verify", "--log", "hub", "--trust-dir", "trust", "--heads-from", "vault",
                   "--heads-from", "hospital-a", "--heads-from", "crew-1",
                   "--report", "verification.json", "--sign-key", "verifier.key")  # fmt: skip
        assert "clean: every entry verifies and every head holds" in out
        out = _run("verify", "--dir", "hub", "--secret", SECRET)  # its own head: the new key's
        assert f"all {len(before) + 3} entries verify" in out, out

        hub = serve_hub(chain, tmp_path)
        new_log = log_id_from_key(hub.keys.sign_public)
        assert hub.keys.sign_public != old_key
        assert hub_ids(hub)[: len(before)] == before  # the old log, leaf for leaf
        for name in NODES:
            chain.sync(name, "hub")
        records.append(_shift(chain))  # the crew writes more, and it flows
        for name in NODES:
            chain.sync(name, "hub")
        for name in NODES:
            node = chain.nodes[name]
            assert alerts(node) == [], name
            keeper = HeadKeeper(node.store, node.directory)
            accepted = keeper.accepted(new_log)
            assert accepted is not None and accepted.size == hub.store.count(), name
        held = _records(chain, "crew-1", records)
        assert held == _records(chain, "hospital-a", records) == _records(chain, "vault", records)
        assert held == _records(chain, "hub", records)

        # The heads now held are the new key's over the same log: verification judges them
        # by the transition, together with the old key's heads up to the vouched size.
        served = hub.store.count()
        stop_node(chain, "hub")
        out = _run("verify", "--log", "hub", "--trust-dir", "trust", "--heads-from", "vault",
                   "--heads-from", "hospital-a", "--heads-from", "crew-1")  # fmt: skip
        assert "clean: every entry verifies and every head holds" in out
        assert "DOES NOT HOLD" not in out
        sizes = {int(x.split("head of size ")[1].split()[0]) for x in out.splitlines()
                 if x.startswith("head of size ")}  # fmt: skip
        assert int(size) in sizes and served in sizes  # both keys' heads judged
        assert f"held by the trust (transition from key {key[:16]}" in out
    finally:
        chain.close()


@pytest.fixture
def schemas() -> Iterator[list[str]]:
    """Fresh PostgreSQL schemas: [the lost hub's, the new hub's]."""
    urls = [fresh_pg_url() for _ in range(2)]
    for url in urls:
        create_schema(url)
    try:
        yield urls
    finally:
        for url in urls:
            drop_schema(url)


def test_a_postgresql_hub_gone_with_its_key_is_rebuilt_into_a_new_database(
    tmp_path: Path, trust: Trust, monkeypatch: pytest.MonkeyPatch, schemas: list[str]
) -> None:
    """The same commands for a hub whose log is in PostgreSQL (`--database`)."""
    lost_url, new_url = schemas
    monkeypatch.chdir(tmp_path)
    chain = Chain()
    try:
        make_node(tmp_path / "hub", trust, role="hub", name="hub").close()
        chain.nodes["hub"] = Node.open(tmp_path / "hub", SECRET, store_url=lost_url)
        chain.clients["hub"] = TestClient(create_app(chain.nodes["hub"]))
        chain.add(tmp_path, trust, "crew-1", "crew")
        chain.add(tmp_path, trust, "hospital-a", "hospital")
        chain.add(tmp_path, trust, "vault", "vault")
        for name in ("vault", "hospital-a", "crew-1", "vault", "hospital-a"):
            chain.sync(name, "hub")
        records = [_shift(chain)]
        before = hub_ids(chain.nodes["hub"])
        stop_node(chain, "hub")
        shutil.rmtree(tmp_path / "hub")  # the machine is gone, and its database with it

        key, size, root = _largest_head()
        _run("node", "init", "--dir", "hub", "--role", "hub", "--name", "hub",
             "--org", "Example Ambulance Service NHS Trust", "--secret", SECRET)  # fmt: skip
        _run("trust", "rotate-hub", "hub/request.cbor", "--dir", "trust", "--old", key,
             "--size", size, "--root", root, "--out-dir", "rotation")  # fmt: skip
        _run("node", "enroll", "rotation/certificate.cbor", "--dir", "hub",
             "--trust-dir", "trust", "--empty-log")  # fmt: skip
        out = _run("hub", "rebuild", "--dir", "hub", "--database", new_url, "--log-key", key,
                   "--from", "vault", "--from", "hospital-a", "--from", "crew-1",
                   "--secret", SECRET)  # fmt: skip
        assert "complete: every head proven" in out
        _run("node", "import", "rotation/certificate.cbor", "rotation/transition.cbor",
             "rotation/revocation.cbor", "--dir", "hub", "--secret", SECRET)  # fmt: skip
        hub = Node.open(tmp_path / "hub", SECRET, store_url=new_url)  # as `serve --database`
        chain.nodes["hub"], chain.clients["hub"] = hub, TestClient(create_app(hub))
        assert hub_ids(hub)[: len(before)] == before
        out = _run("verify", "--log", new_url, "--trust-dir", "trust",
                   "--heads-from", "vault", "--heads-from", "hospital-a",
                   "--heads-from", "crew-1")  # fmt: skip
        assert "clean: every entry verifies and every head holds" in out
        records.append(_shift(chain))
        for name in NODES:
            chain.sync(name, "hub")
            node = chain.nodes[name]
            assert alerts(node) == [], name
            accepted = HeadKeeper(node.store, node.directory).accepted(
                log_id_from_key(hub.keys.sign_public)
            )
            assert accepted is not None and accepted.size == hub.store.count(), name
        held = _records(chain, "crew-1", records)
        assert held == _records(chain, "hospital-a", records) == _records(chain, "vault", records)
        assert held == _records(chain, "hub", records)
    finally:
        chain.close()
