"""When a clinical time may be (issue 10, item 2): not more than the clock allowance in the
future, not before the incident began, and marked when recorded long after."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from carechain.errors import FieldInvalid
from carechain.records.kinds import validate_body
from carechain.records.times import (
    BACKDATE_LIMIT,
    CLOCK_ALLOWANCE,
    TIMED_FIELDS,
    check_entry_times,
    incident_start,
    is_backdated,
)

NOW = datetime(2024, 5, 1, 14, 0, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)
CALL = NOW - timedelta(minutes=40)
SECOND = timedelta(seconds=1)


def state_with_call(call: datetime | None = CALL) -> Mapping[str, Any]:
    incident = {} if call is None else {"call_received": call.isoformat()}
    return {"sections": {"incident": incident}}


def check(kind: str, data: dict[str, Any], call: datetime | None = CALL) -> None:
    check_entry_times(
        kind, validate_body(kind, data), now_ms=NOW_MS, state=lambda: state_with_call(call)
    )


def test_the_published_limits() -> None:
    assert timedelta(minutes=2) == CLOCK_ALLOWANCE
    assert timedelta(minutes=30) == BACKDATE_LIMIT


# The allowance's boundary, for every kind that records a time of care.
@pytest.mark.parametrize(
    ("kind", "data", "field"),
    [
        ("observation.recorded", {"pulse": 80}, "taken_at"),
        (
            "medication.administered",
            {"drug": "aspirin", "dose": 300, "unit": "mg", "route": "PO", "given_by": "P1"},
            "given_at",
        ),
        ("procedure.performed", {"procedure": "cpr", "performed_by": "P1"}, "performed_at"),
        (
            "record.signed",
            {"clinician_name": "A B", "clinician_role": "technician", "declaration": True},
            "signed_at",
        ),
        ("incident.recorded", {}, "on_scene"),
        ("history.recorded", {}, "time_last_known_well"),
        ("vitals.frame", {"heart_rate": 90}, "at"),
    ],
)
@pytest.mark.parametrize(
    ("ahead", "refused"),
    [
        (timedelta(0), False),
        (CLOCK_ALLOWANCE, False),
        (CLOCK_ALLOWANCE + SECOND, True),
        (timedelta(minutes=6), True),  # the demo's own case
        (timedelta(days=1), True),  # "a set dated tomorrow"
    ],
)
def test_a_time_in_the_future_beyond_the_allowance_is_refused(
    kind: str, data: dict[str, Any], field: str, ahead: timedelta, refused: bool
) -> None:
    entry = {**data, field: (NOW + ahead).isoformat()}
    if not refused:
        check(kind, entry)
        return
    with pytest.raises(FieldInvalid) as caught:
        check(kind, entry)
    assert caught.value.field == f"data.{field}"
    assert caught.value.rule.startswith("must not be in the future: ")
    # Times are shown as the crew reads a clock (UK time), with the date when it differs.
    clock = r"is more than 2 min after this device's clock \((2024-05-01 )?15:00(:00)?\)$"
    assert re.search(clock, caught.value.rule)


@pytest.mark.parametrize(
    ("before", "refused"),
    [
        (timedelta(0), False),
        (CLOCK_ALLOWANCE, False),
        (CLOCK_ALLOWANCE + SECOND, True),
        (timedelta(hours=3), True),
    ],
)
@pytest.mark.parametrize(
    ("kind", "data", "field"),
    [
        ("observation.recorded", {"pulse": 80}, "taken_at"),
        (
            "medication.administered",
            {"drug": "aspirin", "dose": 300, "unit": "mg", "route": "PO", "given_by": "P1"},
            "given_at",
        ),
        ("procedure.performed", {"procedure": "cpr", "performed_by": "P1"}, "performed_at"),
    ],
)
def test_a_time_before_the_call_is_refused(
    kind: str, data: dict[str, Any], field: str, before: timedelta, refused: bool
) -> None:
    entry = {**data, field: (CALL - before).isoformat()}
    if not refused:
        check(kind, entry)
        return
    with pytest.raises(FieldInvalid) as caught:
        check(kind, entry)
    assert caught.value.field == f"data.{field}"
    assert caught.value.rule.startswith("must not be before the incident began: ")
    assert re.search(r"is before call_received \(14:20(:00)?\)$", caught.value.rule)


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        # Onset precedes the call by nature; a monitor is stamped whenever switched on.
        ("history.recorded", {"time_last_known_well": (CALL - timedelta(hours=5)).isoformat()}),
        ("vitals.frame", {"heart_rate": 90, "at": (CALL - timedelta(hours=1)).isoformat()}),
        ("record.opened", {"opened_at": (CALL - timedelta(hours=1)).isoformat()}),
        # An expected arrival is a time still to come.
        ("disposition.recorded", {"eta": (NOW + timedelta(hours=1)).isoformat()}),
    ],
)
def test_times_that_may_precede_the_call_or_lie_ahead(kind: str, data: dict[str, Any]) -> None:
    check(kind, data)


def test_without_a_call_time_only_the_future_is_checked() -> None:
    """A record opened after the event (a paper record typed in later) is not refused."""
    check("observation.recorded", {"pulse": 80, "taken_at": "2020-01-01T00:00:00Z"}, call=None)


def test_the_state_is_read_only_when_needed() -> None:
    def no_state() -> Mapping[str, Any]:
        raise AssertionError("the state was read")

    frame = validate_body("vitals.frame", {"heart_rate": 90, "at": NOW.isoformat()})
    check_entry_times("vitals.frame", frame, now_ms=NOW_MS, state=no_state)
    check_entry_times("note.added", {"text": "hello"}, now_ms=NOW_MS, state=no_state)


def test_every_broken_time_is_reported_at_once() -> None:
    later = (NOW + timedelta(hours=1)).isoformat()
    with pytest.raises(FieldInvalid) as caught:
        check("incident.recorded", {"on_scene": later, "patient_contact": later})
    errors = caught.value.extra["errors"]
    assert [e["field"] for e in errors] == ["data.on_scene", "data.patient_contact"]
    assert errors[0] == {"field": caught.value.field, "rule": caught.value.rule}


def test_every_timed_field_is_a_field_of_its_kind() -> None:
    from carechain.records.kinds import KINDS

    for kind, (fields, _) in TIMED_FIELDS.items():
        model_fields = KINDS[kind].model.model_fields
        assert set(fields) <= set(model_fields), kind


def test_incident_start_is_the_call() -> None:
    assert incident_start(state_with_call()) == CALL
    assert incident_start(state_with_call(None)) is None
    assert incident_start({}) is None


@pytest.mark.parametrize(
    ("delay", "backdated"),
    [
        (timedelta(0), False),
        (BACKDATE_LIMIT, False),
        (BACKDATE_LIMIT + timedelta(milliseconds=1), True),
        (timedelta(hours=5), True),
        (-timedelta(minutes=1), False),  # recorded before the time typed: not late
    ],
)
def test_backdating_boundary(delay: timedelta, backdated: bool) -> None:
    recorded_ms = NOW_MS + int(delay.total_seconds() * 1000)
    assert is_backdated(NOW.isoformat(), recorded_ms) is backdated


def test_backdating_of_something_that_is_not_a_time() -> None:
    assert is_backdated(None, NOW_MS) is False
    assert is_backdated("yesterday", NOW_MS) is False
