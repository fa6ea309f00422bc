"""Log in and out, the same on every node: staff id and PIN on a crew node (offline),
staff id and password elsewhere, plus a TOTP code for admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from carechain.accounts import AccountLocked, LoginFailed, SecondFactorRequired
from carechain.errors import FieldInvalid
from carechain.web.render import check_csrf, render
from carechain.web.session import COOKIE, OptionalViewer, ViewerDep, context

__all__ = ["HOME", "router"]

router = APIRouter(include_in_schema=False)

HOME = {"crew": "/crew", "hospital": "/hospital", "hub": "/admin", "vault": "/admin"}


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
    return RedirectResponse(HOME[context(request).node.info.role], status_code=303)


@router.get("/login")
def login_page(request: Request, viewer: OptionalViewer, next: str | None = None) -> Response:
    if viewer is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "login.html", next=_safe_next(next), errors={}, staff_id="")


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
    if not staff_id.strip():
        errors["staff_id"] = "Enter your staff id."
    if not secret:
        errors["secret"] = "Enter your PIN." if ctx.node.info.role == "crew" else \
            "Enter your password."
    if not errors:
        try:
            person = ctx.accounts.authenticate(staff_id.strip(), secret, totp or None,
                                               now_ms=ctx.now_ms())
        except SecondFactorRequired:
            errors["totp"] = "Enter the 6-digit code from your authenticator app."
        except AccountLocked as exc:
            errors["form"] = ("Too many failed attempts: this account is locked for 15 "
                              "minutes. Ask an administrator to unlock it sooner.")
            ctx.write_events(exc.events)
        except LoginFailed as exc:
            errors["form"] = "Staff id or secret not recognised."
            ctx.write_events(exc.events)
        except FieldInvalid as exc:
            errors[exc.field if exc.field in ("staff_id", "secret", "totp") else "form"] = \
                exc.rule
        else:
            session = ctx.accounts.create_session(person, now_ms=ctx.now_ms())
            ctx.audit("login", person)
            response = RedirectResponse(_safe_next(next), status_code=303)
            response.set_cookie(COOKIE, session.token, httponly=True, samesite="strict",
                                secure=request.url.scheme == "https", path="/")
            return response
    return render(request, "login.html", status=422, next=_safe_next(next), errors=errors,
                  staff_id=staff_id)


@router.post("/logout")
def logout(request: Request, viewer: ViewerDep,
           csrf: Annotated[str, Form(max_length=128)] = "") -> Response:
    check_csrf(viewer, csrf)
    context(request).accounts.end_session(viewer.session.token)
    context(request).audit("logout", viewer.person)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
