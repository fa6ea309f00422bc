"""PDS lookups on a crew node through the JSON API: answered at once when PDS answers,
queued when it cannot (stopped, throttled, slow) and answered later, offered to the crew
and written into the record only when a crew member confirms a patient."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from carechain.lookup import HttpPds
from carechain.lookup.fake import FakePds
from carechain.lookup.queue import JOB
from carechain.node.audit import read_audit
from carechain.testing import ServedApp, Trust
from tests.lookup.conftest import Crew, make_crew


@pytest.fixture
def fake() -> FakePds:
    return FakePds()


@pytest.fixture
def served(fake: FakePds) -> Iterator[ServedApp]:
    app = ServedApp(fake.app())
    yield app
    app.stop()


@pytest.fixture
def crew(tmp_path: Path, trust: Trust, served: ServedApp) -> Iterator[Crew]:
    pds = HttpPds(served.url, timeout_s=0.5, retries=1, max_wait_s=0.0)
    out = make_crew(tmp_path / "crew", trust, "crew-1", pds)
    yield out
    out.client.close()
    out.accounts.close()
    out.node.close()
    pds.close()


JANE = {"family_name": "Smith", "given_name": "Jane", "date_of_birth": "2010-10-22"}


def test_a_match_is_offered_and_written_only_when_confirmed(crew: Crew) -> None:
    rid = crew.open_record({"family_name": "Smith", "given_name": "Jane"})
    job = crew.post(f"/records/{rid}/lookups", JANE)
    assert job["state"] == "answered" and job["answer"]["outcome"] == "match"
    patient = crew.get(f"/records/{rid}")["sections"]["patient"]
    assert "nhs_number" not in patient  # offered, not applied
    crew.post(f"/records/{rid}/lookups/{job['id']}/confirm", {"nhs_number": "9000000009"})
    patient = crew.get(f"/records/{rid}")["sections"]["patient"]
    assert (patient["nhs_number"], patient["nhs_number_status"]) == ("9000000009", "01")
    assert patient["postcode"] == "LS1 6AE" and patient["date_of_birth"] == "2010-10-22"
    (done,) = crew.get(f"/records/{rid}/lookups")
    assert (done["state"], done["confirmed"]) == ("confirmed", "9000000009")
    again = crew.post(f"/records/{rid}/lookups/{job['id']}/confirm",
                      {"nhs_number": "9000000009"}, expect=422)
    assert again["field"] == "lookup"
    events = [e for e in read_audit(crew.node) if e["action"] == "patient.lookup"]
    assert [e["detail"]["state"] for e in events] == ["answered", "confirmed"]
    assert all("Smith" not in str(e) for e in events)  # never the demographics


def test_no_match_and_several_matches(crew: Crew) -> None:
    rid = crew.open_record()
    none = crew.post(f"/records/{rid}/lookups", {"nhs_number": "9449306621"})
    assert none["answer"] == {"outcome": "no_match", "patients": []}
    several = crew.post(f"/records/{rid}/lookups",
                        {"family_name": "Smythe", "date_of_birth": "1957-03-14"})
    assert several["answer"]["outcome"] == "multiple"
    numbers = [p["nhs_number"] for p in several["answer"]["patients"]]
    assert numbers == ["9000000017", "9000000025"]
    # The crew chooses one; a number the lookup did not answer is refused.
    bad = crew.post(f"/records/{rid}/lookups/{several['id']}/confirm",
                    {"nhs_number": "9000000009"}, expect=422)
    assert bad["field"] == "nhs_number"
    crew.post(f"/records/{rid}/lookups/{several['id']}/confirm", {"nhs_number": "9000000025"})
    patient = crew.get(f"/records/{rid}")["sections"]["patient"]
    assert (patient["nhs_number"], patient["nhs_number_status"]) == ("9000000025", "02")


def test_with_pds_stopped_the_lookup_waits_and_is_answered_later(
        crew: Crew, served: ServedApp, fake: FakePds) -> None:
    port = served.port
    served.stop()
    rid = crew.open_record()
    job = crew.post(f"/records/{rid}/lookups", JANE)
    assert job["state"] == "queued" and "unreachable" in job["error"]
    # The crew carries on writing meanwhile.
    crew.post(f"/records/{rid}/entries", {"kind": "note.added", "data": {"text": "on scene"}})
    assert crew.queue.retry() == 0  # still down
    back = ServedApp(fake.app(), port=port)
    try:
        assert crew.queue.retry() == 1
    finally:
        back.stop()
    (answered,) = crew.get(f"/records/{rid}/lookups")
    assert answered["state"] == "answered" and answered["attempts"] == 3
    assert answered["answer"]["patients"][0]["nhs_number"] == "9000000009"


def test_throttled_and_slow_lookups_are_queued(crew: Crew, fake: FakePds) -> None:
    rid = crew.open_record()
    fake.throttle(5, retry_after=30)
    assert crew.post(f"/records/{rid}/lookups", JANE)["state"] == "queued"
    fake.throttle(0)
    fake.delay_s = 1.0
    slow = crew.post(f"/records/{rid}/lookups", {"nhs_number": "9000000009"})
    assert slow["state"] == "queued" and "in time" in slow["error"]
    fake.delay_s = 0.0
    assert crew.queue.retry() == 2


def test_lookups_are_sealed_at_rest(crew: Crew) -> None:
    rid = crew.open_record()
    crew.post(f"/records/{rid}/lookups", JANE)
    ((key, value),) = crew.node.store.meta_items(JOB)
    assert key.startswith(f"{JOB}{rid}/")
    assert b"Smith" not in value and b"9000000009" not in value


def test_dismissed_answers_write_nothing(crew: Crew) -> None:
    rid = crew.open_record()
    job = crew.post(f"/records/{rid}/lookups", JANE)
    crew.post(f"/records/{rid}/lookups/{job['id']}/dismiss", {}, expect=200)
    assert "patient" not in crew.get(f"/records/{rid}")["sections"]
    refused = crew.post(f"/records/{rid}/lookups/{job['id']}/confirm",
                        {"nhs_number": "9000000009"}, expect=422)
    assert refused["field"] == "lookup"


@pytest.mark.parametrize(("body", "field"), [
    ({"family_name": "Smith"}, "date_of_birth"),
    ({"date_of_birth": "2010-10-22"}, "family_name"),
    ({"nhs_number": "4857773456"}, "nhs_number"),
    ({"family_name": "Sm1th", "date_of_birth": "2010-10-22"}, "family_name"),
])
def test_bad_lookups_name_the_field_and_keep_nothing(crew: Crew, body: dict[str, str],
                                                     field: str) -> None:
    rid = crew.open_record()
    assert crew.post(f"/records/{rid}/lookups", body, expect=422)["field"] == field
    assert crew.node.store.meta_items(JOB) == []


def test_an_unknown_lookup_is_not_found(crew: Crew) -> None:
    rid = crew.open_record()
    crew.post(f"/records/{rid}/lookups/0123456789abcdef/dismiss", {}, expect=404)
    crew.post(f"/records/{rid}/lookups/..%2F..%2Fx/dismiss", {}, expect=404)
