"""The quality indicators of a month, through the door: who may see them, and the audit.

Needs `quality.read` (clinical leads; the operator at the vault's CLI). Only records the
caller may read (`record_access`) are counted. Viewing and exporting are audited as
`record.list` (what, the month, the format of an export, how many records were counted);
each record a CSV or the JSON names (a record that missed, or one without a call time)
leaves with it, and has its own `record.export` entry too (a `MeasureReport` names none).
All in the caller's unit of work.
"""

from __future__ import annotations

import weakref
from datetime import UTC, datetime
from typing import Any, Literal

from carechain.errors import CarechainError, Forbidden
from carechain.exports.source import exportable_records
from carechain.node import Node, Unit
from carechain.operations.access import record_access
from carechain.operations.actor import Actor
from carechain.operations.door import Door
from carechain.quality import (
    Judged,
    Report,
    check_month,
    judge,
    last_month,
    measure_report,
    report_csv,
    report_json,
    report_of,
)

__all__ = ["Format", "export_csv", "export_fhir", "export_json", "indicators", "last_month"]

Format = Literal["csv", "json", "fhir"]

# node -> record -> (its heads when judged, the judgement): a record is folded again only
# once it has changed, so the console's second view of a month folds nothing new. The
# month of a record is in its encrypted content, so every record is judged once.
_JUDGED: weakref.WeakKeyDictionary[Node, dict[bytes, tuple[frozenset[bytes], Judged]]] = (
    weakref.WeakKeyDictionary()
)


def _judged(node: Node, record: bytes) -> Judged:
    heads = node.heads(record)
    known = _JUDGED.setdefault(node, {})
    seen = known.get(record)
    if seen is not None and seen[0] == heads:
        return seen[1]
    found = judge(node.state(record))
    known[record] = (heads, found)
    return found


def _report(door: Door, actor: Actor, month: str) -> Report:
    month = check_month(month)
    if not actor.can("quality.read"):
        raise Forbidden(f"a {actor.role} may not see the quality indicators",
                        action="quality.read", role=actor.role)
    judged: list[Judged] = []
    unreadable: list[str] = []
    now = door.now_ms()
    for record in exportable_records(door.node):
        try:
            if not record_access(door.node, door.accounts, actor, record, now).allowed:
                continue
            judged.append(_judged(door.node, record))
        except CarechainError:
            unreadable.append(record.hex())
    return report_of(month, judged, unreadable=unreadable)


def indicators(door: Door, actor: Actor, uow: Unit, *, month: str) -> Report:
    """Return the month's report for `actor`, and draft its `record.list` audit entry."""
    report = _report(door, actor, month)
    door.audit(actor, uow, "record.list", detail={
        "what": "quality-indicators", "month": report.month, "records": report.records})
    return report


def _exported(door: Door, actor: Actor, uow: Unit, month: str, fmt: Format) -> Report:
    """Return the month's report for an export in `fmt`, drafting its audit entries."""
    report = _report(door, actor, month)
    door.audit(actor, uow, "record.list", detail={
        "what": "quality-indicators", "format": f"quality-{fmt}", "month": report.month,
        "records": report.records})
    if fmt != "fhir":  # a MeasureReport names no record
        named = {m.record for r in report.results for m in r.misses} | set(report.undated)
        for record in sorted(named):
            door.audit(actor, uow, "record.export", record=record,
                       detail={"format": f"quality-{fmt}", "month": report.month})
    return report


def export_csv(door: Door, actor: Actor, uow: Unit, *, month: str) -> str:
    """Return the month's report as CSV text (audited)."""
    return report_csv(_exported(door, actor, uow, month, "csv"))


def export_json(door: Door, actor: Actor, uow: Unit, *, month: str) -> dict[str, Any]:
    """Return the month's report as JSON data (audited)."""
    return report_json(_exported(door, actor, uow, month, "json"))


def export_fhir(door: Door, actor: Actor, uow: Unit, *, month: str) -> dict[str, Any]:
    """Return the month's report as a FHIR R4 `MeasureReport` (audited)."""
    report = _exported(door, actor, uow, month, "fhir")
    generated = datetime.fromtimestamp(door.now_ms() / 1000, tz=UTC).isoformat(
        timespec="seconds")
    return measure_report(report, generated=generated, reporter=door.node.info.org)
