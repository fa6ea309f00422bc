"""The crew app, served by a crew node on localhost: today's jobs, the record, one form per
section, live NEWS2, history and amendments, handover and sign-off (DESIGN §8, P1).

Everything here goes through the application layer to the local node (`carechain.operations`),
so every page and form works with no network and no hub, and every read and write is
audited; the status bar says where the record has reached. Times are shown and
read in UTC (see `_crew_forms`). Every POST checks the session's CSRF token first; a form
that breaks a rule is shown again with the rule next to the field, status 422, and
nothing stored.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from carechain.errors import FieldInvalid, FormularyBreach, NotFound
from carechain.operations import records as ops
from carechain.records import kinds
from carechain.web.crew import arrest, bodymap, maternity
from carechain.web.crew._amend import amendable, field_and_rule
from carechain.web.crew._deps import (
    FormDep,
    Reader,
    RecordDep,
    Signer,
    Writer,
    record_id_of,
    viewed,
)
from carechain.web.crew._fields import Section
from carechain.web.crew._forms import (
    collect,
    error_target,
    input_ids,
    prefill,
    read_shown,
    text_of,
)
from carechain.web.crew._new import open_new_record
from carechain.web.crew._pages import (
    amend_page,
    handover_page,
    history_page,
    jobs_page,
    now,
    record_page,
    section_page,
    status,
)
from carechain.web.crew._preview import news2_preview
from carechain.web.crew._rules import (
    CONFIRM_FIELDS,
    breaches_by_field,
    complete_disposition,
    confirmation_of,
    confirmation_refused,
    not_future,
)
from carechain.web.crew._sections import BIRTH, BY_KIND, BY_SLUG, SIGNOFF
from carechain.web.crew._views import conflict_texts
from carechain.web.shared.form_errors import field_errors
from carechain.web.shared.live import STREAM_MAX_S, start_cursor, vitals_stream
from carechain.web.shared.render import check_csrf
from carechain.web.shared.session import Viewer, context

__all__ = ["ROLES", "router"]

ROLES = ("crew",)
router = APIRouter(include_in_schema=False)
router.include_router(arrest.router)  # the cardiac-arrest timeline
router.include_router(bodymap.router)  # the body map


def _context_of(request: Request, viewer: Viewer, record: bytes) -> dict[str, Any]:
    """Return a record's state for a form's live preview, access checked by the door."""
    ctx = context(request)
    return ops.form_context(ctx.door, ctx.actor(viewer.person), record=record)


def _stream_read(request: Request, viewer: Viewer, record: bytes) -> None:
    """Audit the opening of the live vital-signs stream through the door."""
    ctx = context(request)
    with ctx.door.unit() as uow:
        ops.read(ctx.door, ctx.actor(viewer.person), uow, record=record, what="live-vitals")


def _done(record: bytes, page: str, entry: str) -> RedirectResponse:
    return RedirectResponse(
        f"/crew/records/{record.hex()}/{page}?saved={entry}#saved", status_code=303
    )


# --- today's jobs -------------------------------------------------------------------------


@router.get("/crew")
def jobs(request: Request, viewer: Reader) -> Response:
    """Show today's jobs and the new-record form."""
    return jobs_page(request, viewer)


@router.post("/crew/records")
def open_record(request: Request, viewer: Writer, form: FormDep) -> Response:
    """Open a record for this vehicle's job and go to it; nothing until the form is valid."""
    record, errors = open_new_record(request, viewer, form)
    if record is None:
        return jobs_page(request, viewer, values=form, errors=errors, status_code=422)
    return RedirectResponse(f"/crew/records/{record.hex()}", status_code=303)


# --- JSON for the page scripts ------------------------------------------------------------


@router.get("/crew/api/status")
def api_status(request: Request, viewer: Reader, record: str | None = None) -> JSONResponse:
    """Return the status bar: entries on device / at hub / at hospital, hub, alerts."""
    found = record_id_of(request, record) if record else None
    return JSONResponse(status(request, found))


