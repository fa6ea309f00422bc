"""The console's people page: list, create (with TOTP for admins), unlock and disable."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyotp
import pytest

from carechain.node.audit import read_audit
from carechain.testing import Trust
from tests.web.conftest import Site
from tests.web.test_admin_support import (
    ADMIN,
    AUDITOR,
    AUDITOR_PASSWORD,
    by_testid,
    close,
    console_site,
    login_admin,
    row,
)

NEW_PASSWORD = "granite-orchard-kestrel"


@pytest.fixture
def hub(tmp_path: Path, trust: Trust) -> Iterator[Site]:
    site = console_site(tmp_path / "hub", trust)
    login_admin(site)
    yield site
    close(site)


def _create(site: Site, **fields: str) -> httpx.Response:
    data = {"csrf": site.csrf("/admin/people"), "staff_id": "AU7002",
            "display_name": "Morgan Ellis", "role": "auditor", "secret": NEW_PASSWORD,
            "secret_confirm": NEW_PASSWORD, **fields}
    response: httpx.Response = site.client.post("/admin/people", data=data)
    return response


def _post(site: Site, action: str, staff_id: str) -> httpx.Response:
    response: httpx.Response = site.client.post(
        f"/admin/people/{action}", data={"csrf": site.csrf("/admin/people"),
                                         "staff_id": staff_id}, follow_redirects=False)
    return response


def test_the_people_page_lists_every_account(hub: Site) -> None:
    page = hub.client.get("/admin/people")
    assert page.status_code == 200
    admin = row(page.text, "data-staff-id", ADMIN)
    assert by_testid(admin, "person-name") == "Robin Admin"
    assert by_testid(admin, "person-role") == "Administrator"
    assert by_testid(admin, "person-totp") == "yes"
    assert 'data-testid="disable"' not in admin  # not yourself
    auditor = row(page.text, "data-staff-id", AUDITOR)
    assert by_testid(auditor, "person-totp") == "no"
    assert 'data-locked="no"' in auditor and 'data-disabled="no"' in auditor
    roles = re.findall(r'<option value="([a-z_]+)"', page.text)
    assert roles == ["clinical_lead", "auditor", "admin", "dispatcher"]  # the roles a hub allows


def test_creating_an_account_lists_it_and_is_audited(hub: Site) -> None:
    r = _create(hub)
    assert r.status_code == 201
    text = r.text
    assert 'id="created-person"' in text and 'id="totp-uri"' not in text
    assert NEW_PASSWORD not in text
    assert by_testid(row(text, "data-staff-id", "AU7002"), "person-role") == "Auditor"
    event = read_audit(hub.node)[-1]
    assert event["action"] == "account.create" and event["staff_id"] == ADMIN
    assert event["detail"] == {"target": "AU7002", "target_role": "auditor", "totp": False,
                               "interface": "web", "actor": "person"}
    hub.login("AU7002", NEW_PASSWORD)  # the new person can log in
    assert hub.client.get("/audit").status_code == 200


def test_a_new_admin_gets_a_totp_uri_shown_once_that_works(hub: Site) -> None:
    r = _create(hub, staff_id="A9002", display_name="Sasha Grey", role="admin")
    assert r.status_code == 201
    assert r.headers["cache-control"] == "no-store"
    uri = re.search(r'id="totp-uri"[^>]*value="([^"]+)"', r.text)
    assert uri and uri.group(1).startswith("otpauth://totp/")
    secret = pyotp.parse_uri(uri.group(1).replace("&amp;", "&")).secret
    assert secret in r.text
    later = hub.client.get("/admin/people").text
    assert 'id="totp-uri"' not in later and secret not in later
    assert by_testid(row(later, "data-staff-id", "A9002"), "person-totp") == "yes"
    hub.login("A9002", NEW_PASSWORD, pyotp.TOTP(secret).now())
    assert hub.client.get("/admin").status_code == 200


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"staff_id": ""}, "staff_id", "Enter a staff id"),
    ({"staff_id": "has space"}, "staff_id", "A staff id is 1 to 64"),
    ({"staff_id": "has space", "display_name": ""}, "display_name", "Enter the person's name"),
    ({"staff_id": ADMIN}, "staff_id", "already taken"),
    ({"display_name": "  "}, "display_name", "Enter the person's name"),
    ({"role": "paramedic"}, "role", "Choose one of the roles"),
    ({"secret": "", "secret_confirm": ""}, "secret", "Enter a first password"),
    ({"secret": "short", "secret_confirm": "short"}, "secret", "at least 12 characters"),
    ({"secret": "password1234", "secret_confirm": "password1234"}, "secret", "common"),
    ({"secret_confirm": "granite-orchard-kestreL"}, "secret_confirm", "not the same"),
])
def test_bad_input_is_refused_next_to_its_field(
    hub: Site, fields: dict[str, str], field: str, message: str
) -> None:
    before = [p.staff_id for p in hub.accounts.list_people()]
    r = _create(hub, **fields)
    assert r.status_code == 422
    text = r.text
    error = re.search(rf'id="new-{field}-error">(.*?)</p>', text, re.S)
    assert error and message in html.unescape(error.group(1)), text
    assert f'aria-describedby="new-{field}-error"' in text
    assert [p.staff_id for p in hub.accounts.list_people()] == before
    assert "granite-orchard" not in text and "password1234" not in text  # never echoed
    assert read_audit(hub.node)[-1]["action"] == "login"


def test_unlocking_a_locked_account(hub: Site) -> None:
    for _ in range(5):
        hub.client.post("/login", data={"staff_id": AUDITOR, "secret": "wrong-password-1"})
    page = hub.client.get("/admin/people").text
    assert 'data-locked="yes"' in row(page, "data-staff-id", AUDITOR)
    r = _post(hub, "unlock", AUDITOR)
    assert r.status_code == 303
    page = hub.client.get(r.headers["location"]).text
    assert "is unlocked" in by_testid(page, "people-notice")
    assert 'data-locked="no"' in row(page, "data-staff-id", AUDITOR)
    event = read_audit(hub.node)[-1]
    assert event["action"] == "account.lock" and event["staff_id"] == ADMIN
    assert event["detail"]["target"] == AUDITOR and event["detail"]["change"] == "unlock"
    hub.login(AUDITOR, AUDITOR_PASSWORD)


def test_disabling_an_account_stops_its_logins(hub: Site) -> None:
    r = _post(hub, "disable", AUDITOR)
    assert r.status_code == 303
    page = hub.client.get(r.headers["location"]).text
    assert "is disabled" in by_testid(page, "people-notice")
    assert 'data-disabled="yes"' in row(page, "data-staff-id", AUDITOR)
    event = read_audit(hub.node)[-1]
    assert event["action"] == "account.lock" and event["detail"]["change"] == "disable"
    refused = hub.client.post("/login", data={"staff_id": AUDITOR, "secret": AUDITOR_PASSWORD})
    assert refused.status_code == 422


def test_an_admin_cannot_disable_themselves(hub: Site) -> None:
    r = _post(hub, "disable", ADMIN)
    assert r.status_code == 422
    assert "your own account" in by_testid(r.text, "people-error")
    admin = hub.accounts.person(ADMIN)
    assert admin is not None and not admin.disabled


def test_an_unknown_account_is_named(hub: Site) -> None:
    r = _post(hub, "unlock", "NOBODY1")
    assert r.status_code == 404
    assert "NOBODY1" in by_testid(r.text, "people-error")


@pytest.mark.parametrize("path", ["/admin/people", "/admin/people/unlock",
                                  "/admin/people/disable"])
def test_changes_need_the_form_token(hub: Site, path: str) -> None:
    r = hub.client.post(path, data={"csrf": "forged", "staff_id": AUDITOR,
                                    "display_name": "X Y", "role": "auditor",
                                    "secret": NEW_PASSWORD, "secret_confirm": NEW_PASSWORD})
    assert r.status_code == 403
    auditor = hub.accounts.person(AUDITOR)
    assert auditor is not None and not auditor.disabled
    assert len(hub.accounts.list_people()) == 3
