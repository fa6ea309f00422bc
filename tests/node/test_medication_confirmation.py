"""A recorded life-threatening allergy is not overridden on one clinician's word (issue 10,
item 3): the node refuses the dose unless a second clinician confirms with their own staff
id and PIN, checked offline against the node's accounts, and the override records who."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from carechain.accounts import FAST_FOR_TESTS, AccountStore
from carechain.clinical import load_formulary
from carechain.errors import FieldInvalid, FormularyBreach
from carechain.node import Node
from carechain.node.audit import read_audit
from carechain.testing import Trust, make_node

PEOPLE = [
    ("P100234", "Sam Patel", "paramedic", "482913"),
    ("P100999", "Jo Grey", "paramedic", "573920"),
    ("T200117", "Alex Brown", "technician", "739201"),
    ("C300001", "Dr Kim Lead", "clinical_lead", "664028"),
]
REASON = "Anaphylaxis to penicillin recorded in error per GP summary"


@pytest.fixture
def accounts(crew: Node) -> Iterator[AccountStore]:
    store = AccountStore(":memory:", b"k" * 32, cost=FAST_FOR_TESTS)
    for staff_id, name, role, pin in PEOPLE:
        store.create_person(staff_id, name, role, pin, node_role="crew", now_ms=crew.clock_ms())
    yield store
    store.close()


def _record(crew: Node, severity: str | None, reaction: str = "anaphylaxis") -> bytes:
    record, _ = crew.open_record(user="P100234", data={"callsign": "RRV-412"})
    allergy: dict[str, Any] = {"substance": "penicillin", "reaction": reaction}
    if severity is not None:
        allergy["severity"] = severity
    crew.append(
        record=record, user="P100234", kind="history.recorded", data={"allergies": [allergy]}
    )
    return record


def _dose(**extra: Any) -> dict[str, Any]:
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    return {
        "drug": "benzylpenicillin",
        "dose": 1200,
        "unit": "mg",
        "route": "IV",
        "given_at": at.isoformat(),
        "given_by": "P100234",
        **extra,
    }


def _second(staff_id: str, pin: str, accounts: AccountStore) -> Any:
    from carechain.records.safety import SecondClinician  # new: the old code had none

    return SecondClinician(staff_id, pin, accounts)


def _overrides(crew: Node, record: bytes) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = crew.state(record)["items"].get("overrides", [])
    return items


def test_any_ten_characters_no_longer_override_an_anaphylaxis(crew: Node) -> None:
    """Fails on the old code: a reason alone was enough."""
    record = _record(crew, "life-threatening")
    before = crew.store.count()
    with pytest.raises(FormularyBreach) as caught:
        crew.append(
            record=record,
            user="P100234",
            kind="medication.administered",
            data=_dose(override_reason="xxxxxxxxxx"),
        )
    problem = caught.value
    assert problem.extra["second_clinician"] is True and problem.extra["overridable"] is True
    assert "life-threatening: anaphylaxis" in problem.extra["rule"]
    assert "second clinician's confirmation" in problem.detail
    assert crew.store.count() == before


def test_a_second_clinician_confirms_and_is_recorded(crew: Node, accounts: AccountStore) -> None:
    record = _record(crew, "life-threatening")
    crew.append(
        record=record,
        user="P100234",
        kind="medication.administered",
        data=_dose(override_reason=REASON),
        confirmation=_second("P100999", "573920", accounts),
    )
    [override] = _overrides(crew, record)
    assert override["confirmed_by"] == {
        "staff_id": "P100999",
        "name": "Jo Grey",
        "role": "paramedic",
    }
    assert "(life-threatening: anaphylaxis)" in override["breaches"][0]["message"]
    assert override["reason"] == REASON
    assert "573920" not in repr(crew.state(record))  # the PIN is never stored
    [dose] = crew.state(record)["items"]["medications"]
    assert dose["drug"] == "benzylpenicillin"


@pytest.mark.parametrize(
    ("staff_id", "pin", "field", "rule"),
    [
        ("P100999", "000000", "confirmation.pin", "do not match an account on this device"),
        ("X999999", "573920", "confirmation.pin", "do not match an account on this device"),
        ("P100234", "482913", "confirmation.staff_id", "not the one giving or recording"),
        (
            "T200117",
            "739201",
            "confirmation.staff_id",
            "paramedic, clinical_lead), not a technician",
        ),
        ("", "573920", "confirmation.staff_id", "is required"),
        ("P100999", "", "confirmation.pin", "is required"),
    ],
)
def test_a_confirmation_that_does_not_check_out_stores_nothing(
    crew: Node, accounts: AccountStore, staff_id: str, pin: str, field: str, rule: str
) -> None:
    record = _record(crew, "life-threatening")
    before = crew.store.count()
    with pytest.raises(FieldInvalid) as caught:
        crew.append(
            record=record,
            user="P100234",
            kind="medication.administered",
            data=_dose(override_reason=REASON),
            confirmation=_second(staff_id, pin, accounts),
        )
    assert caught.value.field == field
    assert rule in caught.value.rule
    clinical = [e for e in crew.state(record)["history"] if e["class"] == "clinical"]
    assert len(clinical) == 2 and not _overrides(crew, record)
    assert crew.store.count() >= before  # only audit entries may have been added


def test_a_wrong_pin_is_audited_and_counts_towards_a_lock(
    crew: Node, accounts: AccountStore
) -> None:
    record = _record(crew, "life-threatening")
    for _ in range(5):
        with pytest.raises(FieldInvalid):
            crew.append(
                record=record,
                user="P100234",
                kind="medication.administered",
                data=_dose(override_reason=REASON),
                confirmation=_second("P100999", "111111", accounts),
            )
    failed = [e for e in read_audit(crew) if e["action"] == "login.failed"]
    assert len(failed) == 5 and {e["staff_id"] for e in failed} == {"P100999"}
    assert [e for e in read_audit(crew) if e["action"] == "account.lock"]
    with pytest.raises(FieldInvalid) as caught:  # now locked, even with the right PIN
        crew.append(
            record=record,
            user="P100234",
            kind="medication.administered",
            data=_dose(override_reason=REASON),
            confirmation=_second("P100999", "573920", accounts),
        )
    assert "locked" in caught.value.rule


@pytest.mark.parametrize("severity", ["mild", "moderate", "severe", None])
def test_a_less_severe_allergy_needs_only_a_reason(crew: Node, severity: str | None) -> None:
    record = _record(crew, severity, reaction="rash")
    with pytest.raises(FormularyBreach) as caught:
        crew.append(record=record, user="P100234", kind="medication.administered", data=_dose())
    assert caught.value.extra["second_clinician"] is False
    crew.append(
        record=record,
        user="P100234",
        kind="medication.administered",
        data=_dose(override_reason=REASON),
    )
    [override] = _overrides(crew, record)
    assert "confirmed_by" not in override


def test_a_trust_may_refuse_the_dose_outright(tmp_path: Path, trust: Trust) -> None:
    from carechain.clinical import load_example_formulary

    example = load_example_formulary()
    strict = load_formulary(
        {
            "format": "carechain-formulary/1",
            "drugs": [
                {
                    "name": d.name,
                    "classes": list(d.classes),
                    "routes": list(d.routes),
                    "unit": d.unit,
                    "max_single_dose": float(d.max_single_dose),
                }
                for d in example.drugs
            ],
            "cross_reactions": [
                {"allergies": list(c.allergies), "conflicts_with": list(c.conflicts_with)}
                for c in example.cross_reactions
            ],
            "allergy_overrides": {"life-threatening": "refuse"},
        }
    )
    node = make_node(tmp_path / "strict", trust)
    node.formulary = strict
    try:
        record = _record(node, "life-threatening")
        with pytest.raises(FormularyBreach) as caught:
            node.append(
                record=record,
                user="P100234",
                kind="medication.administered",
                data=_dose(override_reason=REASON),
            )
        assert caught.value.extra["overridable"] is False
    finally:
        node.close()


def test_an_amended_dose_meets_the_same_rule(crew: Node, accounts: AccountStore) -> None:
    record = _record(crew, "life-threatening")
    stored = crew.append(
        record=record,
        user="P100234",
        kind="medication.administered",
        data=_dose(override_reason=REASON),
        confirmation=_second("C300001", "664028", accounts),
    )
    with pytest.raises(FormularyBreach):
        crew.amend(
            record=record,
            user="P100234",
            supersedes=stored.entry.hex,
            reason="dose misrecorded",
            data=_dose(dose=600, override_reason=REASON),
        )
    crew.amend(
        record=record,
        user="P100234",
        supersedes=stored.entry.hex,
        reason="dose misrecorded",
        data=_dose(dose=600, override_reason=REASON),
        confirmation=_second("P100999", "573920", accounts),
    )
    confirmers = [o["confirmed_by"]["staff_id"] for o in _overrides(crew, record)]
    assert confirmers == ["C300001", "P100999"]
