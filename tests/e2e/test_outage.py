"""The demo can show an outage (issue 10 item 10): an administrator stops the hub from its
own console; the crew keeps recording; the same hub comes back by itself and everything
written meanwhile reaches it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyotp
import pytest
from playwright.sync_api import Browser, expect

from carechain.accounts import FAST_FOR_TESTS
from carechain.demo.chain import DemoChain
from carechain.demo.outage import MAX_OUTAGE_S, MIN_OUTAGE_S, check_seconds
from carechain.errors import FieldInvalid
from tests.e2e.conftest import TABLET, check_accessibility, login, screenshot

OUTAGE_S = MIN_OUTAGE_S


@pytest.mark.parametrize(("text", "ok"), [
    (str(MIN_OUTAGE_S - 1), False), (str(MIN_OUTAGE_S), True), (str(MAX_OUTAGE_S), True),
    (str(MAX_OUTAGE_S + 1), False), ("ten", False), ("", False), (" 30 ", True),
])
def test_the_outage_length_is_bounded(text: str, ok: bool) -> None:
    if ok:
        assert check_seconds(text) == int(text)
    else:
        with pytest.raises(FieldInvalid) as caught:
            check_seconds(text)
        assert caught.value.field == "seconds"


@pytest.fixture
def outage_chain(tmp_path: Path) -> Iterator[DemoChain]:
    said: list[str] = []
    c = DemoChain(tmp_path / "chain", interval=0.5, cost=FAST_FOR_TESTS, announce=said.append)
    c.start()
    try:
        yield c
    finally:
        c.stop()


def _up(url: str) -> bool:
    try:
        return httpx.get(url + "/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def _wait(predicate: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_the_hub_is_stopped_from_its_console_and_comes_back(outage_chain: DemoChain,
                                                            browser: Browser) -> None:
    hub, crew = outage_chain.nodes["hub"], outage_chain.nodes["crew-ambulance-412"]
    context = browser.new_context(viewport=TABLET)
    try:
        page = context.new_page()
        login(page, hub.url, "A9001", "hub console demo 41",
              pyotp.TOTP(hub.totp["A9001"]).now())
        page.goto(hub.url + "/admin")
        expect(page.locator("#outage-form")).to_be_visible()
        screenshot(page, "admin-outage")
        check_accessibility(page)
        page.fill("#outage-seconds", str(OUTAGE_S))
        page.click("#outage-submit")
        expect(page.locator("#outage-started")).to_contain_text(f"{OUTAGE_S} seconds")
    finally:
        context.close()
    _wait(lambda: not _up(hub.url), 5)
    # The crew keeps recording while the hub is away.
    record, stored = crew.node.open_record(user="P100234", data={"callsign": "RRV-412"})
    assert crew.node.store.get(stored.entry.id) is not None
    assert hub.node.store.get(stored.entry.id) is None
    _wait(lambda: _up(hub.url), OUTAGE_S + 10)
    _wait(lambda: hub.node.store.get(stored.entry.id) is not None, 20)
    assert record


def test_a_crew_node_has_no_outage_control(outage_chain: DemoChain) -> None:
    vault = outage_chain.nodes["vault-records"]
    r = httpx.post(vault.url + "/admin/demo/outage", data={"seconds": "10"})
    assert r.status_code in (401, 404, 405)  # only the demo's hub serves it
    assert _up(outage_chain.nodes["hub"].url)