@router.post("/crew/api/news2-preview")
def api_news2_preview(request: Request, viewer: Reader, form: FormDep) -> JSONResponse:
    """Return NEWS2, its parts and the prompts for the observation values typed so far."""
    check_csrf(viewer, request.headers.get("x-csrf-token") or form.get("csrf"))
    record = text_of(form, "record")
    # Part of the observation form the same person opened (and that read was audited): the
    # preview returns only scores of the values typed, in the record's context.
    state = _context_of(request, viewer, record_id_of(request, record)) if record else None
    return JSONResponse(news2_preview(form, now=now(request), context=state))


# --- the record ---------------------------------------------------------------------------


@router.get("/crew/records/{record_id}")
def record_overview(request: Request, viewer: Reader, record: RecordDep) -> Response:
    """Show the record: patient, latest observations, NEWS2, prompts, conflicts."""
    return record_page(request, viewer, record, viewed(request, viewer, record, "overview"))


@router.get("/crew/records/{record_id}/events")
async def record_events(
    request: Request, viewer: Reader, record: RecordDep, after: int | None = None,
    lifetime: float = STREAM_MAX_S,
) -> Response:
    """Stream the monitor's new vital signs and NEWS2 as the device stores them."""
    await asyncio.to_thread(_stream_read, request, viewer, record)
    return vitals_stream(request, record, start_cursor(request, after), lifetime)


@router.get("/crew/records/{record_id}/history")
def history(request: Request, viewer: Reader, record: RecordDep) -> Response:
    """Show every entry with its author, time and data; amendments and conflicts."""
    return history_page(request, viewer, record, viewed(request, viewer, record, "history"))


@router.get("/crew/records/{record_id}/handover")
def handover(
    request: Request, viewer: Reader, record: RecordDep, saved: str | None = None
) -> Response:
    """Show the ATMIST/SBAR handover, the hospital's receipts and the sign-off form."""
    return handover_page(
        request, viewer, record, viewed(request, viewer, record, "handover"), saved=saved
    )


@router.post("/crew/records/{record_id}/signoff")
def sign(request: Request, viewer: Signer, record: RecordDep, form: FormDep) -> Response:
    """Sign the record off."""
    check_csrf(viewer, form.get("csrf"))
    ctx = context(request)
    data, _ = collect(SIGNOFF, form, shown=None)
    try:
        with ctx.door.unit() as uow:
            stored = ops.append(ctx.door, ctx.actor(viewer.person), uow, record=record,
                                kind=SIGNOFF.kind, data=data)
    except FieldInvalid as exc:
        ids = input_ids(SIGNOFF, form)
        errors = field_errors(exc, lambda path: error_target(path, ids))
        return handover_page(
            request, viewer, record, ctx.node.state(record), values=form, errors=errors,
            status_code=422,
        )
    return _done(record, "handover", stored.entry.hex)


# --- amendments ---------------------------------------------------------------------------


@router.get("/crew/records/{record_id}/amend/{entry}")
def amend_form(request: Request, viewer: Writer, record: RecordDep, entry: str) -> Response:
    """Show an entry's fields, filled in, to amend with a reason."""
    state = viewed(request, viewer, record, "amend")
    found, kind = amendable(state, entry)
    return amend_page(request, viewer, record, state, found, kind)


@router.post("/crew/records/{record_id}/amend/{entry}")
def amend(
    request: Request, viewer: Writer, record: RecordDep, entry: str, form: FormDep
) -> Response:
    """Supersede an entry's data, with a reason; the original stays in the history."""
    check_csrf(viewer, form.get("csrf"))
    ctx = context(request)
    state = ctx.node.state(record)  # what the form showed: the read was audited with it
    found, kind = amendable(state, entry)
    section = BY_KIND[kind]
    original = found["data"]["data"] if found["kind"] != kind else found["data"]
    data, rows = collect(section, form, shown=None)
    tops = {f.top for f in section.fields}
    data = {**{k: v for k, v in original.items() if k not in tops}, **data}
    reason = text_of(form, "reason")
    medication = kind == "medication.administered"
    try:
        not_future(data, now(request))
        with ctx.door.unit() as uow:
            ops.amend(ctx.door, ctx.actor(viewer.person), uow, record=record,
                      supersedes=found["entry"], reason=reason, data=data,
                      confirmation=confirmation_of(form) if medication else None)
    except (FieldInvalid, FormularyBreach) as exc:
        ids = [*input_ids(section, form), "reason"]
        if isinstance(exc, FieldInvalid):
            errors = field_errors(exc, lambda path: error_target(path, ids, rows))
        else:
            field, rule = field_and_rule(exc)
            errors = {error_target(field, ids, rows): rule}
        return amend_page(
            request,
            viewer,
            record,
            state,
            found,
            kind,
            values=form,
            errors=errors,
            reason=reason,
            status_code=422,
        )
    return RedirectResponse(
        f"/crew/records/{record.hex()}/history#entry-{found['entry']}", status_code=303
    )


