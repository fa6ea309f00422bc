"""Lay out the handover PDF with ReportLab: text flows first, QR codes on their own pages."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import segno
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    PageBreak,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from carechain.exports.pdf._chart import chart_rows
from carechain.exports.pdf._clinical import clinical_sections
from carechain.exports.pdf._style import GRID, H1, H2, SMALL, listing, p
from carechain.exports.qr import label
from carechain.handover import LABELS, build_handover

__all__ = ["render_pdf"]

QR_SIDE = 72 * mm  # two across, three down; a module is about 0.63 mm (4 px at 150 dpi)


class QrCode(Flowable):  # type: ignore[misc]  # ReportLab ships no type hints
    """A QR code drawn as vector squares, with its "n of m" label underneath."""

    def __init__(self, code: bytes, caption: str) -> None:
        super().__init__()
        self.qr = segno.make(code, mode="byte", error="m", boost_error=False)
        self.caption = caption
        self.width = self.height = QR_SIDE

    def draw(self) -> None:
        matrix = list(self.qr.matrix)
        count = len(matrix) + 8  # the quiet zone of four modules on every side
        module = (QR_SIDE - 8 * mm) / count
        c = self.canv
        c.setFillColor(colors.black)
        for y, row in enumerate(matrix):
            for x, dark in enumerate(row):
                if dark:
                    c.rect((x + 4) * module, QR_SIDE - (y + 4 + 1) * module, module, module,
                           stroke=0, fill=1)
        c.setFont("Helvetica-Bold", 9)
        c.drawCentredString(count * module / 2, 1.5 * mm, self.caption)


def _banner(state: Mapping[str, Any]) -> list[Any]:
    sections = state.get("sections", {})
    patient = sections.get("patient", {})
    history = sections.get("history", {})
    name = " ".join(str(patient[k]) for k in ("given_name", "family_name") if patient.get(k))
    allergies = ", ".join(str(a.get("substance")) for a in history.get("allergies") or [])
    if not allergies:
        allergies = "NKDA" if history.get("no_known_allergies") else "not recorded"
    scores = state.get("scores", {})
    # A child's headline score is the National PEWS (NEWS2 is not validated under 16).
    news2 = scores.get("pews") or scores.get("news2")
    facts = [
        ["Patient", name or "unknown", "NHS number", patient.get("nhs_number", "not recorded")],
        ["Born", patient.get("date_of_birth", "not recorded"), "Allergies", allergies],
        ["Incident", sections.get("incident", {}).get("incident_number", "—"),
         "PEWS" if scores.get("pews") else "NEWS2",
         "—" if not news2 else f"{news2.get('aggregate')} ({news2.get('band')})"],
    ]
    table = Table([[p(c) for c in row] for row in facts],
                  colWidths=[22 * mm, 68 * mm, 24 * mm, 66 * mm])
    table.setStyle(GRID)
    return [p("Ambulance patient care record — handover", H1),
            p(f"Record {state.get('record_id')}", SMALL), Spacer(0, 2 * mm), table]


def _handover(state: Mapping[str, Any], now: datetime) -> list[Any]:
    handover = build_handover(state, now=now)
    rows = [[p(LABELS.get(k, k)), p(v)] for k, v in handover.fields.items()]
    table = Table(rows, colWidths=[12 * mm, 168 * mm])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return [p(f"{handover.format} handover", H2), table]


def _chart(state: Mapping[str, Any]) -> list[Any]:
    rows, paint = chart_rows(state)
    if len(rows[0]) == 1:
        return [p("Observations", H2), p("No observations recorded.")]
    width = min(22 * mm, (180 * mm - 28 * mm) / max(len(rows[0]) - 1, 1))
    table = Table(rows, colWidths=[28 * mm] + [width] * (len(rows[0]) - 1), repeatRows=1)
    style = TableStyle(GRID.getCommands())
    for col, row, colour in paint:
        style.add("BACKGROUND", (col, row), (col, row), colour)
    table.setStyle(style)
    return [p("Observations (NEWS2 colours: yellow 1, orange 2, red 3)", H2), table]


def _care(state: Mapping[str, Any]) -> list[Any]:
    items = state.get("items", {})
    meds = [[str(m.get("given_at", ""))[11:16], m.get("drug"), f"{m.get('dose')} {m.get('unit')}",
             m.get("route"), m.get("given_by")] for m in items.get("medications", [])]
    procs = [[str(x.get("performed_at", ""))[11:16], x.get("details") or x.get("procedure"),
              x.get("site", ""), {True: "yes", False: "no"}.get(x.get("successful"), ""),
              x.get("performed_by")] for x in items.get("procedures", [])]
    return (listing("Medications", ["Time", "Drug", "Dose", "Route", "Given by"], meds,
                     [16 * mm, 60 * mm, 30 * mm, 20 * mm, 54 * mm])
            + listing("Procedures", ["Time", "Procedure", "Site", "Success", "By"], procs,
                       [16 * mm, 60 * mm, 50 * mm, 16 * mm, 38 * mm]))


# Stream frames and a file's chunks: hundreds of rows that say nothing on paper.
_NOT_IN_TIMELINE = ("vitals.frame", "vitals.chunk", "ecg.chunk", "attachment.chunk")


def _timeline(state: Mapping[str, Any]) -> list[Any]:
    rows = []
    for h in state.get("history", []):
        if not h.get("kind") or h.get("kind") in _NOT_IN_TIMELINE:
            continue
        mark = " (superseded)" if h.get("superseded_by") else ""
        rows.append([str(h.get("time", ""))[11:19], f"{h.get('kind')}{mark}", h.get("user"),
                     h.get("author")])
    return listing("Timeline (UTC)", ["Time", "Entry", "By", "Device"], rows,
                    [18 * mm, 70 * mm, 40 * mm, 52 * mm])


def _signoff(state: Mapping[str, Any]) -> list[Any]:
    signoff = state.get("sections", {}).get("signoff")
    if not signoff:
        return [p("Sign-off", H2), p("Not signed off.")]
    return [p("Sign-off", H2), p(
        f"{signoff.get('clinician_name')} ({signoff.get('clinician_role')}"
        f"{', ' + str(signoff['registration']) if signoff.get('registration') else ''}) "
        f"declared the record complete at {signoff.get('signed_at')}.")]


def _codes(codes: Sequence[bytes]) -> list[Any]:
    out: list[Any] = [PageBreak(), p("Signed entries for import", H1), p(
        f"These {len(codes)} codes carry every signed entry of this record. A carechain "
        "node the record is addressed to imports them with no re-keying "
        "(carechain import qr, or Import codes on the hospital dashboard); every entry's "
        "signature is checked. Scan all of them.")]
    cells = [QrCode(code, f"code {label(code)}") for code in codes]
    rows = [cells[i : i + 2] for i in range(0, len(cells), 2)]
    for i in range(0, len(rows), 3):
        page = rows[i : i + 3]
        if i:
            out.append(PageBreak())
        grid = Table([r + [""] * (2 - len(r)) for r in page], colWidths=[90 * mm] * 2,
                     rowHeights=[QR_SIDE + 6 * mm] * len(page))
        out.append(grid)
    return out


def render_pdf(state: Mapping[str, Any], codes: Sequence[bytes], *, now: datetime) -> bytes:
    """Return the A4 handover PDF of a record, its QR codes on the last pages."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm,
                            topMargin=12 * mm, bottomMargin=12 * mm,
                            title="Ambulance patient care record",
                            author="carechain", subject=str(state.get("record_id")))
    story: list[Any] = []
    story += _banner(state)
    story += _handover(state, now)
    story += _chart(state)
    story += _care(state)
    story += clinical_sections(state)
    story += _timeline(state)
    story += _signoff(state)
    story.append(p(f"Printed {now.isoformat(timespec='minutes')}", SMALL))
    story += _codes(codes)
    doc.build(story)
    return buffer.getvalue()
