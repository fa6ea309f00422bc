"""Check one drug administration against a formulary, the allergies and earlier doses.

Each breach has a stable rule id and says whether a clinician may override it with a
recorded reason. Not overridable: a drug outside the formulary, a route it does not allow
(both outside the clinician's scope of practice under the trust formulary), and a dose
recorded in another unit (re-enter the dose: a units slip is the classic tenfold or
thousandfold error). Everything else is clinical judgement and is overridable with a reason;
an allergy breach also follows the formulary's `allergy_overrides` policy for the allergy's
recorded severity (by default a life-threatening allergy needs a second clinician's
confirmation as well as the reason, and a trust may refuse it outright).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from carechain.clinical._json import as_dict
from carechain.clinical._validate import check_int, check_positive
from carechain.clinical.errors import ClinicalValueError
from carechain.clinical.formulary import Drug, Formulary, term_key, unit_key

# Rule id → whether a clinician may override the breach with a recorded reason.
OVERRIDABLE: dict[str, bool] = {
    "formulary.unknown-drug": False,
    "formulary.route": False,
    "formulary.unit": False,
    "formulary.allergy": True,
    "formulary.allergy-class": True,
    "formulary.allergy-cross-reaction": True,
    "formulary.min-age": True,
    "formulary.max-single-dose": True,
    "formulary.paediatric-dose": True,
    "formulary.paediatric-weight-missing": True,
    "formulary.paediatric-min-age": True,
    "formulary.min-interval": True,
    "formulary.max-cumulative-dose": True,
    "formulary.previous-unit": True,
}

Dose = Decimal | float | int


class RecordedAllergy(NamedTuple):
    """An allergy as the record holds it: the substance, and its severity and reaction."""

    substance: str
    severity: str | None = None
    reaction: str | None = None


class PriorAdministration(NamedTuple):
    """A dose already given in this episode."""

    drug: str
    dose: Dose
    unit: str
    given_at: datetime


@dataclass(frozen=True)
class Breach:
    """One formulary rule broken by an administration."""

    rule: str
    field: str
    message: str
    overridable: bool
    # For an allergy: its recorded severity, and whether overriding it needs a second
    # clinician's confirmation (the formulary's allergy_overrides policy).
    severity: str | None = None
    second_clinician: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Return the breach as plain JSON types."""
        return as_dict(self)


def _breach(rule: str, field: str, message: str) -> Breach:
    """Return a breach, looking up whether its rule is overridable."""
    return Breach(rule=rule, field=field, message=message, overridable=OVERRIDABLE[rule])


def _fmt(number: Decimal) -> str:
    """Return a number without exponent or trailing zeros, e.g. '0.5', '1000'."""
    return format(number.normalize(), "f")


def _about(allergy: RecordedAllergy) -> str:
    """Return what the record says of an allergy: '(life-threatening: anaphylaxis)'."""
    severity = allergy.severity or "severity not recorded"
    return f"({severity}: {allergy.reaction})" if allergy.reaction else f"({severity})"


def _allergy_breach(
    formulary: Formulary, rule: str, allergy: RecordedAllergy, message: str
) -> Breach:
    """Return an allergy breach, overridable as the policy says for its severity."""
    needs = formulary.allergy_requirement(allergy.severity)
    return Breach(
        rule=rule,
        field="allergies",
        message=f"{message} {_about(allergy)}",
        overridable=OVERRIDABLE[rule] and needs != "refuse",
        severity=allergy.severity,
        second_clinician=needs == "second-clinician",
    )


