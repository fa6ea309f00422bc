"""How the handover PDF looks: paragraph styles, the table grid, a paragraph, a listing."""

from __future__ import annotations

from typing import Any

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.platypus import Paragraph, Table, TableStyle

__all__ = ["BODY", "GRID", "H1", "H2", "SMALL", "listing", "p"]

_styles = getSampleStyleSheet()
H1 = ParagraphStyle("h1", parent=_styles["Heading1"], fontSize=15, spaceAfter=3)
H2 = ParagraphStyle("h2", parent=_styles["Heading2"], fontSize=11.5, spaceBefore=6,
                    spaceAfter=2)
BODY = ParagraphStyle("body", parent=_styles["BodyText"], fontSize=8.5, leading=10.5)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=7.5, leading=9)
GRID = TableStyle([
    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
    ("FONTSIZE", (0, 0), (-1, -1), 7.5),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6e6e6")),
])


def p(text: Any, style: ParagraphStyle = BODY) -> Paragraph:
    """Return a paragraph of plain text (escaped)."""
    from xml.sax.saxutils import escape

    return Paragraph(escape(str(text)), style)


def listing(title: str, head: list[str], rows: list[list[Any]], widths: list[float]
            ) -> list[Any]:
    """Return a titled table, or the title and 'None recorded.'"""
    if not rows:
        return [p(title, H2), p("None recorded.")]
    table = Table([[p(h) for h in head]] + [[p(c) for c in r] for r in rows],
                  colWidths=widths, repeatRows=1)
    table.setStyle(GRID)
    return [p(title, H2), table]
