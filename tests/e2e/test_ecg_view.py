"""The 12-lead view in Chromium: an ECG imported on the crew's tablet is drawn at the
hospital on ECG paper, at its scale on screen (the 1 mV calibration pulse is 10 mm tall,
the 10 s rhythm strip 250 mm wide, at the SVG's pixels per mm), with the device's own
statements verbatim; the crew's import form and the view pass the axe check.
Screenshots: tests/.artifacts/screenshots/crew-ecg-*.png, hospital-ecg-*.png."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from carechain.app import create_app
from carechain.testing import ServedApp, Trust, make_node
from carechain.web.hospital.ecgs import MM_PER_MV, MM_PER_S, PX_PER_MM
from tests.e2e.conftest import DESKTOP, TABLET, check_accessibility, login, screenshot
from tests.web.conftest import PIN, make_site
from tests.web.hospital_support import CLINICIAN, PASSWORD
from tests.web.test_attachments import Chain
from tests.web.test_ecg import DICOM, import_ecg

BOX = "(e) => { const r = e.getBoundingClientRect(); return [r.width, r.height]; }"


@pytest.fixture
def chain(tmp_path: Path, trust: Trust) -> Iterator[Chain]:
    crew = make_site(tmp_path / "crew", trust, "crew", "crew-1",
                     [("P100234", "Sam Patel", "paramedic", PIN)])
    hospital = make_site(tmp_path / "hospital", trust, "hospital", "hospital-a",
                         [(CLINICIAN, "Dr Jo Lee", "ed_clinician", PASSWORD)])
    hub = make_node(tmp_path / "hub", trust, role="hub", name="hub")
    nodes = (crew.node, hospital.node, hub)
    directory = [s.entry for n in nodes for s in n.store.since(0, 100)]
    for node in nodes:
        node.ingest(directory)
    crew.login("P100234", PIN)
    yield Chain(crew, hub, hospital, tmp_path / "hub")
    for site in (crew, hospital):
        site.client.close()
        site.accounts.close()
        site.node.close()
    hub.close()


@pytest.fixture
def desk(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=DESKTOP)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_the_crew_imports_an_ecg_file_through_the_form(
    chain: Chain, browser: Browser, tmp_path: Path,
) -> None:
    record = chain.document()
    (tmp_path / "ecg.dcm").write_bytes(DICOM)
    app = ServedApp(create_app(chain.crew.node, accounts=chain.crew.accounts))
    context = browser.new_context(viewport=TABLET)
    try:
        page = context.new_page()
        login(page, app.url, "P100234", PIN)
        page.goto(f"{app.url}/crew/records/{record.hex()}/attachments")
        check_accessibility(page)
        page.set_input_files("#ecg", str(tmp_path / "ecg.dcm"))
        page.click("#ecg-submit")
        page.wait_for_selector("#saved")
        assert "12 leads at 1000 Hz" in page.locator("[data-testid=ecg]").inner_text()
        assert "RITMO SINUSALE; ECG NORMALE" in page.locator("[data-testid=ecg]").inner_text()
        screenshot(page, "crew-ecg")
        check_accessibility(page)
    finally:
        context.close()
        app.stop()
    (item,) = chain.crew.node.state(record)["items"]["ecgs"]
    assert item["format"] == "dicom" and len(item["leads"]) == 12


def test_the_twelve_lead_view_is_drawn_at_ecg_paper_scale(chain: Chain, desk: Page) -> None:
    record = chain.document()
    status, attachment = import_ecg(chain, record, "ecg.dcm", DICOM)
    assert status == 303
    chain.sync()
    app = ServedApp(create_app(chain.hospital.node, accounts=chain.hospital.accounts))
    try:
        login(desk, app.url, CLINICIAN, PASSWORD)
        desk.goto(f"{app.url}/hospital/records/{record.hex()}")
        desk.click(f"a[href$='/ecgs/{attachment}']")
        desk.wait_for_selector("#ecg-paper")
        assert desk.locator("[data-testid=ecg-statement]").all_inner_texts() == [
            "RITMO SINUSALE", "ECG NORMALE"]
        svg = desk.locator("#ecg-paper")
        assert svg.get_attribute("data-px-per-mm") == str(PX_PER_MM)
        pulse_w, pulse_h = desk.locator("[data-testid=ecg-calibration]").first.evaluate(BOX)
        assert abs(pulse_h - MM_PER_MV * PX_PER_MM) <= 1  # 1 mV = 10 mm on screen
        assert abs(pulse_w - 8 * PX_PER_MM) <= 1  # the pulse and its paper: 8 mm
        strip = desk.locator("[data-testid=ecg-rhythm][data-lead=II] polyline")
        strip_w, _ = strip.evaluate(BOX)
        assert abs(strip_w - 10 * MM_PER_S * PX_PER_MM) <= 2  # 10 s = 250 mm
        lead_w, _ = desk.locator("[data-testid=ecg-lead][data-lead=V1] polyline").evaluate(BOX)
        assert abs(lead_w - 2.5 * MM_PER_S * PX_PER_MM) <= 2  # one column: 2.5 s
        assert desk.locator("[data-testid=ecg-lead][data-recorded=yes]").count() == 12
        screenshot(desk, "hospital-ecg")
        check_accessibility(desk)
    finally:
        app.stop()
