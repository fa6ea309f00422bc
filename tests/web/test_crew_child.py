"""A child in the crew app without a browser: the jobs list, the live preview and the
record page give the National PEWS in place of NEWS2, and the weight says it is estimated."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tests.web.conftest import Site
from tests.web.test_crew_preview import URL
from tests.web.test_crew_support import Crew, text_of

WHEEZY = {"respiratory_rate": "45", "respiratory_distress": "moderate", "spo2": "93",
          "oxygen": "yes", "oxygen_flow_l_min": "2", "pulse": "150", "systolic_bp": "95",
          "capillary_refill_s": "3", "acvpu": "A"}  # fmt: skip


def _child(crew: Crew) -> str:
    record = crew.open()
    born = (datetime.now(UTC) - timedelta(days=3 * 365 + 100)).date().isoformat()
    crew.save(record, "patient", {"given_name": "Ava", "date_of_birth": born})
    return record


def test_the_preview_scores_pews_for_a_child(crew_site: Site) -> None:
    crew = Crew(crew_site).login()
    record = _child(crew)
    r = crew.client.post(URL, data={**WHEEZY, "record": record},
                         headers={"X-CSRF-Token": crew.token})  # fmt: skip
    shown = r.json()["news2"]
    assert (shown["score_name"], shown["aggregate"], shown["band"]) == ("PEWS", 10, "high")
    assert shown["age_band_label"] == "1–4 years"
    assert "PEWS for the values typed" in crew.page(record, "observations")


def test_the_jobs_list_and_record_give_pews_and_the_estimated_weight(crew_site: Site) -> None:
    crew = Crew(crew_site).login()
    record = _child(crew)
    taken = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=2)
    crew.save(record, "observations", {"taken_at": taken.strftime("%Y-%m-%dT%H:%M"), **WHEEZY})
    jobs = crew.client.get("/crew").text
    cell = re.search(r'data-testid="job-news2">(.*?)</td>', jobs, re.S)
    assert cell and " ".join(re.sub(r"<[^>]+>", " ", cell.group(1)).split()) == "PEWS 10 · high"
    page = crew.page(record)
    assert text_of(page, "headline-number") == "10"
    assert "ESTIMATED, not weighed" in text_of(page, "score-weight")
    assert "1–4 years" in text_of(page, "news2-chart")
