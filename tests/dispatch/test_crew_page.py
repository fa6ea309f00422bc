"""The crew app's Dispatch page: the offer, its updates, accepting it from the page."""

from __future__ import annotations

import re

from tests.web.conftest import PIN, Site

from .conftest import CAD, Hub, audit_of, offers_of


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def test_the_crew_sees_the_offer_and_accepts_it_from_the_page(
    hub: Hub, crews: tuple[Site, Site]
) -> None:
    one, _ = crews
    assert hub.post(CAD).status_code == 201
    assert hub.post({**CAD, "category": 1}).status_code == 201
    offers_of(one, hub)  # a sync round brings the offers
    one.login("P100234", PIN)
    page = one.client.get("/crew/dispatch")
    assert page.status_code == 200
    assert 'data-incident="INC-20261203-0042"' in page.text
    assert "category changed from 2 to 1" in page.text
    assert "14 Example Road" in page.text and "10-D-01" in page.text
    r = one.client.post(f"/crew/dispatch/{CAD['incident_number']}/accept",
                        data={"csrf": _csrf(page.text)}, follow_redirects=False)
    assert r.status_code == 303
    record = r.headers["location"].rsplit("/", 1)[1]
    shown = one.client.get(f"/crew/records/{record}")
    assert shown.status_code == 200 and "INC-20261203-0042" in shown.text
    assert [e["record"] for e in audit_of(one.node, "dispatch.accept")] == [record]
    again = one.client.get("/crew/dispatch")
    assert f'href="/crew/records/{record}"' in again.text
    assert 'data-testid="offer-accept"' not in again.text


def test_a_cancelled_offer_is_shown_as_such_with_no_accept_button(
    hub: Hub, crews: tuple[Site, Site]
) -> None:
    one, _ = crews
    assert hub.post(CAD).status_code == 201
    cancelled = {**CAD, "status": "cancelled", "cancel_reason": "Caller called back: not needed"}
    assert hub.post(cancelled).status_code == 201
    offers_of(one, hub)
    one.login("P100234", PIN)
    page = one.client.get("/crew/dispatch")
    assert 'data-testid="offer-cancelled"' in page.text
    assert "cancelled: Caller called back: not needed" in page.text
    assert 'data-testid="offer-accept"' not in page.text


def test_the_accept_needs_the_form_token(hub: Hub, crews: tuple[Site, Site]) -> None:
    one, _ = crews
    assert hub.post(CAD).status_code == 201
    offers_of(one, hub)
    one.login("P100234", PIN)
    r = one.client.post(f"/crew/dispatch/{CAD['incident_number']}/accept",
                        data={"csrf": "wrong"}, follow_redirects=False)
    assert r.status_code == 403
    assert audit_of(one.node, "dispatch.accept") == []
