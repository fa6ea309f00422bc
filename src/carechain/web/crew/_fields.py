"""The crew app's form types: a field, a fieldset, a section, and how coded values read.
The sections themselves are in `_crew_sections`.

Field paths are the entry's data paths (`safeguarding.details`); the HTML id and name of
an input is the path with dots as dashes (`safeguarding-details`), so ids stay valid CSS.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Choices", "Field", "Fieldset", "Section", "label_of"]

Choices = tuple[tuple[str, str], ...]

_LABELS = {
    "A": "A — alert",
    "C": "C — new confusion",
    "V": "V — responds to voice",
    "P": "P — responds to pain",
    "U": "U — unresponsive",
    "IV": "IV",
    "IO": "IO",
    "IM": "IM",
    "SC": "SC",
    "PO": "PO (oral)",
    "SL": "SL (sublingual)",
    "IN": "IN (intranasal)",
    "neb": "nebulised",
    "PR": "PR",
    "svt": "SVT",
    "vt": "VT",
    "vf": "VF",
    "pea": "PEA",
    "stemi": "STEMI",
    "gp": "GP",
    "out-of-hours-gp": "out-of-hours GP",
    "94-98": "94–98 %",
    "88-92": "88–92 %",
    "venturi-24": "24 % venturi",
    "venturi-28": "28 % venturi",
    "venturi-35": "35 % venturi",
    "venturi-40": "40 % venturi",
    "venturi-60": "60 % venturi",
    "airway-opa": "airway: OPA",
    "airway-npa": "airway: NPA",
    "airway-igel": "airway: i-gel",
    "airway-ett": "airway: ETT",
    "cpr": "CPR",
    "opa": "OPA",
    "npa": "NPA",
    "igel": "i-gel",
    "lma": "LMA",
    "ett": "tracheal tube (ETT)",
    "pvt": "pulseless VT",
    "aed-shockable": "AED: shock advised",
    "aed-non-shockable": "AED: no shock advised",
    "bag-valve-mask": "bag-valve-mask",
    "bag-valve-device": "bag via airway device",
    "cpap": "CPAP",
    "cannulation-iv": "IV cannulation",
    "cannulation-io": "IO access",
}


def label_of(value: object) -> str:
    """Return a coded value as a crew reads it ('sinus-rhythm' → 'sinus rhythm')."""
    text = str(value)
    return _LABELS.get(text, text.replace("-", " ").replace("_", " "))


@dataclass(frozen=True)
class Field:
    """One input: its data path, label and widget.

    Widgets: text, textarea, int, float, datetime (a UTC `datetime-local`), date, select,
    yesno (yes / no / not recorded), check (a tick box), lines (one item per line),
    checks (several tick boxes giving a list), rows (a small table of objects), hidden (a
    fixed value, its default), signature (a drawing canvas sent as a PNG data URL).
    """

    path: str
    label: str
    widget: str = "text"
    choices: Choices = ()
    hint: str = ""
    cast: str = "str"  # a select's value type: "str" or "int"
    default: str = ""  # for a new entry: "now", "me", "me_name", "me_role" or a fixed value
    unticked: bool = False  # a check: unticked is recorded as false, not left out
    marker: bool = False  # a check that changes how its siblings read, never sent
    columns: tuple[Field, ...] = ()
    inputmode: str = ""

    @property
    def id(self) -> str:
        """Return the input's id and name."""
        return self.path.replace(".", "-")

    @property
    def top(self) -> str:
        """Return the top-level data field this input writes."""
        return self.path.split(".")[0]


@dataclass(frozen=True)
class Fieldset:
    """A group of fields under one legend."""

    legend: str
    fields: tuple[Field, ...]
    id: str = ""


@dataclass(frozen=True)
class Section:
    """One form: the entry kind it writes and where it lives in the app."""

    slug: str
    kind: str
    title: str
    fieldsets: tuple[Fieldset, ...]
    multi: bool = False  # each entry adds an item (observations, medications, …)
    whole: bool = False  # one entry is one whole statement (a sign-off)

    @property
    def full(self) -> bool:
        """Tell whether a submission sends every filled field, not only the changed ones."""
        return self.multi or self.whole

    @property
    def fields(self) -> tuple[Field, ...]:
        """Return every field in form order."""
        return tuple(f for fs in self.fieldsets for f in fs.fields)
