"""The crew app's body map over HTTP: a mark chosen from the lists (no script) or placed on
the diagram, written as one `injury.marked` through the door, drawn on its view; a mark the
schema refuses stores nothing and says why."""

from __future__ import annotations

from datetime import UTC, datetime

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


def test_the_trauma_forms_write_entries_and_the_handover_leads_with_the_tourniquet(
    crew_site: Site,
) -> None:
    crew = Crew(crew_site).login()
    record = crew.open()
    crew.save(record, "mechanism", {"mechanism": "rtc", "rtc_type": "cyclist", "speed_mph": "30"})
    by = {"applied_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M"), "applied_by": "P100234"}
    crew.save(record, "haemorrhage", {"method": "tourniquet", "region": "right-arm", **by})
    crew.save(record, "immobilisation", {"device": "pelvic-binder", "region": "pelvis", **by})
    triage = {
        "positive_criteria": ["suspected-pelvic-fracture", "high-energy-rtc"],
        "mtc_pre_alert": "yes",
        "destination": "major-trauma-centre",
    }
    crew.save(record, "trauma-triage", triage)
    state = crew.state(record)
    [tourniquet] = state["items"]["haemorrhage_control"]
    assert tourniquet["applied_by"] == "P100234" and tourniquet["applied_at"]
    assert state["sections"]["trauma_triage"]["positive_criteria"] == [
        "suspected-pelvic-fracture",
        "high-energy-rtc",
    ]
    # A splint with no limb is refused and nothing is stored.
    before = crew.count()
    r = crew.post(f"/crew/records/{record}/immobilisation", {"device": "splint", **by})
    assert r.status_code == 422 and crew.count() == before
    handover = text_of(crew.page(record, "handover"), "handover-text")
    assert "RTC, cyclist, 30 mph" in handover
    assert "TOURNIQUET right arm on" in handover
    assert "MTC pre-alert (criteria: suspected pelvic fracture, high energy rtc)" in handover
