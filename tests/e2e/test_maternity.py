"""A birth in the ambulance, in Chromium at tablet size (issue 17, item 3): the pregnancy
and the labour recorded on the mother's record, the birth recorded, which opens the baby's
own record linked both ways; the baby's Apgar score chosen sign by sign; the handover of
each says so. Every control is a 44 px target, the birth page fits a phone's width too, and
each page passes the axe check.
Screenshots: tests/.artifacts/screenshots/maternity-*.png."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.e2e.conftest import SCREENSHOTS, TABLET, check_accessibility, login, screenshot
from tests.e2e.test_layout import MEASURE
from tests.web.conftest import PIN, Site

MIN_TARGET = 44
PHONE = {"width": 390, "height": 844}
OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def _save(page: Page, slug: str) -> None:
    page.click(f"#{slug}-submit")
    page.wait_for_selector("#saved")


def _small_targets(page: Page) -> list[str]:
    return list(page.evaluate(
        """() => [...document.querySelectorAll(
        'main a[href], main button, main input:not([type=hidden]), main select, main textarea,'
        + ' #linked-records a')]
        .filter(e => { const r = e.getBoundingClientRect();
                       return r.width > 0 && (r.width < MIN || r.height < MIN); })
        .map(e => e.id || e.name || e.textContent)""".replace("MIN", str(MIN_TARGET - 0.5))
    ))


def test_a_birth_at_tablet_size_opens_the_babys_record(
    crew_served: tuple[Site, str], page: Page
) -> None:
    site, base = crew_served
    login(page, base, "P100234", PIN)
    page.goto(base + "/crew")
    page.fill("#callsign", "RRV-412")
    page.fill("#vehicle", "DA23 XKE")
    page.click("#new-record-form button[type=submit]")
    page.wait_for_url("**/crew/records/*")
    mother = page.url.rstrip("/").rsplit("/", 1)[1]

    page.goto(f"{base}/crew/records/{mother}/pregnancy")
    for field, value in (("gestation_weeks", "39"), ("gestation_days", "2"),
                         ("gravida", "2"), ("para", "1")):
        page.fill(f"#{field}", value)
    _save(page, "pregnancy")
    page.goto(f"{base}/crew/records/{mother}/labour")
    page.fill("#contractions_per_10_min", "5")
    page.fill("#contraction_duration_s", "60")
    page.select_option("#membranes", "ruptured")
    page.select_option("#liquor", "clear")
    _save(page, "labour")

    page.goto(f"{base}/crew/records/{mother}/birth")
    check_accessibility(page)
    page.select_option("#sex", "female")
    page.select_option("#presentation", "cephalic")
    page.select_option("#breathing_at_birth", "crying")
    _save(page, "birth")
    open_baby = page.locator('[data-testid="open-baby"]')
    assert open_baby.count() == 1
    assert _small_targets(page) == []
    assert page.evaluate(OVERFLOW) <= 0
    check_accessibility(page)
    screenshot(page, "maternity-birth")
    # At a phone's size the page does not scroll sideways and every target stays 44 px.
    page.set_viewport_size(PHONE)
    page.reload(wait_until="networkidle")
    assert page.evaluate(MEASURE) == {"overflow": 0, "wide": [], "small": []}
    check_accessibility(page)
    page.screenshot(path=str(SCREENSHOTS / "maternity-birth-phone.png"), full_page=True)
    page.set_viewport_size(TABLET)

    open_baby.click()
    page.wait_for_url("**/crew/records/*")
    baby = page.url.rstrip("/").rsplit("/", 1)[1]
    assert baby != mother
    assert page.get_attribute('[data-testid="linked-mother"]', "href") == (
        f"/crew/records/{mother}")
    page.goto(f"{base}/crew/records/{baby}/apgar")
    page.select_option("#minute", "1")
    for sign, value in (("appearance", "1"), ("pulse", "2"), ("grimace", "1"),
                        ("activity", "2"), ("respiration", "2")):
        page.select_option(f"#{sign}", value)
    _save(page, "apgar")
    assert page.inner_text('[data-testid="apgar-total"]') == "1 min: 8 (reassuring)"
    assert _small_targets(page) == []
    check_accessibility(page)
    screenshot(page, "maternity-apgar")

    [score] = site.node.state(bytes.fromhex(baby))["maternity"]["apgar"]
    assert (score["minute"], score["total"], score["band"]) == (1, 8, "reassuring")
    page.goto(f"{base}/crew/records/{baby}/handover")
    handover = page.inner_text("#handover-text")
    assert "newborn, born" in handover and "Apgar 8 at 1 min" in handover
    assert f"mother's record {mother[:8]}" in handover
    page.goto(f"{base}/crew/records/{mother}/handover")
    handover = page.inner_text("#handover-text")
    assert "pregnant 39+2 weeks, G2 P1" in handover
    assert f"baby's record {baby[:8]}" in handover
    check_accessibility(page)
    screenshot(page, "maternity-handover")
