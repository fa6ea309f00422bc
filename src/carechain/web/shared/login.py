"""Log in and out, the same on every node: staff id and PIN on a crew node (offline),
staff id and password elsewhere, plus a TOTP code for admins (asked for on a crew node
only once the PIN is right, since crews have none). A locked crew account is unlocked on
the device by a colleague or with the control room's code (`_unlock`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from carechain.accounts import AccountLocked, LoginFailed, SecondFactorRequired
from carechain.errors import FieldInvalid
from carechain.operations import sessions
from carechain.web.shared import unlock as _unlock
from carechain.web.shared.render import check_csrf, render
from carechain.web.shared.session import COOKIE, OptionalViewer, ViewerDep, context

__all__ = ["HOME", "router"]

router = APIRouter(include_in_schema=False)
router.include_router(_unlock.router)

HOME = {"crew": "/crew", "hospital": "/hospital", "hub": "/admin", "vault": "/admin"}

# A crew tablet has no administrator at hand: a colleague or the control room unlocks it.
LOCKED_MESSAGE = {
    False: "Too many failed attempts: this account is locked for 15 minutes. Ask an "
           "administrator to unlock it sooner.",
    True: "Too many failed attempts: this account is locked for 15 minutes. A second crew "
          "member, or a code from the control room, can unlock it on this device now.",
}


def _safe_next(target: str | None) -> str:
    """Only follow a `next` that stays on this site."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


@router.get("/")
def home(request: Request, viewer: OptionalViewer) -> Response:
    if viewer is None:
        return RedirectResponse("/login", status_code=303)
    if viewer.person.role == "auditor":
        return RedirectResponse("/audit", status_code=303)
    role = context(request).node.info.role
    if role == "vault" and viewer.can("quality.read") and not viewer.can("node.admin"):
        return RedirectResponse("/quality", status_code=303)
    return RedirectResponse(HOME[context(request).node.info.role], status_code=303)


@router.get("/login")
def login_page(request: Request, viewer: OptionalViewer, next: str | None = None,
               unlocked: str | None = None) -> Response:
    if viewer is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    ctx = context(request)
    # Said only of an account that exists and is not locked: the URL proves nothing.
    person = ctx.accounts.person(unlocked) if unlocked and len(unlocked) <= 64 else None
    shown = person.staff_id if person and not person.locked(ctx.now_ms()) else None
    return render(request, "login.html", next=_safe_next(next), errors={}, staff_id="",
                  unlocked=shown)


@router.post("/login")
def login(
    request: Request,
    staff_id: Annotated[str, Form(max_length=64)] = "",
    secret: Annotated[str, Form(max_length=256)] = "",
    totp: Annotated[str, Form(max_length=16)] = "",
    next: Annotated[str, Form(max_length=512)] = "/",
) -> Response:
    ctx = context(request)
    errors: dict[str, str] = {}
    status = 422
    if not staff_id.strip():
        errors["staff_id"] = "Enter your staff id."
    if not secret:
        errors["secret"] = "Enter your PIN." if ctx.node.info.role == "crew" else \
            "Enter your password."
    if not errors:
        try:
            _, session = sessions.login(ctx.door, staff_id=staff_id.strip(), secret=secret,
                                        totp=totp or None, interface="web")
        except SecondFactorRequired:
            errors["totp"] = "Enter the 6-digit code from your authenticator app."
        except AccountLocked:
            status = 429  # docs/accounts.md: a locked account answers 429 on every path
            errors["form"] = LOCKED_MESSAGE[ctx.node.info.role == "crew"]
        except LoginFailed:
            errors["form"] = "Staff id or secret not recognised."
        except FieldInvalid as exc:
            errors[exc.field if exc.field in ("staff_id", "secret", "totp") else "form"] = \
                exc.rule
        else:
            response = RedirectResponse(_safe_next(next), status_code=303)
            response.set_cookie(COOKIE, session.token, httponly=True, samesite="strict",
                                secure=request.url.scheme == "https", path="/")
            return response
    return render(request, "login.html", status=status, next=_safe_next(next), errors=errors,
                  staff_id=staff_id, locked=status == 429)


@router.post("/logout")
def logout(request: Request, viewer: ViewerDep,
           csrf: Annotated[str, Form(max_length=128)] = "") -> Response:
    check_csrf(viewer, csrf)
    ctx = context(request)
    sessions.logout(ctx.door, ctx.actor(viewer.person), token=viewer.session.token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
