"""`carechain account`: the people who log in to a node."""

from __future__ import annotations

from typing import Annotated

import typer

from carechain.cli._common import DirOpt, SecretOpt, handle, secret_or_prompt
from carechain.errors import CarechainError
from carechain.node import Node
from carechain.web import open_accounts

__all__ = ["app"]

app = typer.Typer(help="People on a node: add, list, unlock, disable.", no_args_is_help=True)


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
) -> None:
    """Add a person; an admin's TOTP provisioning URI is printed once."""
    try:
        node = Node.open(dir, secret_or_prompt(secret, "operator secret"))
        given = person_secret or secret_or_prompt(None, "their PIN or password", confirm=True)
        with open_accounts(dir, node) as accounts:
            person, uri = accounts.create_person(
                staff_id, name, role, given, node_role=node.info.role, now_ms=node.clock_ms()
            )
        node.close()
    except CarechainError as exc:
        handle(exc)
    typer.echo(f"added {person.staff_id} ({person.role})")
    if uri:
        typer.echo(f"TOTP (add to an authenticator app; shown once): {uri}")


@app.command("list")
def list_people(dir: DirOpt, secret: SecretOpt = None) -> None:
    """List the people on this node."""
    try:
        node = Node.open(dir, secret_or_prompt(secret, "operator secret"))
        with open_accounts(dir, node) as accounts:
            people = accounts.list_people()
            now = node.clock_ms()
        node.close()
    except CarechainError as exc:
        handle(exc)
    for p in people:
        flags = [
            f
            for f, on in (("locked", p.locked(now)), ("disabled", p.disabled), ("totp", p.has_totp))
            if on
        ]
        typer.echo(f"{p.staff_id:10} {p.role:14} {p.display_name}  {' '.join(flags)}")


def _change(dir: DirOpt, staff_id: str, secret: str | None, action: str) -> None:
    try:
        node = Node.open(dir, secret_or_prompt(secret, "operator secret"))
        with open_accounts(dir, node) as accounts:
            getattr(accounts, action)(staff_id)
        node.close()
    except CarechainError as exc:
        handle(exc)
    typer.echo(f"{action}: {staff_id}")


@app.command("unlock")
def unlock(
    dir: DirOpt, staff_id: Annotated[str, typer.Option(help="Staff id.")], secret: SecretOpt = None
) -> None:
    """Clear a lockout after failed logins."""
    _change(dir, staff_id, secret, "unlock")


@app.command("disable")
def disable(
    dir: DirOpt, staff_id: Annotated[str, typer.Option(help="Staff id.")], secret: SecretOpt = None
) -> None:
    """Disable a person and end their sessions."""
    _change(dir, staff_id, secret, "disable")
