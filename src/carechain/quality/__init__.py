"""Ambulance Clinical Quality Indicators over the vault's records, a month at a time.

    from carechain.quality import build_report, report_csv, measure_report

Pure: folded record states in, a `Report` out (`definitions` says what each indicator
counts and its source, `evaluate` judges one record, `report` a month, `exports` writes
CSV, JSON and a FHIR `MeasureReport`). Who may see it, and the audit entry, are the application
layer's (`carechain.operations.quality`). docs/clinical-audit.md has the definitions.
"""

from carechain.quality.definitions import INDICATORS, Indicator, by_id
from carechain.quality.evaluate import Finding, evaluate
from carechain.quality.exports import measure_report, report_csv, report_json
from carechain.quality.report import (
    Judged,
    Report,
    Result,
    build_report,
    centile,
    check_month,
    judge,
    last_month,
    month_of,
    report_of,
)

__all__ = [
    "INDICATORS",
    "Finding",
    "Indicator",
    "Judged",
    "Report",
    "Result",
    "build_report",
    "by_id",
    "centile",
    "check_month",
    "evaluate",
    "judge",
    "last_month",
    "measure_report",
    "month_of",
    "report_csv",
    "report_json",
    "report_of",
]
