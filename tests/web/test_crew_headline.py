"""The crew record page: the headline NEWS2 and urgent prompts above everything else, each
parameter's value and age (issue 10 items 1 and 6), and the monitor's live vital signs
(item 4)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from carechain.web.shared.headline import ago, news2_view
from tests.web.conftest import Site
from tests.web.test_crew_support import Crew, text_of

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def _at(minutes: float) -> str:
    return (NOW - timedelta(minutes=minutes)).isoformat(timespec="seconds")


@pytest.mark.parametrize(("minutes", "text"), [
    (0.5, "just now"), (1, "1 min ago"), (59, "59 min ago"), (60, "1 h ago"),
    (65, "1 h 5 min ago"), (-3, "in 3 min"),
])
def test_ages_are_whole_minutes_against_the_time_now(minutes: float, text: str) -> None:
    assert ago(_at(minutes), NOW) == text


def test_each_parameter_shows_its_value_age_and_whether_it_is_too_old() -> None:
    news2: dict[str, Any] = {
        "aggregate": 9, "band": "high", "response": "emergency response", "complete": False,
        "components": {"resp_rate": 3, "spo2": 3, "air_or_oxygen": 0, "systolic": 2,
                       "pulse": 1},
        "parameters": {
            "resp_rate": {"value": 26, "score": 3, "taken_at": _at(12), "entry": "aa"},
            "spo2": {"value": 91, "score": 3, "taken_at": _at(12), "entry": "aa"},
            "air_or_oxygen": {"value": False, "score": 0, "taken_at": _at(12), "entry": "aa"},
            "systolic": {"value": 95, "score": 2, "taken_at": _at(12), "entry": "aa"},
            "pulse": {"value": 131, "score": 1, "taken_at": _at(1), "entry": "bb"},
        },
        "stale": ["temperature"], "window_minutes": 30,
        "last_complete_at": _at(40), "taken_at": _at(1),
    }
    view = news2_view(news2, NOW)
    assert view is not None
    rows = {r["name"]: r for r in view["rows"]}
    assert (rows["resp_rate"]["short"], rows["resp_rate"]["value"], rows["resp_rate"]["age"]) \
        == ("RR", "26", "12 min ago")
    assert rows["air_or_oxygen"]["value"] == "air"
    assert rows["pulse"]["age"] == "1 min ago"
    assert rows["temperature"]["stale"] and rows["temperature"]["value"] is None
    assert rows["consciousness"]["score"] is None and not rows["consciousness"]["stale"]
    assert view["complete_known"] and view["last_complete_time"] == "09:20"
    assert view["last_complete_age"] == "40 min ago"


def test_a_state_without_the_new_keys_still_renders_its_scores() -> None:
    view = news2_view({"aggregate": 2, "band": "low", "response": "r", "complete": True,
                       "components": {"pulse": 1}}, NOW)
    assert view is not None and not view["complete_known"] and not view["has_values"]
    assert {r["name"]: r["score"] for r in view["rows"]}["pulse"] == 1


def _observe(crew: Crew, record: str, **values: str) -> None:
    taken = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=5)
    crew.save(record, "observations", {"taken_at": taken.strftime("%Y-%m-%dT%H:%M"),
                                       **values})


def test_the_headline_comes_before_the_section_strip_and_the_form(crew_site: Site) -> None:
    crew = Crew(crew_site).login()
    record = crew.open()
    _observe(crew, record, respiratory_rate="26", spo2="91", oxygen="no", systolic_bp="95",
             pulse="131", acvpu="A", temperature_c="37.0")
    page = crew.page(record)
    assert page.index('id="headline"') < page.index('id="section-nav"') < page.index("<h1")
    assert 'class="headline band-high"' in page
    assert text_of(page, "headline-number") == "11"
    values = text_of(page, "headline-values")
    assert "RR +3" in values or "RR 26" in values
    if "parameters" in crew.state(record)["scores"]["news2"]:  # the shared contract's values
        assert "RR 26 5 min ago +3" in values
    prompts = text_of(page, "headline-prompts")
    assert "Emergency:" in prompts  # the emergency prompt is in the headline


def test_no_observations_yet_says_so_in_the_headline(crew_site: Site) -> None:
    crew = Crew(crew_site).login()
    page = crew.page(crew.open())
    assert "No NEWS2 yet" in text_of(page, "headline-none")


def _chart_data(page: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="chart-data">(.*?)</script>',
                      page, re.S)
    assert found, "no live vitals on the page"
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def _frame(crew: Crew, record: str, heart_rate: int, seconds_ago: int) -> None:
    at = (datetime.now(UTC) - timedelta(seconds=seconds_ago)).isoformat()
    crew.node.append(record=bytes.fromhex(record), user="P100234", kind="vitals.frame",
                     data={"at": at, "source": "monitor-412", "heart_rate": heart_rate,
                           "spo2": 94})


def test_the_paramedic_sees_the_monitors_vitals_and_their_trend(crew_site: Site) -> None:
    crew = Crew(crew_site).login()
    record = crew.open()
    for i, hr in enumerate((108, 112, 117)):
        _frame(crew, record, hr, 30 - i)
    page = crew.page(record)
    data = _chart_data(page)
    assert [p["hr"] for p in data["points"] if p["source"] == "monitor"] == [108, 112, 117]
    assert text_of(page, "latest-hr") == "117"
    assert 'data-events="/crew/records/' in page and 'data-zone="UTC"' in page
    cursor = int(re.search(r'data-cursor="(\d+)"', page).group(1))  # type: ignore[union-attr]
    _frame(crew, record, 124, 0)
    r = crew_site.client.get(f"/crew/records/{record}/events?after={cursor}&lifetime=0")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = [json.loads(line[6:]) for line in r.text.splitlines() if line.startswith("data: ")]
    assert [p["hr"] for e in events for p in e["points"]] == [124]


def test_the_live_stream_needs_a_crew_reader(crew_site: Site) -> None:
    crew = Crew(crew_site).login()
    record = crew.open()
    crew_site.client.post("/logout", data={"csrf": crew.token})
    r = crew_site.client.get(f"/crew/records/{record}/events?lifetime=0")
    assert r.status_code == 401
