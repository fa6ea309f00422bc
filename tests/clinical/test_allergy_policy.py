"""An allergy breach says the allergy's severity, and the formulary's policy decides what
overriding it needs: a reason, a second clinician's confirmation as well, or nothing will do.

The hazard (issue 10, item 3): a recorded anaphylaxis could be overridden with any ten
characters of reason by the clinician giving the dose alone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import yaml

from carechain.clinical import (
    Breach,
    FormularyError,
    RecordedAllergy,
    check_administration,
    load_example_formulary,
    load_formulary,
    override_requirement,
)

FORMULARY = load_example_formulary()
AT = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
PENICILLIN = {"drug": "benzylpenicillin", "dose": 1200, "unit": "mg", "route": "IV"}


def give(allergy: str | RecordedAllergy, formulary: Any = FORMULARY) -> list[Breach]:
    return check_administration(formulary, given_at=AT, allergies=[allergy], **PENICILLIN)


def rules_of(breaches: list[Breach]) -> list[str]:
    return [b.rule for b in breaches]


def with_policy(**policy: Any) -> Any:
    text = (
        "format: carechain-formulary/1\n"
        "drugs:\n"
        "  - {name: benzylpenicillin, classes: [penicillins], routes: [IV], unit: mg,"
        " max_single_dose: 1200}\n"
    )
    data: dict[str, Any] = {**yaml.safe_load(text), **policy}
    return load_formulary(data)


# The published default: only a life-threatening allergy needs a second clinician.
@pytest.mark.parametrize(
    ("severity", "second", "shown"),
    [
        ("mild", False, "(mild: rash)"),
        ("moderate", False, "(moderate: rash)"),
        ("severe", False, "(severe: rash)"),
        ("life-threatening", True, "(life-threatening: rash)"),
        (None, False, "(severity not recorded: rash)"),
    ],
)
def test_default_policy_by_severity(severity: str | None, second: bool, shown: str) -> None:
    (breach,) = give(RecordedAllergy("penicillin", severity, "rash"))
    assert breach.rule == "formulary.allergy-cross-reaction"
    assert breach.message.endswith(shown)
    assert breach.severity == severity
    assert breach.overridable and breach.second_clinician is second
    assert override_requirement([breach]) == ("second-clinician" if second else "reason")


def test_anaphylaxis_says_so_in_the_message() -> None:
    (breach,) = give(RecordedAllergy("benzylpenicillin", "life-threatening", "anaphylaxis"))
    assert breach.message == (
        "allergy to benzylpenicillin recorded (life-threatening: anaphylaxis)"
    )
    assert breach.to_dict()["second_clinician"] is True


def test_a_plain_allergy_name_is_still_accepted() -> None:
    (breach,) = give("penicillin")
    assert breach.severity is None and not breach.second_clinician


@pytest.mark.parametrize(
    ("policy", "severity", "overridable", "second"),
    [
        ({"life-threatening": "refuse"}, "life-threatening", False, False),
        ({"life-threatening": "reason"}, "life-threatening", True, False),
        ({"severe": "second-clinician"}, "severe", True, True),
        ({"severe": "second-clinician"}, "moderate", True, False),
        ({"unknown": "second-clinician"}, None, True, True),
        ({"mild": "refuse"}, "life-threatening", True, True),  # unnamed: the default
    ],
)
def test_a_trust_sets_the_policy_in_its_formulary(
    policy: dict[str, str], severity: str | None, overridable: bool, second: bool
) -> None:
    formulary = with_policy(allergy_overrides=policy)
    (breach,) = give(RecordedAllergy("penicillins", severity), formulary)
    assert (breach.overridable, breach.second_clinician) == (overridable, second)


def test_refused_by_policy_is_not_overridable() -> None:
    formulary = with_policy(allergy_overrides={"life-threatening": "refuse"})
    breaches = give(RecordedAllergy("penicillins", "life-threatening"), formulary)
    assert rules_of(breaches) == ["formulary.allergy-class"]
    assert override_requirement(breaches) == "refuse"


def test_override_requirement_takes_the_strictest() -> None:
    reason = Breach("formulary.max-single-dose", "dose", "over", True)
    second = Breach("formulary.allergy", "allergies", "allergy", True, "life-threatening", True)
    refuse = Breach("formulary.route", "route", "route", False)
    assert override_requirement([]) == "none"
    assert override_requirement([reason]) == "reason"
    assert override_requirement([reason, second]) == "second-clinician"
    assert override_requirement([second, refuse]) == "refuse"


def test_default_confirming_roles_and_their_configuration() -> None:
    assert FORMULARY.second_clinician_roles == ("paramedic", "clinical_lead")
    assert with_policy(second_clinician_roles=["clinical_lead"]).second_clinician_roles == (
        "clinical_lead",
    )


@pytest.mark.parametrize(
    ("policy", "field", "rule"),
    [
        ({"allergy_overrides": {"deadly": "refuse"}}, "allergy_overrides.deadly", "unknown field"),
        (
            {"allergy_overrides": {"severe": "ask nicely"}},
            "allergy_overrides.severe",
            "must be one of reason, second-clinician, refuse",
        ),
        ({"allergy_overrides": ["refuse"]}, "allergy_overrides", "must be a mapping"),
        ({"second_clinician_roles": []}, "second_clinician_roles", "must be a non-empty list"),
        ({"second_clinician_roles": "paramedic"}, "second_clinician_roles", "must be a list"),
    ],
)
def test_a_wrong_policy_is_refused_naming_the_field(
    policy: dict[str, Any], field: str, rule: str
) -> None:
    with pytest.raises(FormularyError) as caught:
        with_policy(**policy)
    assert caught.value.field == field
    assert caught.value.rule.startswith(rule)
