"""The hospital dashboard, served by a hospital node (DESIGN §2, §6, §9, P6).

    /hospital                             incoming patients by ETA; handed over today
    /hospital/api/incoming                the board as JSON (long-poll with since= & wait=)
    /hospital/open?record_id=…            open a record by its id
    /hospital/records/{id}                the patient: banner, handover, prompts, care, charts
    /hospital/records/{id}/events         Server-Sent Events: new vitals and NEWS2 points
    /hospital/records/{id}/accept         POST: accept the handover (a signed receipt)
    /hospital/records/{id}/break-glass    POST: open a record not addressed here, with a reason

An ED clinician reads only records addressed to this hospital (see `_hospital_board`);
any other is refused with an offer of break-glass access, which lasts 4 hours and is
audited. Every view of a record, allowed or refused, is an audit entry.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response

from carechain.errors import CarechainError, FieldInvalid
from carechain.node.audit import audit_record, read_audit
from carechain.operations import records as ops
from carechain.web.hospital._views import patient_view
from carechain.web.hospital.board import Board, Patient, local_time
from carechain.web.shared.live import STREAM_MAX_S, start_cursor, vitals_stream
from carechain.web.shared.render import check_csrf, env, render
from carechain.web.shared.session import Viewer, context, require

__all__ = ["ROLES", "router"]

ROLES = ("hospital",)
router = APIRouter(include_in_schema=False)

ReadDep = Annotated[Viewer, require("record.read_addressed")]
AcceptDep = Annotated[Viewer, require("handover.accept")]
BreakGlassDep = Annotated[Viewer, require("break_glass")]

LONG_POLL_MAX_S = 25.0

_setup = threading.Lock()
_accepting = threading.Lock()


# --- shared pieces -----------------------------------------------------------------------


@dataclass(frozen=True)
class Access:
    """Whether the viewer may open a record, and why."""

    patient: Patient | None
    addressed: bool
    glass: dict[str, Any] | None

    @property
    def allowed(self) -> bool:
        """Tell whether the record may be shown."""
        return self.addressed or self.glass is not None


def _state(request: Request, name: str, factory: Any) -> Any:
    """Return a per-app object kept on app.state, making it on first use."""
    with _setup:
        found = getattr(request.app.state, name, None)
        if found is None:
            found = factory()
            setattr(request.app.state, name, found)
        return found


def _board(request: Request) -> Board:
    board: Board = _state(request, "hospital_board", Board)
    return board


def _now(request: Request) -> datetime:
    return datetime.fromtimestamp(context(request).now_ms() / 1000, tz=UTC)


def _record(record_id: str) -> bytes | None:
    """Return a record id from the URL (32 hex digits), or None."""
    if len(record_id) != 32:
        return None
    try:
        return bytes.fromhex(record_id)
    except ValueError:
        return None


def _glass(request: Request, viewer: Viewer, record: bytes) -> dict[str, Any] | None:
    """Return the viewer's live break-glass access to a record (reason, until), or None."""
    ctx = context(request)
    now_ms = ctx.now_ms()
    if not ctx.accounts.has_break_glass(viewer.person.staff_id, record.hex(), now_ms=now_ms):
        return None
    known: dict[tuple[str, str], dict[str, Any]] = _state(request, "hospital_glass", dict)
    key = (viewer.person.staff_id, record.hex())
    found = known.get(key)
    if found is None or found["until_ms"] <= now_ms:
        # Not granted by this process (the node restarted): the reason is in the audit log.
        events = [e for e in read_audit(ctx.node) if e.get("action") == "break_glass"
                  and e.get("staff_id") == key[0] and e.get("record") == key[1]]
        detail = events[-1].get("detail", {}) if events else {}
        found = {"reason": detail.get("reason", "recorded in the audit log"),
                 "until_ms": int(detail.get("until_ms", now_ms + 60_000))}
        known[key] = found
    return {**found, "until": local_time(datetime.fromtimestamp(
        found["until_ms"] / 1000, tz=UTC).isoformat())}


