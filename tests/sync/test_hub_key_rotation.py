"""A new hub key, end to end, with the commands docs/operations.md gives: mid-shift the hub's
key is replaced (`node rekey`, `trust rotate-hub`, `node import`), and crew, hospital and
vault carry on with no alert and the same records everywhere; the stolen old key and a key
the trust never certified are refused with an alert."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from carechain.app import create_app
from carechain.cli import app
from carechain.demo import chest_pain_stemi
from carechain.node import Node
from carechain.node.verify import verify_node
from carechain.sync.client import sync_with
from carechain.sync.heads import HeadKeeper, HubMisbehaved
from carechain.sync.loop import SyncLoop
from carechain.testing import ServedApp, Trust, make_node
from carechain.transparency import log_id_from_key
from tests.store.engines import pg_url
from tests.sync.harness import Chain, standard_chain, wait_until
from tests.sync.hostile import HUB_SECRET, alerts, clone_node, start_node, stop_node

__all__ = ["pg_url"]

TRUST_SECRET = "trust-secret"  # carechain.testing.make_trust's default
EDGES = ("crew-1", "hospital-a", "vault")


def _cli(*args: str) -> str:
    result = CliRunner().invoke(
        app,
        list(args),
        env={"CARECHAIN_SECRET": HUB_SECRET, "CARECHAIN_TRUST_SECRET": TRUST_SECRET},
    )
    assert result.exit_code == 0, result.output
    return result.output


def _write(chain: Chain, record: bytes | None, steps: list[tuple[str, dict[str, object]]]) -> bytes:
    crew = chain.nodes["crew-1"]
    if record is None:
        record, _ = crew.open_record(user="P1", data=chest_pain_stemi().opened)
    for kind, data in steps:
        if kind == "disposition.recorded":
            data = {**data, "hospital_node": "hospital-a"}
        crew.append(record=record, user="P1", kind=kind, data=data)
    return record


def _round(chain: Chain) -> None:
    for name in EDGES:
        chain.sync(name, "hub")


def _rotate(chain: Chain, home: Path, trust: Trust, *, certify: bool = True) -> None:
    """Stop the hub, give it a new key and, with `certify`, have the trust move its log to it."""
    stop_node(chain, "hub")
    out = _cli("node", "heads", "--dir", str(home / "vault"))  # the hub's data is not trusted
    [line] = [x for x in out.splitlines() if x.startswith("hub ")]
    size, root = line.split("size ")[1].split()[0], line.split("root ")[1].split()[0]
    _cli("node", "rekey", "--dir", str(home / "hub"))
    if certify:
        rotation = home / "rotation"
        _cli(
            "trust", "rotate-hub", str(home / "hub" / "request.cbor"),
            "--dir", str(trust.home.path),
            "--old", str(home / "hub" / "request.replaced.cbor"),
            "--size", size, "--root", root,
            "--out-dir", str(rotation),
            "--reason", "hub key suspected stolen",
            "--cosign", str(home / "hub" / "keys.replaced.sealed"),
            "--cosign-secret", HUB_SECRET,
        )  # fmt: skip
        files = [str(rotation / f) for f in ("certificate.cbor", "transition.cbor",
                                             "revocation.cbor")]  # fmt: skip
        _cli("node", "import", *files, "--dir", str(home / "hub"))
    start_node(chain, home, "hub")


def _entries(chain: Chain, name: str, record: bytes) -> set[bytes]:
    return {s.entry.id for s in chain.nodes[name].store.record(record)}


def test_the_hub_key_is_replaced_mid_shift_and_every_node_carries_on(
    tmp_path: Path, trust: Trust
) -> None:
    chain = standard_chain(tmp_path, trust)
    try:
        steps = list(chest_pain_stemi().at(datetime(2026, 11, 26, 9, 0, tzinfo=UTC)))
        half = len(steps) // 2
        record = _write(chain, None, steps[:half])
        _round(chain)
        before = _entries(chain, "crew-1", record)
        old_log = log_id_from_key(chain.nodes["hub"].keys.sign_public)
        thief = clone_node(chain, tmp_path, "hub", "thief")  # the stolen key, with a copy

        _rotate(chain, tmp_path, trust)
        new_log = log_id_from_key(chain.nodes["hub"].keys.sign_public)
        assert new_log != old_log
        _write(chain, record, steps[half:])
        _round(chain)
        _round(chain)

        for name in EDGES:
            node = chain.nodes[name]
            assert alerts(node) == [], name
            # Each learned the statement from the hub's directory, as certificates travel.
            assert set(node.directory.transitions) == {chain.nodes["hub"].keys.key_id}, name
            keeper = HeadKeeper(node.store, node.directory)
            assert keeper.accepted(new_log) is not None, name
            assert keeper.accepted(new_log).size == chain.nodes["hub"].store.count()  # type: ignore[union-attr]
        held = _entries(chain, "crew-1", record)
        assert len(held) >= len(before) + len(steps) - half  # what was written after it
        assert _entries(chain, "hospital-a", record) == held == _entries(chain, "vault", record)
        assert held <= _entries(chain, "hub", record)

        # The stolen key, serving a copy of the log, cannot extend it: refused, with an
        # alert about the old key's log only; the hub under its new key goes on.
        crew = chain.nodes["crew-1"]
        with pytest.raises(HubMisbehaved):
            chain.sync("crew-1", "thief")
        kinds = {a.kind for a in alerts(crew)}
        assert kinds <= {"revoked-hub-key", "old-hub-key-after-transition"} and kinds
        assert HeadKeeper(crew.store, crew.directory).blocked_logs().keys() == {old_log}
        assert thief.keys.sign_public != chain.nodes["hub"].keys.sign_public
        chain.sync("crew-1", "hub")
    finally:
        chain.close()


def test_a_hub_serving_with_a_key_the_trust_did_not_certify_is_refused(
    tmp_path: Path, trust: Trust
) -> None:
    chain = standard_chain(tmp_path, trust)
    try:
        record = _write(chain, None, [])
        _round(chain)
        _rotate(chain, tmp_path, trust, certify=False)
        for name in EDGES:
            with pytest.raises(HubMisbehaved):
                chain.sync(name, "hub")
            with pytest.raises(HubMisbehaved):
                chain.sync(name, "hub")  # still refused, and alerted once
            [alert] = alerts(chain.nodes[name])
            assert (alert.hub, alert.kind) == ("hub", "uncertified-hub-key"), name
        assert _entries(chain, "vault", record) == _entries(chain, "crew-1", record)

        # The trust then moves the log to that key; once the operator clears the alert,
        # the crew takes the new key through the statement like everyone else.
        head = HeadKeeper(chain.nodes["vault"].store, chain.nodes["vault"].directory).heads()[0]
        stop_node(chain, "hub")
        _cli(
            "trust", "rotate-hub", str(tmp_path / "hub" / "request.cbor"),
            "--dir", str(trust.home.path),
            "--old", str(tmp_path / "hub" / "request.replaced.cbor"),
            "--size", str(head.size), "--root", head.root.hex(),
            "--out-dir", str(tmp_path / "rotation"),
        )  # fmt: skip
        rotation = [str(tmp_path / "rotation" / f) for f in
                    ("certificate.cbor", "transition.cbor", "revocation.cbor")]  # fmt: skip
        _cli("node", "import", *rotation, "--dir", str(tmp_path / "hub"))
        start_node(chain, tmp_path, "hub")
        with pytest.raises(HubMisbehaved):  # still blocked, but it has met the new key
            chain.sync("crew-1", "hub")
        _cli("alerts", "clear", "--dir", str(tmp_path / "crew-1"), "--hub", "hub",
             "--reason", "hub re-keyed, transition imported", "--by", "A9001")  # fmt: skip
        chain.sync("crew-1", "hub")
        crew = chain.nodes["crew-1"]
        new_log = log_id_from_key(chain.nodes["hub"].keys.sign_public)
        assert HeadKeeper(crew.store, crew.directory).accepted(new_log) is not None
        assert [a.kind for a in alerts(crew)] == ["uncertified-hub-key"]  # no new one
    finally:
        chain.close()


def test_a_postgresql_hub_is_rekeyed_in_place(tmp_path: Path, trust: Trust, pg_url: str) -> None:
    """The same commands for a hub whose log is in PostgreSQL (`--database`)."""
    make_node(tmp_path / "hub", trust, role="hub", name="hub", secret=HUB_SECRET).close()
    hub = Node.open(tmp_path / "hub", HUB_SECRET, store_url=pg_url)
    crew = make_node(tmp_path / "crew", trust, name="crew-1")
    try:
        record, _ = crew.open_record(user="P1", data={"callsign": "RRV-1"})
        with TestClient(create_app(hub)) as client:
            sync_with(crew, client)
        hub.close()
        [head] = HeadKeeper(crew.store, crew.directory).heads()
        _cli("node", "rekey", "--dir", str(tmp_path / "hub"), "--database", pg_url)
        _cli(
            "trust", "rotate-hub", str(tmp_path / "hub" / "request.cbor"),
            "--dir", str(trust.home.path),
            "--old", str(tmp_path / "hub" / "request.replaced.cbor"),
            "--size", str(head.size), "--root", head.root.hex(),
            "--out-dir", str(tmp_path / "rotation"),
        )  # fmt: skip
        rotation = [str(tmp_path / "rotation" / f) for f in
                    ("certificate.cbor", "transition.cbor", "revocation.cbor")]  # fmt: skip
        _cli("node", "import", *rotation, "--dir", str(tmp_path / "hub"))
        hub = Node.open(tmp_path / "hub", HUB_SECRET, store_url=pg_url)
        assert verify_node(hub) == []  # its own head, signed again with the new key
        crew.append(record=record, user="P1", kind="note.added", data={"text": "after"})
        with TestClient(create_app(hub)) as client:
            sync_with(crew, client)
            sync_with(crew, client)
        assert alerts(crew) == []
        accepted = HeadKeeper(crew.store, crew.directory).accepted(
            log_id_from_key(hub.keys.sign_public)
        )
        assert accepted is not None and accepted.size == hub.store.count()
        assert {s.entry.id for s in crew.store.record(record)} <= {
            s.entry.id for s in hub.store.record(record)
        }
    finally:
        hub.close()
        crew.close()


def test_the_key_is_replaced_under_running_sync_loops_and_the_live_stream(
    tmp_path: Path, trust: Trust
) -> None:
    """Over real HTTP: the crew syncs in its loop, the hospital follows the hub live; the hub
    stops, is re-keyed and comes back on the same address; both carry on by themselves."""
    make_node(tmp_path / "hub", trust, role="hub", name="hub", secret=HUB_SECRET).close()
    crew = make_node(tmp_path / "crew-1", trust, name="crew-1")
    hospital = make_node(tmp_path / "hospital-a", trust, role="hospital", name="hospital-a")
    hub = Node.open(tmp_path / "hub", HUB_SECRET)
    served = ServedApp(create_app(hub))
    loops: list[SyncLoop] = []
    try:
        with httpx.Client(base_url=served.url) as http:
            sync_with(hospital, http)
            sync_with(crew, http)
        loops = [
            SyncLoop(crew, (served.url,), interval=0.2),
            SyncLoop(hospital, (served.url,), live=(served.url,), interval=0.2),
        ]
        for loop in loops:
            loop.start()
        record, _ = crew.open_record(user="P1", data={"callsign": "RRV-1"})
        crew.address_to(record=record, user="P1", node_name="hospital-a")

        def arrived() -> bool:
            want = {s.entry.id for s in crew.store.record(record)}
            return want <= {s.entry.id for s in hospital.store.record(record)}

        wait_until(arrived)
        served.stop()
        hub.close()
        # The nodes keep writing (the hospital its receipts) until the hub stops: the head
        # to vouch for is the stopped hub's own, the largest any node can hold.
        out = _cli("node", "heads", "--dir", str(tmp_path / "hub"))
        [line] = [x for x in out.splitlines() if x.startswith("own log ")]
        size, root = line.split("size ")[1].split()[0], line.split("root ")[1].split()[0]
        _cli("node", "rekey", "--dir", str(tmp_path / "hub"))
        _cli(
            "trust", "rotate-hub", str(tmp_path / "hub" / "request.cbor"),
            "--dir", str(trust.home.path),
            "--old", str(tmp_path / "hub" / "request.replaced.cbor"),
            "--size", size, "--root", root,
            "--out-dir", str(tmp_path / "rotation"),
        )  # fmt: skip
        rotation = [str(tmp_path / "rotation" / f) for f in
                    ("certificate.cbor", "transition.cbor", "revocation.cbor")]  # fmt: skip
        _cli("node", "import", *rotation, "--dir", str(tmp_path / "hub"))
        hub = Node.open(tmp_path / "hub", HUB_SECRET)
        served = ServedApp(create_app(hub), port=served.port)
        crew.append(record=record, user="P1", kind="note.added", data={"text": "after"})
        wait_until(arrived, timeout=60)
        new_log = log_id_from_key(hub.keys.sign_public)
        wait_until(lambda: HeadKeeper(hospital.store, hospital.directory).accepted(new_log)
                   is not None)  # fmt: skip
        assert alerts(crew) == [] and alerts(hospital) == []
    finally:
        for loop in loops:
            loop.stop()
        served.stop()
        for node in (hub, crew, hospital):
            node.close()
