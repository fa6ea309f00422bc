"""The crew body map in Chromium at tablet size (issue 17, item 4): a crew member taps the
front view's right leg, chooses the injury's type and severity and records it; the mark is
drawn where it was tapped, every control is a 44 px target, and the page passes the axe
check. Screenshot: tests/.artifacts/screenshots/body-map.png."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.e2e.conftest import check_accessibility, login, screenshot
from tests.web.conftest import PIN, Site

MIN_TARGET = 44


def test_tapping_the_body_map_records_an_injury(crew_served: tuple[Site, str], page: Page) -> None:
    site, base = crew_served
    login(page, base, "P100234", PIN)
    page.goto(base + "/crew")
    page.fill("#callsign", "RRV-412")
    page.fill("#vehicle", "DA23 XKE")
    page.click("#new-record-form button[type=submit]")
    page.wait_for_url("**/crew/records/*")
    record = page.url.rstrip("/").rsplit("/", 1)[1]
    page.goto(f"{base}/crew/records/{record}/bodymap")

    # Tap the front view's right leg (the reader's left) two thirds of the way down it.
    leg = page.locator('#bodymap-front [data-region="right-leg"]')
    leg.scroll_into_view_if_needed()
    box = leg.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] * 2 / 3)
    assert page.input_value("#mark-view") == "front"
    assert page.input_value("#mark-region") == "right-leg"
    x, y = float(page.input_value("#mark-x")), float(page.input_value("#mark-y"))
    assert 0.3 < x < 0.45 and 0.75 < y < 0.9, (x, y)
    page.select_option("#mark-type", "deformity")
    page.select_option("#mark-severity", "severe")
    page.fill("#mark-note", "Closed mid-shaft femur")
    page.click("#mark-submit")
    page.wait_for_selector("#saved")

    assert page.inner_text("#bodymap-marks").strip() == (
        "severe deformity, right leg (front): Closed mid-shaft femur"
    )
    [mark] = site.node.state(bytes.fromhex(record))["items"]["injuries"]
    assert (mark["view"], mark["region"], mark["type"]) == ("front", "right-leg", "deformity")
    assert abs(mark["x"] - x) < 0.001 and abs(mark["y"] - y) < 0.001
    # The mark is drawn inside the leg it was tapped on.
    leg.scroll_into_view_if_needed()
    box = leg.bounding_box()
    assert box is not None
    drawn = page.locator("#mark-1 circle").bounding_box()
    assert drawn is not None
    centre = (drawn["x"] + drawn["width"] / 2, drawn["y"] + drawn["height"] / 2)
    assert box["x"] <= centre[0] <= box["x"] + box["width"]
    assert box["y"] <= centre[1] <= box["y"] + box["height"]

    found = page.evaluate(
        """() => [...document.querySelectorAll(
        'main a[href], main button, main input:not([type=hidden]), main select, main textarea')]
        .filter(e => { const r = e.getBoundingClientRect();
                       return r.width > 0 && (r.width < MIN || r.height < MIN); })
        .map(e => e.id || e.name)""".replace("MIN", str(MIN_TARGET - 0.5))
    )
    assert found == [], found
    # Each region on the diagram is a target at least 44 px across one way and 22 the other.
    regions = page.eval_on_selector_all(
        "svg [data-region]", "rs => rs.map(r => [r.getAttribute('data-region'),"
        " r.getBoundingClientRect().width, r.getBoundingClientRect().height])")  # fmt: skip
    assert all(max(w, h) >= MIN_TARGET and min(w, h) >= 22 for _, w, h in regions), regions
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    check_accessibility(page)
    screenshot(page, "body-map")
