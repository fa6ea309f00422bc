"""A photo in a real browser at tablet size: the crew attaches it to a record conveyed to
the hospital; the hospital's patient page shows its thumbnail, and the full file it
serves is the photo byte for byte."""

from __future__ import annotations

import io
import os
import re
import time
from pathlib import Path

from PIL import Image
from playwright.sync_api import Browser, Page, expect

from carechain.demo.chain import DemoChain
from tests.e2e.conftest import TABLET, check_accessibility, login, screenshot
from tests.e2e.test_layout import MEASURE, SIZES

CREW, HOSPITAL = "crew-ambulance-412", "hospital-essex-cardiothoracic"
PIN, ED_PASSWORD = "482913", "emergency dept demo 23"


def _photo(path: Path) -> bytes:
    """A wound-coloured photo with some noise, as a camera's JPEG."""
    image = Image.new("RGB", (640, 480), (196, 120, 110))
    image.paste(Image.frombytes("RGB", (200, 150), os.urandom(200 * 150 * 3)), (220, 165))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    path.write_bytes(out.getvalue())
    return out.getvalue()


def _fits(page: Page) -> None:
    """No sideways scrolling and every touch target 44 px, at a tablet's and a phone's size."""
    for size in SIZES.values():
        page.set_viewport_size(size)
        found = page.evaluate(MEASURE)
        assert found["overflow"] <= 0 and found["small"] == [], found
    page.set_viewport_size(TABLET)


def test_a_photo_taken_on_the_tablet_is_seen_at_the_hospital(
    chain: DemoChain, browser: Browser, tmp_path: Path
) -> None:
    content = _photo(tmp_path / "wound.jpg")
    crew, hospital = chain.nodes[CREW], chain.nodes[HOSPITAL]
    deadline = time.monotonic() + 20
    while not any(c.name == HOSPITAL for c in crew.node.directory.nodes("hospital")):
        assert time.monotonic() < deadline, "the crew never learnt of the hospital"
        time.sleep(0.1)
    crew_ctx = browser.new_context(viewport=TABLET)
    hospital_ctx = browser.new_context(viewport=TABLET)
    try:
        page = crew_ctx.new_page()
        login(page, crew.url, "P100234", PIN)
        page.goto(crew.url + "/crew")
        page.fill("#callsign", "RRV-412")
        page.click("#new-record-submit")
        page.wait_for_url(re.compile(r"/crew/records/[0-9a-f]{32}$"))
        record = page.url.rsplit("/", 1)[1]
        page.goto(f"{crew.url}/crew/records/{record}/disposition")
        page.select_option("#outcome", "conveyed")
        page.select_option("#hospital_node", HOSPITAL)
        page.click("#disposition-submit")
        expect(page.locator("#destination")).to_contain_text(HOSPITAL)

        page.click("#nav-attachments")
        expect(page.locator("#photo")).to_have_attribute("capture", "environment")
        check_accessibility(page)
        page.select_option("#category", "wound")
        page.set_input_files("#photo", str(tmp_path / "wound.jpg"))
        page.fill("#caption", "laceration, left forearm")
        page.click("#attachment-submit")
        expect(page.locator("#saved")).to_be_visible()
        expect(page.locator("[data-testid=attachment]")).to_contain_text("wound.jpg")
        screenshot(page, "crew-attachments")
        check_accessibility(page)
        _fits(page)

        hpage = hospital_ctx.new_page()
        login(hpage, hospital.url, "ED4411", ED_PASSWORD)
        url = f"{hospital.url}/hospital/records/{record}"
        deadline = time.monotonic() + 20
        while True:
            hpage.goto(url)
            if hpage.locator("[data-testid=attachment-thumbnail]").count():
                break
            assert time.monotonic() < deadline, "the photo never reached the hospital"
            time.sleep(0.3)
        thumb = hpage.locator("[data-testid=attachment-thumbnail]")
        thumb.scroll_into_view_if_needed()
        hpage.wait_for_function(
            "() => document.querySelector('[data-testid=attachment-thumbnail]').naturalWidth > 0")
        expect(thumb).to_have_attribute("alt", re.compile("Wound.*laceration, left forearm"))
        screenshot(hpage, "hospital-attachments")
        check_accessibility(hpage)
        _fits(hpage)
        link = hpage.locator("[data-testid=attachment] a").first.get_attribute("href")
        assert link
        full = hpage.request.get(hospital.url + link)
        assert full.status == 200 and full.body() == content
    finally:
        crew_ctx.close()
        hospital_ctx.close()
