"""Audit bodies: the fixed action set, field validation, the body's shape, and filtering."""

from __future__ import annotations

import json
from typing import Any

import pytest

from carechain.accounts import AUDIT_ACTIONS, audit_event, filter_audit
from carechain.errors import FieldInvalid

from .conftest import NOW, RECORD

OTHER = "ffeeddccbbaa99887766554433221100"


def test_body_shape() -> None:
    body = audit_event("record.view", staff_id="E1", role="ed_clinician", at_ms=NOW,
                       outcome="success", record=RECORD.upper(), detail={"via": "dashboard"})
    assert body == {"v": 1, "action": "record.view", "staff_id": "E1", "role": "ed_clinician",
                    "at_ms": NOW, "outcome": "success", "record": RECORD,
                    "detail": {"via": "dashboard"}}
    assert json.loads(json.dumps(body)) == body


def test_the_action_set_is_fixed() -> None:
    assert AUDIT_ACTIONS == ("login", "login.failed", "logout", "record.view", "record.export",
                             "key.grant", "break_glass", "account.create", "account.lock",
                             "handover.accept", "hub.unblock", "record.write", "record.list",
                             "account.totp_reset",
                             "client.issue", "client.revoke", "verification.file",
                             "device.attach", "device.detach",
                             "dispatch.receive", "dispatch.accept",
                             "patient.lookup", "previous_calls.request")


@pytest.mark.parametrize("action", AUDIT_ACTIONS)
def test_every_action_builds(action: str) -> None:
    body = audit_event(action, staff_id="S1", role="clinical_lead", at_ms=NOW,
                       outcome="success", record=RECORD)
    assert body["action"] == action


def test_detail_is_copied() -> None:
    detail: dict[str, Any] = {"list": [1, 2]}
    body = audit_event("login", staff_id="S1", role="admin", at_ms=NOW, outcome="success",
                       detail=detail)
    detail["list"].append(3)
    assert body["detail"] == {"list": [1, 2]}


BASE: dict[str, Any] = {"staff_id": "S1", "role": "paramedic", "at_ms": NOW,
                        "outcome": "success", "record": RECORD}


@pytest.mark.parametrize(
    ("action", "change", "field"),
    [
        ("record.delete", {}, "action"),
        ("", {}, "action"),
        ("login", {"staff_id": "has space"}, "staff_id"),
        ("login", {"staff_id": None}, "staff_id"),
        ("login", {"role": "surgeon"}, "role"),
        ("login", {"role": None}, "role"),
        ("login", {"at_ms": -1}, "at_ms"),
        ("login", {"at_ms": 1.5}, "at_ms"),
        ("login", {"at_ms": True}, "at_ms"),
        ("login", {"outcome": "ok"}, "outcome"),
        ("record.view", {"record": None}, "record"),
        ("break_glass", {"record": None}, "record"),
        ("record.view", {"record": "not-hex"}, "record"),
        ("login", {"detail": ["not", "an", "object"]}, "detail"),
        ("login", {"detail": {1: "int key"}}, "detail"),
        ("login", {"detail": {"x": float("nan")}}, "detail"),
        ("login", {"detail": {"x": object()}}, "detail"),
        ("login", {"detail": {"x": "\ud800"}}, "detail"),
        ("login", {"detail": {"x": "y" * 5000}}, "detail"),
    ],
)
def test_validation(action: str, change: dict[str, Any], field: str) -> None:
    with pytest.raises(FieldInvalid) as caught:
        audit_event(action, **(BASE | change))
    assert caught.value.field == field


def test_only_login_failed_may_lack_staff_id_and_role() -> None:
    body = audit_event("login.failed", staff_id=None, role=None, at_ms=NOW, outcome="failure")
    assert (body["staff_id"], body["role"], body["record"]) == (None, None, None)


def events() -> list[dict[str, Any]]:
    return [
        audit_event("login", staff_id="E1", role="ed_clinician", at_ms=NOW, outcome="success"),
        audit_event("record.view", staff_id="E1", role="ed_clinician", at_ms=NOW + 10,
                    outcome="success", record=RECORD),
        audit_event("record.view", staff_id="E2", role="ed_clinician", at_ms=NOW + 20,
                    outcome="refused", record=OTHER),
        audit_event("break_glass", staff_id="E2", role="ed_clinician", at_ms=NOW + 30,
                    outcome="success", record=OTHER, detail={"reason": "collapsed in resus"}),
        audit_event("logout", staff_id="E1", role="ed_clinician", at_ms=NOW + 40,
                    outcome="success"),
    ]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, [0, 1, 2, 3, 4]),
        ({"staff_id": "E1"}, [0, 1, 4]),
        ({"action": "record.view"}, [1, 2]),
        ({"record": OTHER}, [2, 3]),
        ({"record": OTHER.upper()}, [2, 3]),
        ({"since_ms": NOW + 10}, [1, 2, 3, 4]),
        ({"until_ms": NOW + 30}, [0, 1, 2]),
        ({"since_ms": NOW + 10, "until_ms": NOW + 30}, [1, 2]),
        ({"staff_id": "E2", "action": "break_glass"}, [3]),
        ({"staff_id": "E3"}, []),
    ],
)
def test_filter(filters: dict[str, Any], expected: list[int]) -> None:
    given = events()
    assert filter_audit(given, **filters) == [given[i] for i in expected]


def test_filter_takes_any_iterable_in_its_order() -> None:
    given = events()
    assert filter_audit(reversed(given), staff_id="E2") == [given[3], given[2]]


@pytest.mark.parametrize(
    ("filters", "field"),
    [({"action": "nope"}, "action"), ({"record": "xyz"}, "record"),
     ({"since_ms": -1}, "since_ms"), ({"until_ms": "soon"}, "until_ms")],
)
def test_filter_checks_its_filters(filters: dict[str, Any], field: str) -> None:
    with pytest.raises(FieldInvalid) as caught:
        filter_audit(events(), **filters)
    assert caught.value.field == field
