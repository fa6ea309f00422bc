"""Break-glass: permission, a real reason, the audit body, and four hours of access."""

from __future__ import annotations

import pytest

from carechain.accounts import BREAK_GLASS_MS, AccountStore, audit_event
from carechain.errors import FieldInvalid, Forbidden

from .conftest import NOW, PASSWORD, RECORD

HOUR = 60 * 60_000


def test_break_glass_grants_four_hours_and_returns_the_audit_body(
    hospital: AccountStore,
) -> None:
    clinician = hospital.authenticate("E1", PASSWORD, now_ms=NOW)
    assert not hospital.has_break_glass("E1", RECORD, now_ms=NOW)
    event = hospital.break_glass(clinician, RECORD.upper(), "  unconscious, no handover yet  ",
                                 now_ms=NOW)
    assert event == audit_event(
        "break_glass", staff_id="E1", role="ed_clinician", at_ms=NOW, outcome="success",
        record=RECORD, detail={"reason": "unconscious, no handover yet",
                               "until_ms": NOW + 4 * HOUR},
    )
    assert BREAK_GLASS_MS == 4 * HOUR
    assert hospital.has_break_glass("E1", RECORD, now_ms=NOW)
    assert hospital.has_break_glass("E1", RECORD.upper(), now_ms=NOW + 4 * HOUR - 1)
    assert not hospital.has_break_glass("E1", RECORD, now_ms=NOW + 4 * HOUR)
    assert not hospital.has_break_glass("E1", RECORD, now_ms=NOW - 1)  # not before it
    assert not hospital.has_break_glass("A1", RECORD, now_ms=NOW)      # only for that person
    assert not hospital.has_break_glass("E1", "f" * 32, now_ms=NOW)   # only for that record


@pytest.mark.parametrize("reason", ["", "         ", "because", "123456789", " short    "])
def test_reason_must_be_at_least_ten_characters(hospital: AccountStore, reason: str) -> None:
    clinician = hospital.authenticate("E1", PASSWORD, now_ms=NOW)
    with pytest.raises(FieldInvalid) as caught:
        hospital.break_glass(clinician, RECORD, reason, now_ms=NOW)
    assert caught.value.field == "reason"
    assert not hospital.has_break_glass("E1", RECORD, now_ms=NOW)


def test_reason_has_an_upper_bound(hospital: AccountStore) -> None:
    clinician = hospital.authenticate("E1", PASSWORD, now_ms=NOW)
    with pytest.raises(FieldInvalid) as caught:
        hospital.break_glass(clinician, RECORD, "x" * 501, now_ms=NOW)
    assert caught.value.field == "reason"
    hospital.break_glass(clinician, RECORD, "漢" * 500, now_ms=NOW)  # long non-ASCII still fits


def test_break_glass_needs_the_permission(hospital: AccountStore) -> None:
    auditor = hospital.authenticate("A1", PASSWORD, now_ms=NOW)
    with pytest.raises(Forbidden) as caught:
        hospital.break_glass(auditor, RECORD, "just curious about this one", now_ms=NOW)
    assert caught.value.extra == {"action": "break_glass", "role": "auditor"}
    assert not hospital.has_break_glass("A1", RECORD, now_ms=NOW)


@pytest.mark.parametrize("record", ["", "xyz", "0" * 31, "0" * 33, "g" * 32])
def test_record_must_be_a_record_id(hospital: AccountStore, record: str) -> None:
    clinician = hospital.authenticate("E1", PASSWORD, now_ms=NOW)
    with pytest.raises(FieldInvalid) as caught:
        hospital.break_glass(clinician, record, "patient collapsed in resus", now_ms=NOW)
    assert caught.value.field == "record"
