"""The vault's quality indicators console in a real browser (issue 17, item 8): the
generated month's known counts shown as charts at tablet and phone size, the drill-down
to the records that miss opened, and the month chooser. Screenshots are kept as
artefacts; axe-core finds no serious or critical violation."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Page

from carechain.app import create_app
from carechain.testing import Trust
from tests.e2e.conftest import SCREENSHOTS, TABLET, check_accessibility, login, screenshot
from tests.e2e.test_layout import MEASURE, SIZES
from tests.quality.month import EXPECTED, IN_MONTH, MONTH
from tests.quality.vault_support import fill_vault
from tests.web.test_admin_support import LEAD, LEAD_PASSWORD, close, console_site


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path, trust: Trust) -> Iterator[tuple[str, dict[str, str]]]:
    """A vault holding the generated month, served by uvicorn on 127.0.0.1."""
    site = console_site(tmp_path / "vault", trust, role="vault", name="vault-records")
    labels = fill_vault(tmp_path / "crew", trust, site.node)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(site.node, accounts=site.accounts),
                                           host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", labels
    finally:
        server.should_exit = True
        thread.join(10)
        close(site)


def test_the_month_in_the_vault_console(served: tuple[str, dict[str, str]],
                                         page: Page) -> None:
    base, labels = served
    page.set_viewport_size(TABLET)
    login(page, base, LEAD, LEAD_PASSWORD)
    assert page.url.endswith("/quality")  # a clinical lead lands on the indicators
    page.fill("#f-month", MONTH)
    page.click("#month-submit")
    page.wait_for_load_state()
    assert page.get_by_test_id("records-count").get_attribute("data-records") == str(IN_MONTH)
    for indicator, (denominator, numerator, _) in EXPECTED.items():
        card = page.get_by_test_id(f"indicator-{indicator}")
        assert card.get_attribute("data-denominator") == str(denominator)
        assert card.get_attribute("data-numerator") == str(numerator)
    bar = page.get_by_test_id("bar-stemi-care-bundle").text_content() or ""
    assert "STEMI care bundle" in bar and "40% (2/5)" in bar
    check_accessibility(page)
    found = page.evaluate(MEASURE)
    assert found["overflow"] <= 0, found["wide"]
    assert found["small"] == [], found["small"]
    screenshot(page, "quality-indicators")
    drill = page.locator("#misses-stemi-care-bundle")
    drill.locator("summary").click()
    rows = drill.locator("tbody tr")
    assert {labels[rows.nth(i).get_attribute("data-record") or ""]
            for i in range(rows.count())} == EXPECTED["stemi-care-bundle"][2]
    assert "two pain scores (1 recorded)" in drill.inner_text()
    drill.scroll_into_view_if_needed()
    check_accessibility(page)
    page.screenshot(path=str(SCREENSHOTS / "quality-drilldown-tablet.png"))
    page.set_viewport_size(SIZES["phone"])
    found = page.evaluate(MEASURE)
    assert found["overflow"] <= 0, found["wide"]
    page.screenshot(path=str(SCREENSHOTS / "quality-indicators-phone.png"), full_page=True)
    page.set_viewport_size(TABLET)
    # A browser without a month picker sends what was typed: refused next to its field.
    page.evaluate("document.querySelector('#f-month').type = 'text'")
    page.fill("#f-month", "2026-13")
    page.click("#month-submit")
    page.wait_for_load_state()
    assert "YYYY-MM" in page.locator("#f-month-error").inner_text()
    assert page.get_by_test_id("records-count").count() == 0
