"""`carechain account`: the people who log in to a node (through the door, audited)."""

from __future__ import annotations

from typing import Annotated

import typer

from carechain.cli._common import DirOpt, SecretOpt, handle, secret_or_prompt
from carechain.cli._door import DatabaseOpt, open_door, operator
from carechain.errors import CarechainError
from carechain.operations import admin

__all__ = ["app"]

app = typer.Typer(help="People on a node: add, list, unlock, disable.", no_args_is_help=True)

StaffOpt = Annotated[str, typer.Option(help="Staff id.")]


@app.command("add")
def add(
    dir: DirOpt,
    staff_id: Annotated[str, typer.Option(help="Staff id, e.g. P100234.")],
    name: Annotated[str, typer.Option(help="Display name.")],
    role: Annotated[
        str,
        typer.Option(help="paramedic, technician, clinical_lead, ed_clinician, auditor or admin."),
    ],
    person_secret: Annotated[
        str | None,
        typer.Option(
            "--person-secret",
            envvar="CARECHAIN_PERSON_SECRET",
            show_envvar=True,
            help="Their PIN (crew) or password (prompted if not given).",
        ),
    ] = None,
    secret: SecretOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """Add a person; an admin's TOTP provisioning URI is printed once."""
    try:
        with open_door(dir, secret, database) as door:
            given = person_secret or secret_or_prompt(None, "their PIN or password", confirm=True)
            with door.unit() as uow:
                person, uri = admin.create_person(
                    door, operator(), uow, staff_id=staff_id, display_name=name, role=role,
                    secret=given,
                )
    except CarechainError as exc:
        handle(exc)
    typer.echo(f"added {person.staff_id} ({person.role})")
    if uri:
        typer.echo(f"TOTP (add to an authenticator app; shown once): {uri}")


@app.command("list")
def list_people(dir: DirOpt, secret: SecretOpt = None, database: DatabaseOpt = None) -> None:
    """List the people on this node."""
    try:
        with open_door(dir, secret, database) as door:
            people = door.accounts.list_people()
            now = door.now_ms()
    except CarechainError as exc:
        handle(exc)
    for p in people:
        flags = [
            f
            for f, on in (("locked", p.locked(now)), ("disabled", p.disabled), ("totp", p.has_totp))
            if on
        ]
        typer.echo(f"{p.staff_id:10} {p.role:14} {p.display_name}  {' '.join(flags)}")


@app.command("unlock")
def unlock(
    dir: DirOpt, staff_id: StaffOpt, secret: SecretOpt = None, database: DatabaseOpt = None
) -> None:
    """Clear a lockout after failed logins."""
    try:
        with open_door(dir, secret, database) as door, door.unit() as uow:
            admin.unlock_person(door, operator(), uow, staff_id=staff_id)
    except CarechainError as exc:
        handle(exc)
    typer.echo(f"unlock: {staff_id}")


@app.command("disable")
def disable(
    dir: DirOpt, staff_id: StaffOpt, secret: SecretOpt = None, database: DatabaseOpt = None
) -> None:
    """Disable a person and end their sessions and tokens."""
    try:
        with open_door(dir, secret, database) as door, door.unit() as uow:
            admin.disable_person(door, operator(), uow, staff_id=staff_id)
    except CarechainError as exc:
        handle(exc)
    typer.echo(f"disable: {staff_id}")
