"""Patient lookup and previous calls in Chromium at tablet size (issue 16, item 4): a
paramedic looks the patient up on PDS (the fake PDS, served on loopback), chooses her,
asks for previous calls, and, once the vault has answered through the hub, sees the
patient's earlier call with its allergy. The page passes the axe check. Screenshots:
tests/.artifacts/screenshots/previous-calls-*.png."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from carechain.lookup import HttpPds
from carechain.lookup.fake import FakePds
from carechain.lookup.previous import PreviousCalls
from carechain.testing import ServedApp, Trust
from tests.e2e.conftest import check_accessibility, login, screenshot
from tests.lookup.conftest import Chain, build_chain
from tests.web.conftest import PIN

JANE = "9000000009"  # the fake PDS's Jane Smith, born 2010-10-22


@pytest.fixture
def served(tmp_path: Path, trust: Trust) -> Iterator[tuple[Chain, str]]:
    pds_app = ServedApp(FakePds().app())
    pds = HttpPds(pds_app.url, timeout_s=2.0)
    chain = build_chain(tmp_path, trust, pds)
    crew = ServedApp(chain.crews[1].client.app)
    try:
        yield chain, crew.url
    finally:
        crew.stop()
        chain.close()
        pds.close()
        pds_app.stop()


def test_the_crew_sees_the_patients_previous_call(served: tuple[Chain, str],
                                                  page: Page) -> None:
    chain, base = served
    one, two = chain.crews
    earlier = one.open_record({"family_name": "Smith", "given_name": "Jane",
                               "nhs_number": JANE})
    one.post(f"/records/{earlier}/entries", {"kind": "history.recorded", "data": {
        "presenting_complaint": "Asthma attack",
        "allergies": [{"substance": "ibuprofen", "reaction": "bronchospasm",
                       "severity": "severe"}]}})
    one.post(f"/records/{earlier}/entries", {"kind": "impression.recorded",
                                             "data": {"working_impression": "Acute asthma"}})
    chain.sync(one.node)
    now = two.open_record({"family_name": "Smith", "given_name": "Jane"})

    login(page, base, "P100234", PIN)
    page.goto(f"{base}/crew/records/{now}")
    page.click("[data-testid=section-lookup]")
    page.fill("#lookup-family", "Smith")
    page.fill("#lookup-given", "Jane")
    page.fill("#lookup-dob", "2010-10-22")
    page.click("#lookup-submit")
    page.wait_for_selector(f"[data-testid=lookup-patient][data-nhs='{JANE}']")
    assert "(verified)" in page.inner_text("[data-testid=lookup-patient]")
    screenshot(page, "previous-calls-lookup")
    page.click("[data-testid=lookup-confirm]")
    page.wait_for_selector("#ask-previous")
    patient = two.node.state(bytes.fromhex(now))["sections"]["patient"]
    assert (patient["nhs_number"], patient["nhs_number_status"]) == (JANE, "01")

    page.click("#ask-previous")
    page.wait_for_selector("[data-testid=previous-request][data-state=waiting]")
    chain.sync(two.node, chain.vault)  # the request reaches the vault through the hub
    assert PreviousCalls(chain.vault).run() == 1
    chain.sync(chain.vault, two.node)  # the answer and the earlier record come back
    page.reload()
    call = page.locator(f"[data-testid=previous-call][data-record='{earlier}']")
    call.wait_for()
    assert "Asthma attack" in call.inner_text() and "Acute asthma" in call.inner_text()
    assert call.locator("h4").inner_text().startswith(tuple("0123")), "the call's date"
    assert call.locator("[data-testid=previous-allergies]").inner_text() == (
        "ibuprofen (bronchospasm)")
    call.scroll_into_view_if_needed()
    check_accessibility(page)
    screenshot(page, "previous-calls")
