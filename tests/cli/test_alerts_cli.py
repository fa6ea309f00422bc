"""`carechain alerts`: an operator sees why a node stopped syncing with a hub, and lets it
try again with a reason that goes into the audit trail; nothing else changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from carechain.app import create_app
from carechain.cli import app
from carechain.node import Node
from carechain.node.audit import read_audit
from carechain.sync.client import sync_with
from carechain.sync.heads import HeadKeeper, HubMisbehaved
from carechain.testing import Trust, make_node
from carechain.transparency import log_id_from_key

SECRET = "operator-secret"


def _blocked_crew(tmp_path: Path, trust: Trust) -> Path:
    """A crew that synced with the hub, then raised an integrity alert about it (how such
    alerts are raised is tested in tests/sync/test_hostile_hub.py)."""
    hub = make_node(tmp_path / "hub", trust, role="hub", name="hub", secret=SECRET)
    crew = make_node(tmp_path / "crew", trust, secret=SECRET)
    try:
        with TestClient(create_app(hub)) as client:
            record, _ = crew.open_record(user="P1", data={"callsign": "RRV-1"})
            crew.append(record=record, user="P1", kind="note.added", data={"text": "first"})
            sync_with(crew, client)
        keeper = HeadKeeper(crew.store, crew.directory)
        [cert] = [c for c in crew.directory.nodes("hub") if c.name == "hub"]
        keeper.alert("hub", log_id_from_key(cert.sig_key), "LogRolledBack",
                     "size went down from 5 to 2")
    finally:
        crew.close()
        hub.close()
    return tmp_path / "crew"


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"CARECHAIN_SECRET": SECRET})
    return result.exit_code, result.output


def test_list_names_the_alert_and_the_blocked_hub(tmp_path: Path, trust: Trust) -> None:
    crew_dir = _blocked_crew(tmp_path, trust)
    code, out = _run("alerts", "list", "--dir", str(crew_dir))
    assert code == 0, out
    assert "hub  LogRolledBack  size went down from 5 to 2" in out
    assert "blocked: hub (LogRolledBack)" in out


@pytest.mark.parametrize(("args", "complaint"), [
    (["--hub", "hub", "--reason", "  ", "--by", "A9001"], "--reason"),
    (["--hub", "no-such-hub", "--reason", "checked", "--by", "A9001"], "no hub named"),
    (["--hub", "hub", "--reason", "checked", "--by", "not a staff id"], "staff_id"),
])
def test_clear_refuses_without_a_reason_a_known_hub_or_an_operator(
        tmp_path: Path, trust: Trust, args: list[str], complaint: str) -> None:
    crew_dir = _blocked_crew(tmp_path, trust)
    code, out = _run("alerts", "clear", "--dir", str(crew_dir), *args)
    assert code == 2 and complaint in out
    crew = Node.open(crew_dir, SECRET)
    try:
        assert HeadKeeper(crew.store, crew.directory).blocked_logs()  # still stopped
        assert not [e for e in read_audit(crew) if e["action"] == "hub.unblock"]
    finally:
        crew.close()


def test_clear_lets_the_node_sync_again_and_is_audited(tmp_path: Path, trust: Trust) -> None:
    crew_dir = _blocked_crew(tmp_path, trust)
    crew = Node.open(crew_dir, SECRET)
    hub = Node.open(tmp_path / "hub", SECRET)
    try:
        with TestClient(create_app(hub)) as client, pytest.raises(HubMisbehaved):
            sync_with(crew, client)  # stopped by the alert
    finally:
        crew.close()
    code, out = _run("alerts", "clear", "--dir", str(crew_dir), "--hub", "hub",
                     "--reason", "hub log checked against the vault: no entry lost",
                     "--by", "A9001")
    assert code == 0, out
    assert "hub: syncing allowed again" in out
    crew = Node.open(crew_dir, SECRET)
    try:
        keeper = HeadKeeper(crew.store, crew.directory)
        assert keeper.blocked_logs() == {}
        assert [a.kind for a in keeper.alerts()] == ["LogRolledBack"]  # kept in the history
        [event] = [e for e in read_audit(crew) if e["action"] == "hub.unblock"]
        assert (event["staff_id"], event["role"]) == ("A9001", "admin")
        assert event["detail"]["reason"].startswith("hub log checked")
        assert event["detail"]["alerts"] == ["LogRolledBack"]
        with TestClient(create_app(hub)) as client:
            report = sync_with(crew, client)  # the hub's log really is intact: it goes on
        assert report.head is not None
        code, out = _run("alerts", "clear", "--dir", str(crew_dir), "--hub", "hub",
                         "--reason", "again", "--by", "A9001")
        assert code == 2 and "not stopped" in out  # nothing to clear any more
    finally:
        crew.close()
        hub.close()


def test_forget_head_takes_the_hubs_next_head_as_a_first_one(
        tmp_path: Path, trust: Trust) -> None:
    crew_dir = _blocked_crew(tmp_path, trust)
    code, out = _run("alerts", "clear", "--dir", str(crew_dir), "--hub", "hub",
                     "--reason", "hub rebuilt from the vault", "--by", "A9001",
                     "--forget-head")
    assert code == 0 and "taken as a first one" in out
    crew = Node.open(crew_dir, SECRET)
    try:
        keeper = HeadKeeper(crew.store, crew.directory)
        [cert] = [c for c in crew.directory.nodes("hub") if c.name == "hub"]
        assert keeper.accepted(log_id_from_key(cert.sig_key)) is None
        assert keeper.heads() == []  # nothing gossiped for it until a new head is accepted
    finally:
        crew.close()
