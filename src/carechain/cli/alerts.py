"""`carechain alerts`: the integrity alerts a node has raised (about hubs, and about entries
other nodes sent it or refused), and letting it sync with a hub again once an operator has
dealt with them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from carechain.cli._common import DirOpt, SecretOpt, fail, handle, secret_or_prompt
from carechain.cli._door import open_door
from carechain.errors import CarechainError, FieldInvalid
from carechain.node import Node
from carechain.operations import Actor, admin
from carechain.sync.heads import HeadKeeper

__all__ = ["app"]

app = typer.Typer(
    help="Hub integrity alerts: list them, and let the node sync with a hub again.",
    no_args_is_help=True,
)


def _open(dir: DirOpt, secret: str | None) -> Node:
    try:
        return Node.open(dir, secret_or_prompt(secret, "operator secret"))
    except CarechainError as exc:
        handle(exc)


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds")


@app.command("list")
def list_alerts(dir: DirOpt, secret: SecretOpt = None) -> None:
    """Show every integrity alert this node raised, and the hubs it no longer syncs with."""
    node = _open(dir, secret)
    try:
        keeper = HeadKeeper(node.store, node.directory)
        alerts = keeper.alerts()
        for alert in alerts:
            typer.echo(f"{_when(alert.at_ms)}  {alert.hub}  {alert.kind}  {alert.detail}")
        for log_id, kind in sorted(keeper.blocked_logs().items()):
            cert = keeper.hub_for(log_id)
            name = cert.name if cert is not None else log_id.hex()[:16]
            typer.secho(f"blocked: {name} ({kind})", fg=typer.colors.RED)
        if not alerts:
            typer.echo("no integrity alerts")
    finally:
        node.close()


@app.command("clear")
def clear_alert(
    dir: DirOpt,
    hub: Annotated[str, typer.Option(help="Name of the hub to sync with again.")],
    reason: Annotated[
        str, typer.Option(help="Why it is safe to: what was found (kept in the audit trail).")
    ],
    by: Annotated[str, typer.Option("--by", help="Staff id of the operator clearing it.")],
    forget_head: Annotated[
        bool,
        typer.Option(
            "--forget-head",
            help="Also forget the last head accepted from the hub, so its next head is taken "
            "as a first one (only when the trust has rebuilt the hub's log).",
        ),
    ] = False,
    secret: SecretOpt = None,
) -> None:
    """Let the node sync with a hub it stopped after an alert; the alerts stay listed."""
    if not reason.strip():
        fail("--reason: say why it is safe to sync with the hub again")
    try:
        with open_door(dir, secret) as door:
            admin.unblock_hub(door, Actor.operator(by), hub=hub, reason=reason,
                              forget_head=forget_head)
    except FieldInvalid as exc:
        fail(f"--{exc.field}: {exc.rule}")
    except CarechainError as exc:
        handle(exc)
    typer.echo(
        f"{hub}: syncing allowed again"
        + (" (its next head will be taken as a first one)" if forget_head else "")
    )
