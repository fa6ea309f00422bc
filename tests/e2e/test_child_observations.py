"""A child's observations in Chromium at tablet size (issue 17, item 2): the live preview
and the record score the National PEWS on the chart for the child's age in place of NEWS2,
each value with the chart's expected range, and an estimated weight shown as estimated.
The pages pass the axe check. Screenshots: tests/.artifacts/screenshots/child-*.png."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page

from tests.e2e.conftest import check_accessibility, login, screenshot
from tests.web.conftest import PIN, Site


def _three_years_old() -> str:
    today = datetime.now(UTC).date()
    return today.replace(year=today.year - 3, day=1).isoformat()


def test_a_childs_observations_score_pews_at_tablet_size(
    crew_served: tuple[Site, str], page: Page
) -> None:
    site, base = crew_served
    login(page, base, "P100234", PIN)
    page.goto(base + "/crew")
    page.fill("#callsign", "RRV-412")
    page.click("#new-record-form button[type=submit]")
    page.wait_for_url("**/crew/records/*")
    record = page.url.rstrip("/").rsplit("/", 1)[1]
    page.goto(f"{base}/crew/records/{record}/patient")
    page.fill("#given_name", "Ava")
    page.fill("#family_name", "Jones")
    page.fill("#date_of_birth", _three_years_old())
    page.click("#patient-form button[type=submit]")
    page.wait_for_selector("#saved")

    page.goto(f"{base}/crew/records/{record}/observations")
    assert page.inner_text("#news2-preview-h") == "PEWS for the values typed"
    taken = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=2)
    page.fill("#taken_at", taken.strftime("%Y-%m-%dT%H:%M"))
    # A wheezy 3-year-old: PEWS 10 on the 1–4 years chart (see the test's table below).
    page.fill("#respiratory_rate", "45")
    page.select_option("#respiratory_distress", "moderate")
    page.fill("#spo2", "93")
    page.select_option("#oxygen", "yes")
    page.fill("#oxygen_flow_l_min", "2")
    page.select_option("#oxygen_device", "simple-face-mask")
    page.fill("#systolic_bp", "95")
    page.fill("#pulse", "150")
    page.fill("#capillary_refill_s", "3")
    page.select_option("#acvpu", "A")
    page.fill("#temperature_c", "38.4")
    page.wait_for_function(
        "() => (document.querySelector('#preview-band') || {}).textContent"
        " === 'PEWS 10 · high'")
    preview = page.inner_text("#preview-components")
    assert "capillary refill\t2" in preview and "respiratory distress\t2" in preview
    check_accessibility(page)
    screenshot(page, "child-observations")

    page.click("#observations-form button[type=submit]")
    page.wait_for_selector("#saved")
    assert "PEWS 10" in page.inner_text("#current-news2-band")
    assert "1–4 years" in page.inner_text("#current-news2-chart")

    page.goto(f"{base}/crew/records/{record}")
    assert page.inner_text(".headline-label") == "PEWS"
    assert page.inner_text("#headline-number") == "10"
    assert "1–4 years" in page.inner_text("#headline-chart")
    assert "think sepsis" in page.inner_text("#headline-chart")
    values = page.inner_text("#headline-values")
    assert "HR" in values and "expected 90–139" in values  # 150 is outside the age's range
    weight = page.locator("#score-weight")
    assert weight.get_attribute("data-source") == "estimated"
    assert "ESTIMATED, not weighed" in weight.inner_text()
    assert "NEWS2" not in page.inner_text("#headline")
    check_accessibility(page)
    screenshot(page, "child-record")

    state = site.node.state(bytes.fromhex(record))
    assert state["scores"]["pews"]["aggregate"] == 10
    assert state["scores"]["child"]["age_band"] == "1-4y"
