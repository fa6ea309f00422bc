"""`carechain export fhir|nemsis|pdf|indicators` and `carechain import qr`: records leave
and come back.

Through the door as the node's operator (`carechain.operations.exports`): each record
exported leaves a `record.export` audit entry naming the format and who asked for it
(`--staff-id`, `--role`). The month's quality indicators go through
`carechain.operations.quality`, audited as the operator acting for `--staff-id`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from carechain.cli._common import DirOpt, SecretOpt, fail, handle
from carechain.cli._door import DatabaseOpt, open_door, operator
from carechain.errors import CarechainError
from carechain.operations import Actor, Door, quality
from carechain.operations import exports as ops

__all__ = ["export_app", "import_app"]

export_app = typer.Typer(help="Export records: FHIR R4 (UK Core), NEMSIS 3.5.1, PDF with QR.",
                         no_args_is_help=True)
import_app = typer.Typer(help="Import records from QR codes (a PDF, a photo or a scan).",
                         no_args_is_help=True)

RecordOpt = Annotated[list[str] | None, typer.Option(
    "--record", help="A record id (32 hex digits); repeat for more. Default: every record.")]
StaffOpt = Annotated[str, typer.Option(
    "--staff-id", help="Who is exporting, for the audit log.")]
RoleOpt = Annotated[str, typer.Option("--role", help="Their role, for the audit log.")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Write here instead of stdout.")]


def _records(door: Door, given: list[str] | None, fmt: str) -> list[bytes]:
    if not given:
        return ops.exportable(door, operator(), fmt)
    out = []
    for text in given:
        try:
            record = bytes.fromhex(text.strip())
        except ValueError:
            record = b""
        if len(record) != 16:
            fail(f"--record {text!r}: must be 32 hex digits")
        out.append(record)
    return out


def _write(data: bytes, out: Path | None) -> None:
    if out is None:
        sys.stdout.buffer.write(data)
    else:
        out.write_bytes(data)
        typer.echo(f"wrote {out} ({len(data)} bytes)", err=True)


def _state(door: Door, staff_id: str, role: str, record: bytes, fmt: str) -> dict[str, Any]:
    """Return a record's state to export, through the door (checked and audited)."""
    with door.unit() as uow:
        return ops.export_state(door, operator(), uow, record=record, fmt=fmt,
                                detail={"requested_by": staff_id, "requested_role": role})


@export_app.command("fhir")
def fhir(dir: DirOpt, staff_id: StaffOpt, secret: SecretOpt = None, record: RecordOpt = None,
         role: RoleOpt = "clinical_lead", out: OutOpt = None,
         bulk: Annotated[Path | None, typer.Option(
             "--bulk", help="Write NDJSON files, one per resource type, into this folder.")
         ] = None, database: DatabaseOpt = None) -> None:
    """Export a record as a FHIR document Bundle, or many as bulk NDJSON."""
    from carechain.exports.fhir import build_document
    from carechain.exports.fhir.bulk import write_ndjson
    from carechain.exports.source import signers_of

    try:
        with open_door(dir, secret, database) as door:
            node = door.node
            if bulk is not None:
                records = _records(door, record, "fhir-ndjson")

                def states() -> Iterator[tuple[dict[str, Any], Any]]:
                    for r in records:
                        yield _state(door, staff_id, role, r, "fhir-ndjson"), signers_of(node, r)

                with typer.progressbar(length=len(records), label="records", file=sys.stderr
                                       ) as bar:
                    counts = write_ndjson(states(), bulk, progress=bar.update)
                typer.echo(f"wrote {sum(counts.values())} resources of {len(records)} records "
                           f"to {bulk}: "
                           + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())), err=True)
                return
            records = _records(door, record, "fhir")
            if len(records) != 1:
                fail("a FHIR document holds one record: give one --record, or use --bulk")
            state = _state(door, staff_id, role, records[0], "fhir")
            bundle = build_document(state, signers=signers_of(node, records[0]))
        _write(json.dumps(bundle, indent=2, ensure_ascii=False).encode() + b"\n", out)
    except CarechainError as exc:
        handle(exc)


