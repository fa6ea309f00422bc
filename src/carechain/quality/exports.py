"""A month's report as CSV, as JSON (the JSON API) and as a FHIR R4 `MeasureReport`.

CSV: one row per indicator, then one row per record that missed (what it missed), so the
file a trust sends on holds the drill-down too. FHIR: one summary `MeasureReport` whose
groups are the indicators (populations `initial-population`, `denominator`, `numerator`
and the proportion as `measureScore`); a time indicator is two groups, its mean and its
90th centile in minutes (UCUM `min`); an indicator the record cannot support is a group
with its code and the reason in `code.text`, and no count or score, so it never reads as
zero (docs/hazard-log.md H-062).
"""

from __future__ import annotations

import calendar
import csv
import io
from typing import Any

from carechain.quality.report import Report, Result

__all__ = ["CODE_SYSTEM", "MEASURE", "measure_report", "report_csv", "report_json"]

# carechain's own names for the indicators and the measure: no national code system for
# the AmbCO lines exists in FHIR, so they are URNs of the project.
CODE_SYSTEM = "urn:carechain:quality-indicator"
MEASURE = "urn:carechain:measure:ambulance-clinical-quality-indicators"
_POPULATION = "http://terminology.hl7.org/CodeSystem/measure-population"
_UCUM = "http://unitsofmeasure.org"

_HEADER = ("month", "indicator", "title", "kind", "denominator", "numerator", "percent",
           "mean_minutes", "centile90_minutes", "record", "missing", "note")


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def report_csv(report: Report) -> str:
    """Return the report as CSV text (RFC 4180, CRLF line ends)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_HEADER)
    for r in report.results:
        i = r.indicator
        if not r.computable:
            writer.writerow((report.month, i.id, i.title, i.kind, "", "", "", "", "", "", "",
                             f"not computable: {i.reason}"))
            continue
        writer.writerow((report.month, i.id, i.title, i.kind, r.denominator, r.numerator,
                         _num(r.percent), _num(r.mean), _num(r.centile90), "", "", ""))
    for r in report.results:
        for miss in r.misses:
            writer.writerow((report.month, r.indicator.id, r.indicator.title, "missed", "",
                             "", "", "", "", miss.record, "; ".join(miss.missing), miss.note))
    for record in report.undated:
        writer.writerow((report.month, "", "", "undated", "", "", "", "", "", record,
                         "incident.call_received not recorded", "in no month's report"))
    return out.getvalue()


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def report_json(report: Report) -> dict[str, Any]:
    """Return the report as JSON-ready data: every indicator with its definition, figures
    and the records that missed; a not-computable one with its reason and no figures."""
    indicators = []
    for r in report.results:
        i = r.indicator
        item: dict[str, Any] = {"id": i.id, "title": i.title, "kind": i.kind,
                                "counts": i.population, "met_when": i.numerator,
                                "source": i.source}
        if not r.computable:
            item["reason"] = i.reason
        else:
            item.update(denominator=r.denominator, numerator=r.numerator,
                        percent=_rounded(r.percent), mean_minutes=_rounded(r.mean),
                        centile90_minutes=_rounded(r.centile90),
                        misses=[{"record": m.record, "missing": list(m.missing),
                                 "note": m.note} for m in r.misses])
        indicators.append(item)
    return {"month": report.month, "records": report.records,
            "undated": list(report.undated), "unreadable": list(report.unreadable),
            "indicators": indicators}


def _code(r: Result, suffix: str = "", text: str = "") -> dict[str, Any]:
    return {"coding": [{"system": CODE_SYSTEM, "code": r.indicator.id + suffix,
                        "display": r.indicator.title}],
            "text": text or r.indicator.title}


def _populations(r: Result) -> list[dict[str, Any]]:
    def one(code: str, count: int) -> dict[str, Any]:
        return {"code": {"coding": [{"system": _POPULATION, "code": code}]}, "count": count}

    return [one("initial-population", r.denominator), one("denominator", r.denominator),
            one("numerator", r.numerator)]


def _groups(r: Result) -> list[dict[str, Any]]:
    if not r.computable:
        return [{"code": _code(r, text=f"{r.indicator.title}: not computable from the "
                                       f"ambulance record ({r.indicator.reason})")}]
    if r.indicator.kind == "proportion":
        group: dict[str, Any] = {"code": _code(r), "population": _populations(r)}
        if r.denominator:
            group["measureScore"] = {"value": round(r.numerator / r.denominator, 4)}
        return [group]
    groups = []
    for suffix, label, value in (("-mean", "mean", r.mean),
                                 ("-centile90", "90th centile", r.centile90)):
        group = {"code": _code(r, suffix, f"{r.indicator.title}, {label} (minutes)"),
                 "population": _populations(r)}
        if value is not None:
            group["measureScore"] = {"value": round(value, 1), "unit": "min",
                                     "system": _UCUM, "code": "min"}
        groups.append(group)
    return groups


def measure_report(report: Report, *, generated: str, reporter: str) -> dict[str, Any]:
    """Return the month's FHIR R4 `MeasureReport` (a summary), as JSON-ready data.

    `generated`: when (ISO 8601 with offset); `reporter`: the organisation's name.
    """
    year, month = (int(p) for p in report.month.split("-"))
    last = calendar.monthrange(year, month)[1]
    return {
        "resourceType": "MeasureReport",
        "id": f"acqi-{report.month}",
        "status": "complete",
        "type": "summary",
        "measure": MEASURE,
        "date": generated,
        "reporter": {"display": reporter},
        "period": {"start": f"{report.month}-01", "end": f"{report.month}-{last:02d}"},
        "group": [g for r in report.results for g in _groups(r)],
    }
