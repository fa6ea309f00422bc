"""A trust's drug formulary: the file format, its loader and its validation.

The format (YAML or JSON, documented in docs/clinical.md) is::

    format: carechain-formulary/1
    name: <text>
    drugs:
      - name: morphine                  # required, unique with aliases (case-insensitive)
        aliases: [morphine sulfate]     # optional other names crews may record
        classes: [opioids]              # optional classes, matched against allergies
        routes: [IV, IO, IM, PO]        # required, non-empty
        unit: mg                        # required; doses must be recorded in this unit
        max_single_dose: 10             # required, > 0, in `unit`
        max_cumulative_dose: 20         # optional, ≥ max_single_dose, per episode
        min_interval_minutes: 5         # optional, whole minutes > 0
        min_age_years: 16               # optional, youngest age the drug may be given at
        paediatric:                     # optional, applies when age < under_age_years
          under_age_years: 12
          dose_per_kg: 0.1              # optional, in `unit` per kg
          max_single_dose: 5            # optional; at least one of the two is required
          min_age_months: 3             # optional, youngest age in months it may be given at
    cross_reactions:                    # optional
      - allergies: [penicillin, co-amoxiclav]   # allergy names as recorded
        conflicts_with: [penicillins]           # classes or drug names in this file
        note: <text>                            # optional
    allergy_overrides:                  # optional: what giving a drug despite an allergy
      life-threatening: second-clinician  # needs, by the allergy's recorded severity
      severe: reason                    # (reason | second-clinician | refuse)
    second_clinician_roles: [paramedic, clinical_lead]   # optional: who may confirm
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from types import MappingProxyType
from typing import Any

import yaml

from carechain.clinical._json import as_dict
from carechain.clinical._reader import Reader
from carechain.clinical.errors import FormularyError

FORMAT = "carechain-formulary/1"
EXAMPLE_FILE = "example_formulary.yaml"

_TOP_KEYS = {
    "format",
    "name",
    "drugs",
    "cross_reactions",
    "allergy_overrides",
    "second_clinician_roles",
}
# An allergy's recorded severity (history.recorded), "unknown" when none was recorded.
SEVERITIES = ("mild", "moderate", "severe", "life-threatening", "unknown")
# What overriding an allergy breach needs: a recorded reason; a reason and a second
# clinician's confirmation (staff id and PIN); or nothing will do.
REQUIREMENTS = ("reason", "second-clinician", "refuse")
# A trust's usual policy: a recorded anaphylaxis is not overridden on one person's word.
DEFAULT_ALLERGY_OVERRIDES: Mapping[str, str] = MappingProxyType(
    {
        "mild": "reason",
        "moderate": "reason",
        "severe": "reason",
        "life-threatening": "second-clinician",
        "unknown": "reason",
    }
)
# Account roles (carechain.accounts) whose confirmation counts: registered clinicians.
DEFAULT_SECOND_CLINICIAN_ROLES = ("paramedic", "clinical_lead")
_DRUG_KEYS = {
    "name",
    "aliases",
    "classes",
    "routes",
    "unit",
    "max_single_dose",
    "max_cumulative_dose",
    "min_interval_minutes",
    "min_age_years",
    "paediatric",
}
_PAEDIATRIC_KEYS = {"under_age_years", "dose_per_kg", "max_single_dose", "min_age_months"}
_CROSS_KEYS = {"allergies", "conflicts_with", "note"}
# Spellings of one unit that mean the same thing; anything else must match exactly.
_UNIT_ALIASES = {
    "mcg": "micrograms",
    "μg": "micrograms",  # casefold() turns the micro sign into Greek mu
    "ug": "micrograms",
    "microgram": "micrograms",
    "milligram": "mg",
    "milligrams": "mg",
    "gram": "g",
    "grams": "g",
    "ml": "ml",
    "millilitre": "ml",
    "millilitres": "ml",
}


def term_key(text: str) -> str:
    """Return the matching key of a drug, class, allergy or route name."""
    return " ".join(text.casefold().split())


def unit_key(unit: str) -> str:
    """Return the matching key of a dose unit, so 'mcg' and 'micrograms' agree."""
    key = term_key(unit)
    return _UNIT_ALIASES.get(key, key)


@dataclass(frozen=True)
class PaediatricDosing:
    """Weight- or age-based limits that apply to children under `under_age_years`."""

    under_age_years: int
    dose_per_kg: Decimal | None
    max_single_dose: Decimal | None
    min_age_months: int | None = None


@dataclass(frozen=True)
class Drug:
    """One formulary drug and its limits, all doses in `unit`."""

    name: str
    aliases: tuple[str, ...]
    classes: tuple[str, ...]
    routes: tuple[str, ...]
    unit: str
    max_single_dose: Decimal
    max_cumulative_dose: Decimal | None
    min_interval_minutes: int | None
    min_age_years: int | None
    paediatric: PaediatricDosing | None

    @property
    def names(self) -> tuple[str, ...]:
        """Return the name and aliases as matching keys."""
        return tuple(term_key(name) for name in (self.name, *self.aliases))


@dataclass(frozen=True)
class CrossReaction:
    """An allergy to any of `allergies` conflicts with the classes or drugs in `conflicts_with`."""

    allergies: tuple[str, ...]
    conflicts_with: tuple[str, ...]
    note: str | None


@dataclass(frozen=True)
class Formulary:
    """A validated formulary."""

    name: str
    drugs: tuple[Drug, ...]
    cross_reactions: tuple[CrossReaction, ...]
    # Allergy severity → what overriding it needs (see REQUIREMENTS).
    allergy_overrides: Mapping[str, str] = field(
        default_factory=lambda: DEFAULT_ALLERGY_OVERRIDES, hash=False
    )
    second_clinician_roles: tuple[str, ...] = DEFAULT_SECOND_CLINICIAN_ROLES

    def allergy_requirement(self, severity: str | None) -> str:
        """Return what overriding an allergy of this severity needs (None: not recorded)."""
        key = severity if severity in SEVERITIES else "unknown"
        return self.allergy_overrides.get(key, DEFAULT_ALLERGY_OVERRIDES[key])

    def drug(self, name: str) -> Drug | None:
        """Return the drug with this name or alias (case-insensitive), or None."""
        key = term_key(name)
        return next((drug for drug in self.drugs if key in drug.names), None)

    def to_dict(self) -> dict[str, Any]:
        """Return the formulary as plain JSON types."""
        return as_dict(self)


def _paediatric(data: object, drug: str) -> PaediatricDosing:
    """Read a drug's paediatric block."""
    read = Reader(data, "paediatric.", drug)
    read.only(_PAEDIATRIC_KEYS)
    dosing = PaediatricDosing(
        under_age_years=read.whole("under_age_years", minimum=1),
        dose_per_kg=read.optional_number("dose_per_kg"),
        max_single_dose=read.optional_number("max_single_dose"),
        min_age_months=read.optional_whole("min_age_months", minimum=1),
    )
    if dosing.dose_per_kg is None and dosing.max_single_dose is None:
        raise read.error("", "needs dose_per_kg or max_single_dose")
    youngest = dosing.min_age_months
    if youngest is not None and youngest >= dosing.under_age_years * 12:
        raise read.error("min_age_months", "must be under under_age_years")
    return dosing