def _access(request: Request, viewer: Viewer, record: bytes) -> Access:
    patient = _board(request).patient(context(request).node, record)
    if patient is not None and patient.addressed:
        return Access(patient, True, None)
    return Access(patient, False, _glass(request, viewer, record))


def _stream_read(request: Request, viewer: Viewer, record: bytes) -> None:
    """Audit the opening of a live vital-signs stream through the door."""
    ctx = context(request)
    with ctx.door.unit() as uow:
        ops.read(ctx.door, ctx.actor(viewer.person), uow, record=record, what="live-vitals")


def _is_audit(request: Request, record: bytes) -> bool:
    return record == audit_record(context(request).node)


def _not_found(request: Request, viewer: Viewer, message: str) -> Response:
    return render(request, "error.html", viewer, status=404, title="Record not found",
                  message=message)


def _refused(request: Request, viewer: Viewer, record: bytes, *, status: int = 403,
             errors: dict[str, str] | None = None, reason: str = "") -> Response:
    return render(request, "hospital/forbidden.html", viewer, status=status,
                  record_id=record.hex(), errors=errors or {}, reason=reason)


def _board_payload(request: Request) -> dict[str, Any]:
    view = _board(request).view(context(request).node, _now(request))
    stable = {k: v for k, v in view.items() if k != "generated_at"}
    version = hashlib.sha256(json.dumps(stable, sort_keys=True).encode()).hexdigest()[:16]
    html = env.get_template("hospital/_board.html").render(board=view)
    return {**view, "version": version, "html": html}


# --- the board ---------------------------------------------------------------------------


def _listed(request: Request, viewer: Viewer, payload: dict[str, Any]) -> None:
    """Audit a view of the board: the patients it shows are clinical content (P6)."""
    count = len(payload.get("incoming", [])) + len(payload.get("handed_over", []))
    context(request).audit("record.list", viewer.person,
                           detail={"what": "board", "count": count})


@router.get("/hospital")
def incoming(request: Request, viewer: ReadDep) -> Response:
    payload = _board_payload(request)
    _listed(request, viewer, payload)
    return render(request, "hospital/incoming.html", viewer, board=payload,
                  version=payload["version"], updated=local_time(payload["generated_at"],
                                                                 "%H:%M:%S"))


@router.get("/hospital/api/incoming")
async def incoming_json(request: Request, viewer: ReadDep, since: str = "",
                        wait: float = 0) -> JSONResponse:
    """Answer the board; with `since` (a version) and `wait` (seconds), answer as soon as
    the board differs from that version, or when the wait is up."""
    ctx = context(request)
    loop = asyncio.get_running_loop()
    woken = asyncio.Event()
    with ctx.closing.waking(ctx.node, woken):
        deadline = loop.time() + min(max(wait, 0.0), LONG_POLL_MAX_S)
        while True:
            woken.clear()
            payload = await asyncio.to_thread(_board_payload, request)
            left = deadline - loop.time()
            if payload["version"] != since or left <= 0 or ctx.closing.is_set():
                if payload["version"] != since:  # a board it has not seen: audited
                    await asyncio.to_thread(_listed, request, viewer, payload)
                return JSONResponse(payload, headers={"Cache-Control": "no-store"})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), timeout=left)


@router.get("/hospital/open")
def open_by_id(request: Request, viewer: ReadDep, record_id: str = "") -> Response:
    wanted = record_id.strip().lower().replace(" ", "")
    if _record(wanted) is None:
        payload = _board_payload(request)
        return render(request, "hospital/incoming.html", viewer, status=422, board=payload,
                      version=payload["version"], open_error="Enter a record id: 32 hex digits.",
                      open_value=record_id[:64],
                      updated=local_time(payload["generated_at"], "%H:%M:%S"))
    return RedirectResponse(f"/hospital/records/{wanted}", status_code=303)


# --- one patient -------------------------------------------------------------------------