def _allergy_breaches(
    formulary: Formulary, drug: Drug, allergies: Sequence[str | RecordedAllergy]
) -> list[Breach]:
    """Return one breach per recorded allergy that conflicts with `drug`."""
    classes = {term_key(cls): cls for cls in drug.classes}
    targets = set(drug.names) | set(classes)
    breaches: list[Breach] = []
    for item in allergies:
        allergy = RecordedAllergy(item) if isinstance(item, str) else RecordedAllergy(*item)
        name = allergy.substance
        key = term_key(name)
        if key in drug.names:
            breaches.append(
                _allergy_breach(
                    formulary, "formulary.allergy", allergy, f"allergy to {name} recorded"
                )
            )
        elif key in classes:
            breaches.append(
                _allergy_breach(
                    formulary,
                    "formulary.allergy-class",
                    allergy,
                    f"{drug.name} is in class {classes[key]}; allergy to {name} recorded",
                )
            )
        elif any(
            key in map(term_key, reaction.allergies)
            and targets & {term_key(target) for target in reaction.conflicts_with}
            for reaction in formulary.cross_reactions
        ):
            breaches.append(
                _allergy_breach(
                    formulary,
                    "formulary.allergy-cross-reaction",
                    allergy,
                    f"allergy to {name} recorded, which cross-reacts with {drug.name}",
                )
            )
    return breaches


def _paediatric_breaches(
    drug: Drug,
    dose: Decimal,
    weight: Decimal | None,
    age: tuple[int | None, int | None],
    weight_estimated: bool,
) -> list[Breach]:
    """Return breaches of the drug's paediatric limits for a child, if the patient is one."""
    dosing = drug.paediatric
    age_years, age_months = age
    if dosing is None or age_years is None or age_years >= dosing.under_age_years:
        return []
    breaches: list[Breach] = []
    youngest = dosing.min_age_months
    if youngest is not None and age_years * 12 < youngest:
        if age_months is None:
            breaches.append(
                _breach(
                    "formulary.paediatric-min-age",
                    "age_months",
                    f"{drug.name} is not for infants under {youngest} months: "
                    "record the date of birth to check the age in months",
                )
            )
        elif age_months < youngest:
            breaches.append(
                _breach(
                    "formulary.paediatric-min-age",
                    "age_months",
                    f"{drug.name} is not for infants under {youngest} months "
                    f"(this child is {age_months} months)",
                )
            )
    limits: list[tuple[Decimal, str]] = []
    if dosing.max_single_dose is not None:
        limits.append((dosing.max_single_dose, f"under {dosing.under_age_years} years"))
    if dosing.dose_per_kg is not None:
        if weight is None:
            breaches.append(
                _breach(
                    "formulary.paediatric-weight-missing",
                    "weight_kg",
                    f"{drug.name} is dosed by weight under {dosing.under_age_years} years "
                    f"({_fmt(dosing.dose_per_kg)} {drug.unit}/kg): record the weight",
                )
            )
        else:
            limits.append(
                (
                    dosing.dose_per_kg * weight,
                    f"{_fmt(dosing.dose_per_kg)} {drug.unit}/kg for {_fmt(weight)} kg"
                    + (" estimated from age, not weighed" if weight_estimated else ""),
                )
            )
    if limits:
        limit, basis = min(limits, key=lambda item: item[0])
        if dose > limit:
            breaches.append(
                _breach(
                    "formulary.paediatric-dose",
                    "dose",
                    f"{_fmt(dose)} {drug.unit} is over the child maximum of "
                    f"{_fmt(limit)} {drug.unit} ({basis})",
                )
            )
    return breaches


