"""The STEMI pre-alert's 12-lead at the hospital in Chromium: the board card (tablet and
phone size) links the ECG the pre-alert carries and quotes the device's statements; the
link opens it on ECG paper (the demo's simulated DICOM 12-lead); the board and the view
pass the axe check. Screenshots: tests/.artifacts/screenshots/hospital-prealert-*.png."""

from __future__ import annotations

from playwright.sync_api import Browser

from carechain.app import create_app
from carechain.demo.ecg import STATEMENTS, simulated_stemi_dicom
from carechain.testing import ServedApp
from tests.e2e.conftest import SCREENSHOTS, TABLET, check_accessibility, login, screenshot
from tests.e2e.test_ecg_view import chain
from tests.web.hospital_support import CLINICIAN, PASSWORD
from tests.web.test_attachments import Chain
from tests.web.test_ecg import import_ecg
from tests.web.test_prealert_ecg import STEMI, _write

__all__ = ["chain"]

PHONE = {"width": 390, "height": 844}


def test_the_board_card_links_the_12_lead_the_pre_alert_carries(
    chain: Chain, browser: Browser,
) -> None:
    record = chain.document()
    status, attachment = import_ecg(chain, record, "12-lead.dcm", simulated_stemi_dicom())
    assert status == 303
    assert _write(chain, record, STEMI)["pre_alert_ecg"] == attachment
    chain.sync()
    app = ServedApp(create_app(chain.hospital.node, accounts=chain.hospital.accounts))
    context = browser.new_context(viewport=TABLET)
    try:
        page = context.new_page()
        login(page, app.url, CLINICIAN, PASSWORD)
        page.goto(f"{app.url}/hospital")
        card = page.locator(f"#incoming-{record.hex()} [data-testid=pre-alert-ecg]")
        assert card.get_attribute("data-named") == "yes"
        assert page.locator(f"#incoming-{record.hex()} [data-testid=pre-alert-ecg-statements]"
                            ).inner_text() == "; ".join(STATEMENTS)
        link = card.locator("[data-testid=pre-alert-ecg-link]")
        assert "12-lead ECG (12 leads" in link.inner_text()
        width, height = link.evaluate(
            "e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; }")
        assert width >= 44 and height >= 44  # a target a gloved finger can take
        check_accessibility(page)
        screenshot(page, "hospital-prealert-board")
        page.set_viewport_size(PHONE)
        page.reload()
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "hospital-prealert-board-phone.png"),
                        full_page=True)
        page.set_viewport_size(TABLET)
        page.goto(f"{app.url}/hospital")
        page.click(f"#incoming-{record.hex()} [data-testid=pre-alert-ecg-link]")
        page.wait_for_selector("#ecg-paper")
        assert page.url.endswith(f"/ecgs/{attachment}")
        assert page.locator("[data-testid=ecg-statement]").all_inner_texts() == list(STATEMENTS)
        assert page.locator("[data-testid=ecg-lead][data-recorded=yes]").count() == 12
        check_accessibility(page)
        screenshot(page, "hospital-prealert-ecg")
    finally:
        context.close()
        app.stop()
