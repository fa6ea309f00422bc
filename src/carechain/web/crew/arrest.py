"""The crew app's cardiac-arrest timeline: one large button per event, one tap each.

Each tap writes one `arrest.event` (or, for a drug, one `medication.administered`, checked
against the formulary like any other dose) through `carechain.operations`, in a unit of
work with its audit entry. The time is the device's: the page script stamps the tap's
instant into the form as it is sent (the crew node runs on the tablet itself), and a tap
sent without it takes the node's clock. The ending (resuscitation stopped, or recognition
of life extinct) is a deliberate form with its criteria and who decided, never one tap.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from carechain.errors import FieldInvalid, FormularyBreach
from carechain.operations import records as ops
from carechain.records.kinds.choices import RoleCriterion
from carechain.web.crew._builders import choices
from carechain.web.crew._deps import FormDep, Reader, RecordDep, Writer, viewed
from carechain.web.crew._fields import label_of
from carechain.web.crew._pages import _frame, now
from carechain.web.shared.render import check_csrf
from carechain.web.shared.session import Viewer, context

__all__ = ["DRUGS", "ENERGIES", "TAPS", "router"]

router = APIRouter(include_in_schema=False)

# One tap each: (event, rhythm, button text).
TAPS: tuple[tuple[str, str, str], ...] = (
    ("cpr-started", "", "CPR started"),
    ("rhythm-check", "vf", "Rhythm: VF"),
    ("rhythm-check", "pvt", "Rhythm: pulseless VT"),
    ("rhythm-check", "pea", "Rhythm: PEA"),
    ("rhythm-check", "asystole", "Rhythm: asystole"),
    ("rosc", "", "ROSC"),
    ("re-arrest", "", "Re-arrest"),
)
ENERGIES = (120, 150, 200, 300, 360)
# The arrest drugs as one tap each: (key, drug, dose, unit). The route is chosen once.
DRUGS: tuple[tuple[str, str, float, str], ...] = (
    ("adrenaline-1mg", "adrenaline", 1.0, "mg"),
    ("amiodarone-300mg", "amiodarone", 300.0, "mg"),
    ("amiodarone-150mg", "amiodarone", 150.0, "mg"),
)
_DRUGS = {key: (drug, dose, unit) for key, drug, dose, unit in DRUGS}
_EVENT_WORDS = {
    "cpr-started": "CPR started",
    "rhythm-check": "rhythm check",
    "shock": "shock",
    "rosc": "ROSC",
    "re-arrest": "re-arrest",
    "resuscitation-stopped": "resuscitation stopped",
    "life-extinct": "life extinct (ROLE)",
}


def _tap_time(form: Mapping[str, Any], request: Request) -> str:
    """Return the device's time of the tap, or the node's clock when the page sent none."""
    sent = form.get("at")
    if isinstance(sent, str) and sent.strip():
        return sent.strip()
    return now(request).isoformat()


def _row(item: Mapping[str, Any], start: datetime | None) -> dict[str, Any]:
    at = datetime.fromisoformat(str(item["at"]))
    if item.get("event") == "drug":
        what = f"{item.get('drug')} {item.get('dose'):g} {item.get('unit')} {item.get('route')}"
    elif item.get("event") == "airway":
        what = f"airway: {label_of(item.get('device'))}"
        if item.get("successful") is False:
            what += " (unsuccessful)"
    else:
        what = _EVENT_WORDS.get(str(item.get("event")), str(item.get("event")))
        if item.get("energy_j") is not None:
            what += f" {item['energy_j']:g} J"
        if item.get("rhythm"):
            what += f" ({label_of(item['rhythm'])})"
        if item.get("criteria"):
            what += ": " + ", ".join(label_of(c) for c in item["criteria"])
    elapsed = ""
    if start is not None:
        seconds = int((at - start).total_seconds())
        elapsed = f"{'−' if seconds < 0 else '+'}{abs(seconds) // 60}:{abs(seconds) % 60:02d}"
    # The time is formatted on the page by the apps' shared `time` filter, in the zone
    # every crew page shows times in.
    return {"at": item["at"], "elapsed": elapsed, "what": what}


def _view(state: Mapping[str, Any]) -> dict[str, Any]:
    summary = state.get("arrest") or {}
    timeline = summary.get("timeline", [])
    arrest_at = summary.get("utstein", {}).get("arrest_at")
    first = arrest_at or (timeline[0]["at"] if timeline else None)
    start = datetime.fromisoformat(str(first)) if first else None
    return {
        "rows": [_row(t, start) for t in timeline],
        "outcome": summary.get("outcome"),
        "shocks": summary.get("shocks", 0),
        "missing": [label_of(m) for m in summary.get("utstein_missing", [])],
        "started": bool(summary),
    }


def _page(
    request: Request,
    viewer: Viewer,
    record: bytes,
    state: Mapping[str, Any],
    *,
    error: str = "",
    saved: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return _frame(
        request,
        viewer,
        record,
        state,
        "crew/arrest.html",
        status_code=status_code,
        arrest=_view(state),
        taps=TAPS,
        energies=ENERGIES,
        drugs=DRUGS,
        criteria=choices(RoleCriterion),
        error=error,
        saved=saved,
    )


@router.get("/crew/records/{record_id}/arrest/timeline")
def timeline(
    request: Request, viewer: Reader, record: RecordDep, saved: str | None = None
) -> Response:
    """Show the arrest timeline and its one-tap buttons."""
    state = viewed(request, viewer, record, "arrest-timeline")
    return _page(request, viewer, record, state, saved=saved)


def _write(
    request: Request, viewer: Viewer, record: bytes, kind: str, data: dict[str, Any]
) -> Response:
    ctx = context(request)
    try:
        with ctx.door.unit() as uow:
            stored = ops.append(
                ctx.door, ctx.actor(viewer.person), uow, record=record, kind=kind, data=data
            )
    except (FieldInvalid, FormularyBreach) as exc:
        if isinstance(exc, FieldInvalid):
            rules = exc.extra.get("errors") or [{"field": exc.field, "rule": exc.rule}]
            error = "; ".join(f"{r['field'].removeprefix('data.')} {r['rule']}" for r in rules)
        else:
            error = f"{exc} Record this dose on the medication form to give a reason."
        state = ctx.node.state(record)  # the page the tap came from was read and audited
        return _page(request, viewer, record, state, error=error, status_code=422)
    return RedirectResponse(
        f"/crew/records/{record.hex()}/arrest/timeline?saved={stored.entry.hex}#saved",
        status_code=303,
    )


@router.post("/crew/records/{record_id}/arrest/timeline")
def tap(request: Request, viewer: Writer, record: RecordDep, form: FormDep) -> Response:
    """Write one event of the arrest, timed by the device."""
    check_csrf(viewer, form.get("csrf"))
    data: dict[str, Any] = {
        "event": form.get("event", ""),
        "at": _tap_time(form, request),
        "by": viewer.person.staff_id,
    }
    for name in ("rhythm", "decision_by", "notes"):
        value = form.get(name)
        if isinstance(value, str) and value.strip():
            data[name] = value.strip()
    energy = form.get("energy_j")
    if isinstance(energy, str) and energy.strip():
        data["energy_j"] = float(energy) if energy.strip().isdigit() else energy
    if "criteria" in form:
        found = form["criteria"]
        data["criteria"] = found if isinstance(found, list) else [found]
    return _write(request, viewer, record, "arrest.event", data)


@router.post("/crew/records/{record_id}/arrest/drug")
def drug(request: Request, viewer: Writer, record: RecordDep, form: FormDep) -> Response:
    """Write one arrest drug dose through the medication path, timed by the device."""
    check_csrf(viewer, form.get("csrf"))
    name, dose, unit = _DRUGS.get(str(form.get("drug")), ("", 0.0, "mg"))
    data = {
        "drug": name,
        "dose": dose,
        "unit": unit,
        "route": form.get("route", "IO"),
        "given_at": _tap_time(form, request),
        "given_by": viewer.person.staff_id,
    }
    return _write(request, viewer, record, "medication.administered", data)