@router.get("/hospital/records/{record_id}")
def record_page(request: Request, record_id: str, viewer: ReadDep) -> Response:
    ctx = context(request)
    record = _record(record_id.lower())
    if record is None or _is_audit(request, record):
        return _not_found(request, viewer, "There is no patient record with that id.")
    cursor = ctx.node.store.count()  # the live stream starts here: nothing after it is missed
    access = _access(request, viewer, record)
    if not access.allowed:
        ctx.audit("record.view", viewer.person, outcome="refused", record=record.hex())
        return _refused(request, viewer, record)
    try:
        state = ctx.node.state(record)
    except CarechainError:
        state = None
    if state is None or access.patient is None:
        return _not_found(request, viewer, "This node holds no readable copy of record "
                          f"{record.hex()}: it has not been sent to {ctx.node.info.name}.")
    with ctx.door.unit() as uow:  # the read, checked and audited by the door
        ops.read(ctx.door, ctx.actor(viewer.person), uow, record=record, what="page")
    view = patient_view(state, access.patient, _now(request))
    return render(request, "hospital/record.html", viewer, p=view, s=view["summary"],
                  record_id=record.hex(), cursor=cursor, glass=access.glass,
                  addressed=access.addressed, accepted=request.query_params.get("accepted"))


@router.get("/hospital/records/{record_id}/events")
async def record_events(request: Request, record_id: str, viewer: ReadDep,
                        after: int | None = None, lifetime: float = STREAM_MAX_S) -> Response:
    """Stream new vital-sign points, NEWS2 and "record changed" notices as they are stored."""
    record = _record(record_id.lower())
    if record is None or _is_audit(request, record):
        return PlainTextResponse("no such record", status_code=404)
    access = await asyncio.to_thread(_access, request, viewer, record)
    if not access.allowed or access.patient is None:
        return PlainTextResponse("this record is not addressed to this hospital",
                                 status_code=403)
    await asyncio.to_thread(_stream_read, request, viewer, record)

    async def still_allowed() -> bool:
        found = await asyncio.to_thread(_access, request, viewer, record)
        return found.allowed

    # Only break-glass access runs out while a stream is open; a care relationship does not.
    return vitals_stream(request, record, start_cursor(request, after), lifetime,
                         still_allowed if access.glass is not None else None)


@router.post("/hospital/records/{record_id}/accept")
def accept(request: Request, record_id: str, viewer: AcceptDep,
           csrf: Annotated[str, Form(max_length=128)] = "") -> Response:
    check_csrf(viewer, csrf)
    ctx = context(request)
    record = _record(record_id.lower())
    if record is None or _is_audit(request, record):
        return _not_found(request, viewer, "There is no patient record with that id.")
    with _accepting:  # two clicks, or two clinicians at once, make one receipt
        access = _access(request, viewer, record)
        if not access.addressed or access.patient is None:
            return render(request, "error.html", viewer, status=403, title="Not allowed",
                          message="Only a record addressed to this hospital can be accepted "
                          "here.")
        with ctx.door.unit() as uow:  # the receipt and its audit entry: both or neither
            ops.accept_handover(ctx.door, ctx.actor(viewer.person), uow, record=record)
    return RedirectResponse(f"/hospital/records/{record.hex()}?accepted=1", status_code=303)


@router.post("/hospital/records/{record_id}/break-glass")
def break_glass(request: Request, record_id: str, viewer: BreakGlassDep,
                csrf: Annotated[str, Form(max_length=128)] = "",
                reason: Annotated[str, Form(max_length=4000)] = "") -> Response:
    check_csrf(viewer, csrf)
    ctx = context(request)
    record = _record(record_id.lower())
    if record is None or _is_audit(request, record):
        return _not_found(request, viewer, "There is no patient record with that id.")
    target = RedirectResponse(f"/hospital/records/{record.hex()}", status_code=303)
    if _access(request, viewer, record).allowed:
        return target
    try:
        granted = ops.break_glass(ctx.door, ctx.actor(viewer.person), record=record,
                                  reason=reason)
    except FieldInvalid as exc:
        return _refused(request, viewer, record, status=422, reason=reason,
                        errors={"reason": f"The reason {exc.rule}."})
    known: dict[tuple[str, str], dict[str, Any]] = _state(request, "hospital_glass", dict)
    known[(viewer.person.staff_id, record.hex())] = granted
    return target