def _drug(data: object, index: int) -> Drug:
    """Read and check one drug entry."""
    read = Reader(data, f"drugs[{index}].")
    read.drug = read.text("name")
    read.prefix = ""
    read.only(_DRUG_KEYS)
    paediatric = read.data.get("paediatric")
    drug = Drug(
        name=read.drug,
        aliases=read.texts("aliases"),
        classes=read.texts("classes"),
        routes=read.texts("routes", required=True),
        unit=read.text("unit"),
        max_single_dose=read.number("max_single_dose"),
        max_cumulative_dose=read.optional_number("max_cumulative_dose"),
        min_interval_minutes=read.optional_whole("min_interval_minutes", minimum=1),
        min_age_years=read.optional_whole("min_age_years", minimum=0),
        paediatric=None if paediatric is None else _paediatric(paediatric, read.drug),
    )
    cumulative = drug.max_cumulative_dose
    if cumulative is not None and cumulative < drug.max_single_dose:
        raise read.error("max_cumulative_dose", "must not be less than max_single_dose")
    return drug


def _cross_reaction(data: object, index: int, known: set[str]) -> CrossReaction:
    """Read one cross-reaction, checking it names classes or drugs in the file."""
    read = Reader(data, f"cross_reactions[{index}].")
    read.only(_CROSS_KEYS)
    reaction = CrossReaction(
        allergies=read.texts("allergies", required=True),
        conflicts_with=read.texts("conflicts_with", required=True),
        note=read.optional_text("note"),
    )
    for target in reaction.conflicts_with:
        if term_key(target) not in known:
            raise read.error("conflicts_with", f"{target!r} is neither a class nor a drug here")
    return reaction


