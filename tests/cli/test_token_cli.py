"""`carechain token`: issue, list and revoke from the command line; the documented curl
calls work with an issued token against a served node, and stop once it is revoked."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from typer.testing import CliRunner

from carechain.app import create_app
from carechain.cli import app
from carechain.node import Node
from carechain.node.audit import read_audit
from carechain.operations.door import open_accounts
from carechain.testing import ServedApp, Trust, make_node

SECRET = "operator-secret"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "accounts.md"


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), env={"CARECHAIN_SECRET": SECRET,
                                                       "CARECHAIN_PERSON_SECRET": "482913"})
    assert result.exit_code == 0, result.output
    return result.output


def _curls() -> list[str]:
    """Return the curl calls in the accounts doc, joined across continuation lines."""
    text = DOCS.read_text().replace("\\\n", " ")
    return [line.strip() for line in text.splitlines() if line.strip().startswith("curl ")]


def test_issue_list_revoke_and_the_documented_curl_calls(tmp_path: Path, trust: Trust) -> None:
    path = tmp_path / "crew"
    make_node(path, trust, secret=SECRET).close()
    _run("account", "add", "--dir", str(path), "--staff-id", "P100234", "--name", "Sam Patel",
         "--role", "paramedic")
    out = _run("token", "issue", "--dir", str(path), "--name", "handover script",
               "--staff", "P100234", "--expires", "12h")
    token = re.search(r"token \(shown once\): (cct_\S+)", out)
    client_id = re.search(r"issued (cl_[0-9a-f]+)", out)
    assert token and client_id, out
    listed = _run("token", "list", "--dir", str(path))
    assert client_id.group(1) in listed and "live" in listed and token.group(1) not in listed

    node = Node.open(path, SECRET)
    accounts = open_accounts(path, node)
    served = ServedApp(create_app(node, accounts=accounts))
    try:
        calls = _curls()
        assert len(calls) == 2
        answers = []
        for call in calls:
            command = call.replace("$TOKEN", token.group(1)).replace(
                "http://127.0.0.1:8470", served.url)
            done = subprocess.run(["bash", "-c", command + " -w '\\n%{http_code}'"],
                                  capture_output=True, text=True, timeout=30, check=True)
            body, status = done.stdout.rsplit("\n", 1)
            answers.append((int(status), json.loads(body)))
        assert answers[0][0] == 200 and answers[0][1] == []
        assert answers[1][0] == 201 and len(answers[1][1]["record_id"]) == 32
        _run("token", "revoke", "--dir", str(path), client_id.group(1))
        again = subprocess.run(
            ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H",
             f"Authorization: Bearer {token.group(1)}", f"{served.url}/records"],
            capture_output=True, text=True, timeout=30, check=True)
        assert again.stdout == "401"
        actions = [e["action"] for e in read_audit(node)]
        assert actions.count("client.issue") == 1 and actions.count("client.revoke") == 1
        assert "account.create" in actions and "record.write" in actions
    finally:
        served.stop()
        accounts.close()
        node.close()
