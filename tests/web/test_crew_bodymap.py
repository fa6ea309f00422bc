"""The crew app's body map over HTTP: a mark chosen from the lists (no script) or placed on
the diagram, written as one `injury.marked` through the door, drawn on its view; a mark the
schema refuses stores nothing and says why."""

from __future__ import annotations

from tests.web.conftest import Site
from tests.web.test_crew_support import Crew, history_of, text_of


def test_a_mark_from_the_lists_is_drawn_mid_region(crew_site: Site) -> None:
    crew = Crew(crew_site).login()
    record = crew.open()
    assert "No injuries marked yet" in crew.page(record, "bodymap")
    mark = {"view": "back", "region": "lower-back", "type": "laceration", "severity": "moderate"}
    r = crew.post(f"/crew/records/{record}/bodymap", mark)
    assert r.status_code == 303
    [entry] = history_of(crew, record, "injury.marked")
    assert entry["data"]["marked_by"] == "P100234" and "x" not in entry["data"]
    page = crew.page(record, "bodymap")
    assert text_of(page, "bodymap-marks") == "moderate laceration, lower back (back)"
    # Drawn on the back view at the middle of the lower back (100, 175).
    assert 'id="mark-1"><circle cx="100.0" cy="175.0"' in page


def test_a_tapped_position_is_kept_and_a_wrong_view_is_refused(crew_site: Site) -> None:
    crew = Crew(crew_site).login()
    record = crew.open()
    tapped = {"view": "front", "region": "right-leg", "type": "deformity", "x": "0.38",
              "y": "0.75", "severity": "severe", "note": "closed femur"}  # fmt: skip
    assert crew.post(f"/crew/records/{record}/bodymap", tapped).status_code == 303
    [entry] = history_of(crew, record, "injury.marked")
    assert (entry["data"]["x"], entry["data"]["y"]) == (0.38, 0.75)
    assert 'cx="76.0" cy="300.0"' in crew.page(record, "bodymap")
    before = crew.count()
    wrong = {"view": "back", "region": "chest", "type": "bruise", "x": "1.5", "y": "0.2"}
    r = crew.post(f"/crew/records/{record}/bodymap", wrong)
    assert r.status_code == 422 and crew.count() == before
    error = text_of(r.text, "bodymap-error")
    assert "x must be between 0 and 1" in error and "region chest is on the front view" in error
