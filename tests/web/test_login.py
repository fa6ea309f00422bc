"""Logging in and out; failures, lockout and the audit trail they leave."""

from __future__ import annotations

from pathlib import Path

from carechain.node.audit import read_audit
from carechain.testing import Trust
from tests.web.conftest import PIN, Site, make_site


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
    assert r.status_code == 429 and "locked" in r.text  # docs/accounts.md: 429, not 422
    actions = [e["action"] for e in read_audit(crew_site.node)]
    assert actions[:6] == ["login.failed"] * 5 + ["account.lock"]
    assert actions[6:] == ["login.failed"]  # the attempt while locked is refused and kept


def test_pages_need_a_login(crew_site: Site) -> None:
    r = crew_site.client.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"


def _lock(site: Site, staff_id: str = "P100234") -> None:
    for _ in range(5):
        site.client.post("/login", data={"staff_id": staff_id, "secret": "000000"})


def test_the_crew_login_shows_no_authenticator_field(crew_site: Site) -> None:
    page = crew_site.client.get("/login").text
    assert 'id="totp"' not in page and "Authenticator" not in page


def test_a_crew_admin_is_asked_for_the_code_only_once_the_pin_is_right(crew_site: Site) -> None:
    crew_site.accounts.create_person("A100", "Ada Admin", "admin", "270415", node_role="crew",
                                     now_ms=crew_site.node.clock_ms())
    r = crew_site.client.post("/login", data={"staff_id": "A100", "secret": "270415"})
    assert r.status_code == 422 and 'id="totp"' in r.text and 'id="totp-error"' in r.text


def test_the_right_password_without_a_code_is_in_the_audit_log(crew_site: Site) -> None:
    crew_site.accounts.create_person("A100", "Ada Admin", "admin", "270415", node_role="crew",
                                     now_ms=crew_site.node.clock_ms())
    crew_site.client.post("/login", data={"staff_id": "A100", "secret": "270415"})
    events = read_audit(crew_site.node)
    assert [(e["action"], e["staff_id"], e["role"], e["detail"]["reason"]) for e in events] == [
        ("login.failed", "A100", "admin", "second-factor-missing")]
    assert crew_site.accounts.person("A100").failed_attempts == 0  # type: ignore[union-attr]


def test_a_locked_crew_login_offers_the_colleague_unlock(crew_site: Site) -> None:
    _lock(crew_site)
    r = crew_site.client.post("/login", data={"staff_id": "P100234", "secret": PIN})
    assert r.status_code == 429
    assert 'href="/login/unlock?staff_id=P100234"' in r.text


def test_a_colleague_unlocks_the_tablet_offline_and_it_is_audited(crew_site: Site) -> None:
    _lock(crew_site)
    form = crew_site.client.get("/login/unlock?staff_id=P100234")
    assert form.status_code == 200 and 'value="P100234"' in form.text
    r = crew_site.client.post("/login/unlock", data={
        "staff_id": "P100234", "colleague": "T200117", "secret": "739201"},
        follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?unlocked=P100234"
    assert "P100234 is unlocked" in crew_site.client.get(r.headers["location"]).text
    unlock = [e for e in read_audit(crew_site.node) if e["detail"].get("change") == "unlock"]
    assert [(e["action"], e["staff_id"], e["detail"]) for e in unlock] == [
        ("account.lock", "T200117",
         {"change": "unlock", "target": "P100234", "method": "crew-colleague"})]
    crew_site.login("P100234", PIN)


def test_the_unlock_form_shows_every_missing_field_and_refuses_oneself(crew_site: Site) -> None:
    r = crew_site.client.post("/login/unlock", data={})
    assert r.status_code == 422
    for field in ("staff_id", "colleague", "secret"):
        assert f'id="{field}-error"' in r.text
    _lock(crew_site)
    r = crew_site.client.post("/login/unlock", data={
        "staff_id": "P100234", "colleague": "P100234", "secret": PIN})
    assert r.status_code == 422 and 'id="colleague-error"' in r.text
    r = crew_site.client.post("/login/unlock", data={
        "staff_id": "P100234", "colleague": "T200117", "secret": "000000"})
    assert r.status_code == 422 and "not recognised" in r.text


def test_a_locked_colleague_answers_429(crew_site: Site) -> None:
    _lock(crew_site)
    _lock(crew_site, "T200117")
    r = crew_site.client.post("/login/unlock", data={
        "staff_id": "P100234", "colleague": "T200117", "secret": "739201"})
    assert r.status_code == 429


def test_the_control_rooms_code_unlocks_a_single_crewed_tablet(crew_site: Site) -> None:
    import pyotp

    _, uri = crew_site.accounts.create_person("A100", "Ops Desk", "admin", "270415",
                                              node_role="crew",
                                              now_ms=crew_site.node.clock_ms())
    code = pyotp.TOTP(pyotp.parse_uri(uri).secret).now()  # type: ignore[arg-type]
    _lock(crew_site)
    page = crew_site.client.get("/login/unlock?staff_id=P100234").text
    assert 'id="code-form"' in page and 'action="/login/unlock/code"' in page
    r = crew_site.client.post("/login/unlock/code", data={
        "staff_id": "P100234", "admin": "A100", "code": code}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?unlocked=P100234"
    unlock = [e for e in read_audit(crew_site.node) if e["detail"].get("change") == "unlock"]
    assert [(e["staff_id"], e["detail"]["method"]) for e in unlock] == [
        ("A100", "control-room-code")]
    _lock(crew_site)
    again = crew_site.client.post("/login/unlock/code", data={
        "staff_id": "P100234", "admin": "A100", "code": code})
    assert again.status_code == 422 and 'id="code_form-error"' in again.text  # once only


def test_the_code_form_shows_every_missing_field(crew_site: Site) -> None:
    r = crew_site.client.post("/login/unlock/code", data={})
    assert r.status_code == 422
    for field in ("code_staff_id", "admin", "code"):
        assert f'id="{field}-error"' in r.text


def test_only_a_crew_node_serves_the_unlock_pages(tmp_path: Path, trust: Trust) -> None:
    site = make_site(tmp_path / "hub", trust, "hub", "hub", [])
    try:
        assert site.client.get("/login/unlock").status_code == 404
        assert site.client.post("/login/unlock/code", data={}).status_code == 404
    finally:
        site.client.close()
        site.accounts.close()
        site.node.close()


def test_the_unlocked_notice_is_not_taken_from_the_url_alone(crew_site: Site) -> None:
    assert "is unlocked" not in crew_site.client.get("/login?unlocked=Your+bank").text
    _lock(crew_site)
    assert "is unlocked" not in crew_site.client.get("/login?unlocked=P100234").text
