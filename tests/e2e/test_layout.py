"""Layouts at a tablet's and a phone's size (issue 10 item 6): no page scrolls sideways and
every touch target is at least 44 px, on the crew app, the hospital dashboard and the
admin console; on the crew record the headline NEWS2 and urgent prompts come first, in
view without scrolling. Screenshots land in tests/.artifacts/screenshots/layout-*.png."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import pytest
from playwright.sync_api import Browser, Page

from carechain.demo import chest_pain_stemi
from carechain.demo.chain import DemoChain
from tests.e2e.conftest import SCREENSHOTS, check_accessibility, login

CREW, HOSPITAL = "crew-ambulance-412", "hospital-essex-cardiothoracic"
SIZES = {"tablet": {"width": 1024, "height": 768}, "phone": {"width": 390, "height": 844}}
ED_DESK = {"width": 1366, "height": 768}
MIN_TARGET = 44

# Every visible control, measured; an inline link inside a sentence is exempt (WCAG 2.5.8).
MEASURE = """() => {
  const width = document.documentElement.clientWidth;
  const overflow = document.documentElement.scrollWidth - width;
  const wide = [...document.querySelectorAll('body *')].filter(e => {
      const r = e.getBoundingClientRect();
      return r.width > 0 && r.right > width + 1 && !e.closest('.visually-hidden')
        && ![...ancestors(e)].some(a => ['auto', 'scroll', 'hidden'].includes(
             getComputedStyle(a).overflowX));
    }).slice(0, 5).map(name);
  function* ancestors(e) { for (let a = e.parentElement; a && a !== document.body;
                                a = a.parentElement) yield a; }
  function name(e) { return e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
      + (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ')[0] : '')
      + ':' + (e.textContent || e.value || '').trim().slice(0, 24); }
  const small = [...document.querySelectorAll(
      'a[href], button, input:not([type=hidden]), select, textarea, summary')]
    .filter(e => {
      if (e.closest('.visually-hidden') || e.closest('[hidden]')) return false;
      const s = getComputedStyle(e);
      if (s.display === 'none' || s.visibility === 'hidden') return false;
      if (e.tagName === 'A' && s.display === 'inline') return false;  // a link in a sentence
      const r = e.getBoundingClientRect();
      if (e.classList.contains('skip')) return false;  // off-screen until focused; 44 px then
      return r.width > 0 && (r.width < MIN - 0.5 || r.height < MIN - 0.5);
    })
    .slice(0, 8).map(e => { const r = e.getBoundingClientRect();
      return name(e) + ' ' + Math.round(r.width) + 'x' + Math.round(r.height); });
  return {overflow, wide, small};
}""".replace("MIN", str(MIN_TARGET))


def _wait_for(predicate: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def record(chain: DemoChain) -> str:
    """The demo's chest-pain case on the first crew, addressed to the hospital."""
    crew = chain.nodes[CREW].node
    _wait_for(lambda: any(c.name == HOSPITAL for c in crew.directory.nodes("hospital")))
    case = chest_pain_stemi()
    made, _ = crew.open_record(user="P100234", data=case.opened)
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    for kind, data in case.at(base):
        if kind == "disposition.recorded":
            data = {**data, "hospital_node": HOSPITAL,
                    "eta": (base + timedelta(minutes=55)).isoformat()}
        crew.append(record=made, user="P100234", kind=kind, data=data)
    for i in range(5):
        crew.append(record=made, user="P100234", kind="vitals.frame", data={
            "at": (datetime.now(UTC) - timedelta(seconds=5 - i)).isoformat(),
            "heart_rate": 110 + i, "spo2": 93, "respiratory_rate": 24,
            "systolic_bp": 100, "diastolic_bp": 64})
    hospital = chain.nodes[HOSPITAL].node
    _wait_for(lambda: hospital.store.get(crew.store.record(made)[-1].entry.id) is not None)
    return made.hex()


def _check(page: Page, name: str) -> None:
    page.wait_for_timeout(300)  # the page scripts draw the charts
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"layout-{name}.png"), full_page=True)
    found = page.evaluate(MEASURE)
    assert found["overflow"] <= 0, (name, "scrolls sideways", found["wide"])
    assert found["small"] == [], (name, "touch targets under 44 px", found["small"])


