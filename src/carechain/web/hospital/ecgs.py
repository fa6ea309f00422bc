"""A 12-lead ECG at the hospital, drawn on ECG paper as inline SVG.

    /hospital/records/{id}/ecgs/{aid}   the 12 leads, the rhythm strip and the device's words

The trace is read through the door from the signed original (`carechain.operations.ecgs`,
audited as `ecg`) and drawn at the standard 25 mm/s and 10 mm/mV: the SVG's user unit is
one millimetre, shown at `PX_PER_MM` CSS pixels. The standard layout: three rows of four
columns of 2.5 s (I aVR V1 V4 / II aVL V2 V5 / III aVF V3 V6), each row starting with a
1 mV calibration pulse, and a 10 s rhythm strip of lead II below. The device's
interpretation statements are shown verbatim; nothing is measured or interpreted here.

Drawing keeps, for every 0.2 mm of paper (8 ms), the lowest and the highest sample in
their order, so no peak narrower than a pixel is lost; a trace beyond its row is clipped
to the paper, as a printed ECG is.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from carechain.errors import NotFound
from carechain.operations import ecgs
from carechain.records.ecg import Ecg, EcgLead
from carechain.web.shared.render import render
from carechain.web.shared.session import Viewer, context, require

__all__ = ["LAYOUT", "MM_PER_MV", "MM_PER_S", "PX_PER_MM", "paper", "router"]

router = APIRouter(include_in_schema=False)
ReadDep = Annotated[Viewer, require("record.read_addressed")]

MM_PER_S = 25.0
MM_PER_MV = 10.0
PX_PER_MM = 4
LAYOUT = (("I", "aVR", "V1", "V4"), ("II", "aVL", "V2", "V5"), ("III", "aVF", "V3", "V6"))
RHYTHM = "II"
_COLUMN_S = 2.5
_ROW_MM = 30.0
_LEAD_IN_MM = 10.0  # the calibration pulse and a little paper before the trace
_BIN_MM = 0.2


def _points(lead: EcgLead, rate: float, start_s: float, seconds: float, x0: float,
            baseline: float) -> str:
    """The polyline of `lead` from `start_s` for `seconds`, starting at x0 mm."""
    first = round(start_s * rate)
    count = round(seconds * rate)
    uv = lead.microvolts()[first:first + count]
    per_bin = max(1, int(rate * _BIN_MM / MM_PER_S))
    out: list[str] = []
    for b in range(0, len(uv), per_bin):
        chunk = uv[b:b + per_bin]
        low = min(range(len(chunk)), key=chunk.__getitem__)
        high = max(range(len(chunk)), key=chunk.__getitem__)
        for i in sorted({low, high}):
            x = x0 + (b + i) / rate * MM_PER_S
            y = baseline - chunk[i] / 1000.0 * MM_PER_MV
            out.append(f"{x:.2f},{y:.2f}")
    return " ".join(out)


def _calibration(x: float, baseline: float) -> str:
    """A 1 mV, 0.2 s pulse: 10 mm high, 5 mm wide."""
    top = baseline - MM_PER_MV
    return (f"{x:.2f},{baseline:.2f} {x + 1:.2f},{baseline:.2f} {x + 1:.2f},{top:.2f} "
            f"{x + 6:.2f},{top:.2f} {x + 6:.2f},{baseline:.2f} {x + 8:.2f},{baseline:.2f}")


def paper(ecg: Ecg) -> dict[str, Any]:
    """The drawing of an ECG: its size in mm and px, and each row's pulse and traces."""
    width = _LEAD_IN_MM + 4 * _COLUMN_S * MM_PER_S
    rows: list[dict[str, Any]] = []
    strips = [(names, _COLUMN_S) for names in LAYOUT] + [((RHYTHM,), 4 * _COLUMN_S)]
    for index, (names, seconds) in enumerate(strips):
        baseline = _ROW_MM * index + _ROW_MM * 0.6
        leads = []
        for column, name in enumerate(names):
            x0 = _LEAD_IN_MM + column * _COLUMN_S * MM_PER_S
            lead = ecg.lead(name)
            points = ("" if lead is None else
                      _points(lead, ecg.sample_rate_hz, column * _COLUMN_S, seconds, x0,
                              baseline))
            leads.append({"name": name, "x": x0, "points": points,
                          "recorded": lead is not None and bool(points)})
        rows.append({"baseline": baseline, "top": _ROW_MM * index, "leads": leads,
                     "calibration": _calibration(1.0, baseline),
                     "rhythm": index == len(LAYOUT)})
    height = _ROW_MM * len(strips)
    return {"width_mm": width, "height_mm": height, "width_px": width * PX_PER_MM,
            "height_px": height * PX_PER_MM, "px_per_mm": PX_PER_MM, "rows": rows}


@router.get("/hospital/records/{record_id}/ecgs/{attachment}")
def ecg_page(request: Request, record_id: str, attachment: str, viewer: ReadDep) -> Response:
    """The 12-lead view: the trace on ECG paper and the device's statements, verbatim."""
    try:
        record = bytes.fromhex(record_id)
    except ValueError:
        record = b""
    if len(record) != 16:
        raise NotFound(f"no record {record_id[:64]!r} here")
    ctx = context(request)
    with ctx.door.unit() as uow:
        item, ecg = ecgs.read(ctx.door, ctx.actor(viewer.person), uow, record=record,
                              attachment=attachment)
    return render(request, "hospital/ecg.html", viewer, record_id=record_id, item=item,
                  ecg=ecg, paper=paper(ecg), mm_per_s=MM_PER_S, mm_per_mv=MM_PER_MV)
