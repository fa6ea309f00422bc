"""Which history entries a crew amends, and how an amendment's refusal reads."""

from __future__ import annotations

from typing import Any

from carechain.errors import FieldInvalid, FormularyBreach, NotFound
from carechain.records.fold import AMENDMENT_KIND
from carechain.web.crew._sections import AMENDABLE

__all__ = ["amendable", "field_and_rule"]


def amendable(state: dict[str, Any], entry: str) -> tuple[dict[str, Any], str]:
    """Return a history entry that may be amended, and the kind its data has."""
    rows = {h["entry"]: h for h in state["history"]}
    found = rows.get(entry)
    if found is None or found["class"] != "clinical" or found["superseded_by"]:
        raise NotFound(f"no entry {entry!r} of this record can be amended")
    cursor, kind, seen = found, found["kind"], {entry}
    while kind == AMENDMENT_KIND:  # an amendment of an amendment: find the original kind
        target = str((cursor["data"] or {}).get("supersedes", ""))
        if target in seen or target not in rows:
            raise NotFound(f"entry {entry!r} amends nothing this record holds")
        seen.add(target)
        cursor, kind = rows[target], rows[target]["kind"]
    if kind not in AMENDABLE:
        raise NotFound(f"entry {entry!r} is not one a crew amends")
    return found, str(kind)


def field_and_rule(exc: FieldInvalid | FormularyBreach) -> tuple[str, str]:
    """The field an amendment's error belongs to, and what to tell the clinician."""
    if isinstance(exc, FieldInvalid):
        return exc.field, exc.rule
    rule = str(exc.extra.get("rule", exc.detail))
    if exc.extra.get("overridable") and exc.extra.get("second_clinician"):
        rule += (
            ". This dose goes against a recorded allergy: it needs an override reason and a "
            "second clinician's confirmation (staff id and PIN)."
        )
    elif exc.extra.get("overridable"):
        rule += ". This dose breaks the trust formulary: give an override reason to record it."
    else:
        rule += ". This dose breaks the trust formulary and cannot be overridden."
    return str(exc.extra.get("field", "data.dose")), rule
