"""The crew app's body map: a front and a back outline, tap to mark an injury.

Each mark is one `injury.marked` entry written through `carechain.operations` in a unit of
work with its audit entry. The page script turns a tap on the diagram into the mark's view,
region and x/y position (0–1 across and down that view's diagram); without the script the
crew chooses the view and region from the lists and the mark is drawn at the middle of its
region. The outline is drawn here from simple shapes (no third-party artwork).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from carechain.errors import FieldInvalid
from carechain.operations import records as ops
from carechain.records.kinds.choices import InjurySeverity, InjuryType, Region, View
from carechain.web.crew._builders import choices
from carechain.web.crew._deps import FormDep, Reader, RecordDep, Writer, viewed
from carechain.web.crew._fields import label_of
from carechain.web.crew._pages import _frame, now
from carechain.web.shared.render import check_csrf
from carechain.web.shared.session import Viewer, context

__all__ = ["HEIGHT", "SHAPES", "WIDTH", "router"]

router = APIRouter(include_in_schema=False)

# One view's diagram is WIDTH × HEIGHT units (drawn at 1.5 px a unit, so the smallest
# region is over 44 px across); a mark's x and y are fractions of them.
WIDTH, HEIGHT = 200, 400
# (region, shape, attributes) per view, drawn in order (later shapes on top). The patient
# faces the reader on the front view, so their left is on the reader's right; on the back
# view their left is on the reader's left.
Shape = tuple[str, str, dict[str, float]]
_LIMBS_FRONT: tuple[Shape, ...] = (
    ("right-arm", "rect", {"x": 22, "y": 92, "width": 26, "height": 120, "rx": 12}),
    ("left-arm", "rect", {"x": 152, "y": 92, "width": 26, "height": 120, "rx": 12}),
    ("right-hand", "circle", {"cx": 35, "cy": 228, "r": 15}),
    ("left-hand", "circle", {"cx": 165, "cy": 228, "r": 15}),
    ("right-leg", "rect", {"x": 56, "y": 234, "width": 40, "height": 136, "rx": 14}),
    ("left-leg", "rect", {"x": 104, "y": 234, "width": 40, "height": 136, "rx": 14}),
    ("right-foot", "ellipse", {"cx": 72, "cy": 384, "rx": 22, "ry": 11}),
    ("left-foot", "ellipse", {"cx": 128, "cy": 384, "rx": 22, "ry": 11}),
)
_MIRROR = {"left": "right", "right": "left"}


def _mirrored(shapes: tuple[Shape, ...]) -> tuple[Shape, ...]:
    out = []
    for region, kind, attrs in shapes:
        side, rest = region.split("-", 1)
        out.append((f"{_MIRROR[side]}-{rest}", kind, attrs))
    return tuple(out)


SHAPES: dict[str, tuple[Shape, ...]] = {
    "front": (
        ("head", "circle", {"cx": 100, "cy": 36, "r": 30}),
        ("face", "ellipse", {"cx": 100, "cy": 42, "rx": 18, "ry": 20}),
        ("neck", "rect", {"x": 84, "y": 66, "width": 32, "height": 18}),
        ("chest", "rect", {"x": 54, "y": 84, "width": 92, "height": 66, "rx": 10}),
        ("abdomen", "rect", {"x": 58, "y": 150, "width": 84, "height": 50}),
        ("pelvis", "rect", {"x": 56, "y": 200, "width": 88, "height": 34, "rx": 8}),
        *_LIMBS_FRONT,
    ),
    "back": (
        ("head", "circle", {"cx": 100, "cy": 36, "r": 30}),
        ("neck", "rect", {"x": 84, "y": 66, "width": 32, "height": 18}),
        ("upper-back", "rect", {"x": 54, "y": 84, "width": 92, "height": 66, "rx": 10}),
        ("lower-back", "rect", {"x": 58, "y": 150, "width": 84, "height": 50}),
        ("buttocks", "rect", {"x": 56, "y": 200, "width": 88, "height": 34, "rx": 8}),
        *_mirrored(_LIMBS_FRONT),
    ),
}


def _centre(kind: str, attrs: Mapping[str, float]) -> tuple[float, float]:
    if kind == "rect":
        return attrs["x"] + attrs["width"] / 2, attrs["y"] + attrs["height"] / 2
    return attrs["cx"], attrs["cy"]


_CENTRES = {
    (view, region): _centre(kind, attrs)
    for view, shapes in SHAPES.items()
    for region, kind, attrs in shapes
}


def _marks(state: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return each marked injury with where to draw it on its view, numbered in order."""
    found = state.get("items", {}).get("injuries", [])
    out = []
    for n, mark in enumerate(found, start=1):
        view, region = str(mark.get("view")), str(mark.get("region"))
        if mark.get("x") is not None and mark.get("y") is not None:
            cx, cy = float(mark["x"]) * WIDTH, float(mark["y"]) * HEIGHT
        else:
            cx, cy = _CENTRES.get((view, region), (WIDTH / 2, HEIGHT / 2))
        words = " ".join(label_of(w) for w in (mark.get("severity"), mark.get("type")) if w)
        out.append(
            {
                "n": n,
                "view": view,
                "cx": round(cx, 1),
                "cy": round(cy, 1),
                "words": f"{words}, {label_of(region)} ({view})",
                "note": mark.get("note") or "",
                "severity": mark.get("severity") or "unknown",
            }
        )
    return out


