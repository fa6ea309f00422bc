"""The crew's dispatch offers: the incidents the CAD offered this vehicle, each with what
every later revision changed, and the button that accepts one (`dispatch.md`).

Offers arrive from the hub in each sync round. Accepting goes through
`carechain.operations.dispatch` (record.write, audited `dispatch.accept`) and opens the
record with the call time, location, category and triage codes filled in.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response

from carechain.operations import dispatch as ops
from carechain.web.crew._deps import FormDep, Writer
from carechain.web.crew._pages import status
from carechain.web.shared.render import check_csrf, render
from carechain.web.shared.session import Viewer, context, require

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

OwnReader = Annotated[Viewer, require("record.read_own", refusal="read this crew's offers")]
Incident = Annotated[str, Path(min_length=1, max_length=64,
                               pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]


@router.get("/crew/dispatch")
def offers_page(request: Request, viewer: OwnReader) -> Response:
    """List the incidents offered to this device, newest revision first shown."""
    ctx = context(request)
    offers = ops.held_offers(ctx.door, ctx.actor(viewer.person))
    return render(request, "crew/dispatch.html", viewer, offers=offers,
                  status_bar=status(request, None), record_id=None, banner=None,
                  sections=None)


@router.post("/crew/dispatch/{incident}/accept")
def accept(request: Request, viewer: Writer, incident: Incident, form: FormDep) -> Response:
    """Accept an offer: the record opens with the dispatch details, and the crew goes to it."""
    check_csrf(viewer, form.get("csrf"))
    ctx = context(request)
    with ctx.door.unit() as uow:
        record = ops.accept_offer(ctx.door, ctx.actor(viewer.person), uow, incident=incident)
    return RedirectResponse(f"/crew/records/{record.hex()}", status_code=303)
