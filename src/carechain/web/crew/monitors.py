"""The crew's "attach monitor" control: the monitors this device has heard recently over
MLLP, and which of them feeds this record (`devices.md`).

Attaching is the crew member's choice, made on the device: it goes through
`carechain.operations.devices` (record.write and a care relationship, audited), and from
then on the monitor's frames are written into this record as them. The page says so when
the node serves no MLLP listener (`carechain serve --mllp-port`).
"""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from carechain.errors import FieldInvalid
from carechain.operations.devices import Monitors
from carechain.web.crew._deps import FormDep, RecordDep, Writer, viewed
from carechain.web.crew._forms import text_of
from carechain.web.crew._pages import _frame
from carechain.web.shared.render import check_csrf
from carechain.web.shared.session import context

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _monitors(request: Request) -> Monitors | None:
    found = getattr(request.app.state, "monitors", None)
    return found if isinstance(found, Monitors) else None


@router.get("/crew/records/{record_id}/monitor")
def monitor_page(request: Request, viewer: Writer, record: RecordDep) -> Response:
    """List the monitors heard recently, with attach and detach buttons."""
    monitors = _monitors(request)
    state = viewed(request, viewer, record, "monitor")  # the banner: an audited read
    clock = time.monotonic()
    heard = [] if monitors is None else [
        {"monitor": h.monitor, "app": h.sending_app, "facility": h.sending_facility,
         "ago_s": max(0, round(clock - h.last_s)), "accepted": h.accepted}
        for h in monitors.recent()
    ]
    return _frame(
        request, viewer, record, state, "crew/monitor.html", listening=monitors is not None,
        heard=heard, attached=[] if monitors is None else monitors.feeding(record),
    )


@router.post("/crew/records/{record_id}/monitor")
def monitor_choice(request: Request, viewer: Writer, record: RecordDep,
                   form: FormDep) -> Response:
    """Attach a monitor to this record, or detach it."""
    check_csrf(viewer, form.get("csrf"))
    monitors = _monitors(request)
    monitor, action = text_of(form, "monitor"), text_of(form, "action")
    if monitors is None:
        raise FieldInvalid("monitor", "this device is not listening for monitors")
    if action not in ("attach", "detach") or not monitor:
        raise FieldInvalid("action", "must be attach or detach, with a monitor")
    actor = context(request).actor(viewer.person)
    if action == "attach":
        monitors.attach(actor, record, monitor)
    else:
        monitors.detach(actor, monitor)
    return RedirectResponse(f"/crew/records/{record.hex()}/monitor", status_code=303)
