"""The live NEWS2 preview: the observation form's values scored by the fold's own code."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import Site
from tests.web.test_crew_support import DAY, Crew

URL = "/crew/api/news2-preview"


def _preview(crew: Crew, data: dict[str, Any], record: str = "") -> dict[str, Any]:
    r = crew.client.post(URL, data={**data, "record": record}, headers={"X-CSRF-Token": crew.token})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


@pytest.mark.parametrize(
    ("field", "value", "component", "score"),
    [
        ("respiratory_rate", "25", "resp_rate", 3),
        ("respiratory_rate", "22", "resp_rate", 2),
        ("respiratory_rate", "16", "resp_rate", 0),
        ("spo2", "93", "spo2", 2),
        ("pulse", "135", "pulse", 3),
        ("systolic_bp", "95", "systolic", 2),
        ("temperature_c", "38.5", "temperature", 1),
        ("acvpu", "V", "consciousness", 3),
        ("oxygen", "yes", "air_or_oxygen", 2),
    ],
)
def test_one_value_gives_its_component(
    crew_site: Site, field: str, value: str, component: str, score: int
) -> None:
    crew = Crew(crew_site).login()
    result = _preview(crew, {field: value})
    assert result["news2"]["components"] == {component: score}
    assert result["news2"]["aggregate"] == score
    assert result["news2"]["complete"] is False
    assert result["errors"] == {}


def test_a_full_set_gives_the_band_and_the_prompts(crew_site: Site) -> None:
    crew = Crew(crew_site).login()
    result = _preview(
        crew,
        {
            "taken_at": f"{DAY}T09:14",
            "respiratory_rate": "25",
            "spo2": "91",
            "oxygen": "no",
            "systolic_bp": "120",
            "pulse": "95",
            "acvpu": "A",
            "temperature_c": "37.0",
        },
    )
    news2 = result["news2"]
    assert news2["aggregate"] == 7 and news2["band"] == "high" and news2["complete"] is True
    assert [r["score"] for r in news2["rows"]] == [3, 3, 0, 0, 1, 0, 0]
    texts = [p["text"] for p in result["prompts"]]
    assert "NEWS2 7 — high: emergency response, consider pre-alert" in texts


def test_a_bad_value_is_named_and_the_rest_still_scored(crew_site: Site) -> None:
    crew = Crew(crew_site).login()
    result = _preview(crew, {"respiratory_rate": "25", "pulse": "400", "gcs_eye": "4"})
    assert result["errors"]["pulse"] == "must be between 20 and 300 /min"
    assert "gcs_verbal" in result["errors"]
    assert result["news2"]["components"] == {"resp_rate": 3}


def test_nothing_typed_gives_no_score_and_no_nagging(crew_site: Site) -> None:
    crew = Crew(crew_site).login()
    assert _preview(crew, {"taken_at": f"{DAY}T09:14"}) == {
        "news2": None,
        "scores": {},
        "prompts": [],
        "errors": {},
    }


def test_the_record_gives_the_context_of_the_score(crew_site: Site) -> None:
    crew = Crew(crew_site).login()
    record = crew.open()
    crew.save(record, "patient", {"sex": "female", "pregnant": "yes"})
    result = _preview(crew, {"respiratory_rate": "25"}, record)
    assert [p["rule"] for p in result["prompts"]] == ["news2.not-validated"]
    crew.save(record, "patient", {"pregnant": "no"})
    crew.save(record, "patient-history", {"suspected_infection": "yes"})
    result = _preview(
        crew, {"respiratory_rate": "25", "pulse": "135", "systolic_bp": "95", "acvpu": "A"}, record
    )
    assert "sepsis.screen" in {p["rule"] for p in result["prompts"]}


def test_the_token_may_come_in_the_body_or_as_json(crew_site: Site) -> None:
    crew = Crew(crew_site).login()
    r = crew.client.post(URL, data={"csrf": crew.token, "respiratory_rate": "25"})
    assert r.status_code == 200 and r.json()["news2"]["aggregate"] == 3
    r = crew.client.post(
        URL, json={"respiratory_rate": 25, "spo2": 91}, headers={"X-CSRF-Token": crew.token}
    )
    assert r.status_code == 200 and r.json()["news2"]["aggregate"] == 6
    r = crew.client.post(URL, json={"respiratory_rate": 25})
    assert r.status_code == 403


def test_the_preview_stores_nothing(crew_site: Site) -> None:
    crew = Crew(crew_site).login()
    record = crew.open()
    before = crew.count()
    _preview(crew, {"respiratory_rate": "25"}, record)
    assert crew.count() == before


def test_the_observation_page_has_the_live_region(crew_site: Site) -> None:
    crew = Crew(crew_site).login()
    record = crew.open()
    page = crew.page(record, "observations")
    assert 'id="news2-preview"' in page and 'aria-live="polite"' in page
    assert f'data-record="{record}"' in page and "/static/crew.js" in page
    assert crew.client.get("/static/crew.js").status_code == 200
