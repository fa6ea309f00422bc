"""The hub admin console: overview, log head, alerts, peers, the directory, enrol, revoke."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pyotp
import pytest
from fastapi.testclient import TestClient

from carechain.accounts import FAST_FOR_TESTS, AccountStore
from carechain.app import create_app
from carechain.node import Node, init_node
from carechain.node.audit import read_audit
from carechain.sync.client import sync_with
from carechain.sync.heads import HeadKeeper
from carechain.sync.loop import SyncLoop
from carechain.testing import FAST_KDF, Trust, make_node, make_trust
from carechain.trust import DIRECTORY_RECORD
from carechain.trust.authority import certify, revoke
from carechain.web import accounts_key
from tests.conftest import OPENED
from tests.web.conftest import Site
from tests.web.test_admin_support import (
    ADMIN,
    ADMIN_PASSWORD,
    LEAD_PASSWORD,
    by_testid,
    close,
    console_site,
    login_admin,
    login_auditor,
    row,
)


@pytest.fixture
def hub(tmp_path: Path, trust: Trust) -> Iterator[Site]:
    site = console_site(tmp_path / "hub", trust)
    yield site
    close(site)


@pytest.fixture
def crew_node(tmp_path: Path, trust: Trust) -> Iterator[Node]:
    node = make_node(tmp_path / "crew", trust, name="crew-1")
    yield node
    node.close()


def _pushed(crew_node: Node, hub: Site) -> None:
    """Write a record on the crew and push it to the hub."""
    crew_node.open_record(user="P100234", data=OPENED)
    report = sync_with(crew_node, hub.client)
    assert report.pushed > 0 and not report.refused


def _directory_size(site: Site) -> int:
    return len(site.node.store.record(DIRECTORY_RECORD))


def _upload(site: Site, form: str, data: bytes, name: str = "entry.cbor") -> httpx.Response:
    response: httpx.Response = site.client.post(
        f"/admin/nodes/{form}", data={"csrf": site.csrf("/admin/nodes")},
        files={"file": (name, data, "application/octet-stream")}, follow_redirects=False)
    return response


# --- overview ---------------------------------------------------------------------------


def test_overview_shows_the_node_and_its_log_head_growing_after_a_push(
    hub: Site, crew_node: Node
) -> None:
    login_admin(hub)
    page = hub.client.get("/admin")
    assert page.status_code == 200
    assert by_testid(page.text, "node-name") == "hub"
    assert by_testid(page.text, "node-role") == "hub"
    before = int(by_testid(page.text, "log-size"))
    root_before = by_testid(page.text, "log-root")
    assert 'id="no-alerts"' in page.text

    _pushed(crew_node, hub)

    page = hub.client.get("/admin")
    after = int(by_testid(page.text, "log-size"))
    assert after > before
    assert after == int(by_testid(page.text, "node-entries"))  # the tree covers the log
    assert by_testid(page.text, "log-root") != root_before
    assert int(by_testid(page.text, "node-entries")) == hub.node.store.count()
    assert int(by_testid(page.text, "node-records")) >= 2  # the directory and the crew's record


def test_an_integrity_alert_is_prominent_on_the_overview(hub: Site) -> None:
    login_admin(hub)
    HeadKeeper(hub.node.store, hub.node.directory).alert(
        "hub-b", b"\x01" * 32, "LogForked", "two heads of size 5 with different roots")
    page = hub.client.get("/admin")
    assert page.status_code == 200
    assert 'id="alerts"' in page.text and 'role="alert"' in page.text
    assert 'id="no-alerts"' not in page.text
    assert by_testid(page.text, "alert-kind") == "LogForked"
    assert by_testid(page.text, "alert-hub") == "hub-b"
    assert by_testid(page.text, "alert-detail") == "two heads of size 5 with different roots"
    assert re.search(r'data-testid="alert-time"[^>]*>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC<',
                     page.text)
    assert 'data-testid="blocked-hub"' in page.text  # syncing with it stopped, and says so


def test_the_overview_shows_the_hub_heads_the_node_holds(
    tmp_path: Path, trust: Trust, hub: Site, crew_node: Node
) -> None:
    """A vault that synced with the hub holds its head and shows it."""
    _pushed(crew_node, hub)
    vault = console_site(tmp_path / "vault", trust, role="vault", name="vault")
    try:
        sync_with(vault.node, hub.client)
        login_admin(vault)
        page = vault.client.get("/admin")
        assert page.status_code == 200
        assert 'id="log-head"' not in page.text  # a vault keeps no transparency log
        head = row(page.text, "data-hub", "hub")
        held = int(by_testid(head, "hub-head-size"))
        assert held == hub.node.store.count()  # the hub's whole log, as it signed it
        assert "consistent" in head
    finally:
        close(vault)


def test_the_overview_shows_each_peers_sync_status(tmp_path: Path, trust: Trust) -> None:
    node = make_node(tmp_path / "hub2", trust, role="hub", name="hub-2")
    accounts = AccountStore(tmp_path / "hub2" / "accounts.db", accounts_key(node),
                            cost=FAST_FOR_TESTS)
    _, uri = accounts.create_person(ADMIN, "Robin Admin", "admin", ADMIN_PASSWORD,
                                    node_role="hub", now_ms=node.clock_ms())
    assert uri is not None
    loop = SyncLoop(node, ("http://127.0.0.1:9",))  # nothing listens on the discard port
    client = TestClient(create_app(node, sync_loop=loop, accounts=accounts),
                        base_url="http://127.0.0.1")
    site = Site(node, accounts, client, {ADMIN: pyotp.parse_uri(uri).secret})
    try:
        loop.sync_peer(loop.peers["http://127.0.0.1:9"])
        login_admin(site)
        page = site.client.get("/admin")
        peer = row(page.text, "data-url", "http://127.0.0.1:9")
        assert "unreachable" in peer
        assert by_testid(peer, "peer-error") not in ("", "—")
        assert 'id="no-sync-loop"' not in page.text
    finally:
        close(site)


def test_a_node_without_a_sync_loop_says_so(hub: Site) -> None:
    login_admin(hub)
    assert 'id="no-sync-loop"' in hub.client.get("/admin").text


# --- nodes, enrol, revoke -----------------------------------------------------------------


def test_the_nodes_page_lists_the_crew_with_its_certificate_and_last_sync(
    hub: Site, crew_node: Node
) -> None:
    _pushed(crew_node, hub)
    login_admin(hub)
    page = hub.client.get("/admin/nodes")
    assert page.status_code == 200
    crew = row(page.text, "data-node", "crew-1")
    assert by_testid(crew, "node-role") == "crew"
    assert by_testid(crew, "node-org") == "Example Ambulance Service NHS Trust"
    assert 'data-state="valid"' in crew
    assert crew_node.keys.key_id.hex()[:16] in crew
    assert 'data-revoked="no"' in crew
    assert "latest entry from it" in crew
    hub_row = row(page.text, "data-node", "hub")
    assert "this node" in hub_row


def test_uploading_a_revocation_shows_the_crew_revoked_and_is_audited(
    hub: Site, crew_node: Node, trust: Trust
) -> None:
    _pushed(crew_node, hub)
    login_admin(hub)
    at = crew_node.clock_ms()
    entry = revoke(trust.root, sig_key=crew_node.keys.sign_public, at_ms=at,
                   reason="tablet stolen")
    r = _upload(hub, "revoke", entry.to_wire(), "crew-1.revocation")
    assert r.status_code == 303
    page = hub.client.get(r.headers["location"])
    assert "Revocation of crew-1 stored" in by_testid(page.text, "directory-notice")
    crew = row(page.text, "data-node", "crew-1")
    assert 'data-revoked="yes"' in crew
    assert by_testid(crew, "node-revoked-reason") == "tablet stolen"
    assert hub.node.directory.revoked[crew_node.keys.key_id] == (at, "tablet stolen")
    assert hub.node.store.get(entry.id) is not None  # stored, so sync carries it on
    grants = [e for e in read_audit(hub.node) if e["action"] == "key.grant"]
    assert grants[-1]["outcome"] == "success" and grants[-1]["staff_id"] == "A9001"
    assert grants[-1]["detail"]["directory"] == "revocation"
    assert grants[-1]["detail"]["node"] == "crew-1"
    assert grants[-1]["detail"]["reason"] == "tablet stolen"

    again = _upload(hub, "revoke", entry.to_wire())
    page = hub.client.get(again.headers["location"])
    assert "already in the directory" in by_testid(page.text, "directory-notice")


def test_enrolling_a_certificate_entry_adds_the_node(
    tmp_path: Path, hub: Site, trust: Trust
) -> None:
    request = init_node(tmp_path / "ed", name="royal-infirmary-ed", role="hospital",
                        org="Royal Infirmary", secret="operator-secret", cost=FAST_KDF)
    cert, entry = certify(trust.root, request, not_before_ms=hub.node.clock_ms() - 1000,
                          days=30)
    login_admin(hub)
    r = _upload(hub, "enrol", entry.to_wire(), "ed.cert")
    assert r.status_code == 303
    page = hub.client.get(r.headers["location"])
    assert "Certificate for royal-infirmary-ed stored" in page.text
    ed = row(page.text, "data-node", "royal-infirmary-ed")
    assert by_testid(ed, "node-role") == "hospital"
    assert by_testid(ed, "node-org") == "Royal Infirmary"
    assert "not known here" in ed
    assert cert.key_id in hub.node.directory.certs
    event = [e for e in read_audit(hub.node) if e["action"] == "key.grant"][-1]
    assert event["detail"]["directory"] == "certificate"
    assert event["detail"]["node"] == "royal-infirmary-ed"


def test_expired_and_future_certificates_are_marked(
    tmp_path: Path, hub: Site, trust: Trust
) -> None:
    now = hub.node.clock_ms()
    for name, start in (("old-tablet", now - 40 * 86_400_000), ("next-tablet", now + 86_400_000)):
        request = init_node(tmp_path / name, name=name, role="crew", org="Example",
                            secret="operator-secret", cost=FAST_KDF)
        _, entry = certify(trust.root, request, not_before_ms=start, days=30)
        hub.node.ingest([entry])
    login_admin(hub)
    page = hub.client.get("/admin/nodes").text
    assert 'data-state="expired"' in row(page, "data-node", "old-tablet")
    assert 'data-state="not yet valid"' in row(page, "data-node", "next-tablet")


def _clinical_entry(crew_node: Node) -> bytes:
    record, _ = crew_node.open_record(user="P100234", data=OPENED)
    return crew_node.store.record(record)[-1].entry.to_wire()


@pytest.mark.parametrize(("form", "make", "message"), [
    ("revoke", lambda t, c, o: b"", "Choose the revocation entry file"),
    ("revoke", lambda t, c, o: b"this is not an entry at all", "not a carechain entry"),
    ("revoke", lambda t, c, o: b"\x82" + b"\x00" * 40, "not a carechain entry"),
    ("enrol", lambda t, c, o: b"x" * 20_000, "too large"),
    ("revoke", lambda t, c, o: _clinical_entry(c), "not a directory entry"),
    ("revoke", lambda t, c, o: revoke(o.root, sig_key=c.keys.sign_public, at_ms=1,
                                      reason="forged").to_wire(), "not signed by this trust"),
    ("enrol", lambda t, c, o: revoke(t.root, sig_key=c.keys.sign_public, at_ms=1,
                                     reason="wrong form").to_wire(), "use the Revoke form"),
])
def test_a_bad_upload_is_refused_next_to_the_field_and_stores_nothing(
    tmp_path: Path, hub: Site, crew_node: Node, trust: Trust, form: str,
    make: Callable[[Trust, Node, Trust], bytes], message: str,
) -> None:
    other = make_trust(tmp_path / "other-trust")
    data = make(trust, crew_node, other)
    login_admin(hub)
    directory, entries = _directory_size(hub), hub.node.store.count()
    r = _upload(hub, form, data)
    assert r.status_code == 422
    text = r.text
    error = re.search(rf'id="{form}-file-error"[^>]*>(.*?)</p>', text, re.S)
    assert error and message in error.group(1), text
    assert 'aria-invalid="true"' in text
    assert _directory_size(hub) == directory and not hub.node.directory.revoked
    # Nothing but the audit event of the refusal itself reached the log.
    assert hub.node.store.count() == entries + 1
    refused = read_audit(hub.node)[-1]
    assert refused["action"] == "key.grant" and refused["outcome"] == "refused"


def test_an_upload_without_the_form_token_is_refused(
    hub: Site, crew_node: Node, trust: Trust
) -> None:
    login_admin(hub)
    entry = revoke(trust.root, sig_key=crew_node.keys.sign_public, at_ms=1, reason="stolen")
    r = hub.client.post("/admin/nodes/revoke", data={"csrf": "forged"},
                        files={"file": ("r", entry.to_wire(), "application/octet-stream")})
    assert r.status_code == 403
    assert not hub.node.directory.revoked and hub.node.store.get(entry.id) is None


# --- who may see the console -------------------------------------------------------------


def test_the_console_needs_a_login(hub: Site) -> None:
    r = hub.client.get("/admin", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/admin"


@pytest.mark.parametrize("path", ["/admin", "/admin/nodes", "/admin/people"])
def test_an_auditor_may_not_use_the_console(hub: Site, path: str) -> None:
    login_auditor(hub)
    assert hub.client.get(path).status_code == 403
    page = hub.client.get(path, headers={"accept": "text/html"})
    assert page.status_code == 403 and "Not allowed" in page.text


def test_an_auditor_may_not_upload(hub: Site, crew_node: Node, trust: Trust) -> None:
    login_auditor(hub)
    entry = revoke(trust.root, sig_key=crew_node.keys.sign_public, at_ms=1, reason="stolen")
    csrf = hub.csrf("/audit")
    r = hub.client.post("/admin/nodes/revoke", data={"csrf": csrf},
                        files={"file": ("r", entry.to_wire(), "application/octet-stream")})
    assert r.status_code == 403 and not hub.node.directory.revoked


def test_a_clinical_lead_may_not_use_the_console(hub: Site) -> None:
    hub.login("CL3001", LEAD_PASSWORD)
    assert hub.client.get("/admin").status_code == 403


def test_the_console_is_served_on_a_vault(tmp_path: Path, trust: Trust) -> None:
    vault = console_site(tmp_path / "vault", trust, role="vault", name="vault")
    try:
        login_admin(vault)
        page = vault.client.get("/admin")
        assert page.status_code == 200 and by_testid(page.text, "node-role") == "vault"
    finally:
        close(vault)
