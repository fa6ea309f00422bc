"""Unlock a locked crew account on the tablet itself: with a second crew member's PIN, or
with a one-time code from the control room.

    GET  /login/unlock          both forms
    POST /login/unlock          the locked staff id, a colleague's staff id and PIN
    POST /login/unlock/code     the locked staff id, the administrator's staff id, the code

Five wrong PINs lock a paramedic out for 15 minutes, and a crew tablet, often offline, has
no administrator at hand. The colleague's PIN is checked on the device like a login (a
wrong one counts against the colleague), the colleague must be another unlocked
paramedic or technician; the control room reads the current code of this node's
administrator's authenticator over the radio (a wrong code counts against the
administrator). Either unlock is written to the node's audit log naming who unlocked
whom and how (hazard H-102). Only crew nodes serve these pages; hospitals, hubs and
vaults have an administrator's console.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from carechain.accounts import AccountLocked, LoginFailed
from carechain.errors import FieldInvalid, NotFound
from carechain.operations import sessions
from carechain.web.shared.render import render
from carechain.web.shared.session import context

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
    return render(request, "unlock.html", errors={}, staff_id=staff_id[:64], colleague="",
                  admin="")


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
            person = sessions.unlock_by_colleague(ctx.door, staff_id=staff_id.strip(),
                                                  colleague=colleague.strip(), secret=secret)
        except AccountLocked:
            status = 429
            errors["form"] = ("Your own account is locked too: another colleague can unlock "
                              "it, or wait 15 minutes.")
        except LoginFailed:
            errors["form"] = "Your staff id or PIN is not recognised."
        except FieldInvalid as exc:
            field = exc.field if exc.field in _FIELDS else "form"
            label = {"staff_id": "The locked staff id", "colleague": "The colleague"}
            errors[field] = f"{label.get(field, 'This')} {exc.rule}."
        else:
            return RedirectResponse(f"/login?unlocked={quote(person.staff_id)}",
                                    status_code=303)
    return render(request, "unlock.html", status=status, errors=errors,
                  staff_id=staff_id, colleague=colleague, admin="")


@router.post("/login/unlock/code")
def unlock_with_code(
    request: Request,
    staff_id: Annotated[str, Form(max_length=64)] = "",
    admin: Annotated[str, Form(max_length=64)] = "",
    code: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """Unlock the account if the control room's code is this node's administrator's."""
    _crew_only(request)
    ctx = context(request)
    errors: dict[str, str] = {}
    if not staff_id.strip():
        errors["code_staff_id"] = "Enter the staff id of the locked account."
    if not admin.strip():
        errors["admin"] = "Enter the administrator's staff id the control room gives."
    if not code.strip():
        errors["code"] = "Enter the 6-digit code the control room reads out."
    status = 422
    if not errors:
        try:
            person = sessions.unlock_by_code(ctx.door, staff_id=staff_id.strip(),
                                             admin=admin.strip(), code=code.strip())
        except AccountLocked:
            status = 429
            errors["code_form"] = ("Too many wrong codes: the control room's codes are "
                                   "refused here for 15 minutes.")
        except LoginFailed:
            errors["code_form"] = ("That code is not right, or was used already: ask the "
                                   "control room for the current one.")
        except FieldInvalid as exc:
            field = {"staff_id": "code_staff_id", "admin": "admin"}.get(exc.field, "code_form")
            label = {"code_staff_id": "The locked staff id", "admin": "The administrator"}
            errors[field] = f"{label.get(field, 'This')} {exc.rule}."
        else:
            return RedirectResponse(f"/login?unlocked={quote(person.staff_id)}",
                                    status_code=303)
    return render(request, "unlock.html", status=status, errors=errors, staff_id=staff_id,
                  colleague="", admin=admin)
