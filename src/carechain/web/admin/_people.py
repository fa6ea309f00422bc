"""The console's accounts page: list, create, unlock and disable the people of this node.

Each change is an audit event in the node's signed log: `account.create` for a new
account, `account.lock` (with `detail.change` "unlock" or "disable") for a change of an
account's lock state. The event's staff id is the admin's; the account changed is
`detail.target`. A TOTP provisioning URI is shown once, on the page that created it.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

import pyotp
from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from carechain.accounts import ROLES, ROLES_ON_NODE
from carechain.accounts.credentials import PASSWORD_MIN
from carechain.accounts.models import Person
from carechain.errors import FieldInvalid, NotFound
from carechain.operations import admin
from carechain.web.admin._common import (
    STAFF_ID,
    STAFF_ID_RULE,
    AccountManager,
    field_message,
)
from carechain.web.shared.render import check_csrf, render
from carechain.web.shared.session import Viewer, context

__all__ = ["CREATE_LABELS", "router"]

router = APIRouter()

CREATE_LABELS = {"staff_id": "Staff id", "display_name": "Name", "role": "Role",
                 "secret": "Password", "secret_confirm": "Password again"}
ROLE_NAMES = {"paramedic": "Paramedic", "technician": "Technician",
              "clinical_lead": "Clinical lead", "ed_clinician": "ED clinician",
              "auditor": "Auditor", "admin": "Administrator", "dispatcher": "Dispatcher"}


def _roles(request: Request) -> list[tuple[str, str]]:
    """Return (role, label) for every role allowed on this node, in the standard order."""
    node_role = context(request).node.info.role
    allowed = next((v for k, v in ROLES_ON_NODE.items() if k == node_role), frozenset())
    return [(r, ROLE_NAMES.get(r, r)) for r in ROLES if r in allowed]


def _page(request: Request, viewer: Viewer, *, status: int = 200,
          errors: dict[str, str] | None = None, form: dict[str, str] | None = None,
          created: dict[str, Any] | None = None, notice: str | None = None) -> Response:
    ctx = context(request)
    return render(request, "admin/people.html", viewer, status=status, page="people",
                  people=ctx.accounts.list_people(), roles=_roles(request),
                  role_names=ROLE_NAMES, now_ms=ctx.now_ms(), errors=errors or {},
                  form=form or {"role": "auditor"}, created=created, notice=notice,
                  secret_label="PIN" if ctx.node.info.role == "crew" else "Password",
                  password_min=PASSWORD_MIN)


def _notice(request: Request, done: str | None, staff_id: str | None) -> str | None:
    """Describe what a change just did, from the account itself (not from the URL)."""
    if not staff_id or done not in ("unlocked", "disabled"):
        return None
    person = context(request).accounts.person(staff_id)
    if person is None:
        return None
    if done == "unlocked" and not person.locked(context(request).now_ms()):
        return f"{person.display_name} ({person.staff_id}) is unlocked and may log in again."
    if done == "disabled" and person.disabled:
        return (f"{person.display_name} ({person.staff_id}) is disabled: their sessions "
                "have ended and they can no longer log in.")
    return None


@router.get("/people")
def people_page(request: Request, viewer: AccountManager, done: str | None = None,
                staff_id: str | None = None) -> Response:
    return _page(request, viewer, notice=_notice(request, done, staff_id))


@router.post("/people")
def create_person(
    request: Request,
    viewer: AccountManager,
    csrf: Annotated[str, Form(max_length=128)] = "",
    staff_id: Annotated[str, Form(max_length=128)] = "",
    display_name: Annotated[str, Form(max_length=256)] = "",
    role: Annotated[str, Form(max_length=64)] = "",
    secret: Annotated[str, Form(max_length=512)] = "",
    secret_confirm: Annotated[str, Form(max_length=512)] = "",
) -> Response:
    check_csrf(viewer, csrf)
    ctx = context(request)
    staff_id, display_name = staff_id.strip(), display_name.strip()
    form = {"staff_id": staff_id, "display_name": display_name, "role": role}
    errors: dict[str, str] = {}
    if not staff_id:
        errors["staff_id"] = "Enter a staff id."
    elif not STAFF_ID.fullmatch(staff_id):
        errors["staff_id"] = STAFF_ID_RULE
    if not display_name:
        errors["display_name"] = "Enter the person's name."
    if role not in dict(_roles(request)):
        errors["role"] = "Choose one of the roles listed."
    if not secret:
        errors["secret"] = "Enter a first password for the person."
    elif secret != secret_confirm:
        errors["secret_confirm"] = "The two passwords are not the same."
    if errors:
        return _page(request, viewer, status=422, errors=errors, form=form)
    try:
        with ctx.door.unit() as uow:
            person, uri = admin.create_person(
                ctx.door, ctx.actor(viewer.person), uow, staff_id=staff_id,
                display_name=display_name, role=role, secret=secret,
                issuer=f"carechain {ctx.node.info.name}")
    except FieldInvalid as exc:
        field, text = field_message(exc, CREATE_LABELS)
        return _page(request, viewer, status=422, errors={field: text}, form=form)
    created: dict[str, Any] = {"person": person, "uri": uri,
                               "secret": pyotp.parse_uri(uri).secret if uri else None}
    response = _page(request, viewer, status=201, created=created)
    response.headers["Cache-Control"] = "no-store"  # the TOTP secret is shown only once
    return response


def _change(request: Request, viewer: Viewer, csrf: str, staff_id: str,
            change: str) -> Response:
    check_csrf(viewer, csrf)
    ctx = context(request)
    if change == "disable" and staff_id == viewer.person.staff_id:
        return _page(request, viewer, status=422, errors={
            "people": "You cannot disable your own account: ask another administrator."})
    actor = ctx.actor(viewer.person)
    try:
        with ctx.door.unit() as uow:
            person: Person = (
                admin.unlock_person(ctx.door, actor, uow, staff_id=staff_id)
                if change == "unlock"
                else admin.disable_person(ctx.door, actor, uow, staff_id=staff_id)
            )
    except NotFound:
        return _page(request, viewer, status=404,
                     errors={"people": f"There is no account with staff id {staff_id!r}."})
    done = "unlocked" if change == "unlock" else "disabled"
    return RedirectResponse(f"/admin/people?done={done}&staff_id={quote(person.staff_id)}",
                            status_code=303)


@router.post("/people/unlock")
def unlock(request: Request, viewer: AccountManager,
           csrf: Annotated[str, Form(max_length=128)] = "",
           staff_id: Annotated[str, Form(max_length=128)] = "") -> Response:
    return _change(request, viewer, csrf, staff_id, "unlock")


@router.post("/people/disable")
def disable(request: Request, viewer: AccountManager,
            csrf: Annotated[str, Form(max_length=128)] = "",
            staff_id: Annotated[str, Form(max_length=128)] = "") -> Response:
    return _change(request, viewer, csrf, staff_id, "disable")
