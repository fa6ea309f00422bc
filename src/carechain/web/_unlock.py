"""Unlock a locked crew account on the tablet itself, with a second crew member's PIN.

    GET  /login/unlock      the form: the locked staff id, a colleague's staff id and PIN
    POST /login/unlock      unlock, audit, and go back to the login page

Five wrong PINs lock a paramedic out for 15 minutes, and a crew tablet, often offline, has
no administrator. The colleague's PIN is checked on the device like a login (a wrong one
counts against the colleague), the colleague must be another unlocked paramedic or
technician, and the unlock is written to the node's audit log naming both (hazard H-102).
Only crew nodes serve it; hospitals, hubs and vaults have an administrator's console.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from carechain.accounts import AccountLocked, LoginFailed
from carechain.errors import FieldInvalid, NotFound
from carechain.web.render import render
from carechain.web.session import context

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

_FIELDS = ("staff_id", "colleague", "secret")


def _crew_only(request: Request) -> None:
    if context(request).node.info.role != "crew":
        raise NotFound("only a crew device unlocks an account here: ask an administrator")


@router.get("/login/unlock")
def unlock_page(request: Request, staff_id: str = "") -> Response:
    """Show the colleague-unlock form."""
    _crew_only(request)
    return render(request, "unlock.html", errors={}, staff_id=staff_id[:64], colleague="")


@router.post("/login/unlock")
def unlock(
    request: Request,
    staff_id: Annotated[str, Form(max_length=64)] = "",
    colleague: Annotated[str, Form(max_length=64)] = "",
    secret: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    """Unlock the account if the colleague's staff id and PIN are right."""
    _crew_only(request)
    ctx = context(request)
    errors: dict[str, str] = {}
    if not staff_id.strip():
        errors["staff_id"] = "Enter the staff id of the locked account."
    if not colleague.strip():
        errors["colleague"] = "Enter your own staff id: the colleague who unlocks it."
    if not secret:
        errors["secret"] = "Enter your own PIN."
    status = 422
    if not errors:
        try:
            person, event = ctx.accounts.unlock_by_colleague(
                staff_id.strip(), colleague.strip(), secret, now_ms=ctx.now_ms())
        except AccountLocked as exc:
            status = 429
            errors["form"] = ("Your own account is locked too: another colleague can unlock "
                              "it, or wait 15 minutes.")
            ctx.write_events(exc.events)
        except LoginFailed as exc:
            errors["form"] = "Your staff id or PIN is not recognised."
            ctx.write_events(exc.events)
        except FieldInvalid as exc:
            field = exc.field if exc.field in _FIELDS else "form"
            label = {"staff_id": "The locked staff id", "colleague": "The colleague"}
            errors[field] = f"{label.get(field, 'This')} {exc.rule}."
        else:
            ctx.write_events([event])
            return RedirectResponse(f"/login?unlocked={quote(person.staff_id)}",
                                    status_code=303)
    return render(request, "unlock.html", status=status, errors=errors,
                  staff_id=staff_id, colleague=colleague)