# --- one page per section -----------------------------------------------------------------


def _section(slug: str) -> Section:
    found = BY_SLUG.get(slug)
    if found is None:
        raise NotFound(f"no section {slug!r}")
    return found


@router.get("/crew/records/{record_id}/{slug}")
def section_form(
    request: Request, viewer: Reader, record: RecordDep, slug: str, saved: str | None = None
) -> Response:
    """Show a section: what it holds, and its form with the current values filled in."""
    section = _section(slug)
    state = viewed(request, viewer, record, slug)
    return section_page(request, viewer, record, state, section, saved=saved)


@router.post("/crew/records/{record_id}/{slug}")
def save_section(
    request: Request, viewer: Writer, record: RecordDep, slug: str, form: FormDep
) -> Response:
    """Write what the section's form gives as one entry."""
    check_csrf(viewer, form.get("csrf"))
    section = _section(slug)
    ctx = context(request)
    state = ctx.node.state(record)  # what the form showed: the read was audited with it
    if section is BIRTH:  # a birth opens the baby's own record, linked to this one
        return maternity.save_birth(request, viewer, record, state, form)
    name = kinds.KINDS[section.kind].section
    current = {} if section.multi else state["sections"].get(name, {})
    base = None if section.full else prefill(section, current)
    shown = None if base is None else read_shown(form.get("_shown"), base)
    data, rows = collect(
        section, form, shown=shown, base=base, conflicted=frozenset(conflict_texts(state, name))
    )
    if slug == "disposition":
        complete_disposition(viewer, data, current)
    if not data and not section.full:
        return RedirectResponse(
            f"/crew/records/{record.hex()}/{slug}?saved=none#saved", status_code=303
        )
    shown_text = text_of(form, "_shown")
    medication = section.kind == "medication.administered"
    try:
        not_future(data, now(request))
        with ctx.door.unit() as uow:  # the entry, any grant it makes, and their audit
            stored = ops.append(ctx.door, ctx.actor(viewer.person), uow, record=record,
                                kind=section.kind, data=data,
                                confirmation=confirmation_of(form) if medication else None)
    except FormularyBreach as exc:
        overridable = bool(exc.extra.get("overridable"))
        second = overridable and bool(exc.extra.get("second_clinician"))
        summary = (
            "This dose breaks the trust formulary and cannot be overridden: change it."
            if not overridable
            else "This dose goes against a recorded allergy the trust does not let one "
            "clinician override: give an override reason and a second clinician's "
            "confirmation to give it anyway."
            if second
            else "This dose breaks the trust formulary. Give an override reason to give it anyway."
        )
        errors = {"form": summary}
        if second:
            errors["confirmation"] = "A second clinician confirms with their staff id and PIN."
        return section_page(
            request,
            viewer,
            record,
            state,
            section,
            values=form,
            shown=shown_text,
            errors=errors,
            breaches=breaches_by_field(exc),
            show_override=overridable,
            status_code=422,
        )
    except FieldInvalid as exc:
        if exc.field in CONFIRM_FIELDS:
            return confirmation_refused(request, viewer, record, state, form, exc)
        ids = input_ids(section, form)
        errors = field_errors(
            exc, lambda path: error_target(path, ids, rows, {"reason": "override_reason"})
        )
        return section_page(
            request,
            viewer,
            record,
            state,
            section,
            values=form,
            shown=shown_text,
            errors=errors,
            status_code=422,
            show_override="override_reason" in errors,
        )
    return _done(record, slug, stored.entry.hex)