def _allergy_overrides(read: Reader) -> Mapping[str, str]:
    """Read the allergy override policy; severities not named keep the default."""
    raw = read.data.get("allergy_overrides")
    if raw is None:
        return DEFAULT_ALLERGY_OVERRIDES
    policy = Reader(raw, "allergy_overrides.")
    policy.only(set(SEVERITIES))
    out = dict(DEFAULT_ALLERGY_OVERRIDES)
    for severity in policy.data:
        value = policy.text(str(severity))
        if value not in REQUIREMENTS:
            raise policy.error(str(severity), "must be one of " + ", ".join(REQUIREMENTS))
        out[str(severity)] = value
    return MappingProxyType(out)


def _parse(source: str | bytes | Mapping[str, Any]) -> object:
    """Return the parsed document from YAML/JSON text or a mapping."""
    if isinstance(source, Mapping):
        return source
    try:
        return yaml.safe_load(source)
    except yaml.YAMLError as exc:
        raise FormularyError("(file)", f"is not valid YAML or JSON: {exc}") from None


def load_formulary(source: str | bytes | Mapping[str, Any]) -> Formulary:
    """Load and validate a formulary from YAML/JSON text or an already parsed mapping."""
    read = Reader(_parse(source))
    read.only(_TOP_KEYS)
    if read.data.get("format") != FORMAT:
        raise read.error("format", f"must be {FORMAT!r}")
    raw_drugs = read.data.get("drugs")
    if not isinstance(raw_drugs, list) or not raw_drugs:
        raise read.error("drugs", "must be a non-empty list")
    drugs = tuple(_drug(item, index) for index, item in enumerate(raw_drugs))
    seen: dict[str, str] = {}
    for drug in drugs:
        for key in drug.names:
            if key in seen:
                raise FormularyError(
                    "name", f"{key!r} is also used by {seen[key]!r}", drug=drug.name
                )
            seen[key] = drug.name
    known = set(seen) | {term_key(cls) for drug in drugs for cls in drug.classes}
    raw_cross = read.data.get("cross_reactions") or []
    if not isinstance(raw_cross, list):
        raise read.error("cross_reactions", "must be a list")
    roles = read.texts("second_clinician_roles")
    if "second_clinician_roles" in read.data and not roles:
        raise read.error("second_clinician_roles", "must be a non-empty list")
    return Formulary(
        name=read.optional_text("name") or "",
        drugs=drugs,
        cross_reactions=tuple(
            _cross_reaction(item, index, known) for index, item in enumerate(raw_cross)
        ),
        allergy_overrides=_allergy_overrides(read),
        second_clinician_roles=roles or DEFAULT_SECOND_CLINICIAN_ROLES,
    )


@functools.cache  # parsed once per process: every node starts with it
def load_example_formulary() -> Formulary:
    """Load the EXAMPLE formulary shipped with the package (illustrative, not guidance)."""
    text = resources.files("carechain.clinical").joinpath(EXAMPLE_FILE).read_text("utf-8")
    return load_formulary(text)
