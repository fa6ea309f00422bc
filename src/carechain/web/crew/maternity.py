"""The crew app's birth: the birth form (`/crew/records/{id}/birth`, a section page) opens
the baby's own record through `carechain.operations.maternity`, linked both ways, and the
page lists each baby born with a link to its record (`_views.linked_records`, also on
each record's overview)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from carechain.errors import FieldInvalid
from carechain.operations import maternity as ops
from carechain.web.crew._forms import collect, error_target, input_ids
from carechain.web.crew._pages import section_page
from carechain.web.crew._sections_maternity import BIRTH
from carechain.web.shared.form_errors import field_errors
from carechain.web.shared.session import Viewer, context

__all__ = ["save_birth"]

def save_birth(
    request: Request, viewer: Viewer, record: bytes, state: Mapping[str, Any],
    form: Mapping[str, Any],
) -> Response:
    """Record a birth: open the baby's record, linked both ways, in one unit of work."""
    ctx = context(request)
    data, rows = collect(BIRTH, form, shown=None)
    try:
        with ctx.door.unit() as uow:
            baby, entry = ops.record_birth(ctx.door, ctx.actor(viewer.person), uow,
                                           mother=record, data=data)
    except FieldInvalid as exc:
        ids = input_ids(BIRTH, form)
        errors = field_errors(exc, lambda path: error_target(path, ids, rows))
        return section_page(request, viewer, record, state, BIRTH, values=dict(form),
                            errors=errors, status_code=422)
    return RedirectResponse(
        f"/crew/records/{record.hex()}/birth?saved={entry}&baby={baby.hex()}#saved",
        status_code=303,
    )
