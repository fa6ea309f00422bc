"""The crew's "Patient lookup and previous calls" page of a record (`lookup.md`,
`previous-calls.md`).

Looking up on PDS, confirming or dismissing an answer, and asking the records vault for
previous calls all go through `carechain.operations.lookups` (record.write and a care
relationship, audited); the page reads the lookups and the previous calls through it too,
so each earlier record shown is an audited read. A form that breaks a rule is shown again
with the rule, status 422, nothing kept.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from carechain.errors import FieldInvalid
from carechain.operations import lookups as ops
from carechain.web.crew._deps import FormDep, Reader, RecordDep, Writer, viewed
from carechain.web.crew._forms import text_of
from carechain.web.crew._pages import _frame
from carechain.web.shared.render import check_csrf
from carechain.web.shared.session import Viewer, context

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
PAGE = "/crew/records/{record_id}/patient-lookup"
_SEARCH = ("nhs_number", "family_name", "given_name", "date_of_birth", "sex", "postcode")


def _page(request: Request, viewer: Viewer, record: bytes, *, status_code: int = 200,
          error: FieldInvalid | None = None, typed: dict[str, str] | None = None) -> Response:
    ctx = context(request)
    actor = ctx.actor(viewer.person)
    state = viewed(request, viewer, record, "patient-lookup")  # the banner: an audited read
    with ctx.door.unit() as uow:
        jobs = [j.to_dict() for j in ops.jobs(ctx.door, actor, uow, record=record)]
        previous = ops.previous(ctx.door, actor, uow, record=record)
    return _frame(request, viewer, record, state, "crew/lookup.html", status_code=status_code,
                  jobs=jobs, previous=previous["requests"], error=error, typed=typed or {},
                  own_nhs=state["sections"].get("patient", {}).get("nhs_number"))


def _back(record: bytes, anchor: str) -> RedirectResponse:
    return RedirectResponse(f"/crew/records/{record.hex()}/patient-lookup#{anchor}",
                            status_code=303)


@router.get(PAGE)
def lookup_page(request: Request, viewer: Reader, record: RecordDep) -> Response:
    """Show the record's PDS lookups and previous calls."""
    return _page(request, viewer, record)


@router.post(PAGE)
def ask(request: Request, viewer: Writer, record: RecordDep, form: FormDep) -> Response:
    """Look the patient up on PDS: by NHS number if one is typed, else by demographics."""
    check_csrf(viewer, form.get("csrf"))
    ctx = context(request)
    typed = {k: text_of(form, k) for k in _SEARCH}
    try:
        with ctx.door.unit() as uow:
            if typed["nhs_number"]:
                ops.ask(ctx.door, ctx.actor(viewer.person), uow, record=record,
                        nhs_number=typed["nhs_number"])
            else:
                fields: dict[str, Any] = {k: v for k, v in typed.items() if v}
                ops.ask(ctx.door, ctx.actor(viewer.person), uow, record=record,
                        search=ops.search_of(fields))
    except FieldInvalid as exc:
        return _page(request, viewer, record, status_code=422, error=exc, typed=typed)
    return _back(record, "lookups")


@router.post(PAGE + "/{lookup}/{action}")
def settle(request: Request, viewer: Writer, record: RecordDep, lookup: str, action: str,
           form: FormDep) -> Response:
    """Record the chosen patient's details (`confirm`), or set the answer aside."""
    check_csrf(viewer, form.get("csrf"))
    ctx = context(request)
    try:
        with ctx.door.unit() as uow:
            if action == "confirm":
                ops.confirm(ctx.door, ctx.actor(viewer.person), uow, record=record,
                            lookup=lookup, nhs_number=text_of(form, "nhs_number"))
            elif action == "dismiss":
                ops.dismiss(ctx.door, ctx.actor(viewer.person), uow, record=record,
                            lookup=lookup)
            else:
                raise FieldInvalid("action", "must be confirm or dismiss")
    except FieldInvalid as exc:
        return _page(request, viewer, record, status_code=422, error=exc)
    return _back(record, "lookups")


@router.post("/crew/records/{record_id}/previous-calls")
def ask_previous(request: Request, viewer: Writer, record: RecordDep,
                 form: FormDep) -> Response:
    """Ask the records vault for the patient's previous calls (break-glass for another
    NHS number, with a reason)."""
    check_csrf(viewer, form.get("csrf"))
    ctx = context(request)
    number, reason = text_of(form, "nhs_number"), text_of(form, "reason")
    try:
        with ctx.door.unit() as uow:
            ops.request_previous(ctx.door, ctx.actor(viewer.person), uow, record=record,
                                 nhs_number=number or None, reason=reason or None)
    except FieldInvalid as exc:
        return _page(request, viewer, record, status_code=422, error=exc,
                     typed={"glass_nhs_number": number, "reason": reason})
    return _back(record, "previous-calls")
