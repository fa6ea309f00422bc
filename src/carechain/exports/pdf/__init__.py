"""One A4 document for the hospital and the GP: handover first, then the chart, care,
timeline and sign-off, then QR codes carrying the record's signed entries.

    pdf = render_pdf(state, codes, now=now)     # bytes of the PDF
"""

from carechain.exports.pdf._render import render_pdf

__all__ = ["render_pdf"]
