"""The admin console's recovery card in a real browser at tablet size (issue 13, item 6):
a hub rebuild under way and the restore the store came from are shown; the admin files a
signed verification report through the form and sees its verdict. Screenshots are kept as
artefacts; axe-core finds no serious or critical violation."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
import uvicorn
from playwright.sync_api import Page

from carechain.app import create_app
from carechain.node.progress import REBUILD_KEY, RESTORE_KEY, write_status
from carechain.testing import Trust
from tests.e2e.conftest import TABLET, check_accessibility, login, screenshot
from tests.e2e.test_layout import MEASURE
from tests.web.recovery_support import signed_report
from tests.web.test_admin_support import ADMIN, ADMIN_PASSWORD, close, console_site


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path, trust: Trust) -> Iterator[tuple[str, dict[str, str], Path]]:
    """A hub console served by uvicorn on 127.0.0.1, a rebuild under way on its store."""
    site = console_site(tmp_path / "hub", trust)
    now = int(time.time() * 1000)
    write_status(site.node.store, REBUILD_KEY, {
        "state": "running", "started_ms": now - 60_000, "updated_ms": now, "done": 61_200,
        "total": 184_000, "placed": 61_200, "entries_per_s": 20_400, "lost": 0, "heads": 4,
        "heads_proven": 0, "error": ""})
    write_status(site.node.store, RESTORE_KEY, {
        "at_ms": now - 3_600_000, "file": "hub-20261203T0300Z.ccbk", "node": "hub",
        "entries": 184_000, "seconds": 3.1, "entries_per_s": 59_355})
    report = tmp_path / "verification.json"
    report.write_bytes(signed_report(site.node))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(site.node, accounts=site.accounts),
                                           host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", site.totp, report
    finally:
        server.should_exit = True
        thread.join(10)
        close(site)


def test_the_recovery_card_at_tablet_size(served: tuple[str, dict[str, str], Path],
                                          page: Page) -> None:
    base, totp, report = served
    page.set_viewport_size(TABLET)
    login(page, base, ADMIN, ADMIN_PASSWORD, pyotp.TOTP(totp[ADMIN]).now())
    page.goto(base + "/admin#recovery")
    card = page.locator("#recovery")
    assert card.get_attribute("data-testid") == "recovery"
    assert page.get_by_test_id("rebuild-state").inner_text().startswith("running")
    assert "61200 of 184000 (33%)" in page.get_by_test_id("rebuild-positions").inner_text()
    assert page.locator("#recovery progress").get_attribute("value") == "33"
    assert "hub-20261203T0300Z.ccbk" in page.get_by_test_id("restore-at").inner_text()
    assert page.get_by_test_id("no-verification").is_visible()
    check_accessibility(page)
    page.set_input_files("#report-file", str(report))
    page.click("#report-submit")
    page.wait_for_load_state()
    assert page.get_by_test_id("report-filed").is_visible()
    assert page.get_by_test_id("verification-verdict").inner_text() == "clean"
    assert "entries" in page.get_by_test_id("verification-counts").inner_text()
    page.locator("#recovery").scroll_into_view_if_needed()
    check_accessibility(page)
    found = page.evaluate(MEASURE)
    assert found["overflow"] <= 0, found["wide"]  # nothing scrolls sideways
    assert found["small"] == [], found["small"]  # every touch target at least 44 px
    screenshot(page, "admin-recovery")
