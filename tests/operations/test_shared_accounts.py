"""Two hub processes on one PostgreSQL database share logins and token revocations: a
session opened through one is good at the other, and a token revoked with the CLI is
refused by both at their next request."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from typer.testing import CliRunner

from carechain.accounts._pg import drop_accounts_schema
from carechain.cli import app
from carechain.testing import Trust, make_node
from tests.store.engines import pg_url  # noqa: F401  (the fixture)
from tests.sync.test_postgres_hub import SECRET, _port, _serve, _up

PASSWORD = "violet tractor harbour 42"


def _cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), env={"CARECHAIN_SECRET": SECRET,
                                                       "CARECHAIN_PERSON_SECRET": PASSWORD})
    assert result.exit_code == 0, result.output
    return result.output


def test_two_hub_processes_share_a_login_and_a_token_revocation(
    tmp_path: Path, trust: Trust, pg_url: str  # noqa: F811
) -> None:
    hub = tmp_path / "hub"
    make_node(hub, trust, role="hub", name="hub", secret=SECRET).close()
    try:
        _cli("account", "add", "--dir", str(hub), "--database", pg_url, "--staff-id", "AU1",
             "--name", "Avery Quinn", "--role", "auditor")
        issued = _cli("token", "issue", "--dir", str(hub), "--database", pg_url, "--name",
                      "audit feed", "--role", "auditor", "--expires", "1d")
        token = re.search(r"(cct_\S+)", issued)
        client_id = re.search(r"issued (cl_[0-9a-f]+)", issued)
        assert token and client_id
        ports = [_port(), _port()]
        procs = [_serve(hub, p, pg_url) for p in ports]
        a, b = (f"http://127.0.0.1:{p}" for p in ports)
        try:
            _up(a, tmp_path / f"hub-{ports[0]}.log")
            _up(b, tmp_path / f"hub-{ports[1]}.log")
            with httpx.Client(base_url=a) as ha, httpx.Client(base_url=b) as hb:
                r = ha.post("/login", data={"staff_id": "AU1", "secret": PASSWORD, "next": "/"})
                assert r.status_code in (200, 303), r.text
                hb.cookies.update(ha.cookies)
                assert hb.get("/audit").status_code == 200  # the session made at A, at B
                bearer = {"Authorization": f"Bearer {token.group(1)}"}
                assert ha.get("/sync/status", headers=bearer).status_code == 200
                assert hb.get("/sync/status", headers=bearer).status_code == 200
                _cli("token", "revoke", "--dir", str(hub), "--database", pg_url,
                     client_id.group(1))
                assert ha.get("/sync/status", headers=bearer).status_code == 401
                assert hb.get("/sync/status", headers=bearer).status_code == 401
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(20)
    finally:
        drop_accounts_schema(pg_url)
