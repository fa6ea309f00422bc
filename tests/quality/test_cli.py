"""`carechain export indicators` on a vault holding the generated month: the CSV and the
FHIR MeasureReport the console offers, from the command line, audited as the operator."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from fhir.resources.R4B.measurereport import MeasureReport
from typer.testing import CliRunner

from carechain.cli import app
from carechain.node import Node
from carechain.node.audit import read_audit
from carechain.testing import make_node, make_trust
from tests.quality.month import EXPECTED, MONTH
from tests.quality.vault_support import fill_vault

SECRET = "operator-secret"


def _vault(tmp_path: Path) -> Path:
    trust = make_trust(tmp_path / "trust")
    vault = make_node(tmp_path / "vault", trust, role="vault", name="vault-records",
                      secret=SECRET)
    try:
        fill_vault(tmp_path / "crew", trust, vault)
    finally:
        vault.close()
    return tmp_path / "vault"


def test_export_indicators_csv_and_fhir(tmp_path: Path) -> None:
    vault = _vault(tmp_path)
    runner = CliRunner()
    base = ["export", "indicators", "--dir", str(vault), "--staff-id", "L400001",
            "--month", MONTH, "--secret", SECRET]
    done = runner.invoke(app, base)
    assert done.exit_code == 0, done.output
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    bundle = next(r for r in rows if r["indicator"] == "stemi-care-bundle")
    assert (int(bundle["denominator"]), int(bundle["numerator"])) == EXPECTED[
        "stemi-care-bundle"][:2]
    out = tmp_path / "report.json"
    done = runner.invoke(app, [*base, "--format", "fhir", "--out", str(out)])
    assert done.exit_code == 0, done.output
    report = MeasureReport.model_validate(json.loads(out.read_text()))
    assert report.period is not None and str(report.period.start) == "2026-11-01"
    node = Node.open(vault, SECRET)
    try:
        listed = [e for e in read_audit(node) if e["action"] == "record.list"]
        assert [e["detail"]["format"] for e in listed] == ["quality-csv", "quality-fhir"]
        assert {e["staff_id"] for e in listed} == {"L400001"}
    finally:
        node.close()


def test_a_bad_month_or_format_is_refused(tmp_path: Path) -> None:
    vault = _vault(tmp_path)
    runner = CliRunner()
    base = ["export", "indicators", "--dir", str(vault), "--staff-id", "L400001",
            "--secret", SECRET]
    done = runner.invoke(app, [*base, "--month", "11/2026"])
    assert done.exit_code != 0 and "YYYY-MM" in done.output
    done = runner.invoke(app, [*base, "--month", MONTH, "--format", "xml"])
    assert done.exit_code != 0 and "must be csv or fhir" in done.output
