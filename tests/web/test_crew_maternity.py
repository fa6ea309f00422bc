"""Maternity over HTTP (issue 17, item 3): the pregnancy, labour and blood loss written
through the door from the crew's forms; a birth opens the baby's own record, linked both
ways by signed entries; the baby's Apgar scores are written on it; both records reach the
hospital through the hub, where each page links to the other and shows the gestation, the
birth and the Apgar scores. A birth the schema refuses stores nothing and names the field."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from carechain.node import Node
from carechain.sync.policy import allow_for
from carechain.testing import Trust, make_node
from tests.web.conftest import PIN, Site, make_site
from tests.web.hospital_support import CLINICIAN, PASSWORD
from tests.web.test_crew_support import Crew, errors_in, history_of, text_of


def _at(minutes_ago: int = 0) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M")


@dataclass
class Chain:
    crew: Crew
    hub: Node
    hospital: Site

    def sync(self) -> None:
        """Crew → hub → hospital, each taking what its role may hold, as sync does."""
        for source, target in ((self.crew.node, self.hub), (self.hub, self.hospital.node)):
            entries = [s.entry for s in source.store.since(0, 100_000)]
            target.ingest(entries, allow=allow_for(target.store, target.info.role,
                                                   target.keys.box_key_id))


@pytest.fixture
def chain(tmp_path: Path, trust: Trust) -> Iterator[Chain]:
    crew = make_site(tmp_path / "crew", trust, "crew", "crew-1",
                     [("P100234", "Sam Patel", "paramedic", PIN)])
    hospital = make_site(tmp_path / "hospital", trust, "hospital", "hospital-a",
                         [(CLINICIAN, "Dr Jo Lee", "ed_clinician", PASSWORD)])
    hub = make_node(tmp_path / "hub", trust, role="hub", name="hub")
    nodes = (crew.node, hospital.node, hub)
    directory = [s.entry for n in nodes for s in n.store.since(0, 100)]
    for node in nodes:
        node.ingest(directory)
    hospital.login(CLINICIAN, PASSWORD)
    yield Chain(Crew(crew).login(), hub, hospital)
    for site in (crew, hospital):
        site.client.close()
        site.accounts.close()
        site.node.close()
    hub.close()


def _mother_in_labour(crew: Crew) -> str:
    mother = crew.open()
    crew.save(mother, "patient", {"sex": "female", "estimated_age_years": "29"})
    crew.save(mother, "pregnancy", {"gestation_weeks": "39", "gestation_days": "2",
                                    "gravida": "2", "para": "1", "booked_unit": "Princess Anne"})
    crew.save(mother, "labour", {"assessed_at": _at(20), "contractions_per_10_min": "5",
                                 "contraction_duration_s": "60", "membranes": "ruptured",
                                 "liquor": "clear", "urge_to_push": "yes"})
    return mother


def _birth(crew: Crew, mother: str, **extra: str) -> str:
    r = crew.post(f"/crew/records/{mother}/birth", {
        "born_at": _at(10), "sex": "female", "presentation": "cephalic",
        "breathing_at_birth": "crying", **extra})
    assert r.status_code == 303, errors_in(r.text)
    return r.headers["location"].split("baby=")[1].split("#")[0]


def test_a_birth_opens_the_babys_record_linked_both_ways(chain: Chain) -> None:
    crew = chain.crew
    mother = _mother_in_labour(crew)
    baby = _birth(crew, mother)
    assert baby != mother
    mstate, bstate = crew.state(mother), crew.state(baby)
    [birth] = mstate["items"]["births"]
    assert (birth["baby_record"], birth["sex"]) == (baby, "female")
    assert [(x["relation"], x["record"]) for x in mstate["items"]["links"]] == [("baby", baby)]
    assert [(x["relation"], x["record"]) for x in bstate["items"]["links"]] == [("mother", mother)]
    assert bstate["sections"]["patient"] == {"date_of_birth": birth["born_at"][:10],
                                             "sex": "female"}
    assert bstate["sections"]["record"]["callsign"] == "RRV-412"
    # Each link is an entry signed by this device, in the record's own history.
    [link] = history_of(crew, baby, "record.linked")
    assert link["author"] == "crew-1" and link["data"]["record"] == mother
    # The pages link to each other; the birth page offers the baby's record.
    assert f'href="/crew/records/{baby}"' in crew.page(mother, "birth")
    assert f'href="/crew/records/{mother}"' in crew.page(baby)
    crew.save(baby, "apgar", {"minute": "1", "appearance": "1", "pulse": "2", "grimace": "1",
                              "activity": "1", "respiration": "1", "scored_at": _at(9)})
    crew.save(baby, "apgar", {"minute": "5", "appearance": "1", "pulse": "2", "grimace": "2",
                              "activity": "2", "respiration": "2", "scored_at": _at(5)})
    # An Apgar score on the mother's record is refused, and nothing is stored.
    before = crew.count()
    r = crew.post(f"/crew/records/{mother}/apgar", {"minute": "1", "appearance": "1",
                                                    "pulse": "2", "grimace": "1",
                                                    "activity": "1", "respiration": "1"})
    assert r.status_code == 422 and crew.count() == before
    assert "write it on the baby&#39;s own record" in r.text
    baby_handover = text_of(crew.page(baby, "handover"), "handover-text")
    assert "0 days F, newborn, born" in baby_handover
    assert f"mother's record {mother[:8]}" in baby_handover
    assert "Apgar 6 at 1 min, 9 at 5 min" in baby_handover
    handover = text_of(crew.page(mother, "handover"), "handover-text")
    assert "approx. 29 F, pregnant 39+2 weeks, G2 P1, booked at Princess Anne" in handover
    assert f"cephalic, cried at birth; baby's record {baby[:8]}" in handover
    assert "contractions 5 in 10 min lasting 60 s" in handover


def test_a_birth_the_schema_refuses_stores_nothing(chain: Chain) -> None:
    crew = chain.crew
    mother = _mother_in_labour(crew)
    before = crew.count()
    r = crew.post(f"/crew/records/{mother}/birth", {
        "born_at": _at(10), "breathing_at_birth": "not-breathing", "resuscitation": "no",
        "cord_clamped_at": _at(15)})
    assert r.status_code == 422 and crew.count() == before
    found = errors_in(r.text)
    assert found["cord_clamped_at"] == "must not be before born_at"
    assert found["resuscitation"] == 'must not be false for a baby "not-breathing" at birth'
    assert "births" not in crew.state(mother)["items"]


def test_both_records_and_their_links_reach_the_hospital(chain: Chain) -> None:
    crew = chain.crew
    mother = _mother_in_labour(crew)
    baby = _birth(crew, mother)
    crew.save(baby, "apgar", {"minute": "1", "appearance": "0", "pulse": "1", "grimace": "1",
                              "activity": "1", "respiration": "1"})
    crew.save(mother, "blood-loss", {"stage": "postpartum", "estimated_ml": "600",
                                     "estimated_at": _at(2)})
    # Addressed after the birth: the mother's disposition takes her baby's record with her.
    crew.save(mother, "disposition", {"outcome": "conveyed", "hospital_node": "hospital-a"})
    chain.sync()
    hospital = chain.hospital
    for record in (mother, baby):
        assert hospital.node.holds(bytes.fromhex(record))
    mstate = hospital.node.state(bytes.fromhex(mother))
    bstate = hospital.node.state(bytes.fromhex(baby))
    assert mstate["maternity"]["links"][0]["record"] == baby
    assert bstate["maternity"]["links"][0]["record"] == mother
    page = hospital.client.get(f"/hospital/records/{mother}")
    assert page.status_code == 200
    assert text_of(page.text, "maternity-heading") == "Pregnancy and birth"
    assert f'href="/hospital/records/{baby}"' in page.text
    card = text_of(page.text, "maternity")
    assert "39+2 weeks" in card and "G2 P1" in card
    assert "estimated blood loss 600 ml postpartum (minor PPH)" in card
    assert "baby born" in card and "cried at birth" in card
    prompts = text_of(page.text, "prompts")
    assert "Estimated blood loss 600 ml since the birth: minor postpartum haemorrhage" in prompts
    baby_page = hospital.client.get(f"/hospital/records/{baby}")
    assert baby_page.status_code == 200
    assert text_of(baby_page.text, "maternity-heading") == "Newborn"
    assert f'href="/hospital/records/{mother}"' in baby_page.text
    assert "4 (moderately abnormal)" in text_of(baby_page.text, "maternity")
    assert "Apgar 4 at 1 min" in text_of(baby_page.text, "handover-text")
