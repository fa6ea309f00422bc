"""A refusal with the patient's signature drawn on the screen, in Chromium at tablet size
(issue 17, item 6): the capacity test, the refusal, then a signature drawn with the mouse
and with a finger (touch events) on the canvas; every control is a large target and the
page passes the axe check. Screenshot: tests/.artifacts/screenshots/refusal-signature-*.png.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from tests.e2e.conftest import TABLET, check_accessibility, login, screenshot
from tests.web.conftest import PIN, Site

MIN_TARGET = 44


@pytest.fixture
def tablet(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=TABLET, has_touch=True)
    try:
        yield context.new_page()
    finally:
        context.close()


def _save(page: Page, form: str) -> None:
    page.click(f"#{form}-submit")
    page.wait_for_selector("#saved")


def _finger_stroke(page: Page, points: list[tuple[float, float]]) -> None:
    """Draw one stroke with a finger: touch events, as a tablet's screen sends them."""
    cdp = page.context.new_cdp_session(page)
    kinds = ["touchStart"] + ["touchMove"] * (len(points) - 2) + ["touchEnd"]
    for kind, (x, y) in zip(kinds, points, strict=True):
        touches = [] if kind == "touchEnd" else [{"x": x, "y": y}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": touches})
    cdp.detach()


def test_a_refusal_signed_on_the_screen_at_tablet_size(
    crew_served: tuple[Site, str], tablet: Page
) -> None:
    site, base = crew_served
    page = tablet
    login(page, base, "P100234", PIN)
    page.goto(base + "/crew")
    page.fill("#callsign", "RRV-412")
    page.fill("#vehicle", "DA23 XKE")
    page.click("#new-record-form button[type=submit]")
    page.wait_for_url("**/crew/records/*")
    record = page.url.rstrip("/").rsplit("/", 1)[1]

    page.goto(f"{base}/crew/records/{record}/capacity")
    page.fill("#decision", "whether to go to hospital")
    page.select_option("#impairment", "no")
    page.select_option("#conclusion", "has-capacity")
    _save(page, "capacity")

    page.goto(f"{base}/crew/records/{record}/refusal")
    page.check("#refused-conveyance")
    page.select_option("#capacity", "has-capacity")
    page.fill("#risks_explained", "a missed fracture; worsening pain")
    page.fill("#worsening_advice", "call 999 if she cannot bear weight")
    page.select_option("#left_with", "family")
    page.fill("#left_with_name", "daughter, Anne")
    _save(page, "refusal")

    page.goto(f"{base}/crew/records/{record}/signature")
    page.select_option("#signer", "patient")
    page.fill("#name", "Mary Smith")
    page.select_option("#signed_for", "refusal")
    assert page.inner_text("#image-state") == "Not signed yet"
    pad = page.locator("canvas.signature-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    assert box is not None and box["height"] >= 150
    x, y = box["x"], box["y"]
    # A finger alone draws; Clear empties the pad and what it would send.
    _finger_stroke(page, [(x + 50 + i * 20, y + 40 + i * 10) for i in range(8)])
    assert page.inner_text("#image-state") == "Signature drawn"
    assert page.input_value("#image").startswith("data:image/png;base64,")
    page.click("#image-clear")
    assert page.inner_text("#image-state") == "Not signed yet"
    assert page.input_value("#image") == ""
    page.mouse.move(x + 40, y + 120)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(x + 40 + step * 25, y + 120 - (step % 3) * 30)
    page.mouse.up()
    _finger_stroke(page, [(x + 300 + i * 15, y + 60 + i * 8) for i in range(10)])
    assert page.inner_text("#image-state") == "Signature drawn"
    drawn = page.input_value("#image")
    assert drawn.startswith("data:image/png;base64,")
    assert base64.b64decode(drawn.split(",", 1)[1]).startswith(b"\x89PNG")
    assert len(drawn) <= 64 * 1024

    small = page.evaluate("""() => [...document.querySelectorAll(
        'main a[href], main button, main input:not([type=hidden]), main select, main canvas')]
        .filter(e => { const r = e.getBoundingClientRect();
                       return r.width > 0 && (r.width < MIN || r.height < MIN); })
        .map(e => e.id || e.name)""".replace("MIN", str(MIN_TARGET - 0.5)))
    assert small == [], small
    check_accessibility(page)
    screenshot(page, "refusal-signature-drawn")

    # Sent without the signer's name: refused, and the pad shows the signature again.
    page.fill("#name", "")
    page.click("#signature-submit")
    page.wait_for_selector("#name-error")
    assert page.input_value("#image") == drawn
    assert page.inner_text("#image-state") == "Signature drawn"
    page.wait_for_function("""() => {
        const c = document.querySelector('canvas.signature-pad');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) { return true; } }
        return false; }""")
    page.fill("#name", "Mary Smith")
    _save(page, "signature")
    assert page.locator("[data-testid=signature-image]").count() == 1
    state = site.node.state(bytes.fromhex(record))
    [signature] = state["items"]["signatures"]
    assert (signature["signer"], signature["format"]) == ("patient", "png")
    assert signature["image"] == drawn
    [refusal] = state["items"]["refusals"]
    assert (refusal["refused"], refusal["left_with"]) == (["conveyance"], "family")
    assert state["consent"]["prompts"] == []
    check_accessibility(page)
    screenshot(page, "refusal-signature-saved")
