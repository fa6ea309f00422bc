"""The audit view: this node's audit events, newest first, filtered; who may see it."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from carechain.node.audit import write_audit
from carechain.testing import Trust
from tests.web.conftest import Site
from tests.web.test_admin_support import (
    ADMIN,
    AUDITOR,
    LEAD,
    LEAD_PASSWORD,
    by_testid,
    close,
    console_site,
    login_admin,
    login_auditor,
)

RECORD = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def hub(tmp_path: Path, trust: Trust) -> Iterator[Site]:
    site = console_site(tmp_path / "hub", trust)
    yield site
    close(site)


def _rows(page: str) -> list[tuple[str, str]]:
    """Return (action, staff id) of every row, top to bottom."""
    out = []
    for tr in re.findall(r'<tr data-testid="audit-row".*?</tr>', page, re.S):
        action = re.search(r'data-action="([^"]+)"', tr)
        assert action
        out.append((action.group(1), by_testid(tr, "audit-staff-id")))
    return out


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


def test_an_auditor_sees_the_login_events_newest_first(hub: Site) -> None:
    login_admin(hub)
    login_auditor(hub)
    page = hub.client.get("/audit")
    assert page.status_code == 200
    assert _rows(page.text)[:2] == [("login", AUDITOR), ("login", ADMIN)]
    assert 'data-matched="2"' in page.text
    assert 'href="/admin"' not in page.text  # an auditor is offered no console links


def test_an_admin_sees_the_audit_log_with_the_console_links(hub: Site) -> None:
    login_admin(hub)
    page = hub.client.get("/audit")
    assert page.status_code == 200
    assert 'data-testid="nav-overview"' in page.text and ("login", ADMIN) in _rows(page.text)


def test_filter_by_action_and_staff_id(hub: Site) -> None:
    hub.client.post("/login", data={"staff_id": ADMIN, "secret": "not-the-password"})
    login_admin(hub)
    login_auditor(hub)
    failed = hub.client.get("/audit", params={"action": "login.failed"})
    assert failed.status_code == 200
    assert _rows(failed.text) == [("login.failed", ADMIN)]
    assert "1 of 3 events match" in failed.text
    assert '<option value="login.failed" selected>' in failed.text
    mine = hub.client.get("/audit", params={"staff_id": AUDITOR})
    assert _rows(mine.text) == [("login", AUDITOR)]
    both = hub.client.get("/audit", params={"staff_id": ADMIN, "action": "login"})
    assert _rows(both.text) == [("login", ADMIN)]
    none = hub.client.get("/audit", params={"action": "record.export"})
    assert 'id="audit-empty"' in none.text


def test_events_of_one_millisecond_keep_their_written_order(hub: Site) -> None:
    for _ in range(5):
        hub.client.post("/login", data={"staff_id": LEAD, "secret": "wrong-password-1"})
    login_auditor(hub)
    page = hub.client.get("/audit", params={"staff_id": LEAD})
    actions = [action for action, _ in _rows(page.text)]
    assert actions == ["account.lock"] + ["login.failed"] * 5  # the lock after the 5th


def test_filter_by_date(hub: Site) -> None:
    login_auditor(hub)
    today = _today()
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    page = hub.client.get("/audit", params={"from": today, "to": today})
    assert _rows(page.text) == [("login", AUDITOR)]
    later = hub.client.get("/audit", params={"from": tomorrow})
    assert later.status_code == 200 and _rows(later.text) == []


def test_filter_by_record_and_break_glass_rows_stand_out(hub: Site) -> None:
    lead = hub.accounts.person(LEAD)
    assert lead is not None
    event = hub.accounts.break_glass(lead, RECORD, "patient unconscious, no relationship yet",
                                     now_ms=hub.node.clock_ms())
    write_audit(hub.node, event)
    login_auditor(hub)
    page = hub.client.get("/audit", params={"record": RECORD.upper()})
    assert page.status_code == 200
    assert _rows(page.text) == [("break_glass", LEAD)]
    tr = re.search(r'<tr data-testid="audit-row".*?</tr>', page.text, re.S)
    assert tr and 'class="break-glass' in tr.group(0)
    assert by_testid(tr.group(0), "break-glass") == "BREAK-GLASS"
    reason = by_testid(tr.group(0), "break-glass-reason")
    assert html.unescape(reason) == "patient unconscious, no relationship yet"
    assert "until:</span>" in tr.group(0) and "UTC" in tr.group(0)  # times are shown as times


@pytest.mark.parametrize(("params", "field", "message"), [
    ({"staff_id": "has space"}, "staff_id", "A staff id is 1 to 64"),
    ({"action": "delete.everything"}, "action", "Choose one of the actions"),
    ({"record": "xyz"}, "record", "32 hexadecimal digits"),
    ({"from": "31/08/2024"}, "from", "YYYY-MM-DD"),
    ({"to": "yesterday"}, "to", "YYYY-MM-DD"),
    ({"from": "1969-12-31"}, "from", "1970 or later"),
    ({"from": "2024-08-31", "to": "2024-08-30"}, "to", "same day as From or later"),
])
def test_a_bad_filter_is_refused_next_to_its_field(
    hub: Site, params: dict[str, str], field: str, message: str
) -> None:
    login_auditor(hub)
    page = hub.client.get("/audit", params=params)
    assert page.status_code == 422
    error = re.search(rf'id="f-{field}-error">(.*?)</p>', page.text, re.S)
    assert error and message in html.unescape(error.group(1)), page.text
    assert f'aria-describedby="f-{field}-error"' in page.text
    assert _rows(page.text) == []


def test_a_clinical_lead_may_not_read_the_audit_log(hub: Site) -> None:
    hub.login(LEAD, LEAD_PASSWORD)
    assert hub.client.get("/audit").status_code == 403


def test_the_audit_log_needs_a_login(hub: Site) -> None:
    r = hub.client.get("/audit", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/audit"


def test_counts_are_said_with_their_noun_in_the_singular_and_plural() -> None:
    from carechain.web.shared.render import env

    text = env.from_string('{{ 1|plural("event") }}; {{ 2|plural("event") }}; '
                           '{{ 0|plural("event") }}; {{ 1|plural("failed try", "failed tries") }}; '
                           '{{ 3|plural("failed try", "failed tries") }}').render()
    assert text == "1 event; 2 events; 0 events; 1 failed try; 3 failed tries"