def _page(
    request: Request,
    viewer: Viewer,
    record: bytes,
    state: Mapping[str, Any],
    *,
    values: Mapping[str, Any] | None = None,
    error: str = "",
    saved: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return _frame(
        request,
        viewer,
        record,
        state,
        "crew/bodymap.html",
        status_code=status_code,
        shapes=SHAPES,
        width=WIDTH,
        height=HEIGHT,
        marks=_marks(state),
        views=choices(View),
        regions=choices(Region),
        types=choices(InjuryType),
        severities=choices(InjurySeverity),
        values=values or {},
        error=error,
        saved=saved,
    )


@router.get("/crew/records/{record_id}/bodymap")
def bodymap(
    request: Request, viewer: Reader, record: RecordDep, saved: str | None = None
) -> Response:
    """Show the body map with the injuries marked so far and the form to mark one."""
    state = viewed(request, viewer, record, "body-map")
    return _page(request, viewer, record, state, saved=saved)


def _position(value: object) -> object:
    """Return a posted x or y as a number when it is one (the schema checks its range)."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return float(value)
    except ValueError:
        return value


@router.post("/crew/records/{record_id}/bodymap")
def mark(request: Request, viewer: Writer, record: RecordDep, form: FormDep) -> Response:
    """Write one injury marked on the body map; nothing is stored unless it is valid."""
    check_csrf(viewer, form.get("csrf"))
    data: dict[str, Any] = {
        "marked_at": now(request).isoformat(),
        "marked_by": viewer.person.staff_id,
    }
    for name in ("view", "region", "type", "severity", "note"):
        value = form.get(name)
        if isinstance(value, str) and value.strip():
            data[name] = value.strip()
    for name in ("x", "y"):
        position = _position(form.get(name))
        if position is not None:
            data[name] = position
    ctx = context(request)
    try:
        with ctx.door.unit() as uow:
            stored = ops.append(
                ctx.door, ctx.actor(viewer.person), uow, record=record, kind="injury.marked",
                data=data,
            )  # fmt: skip
    except FieldInvalid as exc:
        rules = exc.extra.get("errors") or [{"field": exc.field, "rule": exc.rule}]
        error = "; ".join(f"{r['field'].removeprefix('data.')} {r['rule']}" for r in rules)
        state = ctx.node.state(record)  # the page the mark came from was read and audited
        return _page(request, viewer, record, state, values=form, error=error, status_code=422)
    return RedirectResponse(
        f"/crew/records/{record.hex()}/bodymap?saved={stored.entry.hex}#saved", status_code=303
    )