def _admin_login(page: Page, url: str, secret: str) -> None:
    """Log in as the hub admin; a TOTP code works once, so another test may have spent this
    step's: the next step's code is accepted too (RFC 6238, one step either side)."""
    for ahead in (0, 30):
        login(page, url, "A9001", "hub console demo 41",
              pyotp.TOTP(secret).at(int(time.time()) + ahead))
        if "/login" not in page.url:
            return
    raise AssertionError("the admin could not log in")


@pytest.fixture(params=list(SIZES))
def sized(request: pytest.FixtureRequest, browser: Browser) -> Iterator[tuple[str, Page]]:
    context = browser.new_context(viewport=SIZES[request.param])
    try:
        yield request.param, context.new_page()
    finally:
        context.close()


def test_the_crew_app_fits_and_every_target_is_44_px(chain: DemoChain, record: str,
                                                     sized: tuple[str, Page]) -> None:
    size, page = sized
    base = chain.nodes[CREW].url
    page.goto(base + "/login")
    _check(page, f"crew-login-{size}")
    page.goto(base + "/login/unlock?staff_id=P100234")
    _check(page, f"crew-unlock-{size}")
    login(page, base, "P100234", "482913")
    for slug in ("", "/observations", "/patient", "/history", "/handover", "/disposition"):
        page.goto(f"{base}/crew/records/{record}{slug}")
        _check(page, f"crew-record{slug.replace('/', '-')}-{size}")
    page.goto(f"{base}/crew/records/{record}")
    check_accessibility(page)
    page.goto(base + "/crew")
    _check(page, f"crew-jobs-{size}")
    check_accessibility(page)


def test_news2_and_emergency_prompts_are_first_and_in_view(chain: DemoChain, record: str,
                                                            sized: tuple[str, Page]) -> None:
    size, page = sized
    base = chain.nodes[CREW].url
    login(page, base, "P100234", "482913")
    page.goto(f"{base}/crew/records/{record}")
    height = SIZES[size]["height"]
    score = page.locator("#headline-score").bounding_box()
    prompt = page.locator("#headline-prompts [data-severity=emergency]").first.bounding_box()
    assert score is not None and prompt is not None
    assert score["y"] + score["height"] <= height, "NEWS2 is below the fold"
    assert prompt["y"] + prompt["height"] <= height, "the emergency prompt is below the fold"
    number = page.locator("#headline-number")
    size_px = float(number.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
    body_px = float(page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)"))
    assert size_px >= 2 * body_px  # the largest type on the page


def test_the_hospital_and_admin_console_fit(chain: DemoChain, record: str,
                                            sized: tuple[str, Page]) -> None:
    size, page = sized
    hospital = chain.nodes[HOSPITAL].url
    login(page, hospital, "ED4411", "emergency dept demo 23")
    page.goto(hospital + "/hospital")
    page.locator(f"#incoming-{record}").wait_for(timeout=15_000)
    _check(page, f"hospital-board-{size}")
    page.goto(f"{hospital}/hospital/records/{record}")
    _check(page, f"hospital-record-{size}")
    hub = chain.nodes["hub"]
    page.context.clear_cookies()
    _admin_login(page, hub.url, hub.totp["A9001"])
    for path in ("/admin", "/admin/nodes", "/admin/people", "/audit"):
        page.goto(hub.url + path)
        _check(page, f"admin{path.replace('/', '-')}-{size}")


def test_the_ed_desk_shows_every_observation_column(chain: DemoChain, record: str,
                                                    browser: Browser) -> None:
    context = browser.new_context(viewport=ED_DESK)
    try:
        page = context.new_page()
        hospital = chain.nodes[HOSPITAL].url
        login(page, hospital, "ED4411", "emergency dept demo 23")
        page.goto(f"{hospital}/hospital/records/{record}")
        _check(page, "hospital-record-desk")
        table = page.locator("[data-testid=observations]")
        ecg = table.locator("th", has_text="ECG")
        box, frame = ecg.bounding_box(), page.locator("#observation-sets").bounding_box()
        assert box is not None and frame is not None
        assert box["x"] + box["width"] <= frame["x"] + frame["width"], "the ECG column is cut"
    finally:
        context.close()
