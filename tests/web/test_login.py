"""Logging in and out; failures, lockout and the audit trail they leave."""

from __future__ import annotations

from carechain.node.audit import read_audit
from tests.web.conftest import PIN, Site


def test_login_sets_a_secure_session_cookie_and_logout_ends_it(crew_site: Site) -> None:
    r = crew_site.client.post("/login", data={"staff_id": "P100234", "secret": PIN, "next": "/"},
                              follow_redirects=False)
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    events = [e["action"] for e in read_audit(crew_site.node)]
    assert events == ["login"]


def test_wrong_pin_is_refused_with_a_message_and_audited(crew_site: Site) -> None:
    r = crew_site.client.post("/login", data={"staff_id": "P100234", "secret": "000000"})
    assert r.status_code == 422
    assert "not recognised" in r.text
    assert [e["action"] for e in read_audit(crew_site.node)] == ["login.failed"]


def test_empty_fields_get_messages_next_to_them(crew_site: Site) -> None:
    r = crew_site.client.post("/login", data={"staff_id": "", "secret": ""})
    assert r.status_code == 422
    assert 'id="staff_id-error"' in r.text and 'id="secret-error"' in r.text


def test_five_failures_lock_the_account(crew_site: Site) -> None:
    for _ in range(5):
        crew_site.client.post("/login", data={"staff_id": "P100234", "secret": "000000"})
    r = crew_site.client.post("/login", data={"staff_id": "P100234", "secret": PIN})
    assert r.status_code == 422 and "locked" in r.text
    actions = [e["action"] for e in read_audit(crew_site.node)]
    assert actions[:6] == ["login.failed"] * 5 + ["account.lock"]
    assert actions[6:] == ["login.failed"]  # the attempt while locked is refused and kept


def test_pages_need_a_login(crew_site: Site) -> None:
    r = crew_site.client.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
