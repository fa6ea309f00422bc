"""The cardiac-arrest timeline in Chromium at tablet size (issue 17, item 1): a crew member
taps through an arrest, each tap one event timed by the tablet's own clock; every button is
a large target; the page passes the axe check. Screenshot: tests/.artifacts/screenshots/
arrest-timeline-*.png (tablet, desktop and phone): the ROSC summary stands clear of the
status bar at tablet and phone size."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page

from tests.e2e.conftest import SCREENSHOTS, check_accessibility, login, screenshot
from tests.web.conftest import PIN, Site

MIN_TARGET = 44
PHONE = {"width": 390, "height": 844}
TAP_TARGET = 64  # the arrest buttons are bigger than the minimum: gloves, CPR, a moving vehicle


def _tap(page: Page, button: str) -> None:
    page.click(button)
    page.wait_for_selector("#saved")


def test_tapping_through_an_arrest_at_tablet_size(
    crew_served: tuple[Site, str], page: Page
) -> None:
    site, base = crew_served
    login(page, base, "P100234", PIN)
    page.goto(base + "/crew")
    page.fill("#callsign", "RRV-412")
    page.fill("#vehicle", "DA23 XKE")
    page.click("#new-record-form button[type=submit]")
    page.wait_for_url("**/crew/records/*")
    record = page.url.rstrip("/").rsplit("/", 1)[1]
    # The tablet's clock runs 3 minutes behind the node's: the taps carry the tablet's time.
    device = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=3)
    page.clock.install(time=device)
    page.goto(f"{base}/crew/records/{record}/arrest/timeline")

    sizes = page.eval_on_selector_all(
        ".tap-button", "bs => bs.map(b => [b.id, b.getBoundingClientRect().width,"
        " b.getBoundingClientRect().height])")
    assert len(sizes) >= 15
    assert all(w >= TAP_TARGET and h >= TAP_TARGET for _, w, h in sizes), sizes

    _tap(page, "#tap-cpr-started")
    page.clock.fast_forward(40_000)
    _tap(page, "#tap-rhythm-check-vf")
    page.clock.fast_forward(20_000)
    _tap(page, "#tap-shock-150")
    page.clock.fast_forward(120_000)
    page.select_option("#route", "IO")
    _tap(page, "#tap-adrenaline-1mg")
    page.clock.fast_forward(60_000)
    _tap(page, "#tap-rosc")

    _outcome_stands_clear(page)  # where the tap's answer (`#saved`) scrolled to
    rows = page.inner_text("#arrest-timeline")
    order = ["CPR started", "rhythm check (VF)", "shock 150 J", "adrenaline 1 mg IO", "ROSC"]
    positions = [rows.index(word) for word in order]
    assert positions == sorted(positions), rows
    assert page.inner_text("#arrest-outcome").strip() == "ROSC · 1 shock"

    state = site.node.state(bytes.fromhex(record))
    taps = [i["at"] for i in state["items"]["arrest_events"]]
    first = datetime.fromisoformat(taps[0])
    assert abs(first - device) < timedelta(seconds=5), (first, device)  # the tablet's time
    # 240 s moved on by the test, plus the seconds the taps themselves took.
    assert timedelta(seconds=240) <= datetime.fromisoformat(taps[-1]) - first < timedelta(
        seconds=270)
    assert state["items"]["medications"][0]["drug"] == "adrenaline"

    found = page.evaluate("""() => [...document.querySelectorAll(
        'main a[href], main button, main input:not([type=hidden]), main select')]
        .filter(e => { const r = e.getBoundingClientRect();
                       return r.width > 0 && (r.width < MIN || r.height < MIN); })
        .map(e => e.id || e.name)""".replace("MIN", str(MIN_TARGET - 0.5)))
    assert found == [], found
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    check_accessibility(page)
    screenshot(page, "arrest-timeline")
    _outcome_stands_clear(page)
    # The timeline's times are the shared filter's, in the zone every crew page shows.
    cells = page.eval_on_selector_all(
        "#arrest-timeline time", "ts => ts.map(t => [t.dateTime, t.textContent])")
    assert [text for _, text in cells] == [
        datetime.fromisoformat(at).astimezone(UTC).strftime("%H:%M:%S") for at, _ in cells]
    assert "Time (UTC)" in page.inner_text("#arrest-timeline thead")

    page.set_viewport_size(PHONE)
    page.reload()
    _outcome_stands_clear(page)
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    check_accessibility(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "arrest-timeline-phone.png"), full_page=True)


def _outcome_stands_clear(page: Page) -> None:
    """The tap's answer and the ROSC summary are in view below the sticky status bar (not
    under it), the summary a card of its own."""
    for target in ("#saved", "#arrest-outcome"):
        gap = page.evaluate("""(t) => document.querySelector(t).getBoundingClientRect().top
            - document.querySelector('#status-bar').getBoundingClientRect().bottom""", target)
        assert gap >= 8, (target, gap)
    assert page.eval_on_selector(
        "#arrest-outcome", "e => getComputedStyle(e).borderLeftWidth") == "8px"
