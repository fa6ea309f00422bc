"""Errors raised by the clinical package.

    ValueError
    └── ClinicalValueError      one named field breaks one named rule
        └── FormularyError      a formulary file breaks its format (names the drug and field)

The package imports nothing else from carechain, so these stand alone; the API layer maps
`ClinicalValueError` to its `FieldInvalid` problem using `field` and `rule`.
"""

from __future__ import annotations


class ClinicalValueError(ValueError):
    """A clinical value that breaks a rule: `field` names the value, `rule` says why."""

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}")
        self.field = field
        self.rule = rule


class FormularyError(ClinicalValueError):
    """A formulary file that breaks the documented format."""

    def __init__(self, field: str, rule: str, *, drug: str | None = None) -> None:
        super().__init__(field, rule)
        self.drug = drug
        if drug is not None:
            self.args = (f"formulary drug {drug!r}, field {field!r}: {rule}",)
        else:
            self.args = (f"formulary field {field!r}: {rule}",)
