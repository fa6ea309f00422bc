"""A STEMI pre-alert carries the record's 12-lead: the crew's disposition names the newest
ECG (or the one the crew names, checked against the record), and the hospital's board and
patient page show it (a link to the 12-lead and the device's own statements), and say when
a later 12-lead was recorded than the one the pre-alert carries (H-135, H-136)."""

from __future__ import annotations

import html
from typing import Any

import pytest

from carechain.errors import FieldInvalid
from carechain.operations import records as ops
from carechain.operations.actor import Actor
from carechain.operations.door import Door
from tests.web.test_attachments import PARAMEDIC, Chain, chain
from tests.web.test_ecg import DICOM, SIERRA, import_ecg

__all__ = ["chain"]

STEMI = {"outcome": "conveyed", "hospital_node": "hospital-a", "pre_alert": True,
         "pre_alert_category": "stemi"}


def _write(chain: Chain, record: bytes, data: dict[str, Any]) -> dict[str, Any]:
    door = Door(chain.crew.node, chain.crew.accounts)
    actor = Actor.person(chain.crew.accounts.person(PARAMEDIC), "json")
    with door.unit() as uow:
        written = ops.append(door, actor, uow, record=record, kind="disposition.recorded",
                             data=data)
    body = chain.crew.node.body(written.entry)
    assert body is not None
    data: dict[str, Any] = body["data"]
    return data


def _card(chain: Chain, record: bytes) -> dict[str, Any]:
    board = chain.hospital.client.get("/hospital/api/incoming").json()
    found: dict[str, Any] = next(p for p in board["incoming"] if p["record_id"] == record.hex())
    return found


def test_a_stemi_pre_alert_names_the_newest_ecg_and_the_hospital_shows_it(chain: Chain) -> None:
    record = chain.document()
    _, older = import_ecg(chain, record, "philips.xml", SIERRA)
    _, newest = import_ecg(chain, record, "ecg.dcm", DICOM)
    body = _write(chain, record, STEMI)
    assert body["pre_alert_ecg"] == newest != older
    chain.sync()
    card = _card(chain, record)["ecg"]
    url = f"/hospital/records/{record.hex()}/ecgs/{newest}"
    assert card["named"] is True and card["url"] == url and card["later"] == 0
    assert card["leads"] == 12 and card["interpretation"] == ["RITMO SINUSALE", "ECG NORMALE"]
    for page in (chain.hospital.client.get("/hospital").text,
                 chain.hospital.client.get(f"/hospital/records/{record.hex()}").text):
        assert 'data-testid="pre-alert-ecg-link">12-lead ECG' in page and url in page
        assert html.escape("RITMO SINUSALE; ECG NORMALE", quote=False) in page
        assert 'data-testid="pre-alert-ecg-later"' not in page
    assert chain.hospital.client.get(url).status_code == 200  # the 12-lead on ECG paper


def test_a_12_lead_recorded_after_the_pre_alert_is_pointed_out(chain: Chain) -> None:
    record = chain.document()
    _, first = import_ecg(chain, record, "ecg.dcm", DICOM)
    assert _write(chain, record, STEMI)["pre_alert_ecg"] == first
    import_ecg(chain, record, "philips.xml", SIERRA)
    chain.sync()
    card = _card(chain, record)["ecg"]
    assert card["named"] is True and card["later"] == 1
    assert "1 later 12-lead in the record" in chain.hospital.client.get("/hospital").text


def test_a_pre_alert_sent_before_any_12_lead_says_it_names_none(chain: Chain) -> None:
    record = chain.document()  # its STEMI pre-alert is written before any ECG
    import_ecg(chain, record, "ecg.dcm", DICOM)
    chain.sync()
    assert _card(chain, record)["ecg"] == {"named": False, "url": None, "later": 1}
    assert "The pre-alert names no 12-lead; 1 12-lead in the record" in \
        chain.hospital.client.get("/hospital").text


def test_the_crew_may_name_one_of_the_records_ecgs_and_no_other(chain: Chain) -> None:
    record = chain.document()
    other = chain.document()
    _, chosen = import_ecg(chain, record, "philips.xml", SIERRA)
    import_ecg(chain, record, "ecg.dcm", DICOM)
    _, elsewhere = import_ecg(chain, other, "ecg.dcm", DICOM)
    assert _write(chain, record, {**STEMI, "pre_alert_ecg": chosen})["pre_alert_ecg"] == chosen
    before = chain.crew.node.store.count()
    with pytest.raises(FieldInvalid) as refused:
        _write(chain, record, {**STEMI, "pre_alert_ecg": elsewhere})
    assert refused.value.field == "data.pre_alert_ecg"
    assert chain.crew.node.store.count() == before  # nothing written


@pytest.mark.parametrize(("data", "field"), [
    ({"pre_alert": False, "pre_alert_ecg": "0" * 32}, "data.pre_alert_ecg"),
    ({"pre_alert": True, "pre_alert_category": "stemi", "pre_alert_ecg": "ECG"},
     "data.pre_alert_ecg"),
])
def test_a_pre_alert_ecg_field_breaking_its_rule_is_refused(
    chain: Chain, data: dict[str, Any], field: str,
) -> None:
    record = chain.document()
    with pytest.raises(FieldInvalid) as refused:
        _write(chain, record, {"outcome": "conveyed", **data})
    assert refused.value.field == field


def test_a_pre_alert_of_another_category_carries_no_ecg_unless_named(chain: Chain) -> None:
    record = chain.document()
    _, ecg = import_ecg(chain, record, "ecg.dcm", DICOM)
    stroke = {**STEMI, "pre_alert_category": "stroke"}
    assert "pre_alert_ecg" not in _write(chain, record, stroke)
    assert _write(chain, record, {**stroke, "pre_alert_ecg": ecg})["pre_alert_ecg"] == ecg
