"""The crew app's "Patient lookup and previous calls" page: every path the JSON API has,
through the web forms (CSRF, audited, errors shown by the field with nothing kept)."""

from __future__ import annotations

import re

from carechain.lookup.previous import PreviousCalls
from tests.lookup.conftest import NHS, OTHER_NHS, Chain, Crew
from tests.web.conftest import PIN


def _login(crew: Crew) -> None:
    crew.client.get("/login")
    r = crew.client.post("/login", data={"staff_id": "P100234", "secret": PIN, "totp": "",
                                         "next": "/"}, follow_redirects=False)
    assert r.status_code == 303, r.text


def _csrf(crew: Crew, path: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', crew.client.get(path).text)
    assert found
    return found.group(1)


def test_the_page_asks_for_previous_calls_and_shows_them(chain: Chain) -> None:
    one, two = chain.crews
    earlier = one.open_record({"family_name": "Okafor", "nhs_number": NHS})
    one.post(f"/records/{earlier}/entries", {"kind": "history.recorded", "data": {
        "allergies": [{"substance": "latex", "reaction": "hives", "severity": "moderate"}]}})
    chain.sync(one.node)
    now = two.open_record({"family_name": "Okafor", "nhs_number": NHS})
    _login(two)
    page = f"/crew/records/{now}/patient-lookup"
    assert 'id="no-previous"' in two.client.get(page).text
    r = two.client.post(f"/crew/records/{now}/previous-calls",
                        data={"csrf": _csrf(two, page)}, follow_redirects=False)
    assert r.status_code == 303
    assert 'data-state="waiting"' in two.client.get(page).text
    chain.sync(two.node, chain.vault)
    PreviousCalls(chain.vault).run()
    chain.sync(chain.vault, two.node)
    html = two.client.get(page).text
    assert f'data-record="{earlier}"' in html and "latex (hives)" in html
    assert two.client.get(f"/crew/records/{now}").text.count("patient-lookup") == 1


def test_break_glass_without_a_reason_is_shown_by_the_field(chain: Chain) -> None:
    two = chain.crews[1]
    now = two.open_record({"family_name": "Okafor", "nhs_number": OTHER_NHS})
    _login(two)
    page = f"/crew/records/{now}/patient-lookup"
    r = two.client.post(f"/crew/records/{now}/previous-calls",
                        data={"csrf": _csrf(two, page), "nhs_number": NHS, "reason": "short"})
    assert r.status_code == 422
    assert 'data-field="reason"' in r.text and f'value="{NHS}"' in r.text
    assert two.get(f"/records/{now}/previous-calls")["requests"] == []


def test_a_lookup_without_pds_waits_and_a_bad_one_is_refused(chain: Chain) -> None:
    two = chain.crews[1]
    now = two.open_record()
    _login(two)
    page = f"/crew/records/{now}/patient-lookup"
    bad = two.client.post(page, data={"csrf": _csrf(two, page), "family_name": "Smith"})
    assert bad.status_code == 422 and 'data-field="date_of_birth"' in bad.text
    ok = two.client.post(page, data={"csrf": _csrf(two, page), "family_name": "Smith",
                                     "date_of_birth": "2010-10-22"}, follow_redirects=False)
    assert ok.status_code == 303
    html = two.client.get(page).text
    assert 'data-state="queued"' in html and "no PDS service is configured" in html


def test_a_form_without_its_csrf_token_is_refused(chain: Chain) -> None:
    two = chain.crews[1]
    now = two.open_record({"family_name": "Okafor", "nhs_number": NHS})
    _login(two)
    r = two.client.post(f"/crew/records/{now}/previous-calls", data={})
    assert r.status_code == 403
    assert two.get(f"/records/{now}/previous-calls")["requests"] == []
