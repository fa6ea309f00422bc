"""The handover value: a format and its fields in order, as a dict or as plain text."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Format = Literal["ATMIST", "SBAR"]

ATMIST_FIELDS: tuple[str, ...] = (
    "age_sex",
    "time_of_incident",
    "mechanism",
    "injuries",
    "signs",
    "treatment",
    "eta_requirements",
)
SBAR_FIELDS: tuple[str, ...] = ("situation", "background", "assessment", "recommendation")

# The letter(s) a crew says for each field: ATMIST, with ER for the ATMISTER extension.
LABELS: dict[str, str] = {
    "age_sex": "A",
    "time_of_incident": "T",
    "mechanism": "M",
    "injuries": "I",
    "signs": "S",
    "treatment": "T",
    "eta_requirements": "ER",
    "situation": "S",
    "background": "B",
    "assessment": "A",
    "recommendation": "R",
}

NOT_RECORDED = "not recorded"


@dataclass(frozen=True)
class Handover:
    """A handover summary: ATMIST for trauma, SBAR otherwise; every field is text."""

    format: Format
    fields: Mapping[str, str] = field(hash=False)
    record_id: str | None = None
    generated_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the handover as JSON values, fields in handover order."""
        return {
            "format": self.format,
            "record_id": self.record_id,
            "generated_at": None if self.generated_at is None else self.generated_at.isoformat(),
            "fields": dict(self.fields),
        }

    def to_text(self) -> str:
        """Return one labelled line per field, e.g. 'A: 24 M'."""
        return "\n".join(
            f"{LABELS.get(name, name)}: {value}" for name, value in self.fields.items()
        )
