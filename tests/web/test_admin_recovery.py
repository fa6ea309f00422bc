"""The admin console's recovery card (issue 13, item 6): a rebuild under way and its
result, the restore the store came from, and the last independent verification report,
filed by an admin through the door (audited, refused when it does not hold)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from carechain.node.audit import read_audit
from carechain.node.progress import (
    REBUILD_KEY,
    RESTORE_KEY,
    VERIFICATION_KEY,
    read_status,
    write_status,
)
from carechain.testing import Trust, make_node, make_trust
from tests.web.conftest import Site
from tests.web.recovery_support import signed_report
from tests.web.test_admin_support import by_testid, close, console_site, login_admin, login_auditor


@pytest.fixture
def hub(tmp_path: Path, trust: Trust) -> Iterator[Site]:
    site = console_site(tmp_path / "hub", trust)
    yield site
    close(site)


def _file(site: Site, data: bytes, name: str = "report.json") -> httpx.Response:
    response: httpx.Response = site.client.post(
        "/admin/recovery/verification", data={"csrf": site.csrf("/admin")},
        files={"file": (name, data, "application/json")}, follow_redirects=False)
    return response


def _filings(site: Site) -> list[dict[str, object]]:
    return [e for e in read_audit(site.node) if e["action"] == "verification.file"]


def test_nothing_known_says_so(hub: Site) -> None:
    login_admin(hub)
    html = hub.client.get("/admin").text
    for name in ("no-rebuild", "no-restore", "no-verification"):
        assert by_testid(html, name)


def test_a_rebuild_under_way_and_the_restore_are_shown(hub: Site) -> None:
    write_status(hub.node.store, REBUILD_KEY, {
        "state": "running", "started_ms": 1_764_000_000_000, "updated_ms": 1_764_000_030_000,
        "done": 2500, "total": 10000, "placed": 2500, "entries_per_s": 21000, "lost": 0,
        "heads": 3, "heads_proven": 0, "error": ""})
    write_status(hub.node.store, RESTORE_KEY, {
        "at_ms": 1_763_990_000_000, "file": "hub-20251124T0300Z.ccbk", "node": "hub",
        "entries": 9000, "seconds": 0.2, "entries_per_s": 45000})
    login_admin(hub)
    html = hub.client.get("/admin").text
    assert 'data-state="running"' in html
    assert "2500 of 10000 (25%)" in html
    assert by_testid(html, "rebuild-rate").startswith("21000 entries/s")
    assert "hub-20251124T0300Z.ccbk" in html
    assert "9000 in 0.2 s" in by_testid(html, "restore-entries")


def test_an_admin_files_a_signed_report_and_the_console_shows_it(hub: Site) -> None:
    login_admin(hub)
    data = signed_report(hub.node)
    response = _file(hub, data)
    assert response.status_code == 303 and response.headers["location"].startswith("/admin")
    html = hub.client.get("/admin?filed=report").text
    document = json.loads(data)
    assert by_testid(html, "report-filed")
    assert 'data-clean="true"' in html
    assert document["signer"][:16] in by_testid(html, "verification-signer")
    assert f"{document['report']['entries']} entries" in html
    stored = read_status(hub.node.store, VERIFICATION_KEY)
    assert stored is not None and stored["document"] == document
    [event] = _filings(hub)
    assert event["outcome"] == "success" and event["staff_id"] == "A9001"
    assert event["detail"]["signer"] == document["signer"]  # type: ignore[index]


def test_a_report_that_does_not_hold_is_refused_and_audited(hub: Site) -> None:
    login_admin(hub)
    document = json.loads(signed_report(hub.node))
    document["report"]["entries"] += 1  # altered after signing
    response = _file(hub, json.dumps(document).encode())
    assert response.status_code == 422
    assert "signature does not hold" in by_testid(response.text, "report-error")
    assert _file(hub, b"not json").status_code == 422
    assert read_status(hub.node.store, VERIFICATION_KEY) is None
    assert [e["outcome"] for e in _filings(hub)] == ["refused", "refused"]


def test_a_report_of_another_trusts_hub_is_refused(hub: Site, tmp_path: Path) -> None:
    other = make_node(tmp_path / "other", make_trust(tmp_path / "other-trust"), role="hub",
                      name="hub")
    try:
        data = signed_report(other)
    finally:
        other.close()
    login_admin(hub)
    response = _file(hub, data)
    assert response.status_code == 422
    assert "no hub of this trust" in by_testid(response.text, "report-error")


def test_only_an_admin_files_a_report(hub: Site) -> None:
    login_auditor(hub)
    response = hub.client.post("/admin/recovery/verification", data={"csrf": "x"},
                               files={"file": ("r.json", b"{}", "application/json")},
                               follow_redirects=False)
    assert response.status_code in (303, 403)
    assert read_status(hub.node.store, VERIFICATION_KEY) is None
