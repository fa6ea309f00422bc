"""Plain Observations and Procedures for the newer kinds, and how their coded values read.

The arrest, trauma, airway and consent kinds have no UK Core profile of their own: their
Observations claim UKCore-Observation and their Procedures UKCore-Procedure. Their codes
are carried as text unless a code was checked (docs/fhir.md lists which).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from carechain.exports.fhir import _codes as c
from carechain.exports.fhir._common import Resource, coding, concept
from carechain.exports.fhir._context import Context

__all__ = ["clock", "items", "observation", "procedure", "section", "words", "written"]

# Coded values whose words are not just the code with spaces.
_WORDS = {
    "vf": "VF", "pvt": "pulseless VT", "pea": "PEA", "aed-shockable": "AED: shockable",
    "aed-non-shockable": "AED: non-shockable", "rosc": "ROSC", "rtc": "RTC",
    "igel": "i-gel", "lma": "LMA", "ett": "endotracheal tube", "opa": "OPA", "npa": "NPA",
    "surgical": "surgical airway", "cpap": "CPAP", "IV": "IV", "IO": "IO",
    "gp": "GP", "mtc": "MTC", "respect": "ReSPECT", "dnacpr": "DNACPR",
    "valid-dnacpr-or-respect": "valid DNACPR or ReSPECT form",
    "asystole-after-20-minutes-als": "asystole after 20 minutes of ALS",
}


def words(code: object) -> str:
    """Return a coded value as words (`public-place` → `public place`)."""
    text = str(code)
    return _WORDS.get(text, text.replace("-", " "))


def clock(value: object) -> str:
    """Return the HH:MM of an ISO time, or the value as it is."""
    try:
        return datetime.fromisoformat(str(value)).strftime("%H:%M")
    except ValueError:
        return str(value)


def section(ctx: Context, name: str) -> Mapping[str, Any]:
    """Return a single-valued section of the record (empty when absent)."""
    found = ctx.state.get("sections", {}).get(name)
    return found if isinstance(found, Mapping) else {}


def items(ctx: Context, name: str) -> list[Mapping[str, Any]]:
    """Return the items of a multi-valued section."""
    found = ctx.state.get("items", {}).get(name, [])
    return [i for i in found if isinstance(i, Mapping)] if isinstance(found, list) else []


def made_by_kind(ctx: Context, kind: str, resource: Resource) -> Resource:
    """Note that every entry of a single-valued kind produced a resource, and return it."""
    for h in ctx.state.get("history", []):
        if h.get("kind") == kind:
            ctx.made(str(h["entry"]), resource)
    return resource


def written(ctx: Context, item: Mapping[str, Any], name: str) -> Any:
    """Return a field as the item's entry wrote it.

    The fold stamps every item with `recorded_at` (when the entry was written), which
    hides a kind's own `recorded_at` field (`refusal.recorded`): the entry's data says it.
    """
    if item.get("amended_by"):
        return item.get(name)
    for h in ctx.state.get("history", []):
        if h.get("entry") == item.get("entry") and isinstance(h.get("data"), Mapping):
            return h["data"].get(name, item.get(name))
    return item.get(name)


def observation(ctx: Context, rid: str, code: dict[str, Any], *, at: object,
                by: object = None, category: str = "exam", **fields: Any) -> Resource:
    """Return a UKCore-Observation (status final) of the record's patient."""
    out: Resource = {
        "resourceType": "Observation",
        "id": ctx.rid(rid),
        "meta": {"profile": [c.profile("UKCore-Observation")]},
        "status": "final",
        "category": [concept(coding(c.OBS_CATEGORY, category, category.title()))],
        "code": code,
        "subject": ctx.patient(),
        "encounter": ctx.encounter(),
    }
    if at:
        out["effectiveDateTime"] = at
    if by:
        out["performer"] = [ctx.practitioner(str(by))]
    out.update({k: v for k, v in fields.items() if v not in (None, [], {})})
    return out


def procedure(ctx: Context, rid: str, code: dict[str, Any], *, at: object, by: object,
              **fields: Any) -> Resource:
    """Return a completed UKCore-Procedure on the record's patient."""
    out: Resource = {
        "resourceType": "Procedure",
        "id": ctx.rid(rid),
        "meta": {"profile": [c.profile("UKCore-Procedure")]},
        "status": "completed",
        "code": code,
        "subject": ctx.patient(),
        "encounter": ctx.encounter(),
    }
    if at:
        out["performedDateTime"] = at
    if by:
        out["performer"] = [{"actor": ctx.practitioner(str(by))}]
    out.update({k: v for k, v in fields.items() if v not in (None, [], {})})
    return out
