"""End-to-end fixtures: the whole chain running for real, and Debian's Chromium driven by
Playwright (its own browser download is not used)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from carechain.accounts import FAST_FOR_TESTS
from carechain.app import create_app
from carechain.demo.chain import DemoChain
from carechain.testing import ServedApp, Trust
from tests.web.conftest import PIN, Site, make_site

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / ".artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
AXE = ARTIFACTS / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
TABLET = {"width": 1024, "height": 768}
DESKTOP = {"width": 1920, "height": 1080}


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoChain]:
    """The demo chain: hub, hospital, vault and two crews, each a real server."""
    c = DemoChain(tmp_path_factory.mktemp("chain"), interval=0.5, cost=FAST_FOR_TESTS)
    c.start()
    try:
        yield c
    finally:
        c.stop()


@pytest.fixture
def crew_served(tmp_path: Path, trust: Trust) -> Iterator[tuple[Site, str]]:
    """A crew node with one paramedic (Sam Patel, P100234), served by uvicorn on 127.0.0.1."""
    site = make_site(tmp_path / "crew", trust, "crew", "crew-1",
                     [("P100234", "Sam Patel", "paramedic", PIN)])
    app = ServedApp(create_app(site.node, accounts=site.accounts))
    try:
        yield site, app.url
    finally:
        app.stop()
        site.client.close()
        site.accounts.close()
        site.node.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless; closed with its module, because Playwright's sync API
    keeps an event loop running in this thread while it is open."""
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh tablet-sized browser page (its own cookies)."""
    context = browser.new_context(viewport=TABLET)
    p = context.new_page()
    try:
        yield p
    finally:
        context.close()


def login(page: Page, base: str, staff_id: str, secret: str, totp: str = "") -> None:
    """Log in through the login form."""
    page.goto(base + "/login")
    page.fill("#staff_id", staff_id)
    page.fill("#secret", secret)
    if totp:
        page.fill("#totp", totp)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def screenshot(page: Page, name: str) -> None:
    """Save the page at tablet and desktop sizes into the ignored artifacts folder."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    for label, viewport in (("tablet", TABLET), ("desktop", DESKTOP)):
        page.set_viewport_size(viewport)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True)
    if size:
        page.set_viewport_size(size)


def check_accessibility(page: Page) -> None:
    """Run axe-core on the page: no serious or critical violations, every field labelled."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => JSON.stringify(await axe.run(document))")
    violations = [v for v in json.loads(result)["violations"]
                  if v["impact"] in ("serious", "critical")]
    assert violations == [], [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3])
                              for v in violations]
    unlabelled = page.evaluate("""() => [...document.querySelectorAll(
        'input:not([type=hidden]):not([type=submit]), select, textarea')]
        .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
        .map(e => e.name || e.id)""")
    assert unlabelled == [], unlabelled