@export_app.command("nemsis")
def nemsis(dir: DirOpt, staff_id: StaffOpt, secret: SecretOpt = None,
           record: RecordOpt = None, role: RoleOpt = "clinical_lead", out: OutOpt = None,
           agency_number: Annotated[str, typer.Option(
               "--agency-number", help="dAgency.02 / eResponse.01.")] = "carechain",
           agency_name: Annotated[str | None, typer.Option(
               "--agency-name", help="eResponse.02 (default: the node's organisation).")
           ] = None,
           check: Annotated[bool, typer.Option(
               "--check/--no-check", help="Validate against the XSD and the national "
               "Schematron; refuse to write an invalid file.")] = True,
           database: DatabaseOpt = None) -> None:
    """Export records as one NEMSIS 3.5.1 EMSDataSet document."""
    from carechain.exports.nemsis import Agency, build_ems_dataset, validate

    try:
        with open_door(dir, secret, database) as door:
            records = _records(door, record, "nemsis")
            agency = Agency(state_id=agency_number, number=agency_number,
                            name=agency_name or door.node.info.org or "carechain")
            xml = build_ems_dataset(
                [_state(door, staff_id, role, r, "nemsis") for r in records], agency)
        if check:
            result = validate(xml)
            if not result.ok:
                for problem in result.errors:
                    typer.echo(problem, err=True)
                fail("the EMSDataSet does not validate; nothing written")
        _write(xml, out)
    except CarechainError as exc:
        handle(exc)


@export_app.command("pdf")
def pdf(dir: DirOpt, staff_id: StaffOpt, out: Annotated[Path, typer.Option(
            "--out", help="The PDF file to write.")],
        secret: SecretOpt = None, record: RecordOpt = None,
        role: RoleOpt = "clinical_lead", database: DatabaseOpt = None) -> None:
    """Export one record as the A4 handover PDF with its QR codes."""
    from carechain.exports.pdf import render_pdf
    from carechain.exports.qr import record_codes

    try:
        with open_door(dir, secret, database) as door:
            records = _records(door, record, "pdf")
            if len(records) != 1:
                fail("give one --record")
            now = datetime.fromtimestamp(door.now_ms() / 1000, tz=UTC)
            state = _state(door, staff_id, role, records[0], "pdf")
            codes = record_codes(door.node, records[0])
            data = render_pdf(state, codes, now=now)
        _write(data, out)
        typer.echo(f"{len(codes)} QR codes", err=True)
    except CarechainError as exc:
        handle(exc)


@export_app.command("indicators")
def indicators(dir: DirOpt, staff_id: StaffOpt,
               month: Annotated[str, typer.Option(
                   "--month", help="The month, YYYY-MM (UK time of the call).")],
               fmt: Annotated[str, typer.Option(
                   "--format", help="csv, or fhir for a FHIR R4 MeasureReport.")] = "csv",
               secret: SecretOpt = None, out: OutOpt = None,
               database: DatabaseOpt = None) -> None:
    """Export a month's quality indicators (docs/clinical-audit.md) as CSV or FHIR."""
    if fmt not in ("csv", "fhir"):
        fail(f"--format {fmt!r}: must be csv or fhir")
    try:
        with open_door(dir, secret, database) as door, door.unit() as uow:
            actor = Actor.operator(staff_id)
            text = (quality.export_csv(door, actor, uow, month=month) if fmt == "csv" else
                    json.dumps(quality.export_fhir(door, actor, uow, month=month), indent=2,
                               ensure_ascii=False))
        _write(text.encode("utf-8"), out)
    except CarechainError as exc:
        handle(exc)


@import_app.command("qr")
def qr(files: Annotated[list[Path], typer.Argument(
           help="PDFs, photos or scans holding the record's codes.")],
       dir: DirOpt, secret: SecretOpt = None, database: DatabaseOpt = None) -> None:
    """Import a record from its QR codes: every entry checked, all stored or nothing."""
    from carechain.exports.qr import read_codes

    try:
        found = read_codes(f.read_bytes() for f in files)
        with open_door(dir, secret, database) as door:
            done = ops.import_from_codes(door, operator(), found)
        typer.echo(f"record {done.record.hex()}: {done.entries} entries from {done.codes} "
                   f"codes, {done.new} new")
    except CarechainError as exc:
        handle(exc)
