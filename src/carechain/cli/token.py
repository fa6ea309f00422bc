"""`carechain token`: bearer tokens for API clients (a hospital EPR, a script, a CAD feed)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

import typer

from carechain.cli._common import DirOpt, SecretOpt, handle
from carechain.cli._door import DatabaseOpt, open_door, operator
from carechain.errors import CarechainError, FieldInvalid
from carechain.operations import admin

__all__ = ["app", "parse_lifetime"]

app = typer.Typer(help="API clients' bearer tokens: issue, list, revoke.", no_args_is_help=True)

_UNITS = {"h": 3_600_000, "d": 86_400_000}


def parse_lifetime(text: str) -> int:
    """Return a lifetime like `12h` or `30d` in milliseconds."""
    found = re.fullmatch(r"\s*(\d{1,4})\s*([hd])\s*", text)
    if found is None:
        raise FieldInvalid("expires", "must be a number of hours or days, e.g. 12h or 30d")
    return int(found.group(1)) * _UNITS[found.group(2)]


def _when(ms: int | None) -> str:
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


@app.command("issue")
def issue(
    dir: DirOpt,
    name: Annotated[str, typer.Option(help="Who the client is, e.g. 'ED EPR integration'.")],
    role: Annotated[
        str | None,
        typer.Option(help="The client's role (any role of the node but admin); with --staff, "
                     "the staff member's."),
    ] = None,
    staff: Annotated[
        str | None, typer.Option(help="Act as this staff member (their role, while enabled).")
    ] = None,
    expires: Annotated[str, typer.Option(help="Lifetime: hours or days, e.g. 12h, 30d.")] = "30d",
    secret: SecretOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """Issue a token; it is printed once and stored nowhere (only its hash is kept)."""
    try:
        lifetime = parse_lifetime(expires)
        with open_door(dir, secret, database) as door, door.unit() as uow:
            client, token = admin.issue_client(
                door, operator(), uow, name=name, role=role, staff_id=staff,
                expires_ms=door.now_ms() + lifetime,
            )
    except CarechainError as exc:
        handle(exc)
    typer.echo(f"issued {client.client_id} to {client.name!r} as {client.role}"
               + (f" acting as {client.staff_id}" if client.staff_id else "")
               + f", expires {_when(client.expires_ms)}")
    typer.echo(f"token (shown once): {token}")


@app.command("list")
def list_tokens(dir: DirOpt, secret: SecretOpt = None, database: DatabaseOpt = None) -> None:
    """List API clients: id, name, role, expiry, revocation, last use (never tokens)."""
    try:
        with open_door(dir, secret, database) as door:
            clients = admin.list_clients(door, operator())
            now = door.now_ms()
    except CarechainError as exc:
        handle(exc)
    for c in clients:
        status = ("revoked " + _when(c.revoked_ms)) if c.revoked_ms is not None else (
            "live" if c.live(now) else "expired")
        acts = f" as {c.staff_id}" if c.staff_id else ""
        typer.echo(f"{c.client_id}  {c.role:13} {c.name}{acts}  expires {_when(c.expires_ms)}"
                   f"  last used {_when(c.last_used_ms)}  {status}")


@app.command("revoke")
def revoke(
    dir: DirOpt,
    client_id: Annotated[str, typer.Argument(help="The client id `token list` shows.")],
    secret: SecretOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """Revoke a token now; every process sharing the node's accounts refuses it at once."""
    try:
        with open_door(dir, secret, database) as door, door.unit() as uow:
            client = admin.revoke_client(door, operator(), uow, client_id=client_id)
    except CarechainError as exc:
        handle(exc)
    typer.echo(f"revoked {client.client_id} ({client.name!r}) at {_when(client.revoked_ms)}")
