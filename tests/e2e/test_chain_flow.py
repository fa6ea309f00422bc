"""The chain in a real browser: a crew documents a chest-pain case and pre-alerts the
hospital; the hospital sees it and its live vitals within 2 s of each entry, accepts the
handover, and the crew sees the receipt. Then the same with the hub stopped part-way."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from carechain.accounts import FAST_FOR_TESTS
from carechain.demo.chain import DemoChain
from tests.e2e.conftest import TABLET, check_accessibility, login, screenshot

CREW, HOSPITAL = "crew-ambulance-412", "hospital-essex-cardiothoracic"
PIN, ED_PASSWORD = "482913", "emergency dept demo 23"


def _wait_for(predicate: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


def _crew_documents(page: Page, chain: DemoChain, *, shots: bool) -> str:
    """Document the case through the crew app; return the record id."""
    crew = chain.nodes[CREW]
    _wait_for(lambda: any(c.name == HOSPITAL for c in crew.node.directory.nodes("hospital")))
    login(page, crew.url, "P100234", PIN)
    page.goto(crew.url + "/crew")
    if shots:
        screenshot(page, "crew-jobs")
        check_accessibility(page)
    page.fill("#callsign", "RRV-412")
    page.click("#new-record-submit")
    page.wait_for_url(re.compile(r"/crew/records/[0-9a-f]{32}$"))
    record = page.url.rsplit("/", 1)[1]
    page.goto(f"{crew.url}/crew/records/{record}/patient")
    page.fill("#given_name", "Arthur")
    page.fill("#family_name", "Pemberton")
    page.fill("#date_of_birth", "1959-03-14")
    page.select_option("#sex", "male")
    page.click("#patient-submit")
    expect(page.locator("#saved")).to_be_visible()
    page.goto(f"{crew.url}/crew/records/{record}/observations")
    for field, value in (("respiratory_rate", "22"), ("spo2", "95"), ("systolic_bp", "104"),
                         ("diastolic_bp", "68"), ("pulse", "112"), ("temperature_c", "36.8")):
        page.fill(f"#{field}", value)
    page.select_option("#acvpu", "A")
    expect(page.locator("#preview-band")).not_to_be_empty()  # NEWS2 as values are typed
    if shots:
        screenshot(page, "crew-observations")
        check_accessibility(page)
    page.click("#observations-submit")
    expect(page.locator("#saved")).to_be_visible()
    page.goto(f"{crew.url}/crew/records/{record}/disposition")
    page.select_option("#outcome", "conveyed")
    page.select_option("#hospital_node", HOSPITAL)
    page.check("#pre_alert")
    page.select_option("#pre_alert_category", "stemi")
    page.click("#disposition-submit")
    expect(page.locator("#destination")).to_contain_text(HOSPITAL)
    if shots:
        screenshot(page, "crew-disposition")
        check_accessibility(page)
        page.goto(f"{crew.url}/crew/records/{record}")
        screenshot(page, "crew-record")
        check_accessibility(page)
        page.goto(f"{crew.url}/crew/records/{record}/history")
        screenshot(page, "crew-history")
        check_accessibility(page)
    return record


def _frame(chain: DemoChain, record: str, heart_rate: int) -> None:
    chain.nodes[CREW].node.append(
        record=bytes.fromhex(record), user="P100234", kind="vitals.frame",
        data={"at": datetime.now(UTC).isoformat(), "heart_rate": heart_rate, "spo2": 93})


def _hospital_follows(hpage: Page, chain: DemoChain, record: str, *, shots: bool) -> None:
    hospital = chain.nodes[HOSPITAL]
    login(hpage, hospital.url, "ED4411", ED_PASSWORD)
    hpage.goto(hospital.url + "/hospital")
    row = hpage.locator(f"#incoming-{record}")
    expect(row).to_be_visible(timeout=15_000)
    expect(row.locator("[data-testid=category-badge]")).to_contain_text(re.compile("STEMI", re.I))
    expect(row.locator("[data-testid=handover-text]")).not_to_be_empty()
    if shots:
        screenshot(hpage, "hospital-incoming")
        check_accessibility(hpage)
    hpage.goto(f"{hospital.url}/hospital/records/{record}")
    expect(hpage.locator("#live-status")).to_contain_text("Live", timeout=10_000)
    for heart_rate in (118, 124, 131):
        _frame(chain, record, heart_rate)
        # Each frame is on the hospital's chart within 2 s of the crew storing it.
        expect(hpage.locator("#latest-hr")).to_contain_text(str(heart_rate), timeout=2_000)
    if shots:
        screenshot(hpage, "hospital-patient")
        check_accessibility(hpage)
    hpage.click("#accept-handover")
    expect(hpage.locator("#handover-accepted")).to_be_visible()


def _crew_sees_receipt(page: Page, chain: DemoChain, record: str) -> None:
    url = f"{chain.nodes[CREW].url}/crew/records/{record}/handover"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        page.goto(url)
        receipts = page.locator("[data-testid=receipt]")
        if receipts.count() and "accept" in receipts.all_inner_texts()[-1].lower():
            break
        time.sleep(0.3)
    expect(page.locator("[data-testid=receipt]").last).to_contain_text(re.compile("accept", re.I))
    expect(page.locator("#count-hospital")).not_to_have_text("0")


def test_chest_pain_pre_alert_live_vitals_and_handover(chain: DemoChain, browser: Browser) -> None:
    crew_ctx = browser.new_context(viewport=TABLET)
    hospital_ctx = browser.new_context(viewport=TABLET)
    try:
        page, hpage = crew_ctx.new_page(), hospital_ctx.new_page()
        record = _crew_documents(page, chain, shots=True)
        _hospital_follows(hpage, chain, record, shots=True)
        _crew_sees_receipt(page, chain, record)
        screenshot(page, "crew-handover")
        check_accessibility(page)
    finally:
        crew_ctx.close()
        hospital_ctx.close()


@pytest.fixture
def own_chain(tmp_path: Path) -> Iterator[DemoChain]:
    c = DemoChain(tmp_path / "chain", interval=0.5, cost=FAST_FOR_TESTS)
    c.start()
    try:
        yield c
    finally:
        c.stop()


def test_the_same_flow_with_the_hub_stopped_part_way(own_chain: DemoChain,
                                                     browser: Browser) -> None:
    crew_ctx = browser.new_context(viewport=TABLET)
    hospital_ctx = browser.new_context(viewport=TABLET)
    try:
        page, hpage = crew_ctx.new_page(), hospital_ctx.new_page()
        crew = own_chain.nodes[CREW]
        _wait_for(lambda: any(c.name == HOSPITAL for c in crew.node.directory.nodes("hospital")))
        hub = own_chain.nodes["hub"]
        hub.loop.stop()
        hub.served.stop()  # the hub is gone from here on
        record = _crew_documents(page, own_chain, shots=False)
        expect(page.locator("#hub-status")).to_have_attribute("data-reachable", "no",
                                                               timeout=15_000)
        _hospital_follows(hpage, own_chain, record, shots=False)
        _crew_sees_receipt(page, own_chain, record)
    finally:
        crew_ctx.close()
        hospital_ctx.close()