def _history_breaches(
    formulary: Formulary,
    drug: Drug,
    dose: Decimal,
    given_at: datetime,
    previous: Sequence[PriorAdministration | tuple[str, Dose, str, datetime]],
) -> list[Breach]:
    """Return breaches of the minimum interval and cumulative maximum over earlier doses."""
    breaches: list[Breach] = []
    total = dose
    nearest: float | None = None
    for index, item in enumerate(previous):
        prior = PriorAdministration(*item)
        if formulary.drug(prior.drug) is not drug:
            continue
        if unit_key(prior.unit) != unit_key(drug.unit):
            breaches.append(
                _breach(
                    "formulary.previous-unit",
                    f"previous[{index}]",
                    f"an earlier dose was recorded in {prior.unit}, not {drug.unit}: "
                    "the cumulative dose cannot be checked",
                )
            )
            continue
        total += check_positive(f"previous[{index}].dose", prior.dose)
        # Interval either side: a dose recorded late may sit after this one.
        try:
            minutes = abs((given_at - prior.given_at).total_seconds()) / 60
        except TypeError:
            raise ClinicalValueError(
                f"previous[{index}].given_at", "must have a time zone exactly when given_at has"
            ) from None
        nearest = minutes if nearest is None else min(nearest, minutes)
    interval = drug.min_interval_minutes
    if interval is not None and nearest is not None and nearest < interval:
        breaches.append(
            _breach(
                "formulary.min-interval",
                "given_at",
                f"{drug.name} was given {int(nearest)} min apart from another dose; "
                f"the minimum interval is {interval} min",
            )
        )
    cumulative = drug.max_cumulative_dose
    if cumulative is not None and total > cumulative:
        breaches.append(
            _breach(
                "formulary.max-cumulative-dose",
                "dose",
                f"{_fmt(total)} {drug.unit} in this episode is over the maximum of "
                f"{_fmt(cumulative)} {drug.unit}",
            )
        )
    return breaches


def override_requirement(breaches: Sequence[Breach]) -> str:
    """Return what giving the dose anyway needs: none, reason, second-clinician or refuse."""
    if not breaches:
        return "none"
    if any(not b.overridable for b in breaches):
        return "refuse"
    return "second-clinician" if any(b.second_clinician for b in breaches) else "reason"


def check_administration(
    formulary: Formulary,
    *,
    drug: str,
    dose: Dose,
    unit: str,
    route: str,
    given_at: datetime,
    allergies: Sequence[str | RecordedAllergy] = (),
    previous: Sequence[PriorAdministration | tuple[str, Dose, str, datetime]] = (),
    weight_kg: Decimal | float | None = None,
    weight_estimated: bool = False,
    age_years: int | None = None,
    age_months: int | None = None,
) -> list[Breach]:
    """Return every formulary rule the administration breaks; empty when it breaks none.

    `weight_estimated` says `weight_kg` is an estimate by age (`clinical.weight`), which a
    weight-based breach then says; `age_months` (completed months) is needed only for a
    paediatric `min_age_months` of a child under one.
    """
    amount = check_positive("dose", dose)
    weight = None if weight_kg is None else check_positive("weight_kg", weight_kg)
    check_int("age_years", age_years, 0, 130)
    check_int("age_months", age_months, 0, 130 * 12)
    entry = formulary.drug(drug)
    if entry is None:
        return [_breach("formulary.unknown-drug", "drug", f"{drug} is not in the formulary")]
    breaches = _allergy_breaches(formulary, entry, allergies)
    if term_key(route) not in map(term_key, entry.routes):
        breaches.append(
            _breach(
                "formulary.route",
                "route",
                f"{entry.name} may not be given {route} (allowed: {', '.join(entry.routes)})",
            )
        )
    minimum_age = entry.min_age_years
    if minimum_age is not None and age_years is not None and age_years < minimum_age:
        breaches.append(
            _breach(
                "formulary.min-age",
                "age_years",
                f"{entry.name} is not for patients under {minimum_age} years",
            )
        )
    if unit_key(unit) != unit_key(entry.unit):
        # Doses in another unit cannot be compared with the limits: stop here.
        breaches.append(
            _breach(
                "formulary.unit",
                "unit",
                f"{entry.name} is recorded in {entry.unit}, not {unit}: re-enter the dose",
            )
        )
        return breaches
    if amount > entry.max_single_dose:
        breaches.append(
            _breach(
                "formulary.max-single-dose",
                "dose",
                f"{_fmt(amount)} {entry.unit} is over the maximum single dose of "
                f"{_fmt(entry.max_single_dose)} {entry.unit}",
            )
        )
    breaches += _paediatric_breaches(
        entry, amount, weight, (age_years, age_months), weight_estimated
    )
    breaches += _history_breaches(formulary, entry, amount, given_at, previous)
    return breaches
