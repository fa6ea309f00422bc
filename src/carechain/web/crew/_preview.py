"""The live NEWS2 preview of an observation form: the kind's own validation, then the
fold's own decision support over the typed values (never a second implementation)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from carechain.errors import FieldInvalid
from carechain.records import kinds
from carechain.records.decision import decision_support
from carechain.web.crew._forms import collect, error_target, input_ids
from carechain.web.crew._sections import OBSERVATIONS
from carechain.web.shared.headline import headline_view

__all__ = ["news2_preview"]

# Fields that stand or fall together: an error on one drops them all from the preview.
_TOGETHER = (("gcs_eye", "gcs_verbal", "gcs_motor"),)


def _valid_part(
    data: dict[str, Any], ids: list[str]
) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """Return the largest valid part of the data, and the errors of what was left out."""
    errors: dict[str, str] = {}
    for _ in range(len(data) + 2):
        try:
            return kinds.validate_body("observation.recorded", data), errors
        except FieldInvalid as exc:
            top = exc.field.removeprefix("data.").split(".")[0]
            target = error_target(exc.field, ids)
            if target == "form":
                return None, errors  # nothing measured yet: no score, no nagging
            errors.setdefault(target, exc.rule)
            dropped = next((g for g in _TOGETHER if top in g), (top,))
            if not any(name in data for name in dropped):
                return None, errors
            for name in dropped:
                data.pop(name, None)
    return None, errors


def news2_preview(
    form: Mapping[str, str | list[str]], *, now: datetime, context: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Return NEWS2, the other scores and the prompts for the typed observation values.

    `context` is the record's state: its patient (age, pregnancy) and history (suspected
    infection) change what the scores mean, exactly as in the fold.
    """
    data, _ = collect(OBSERVATIONS, form, shown=None)
    data.setdefault("taken_at", now.isoformat())
    ids = input_ids(OBSERVATIONS, form)
    clean, errors = _valid_part(dict(data), ids)
    if clean is None:
        return {"news2": None, "scores": {}, "prompts": [], "errors": errors}
    sections = (context or {}).get("sections", {})
    state = {
        "sections": {k: sections.get(k, {}) for k in ("patient", "history")},
        "items": {"observations": [clean]},
        "history": [],
    }
    support = decision_support(state)
    scores = dict(support["scores"])
    scores.pop("news2_trend", None)
    headline = headline_view(scores)  # a child's PEWS, else NEWS2
    scores.pop("news2", None)
    scores.pop("pews", None)
    return {
        "news2": headline,
        "scores": scores,
        "prompts": support["prompts"],
        "errors": errors,
    }
