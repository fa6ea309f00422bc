"""The `carechain` command: one module per command group."""

from __future__ import annotations

import typer

from carechain.cli import (
    account,
    alerts,
    backup,
    demo,
    export,
    hub,
    node,
    serve,
    sync,
    token,
    trust,
    verify,
)

__all__ = ["app", "main"]

app = typer.Typer(
    name="carechain",
    help="Patient care records for ambulance services that keep working when a server is lost.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(trust.app, name="trust")
app.add_typer(node.app, name="node")
app.add_typer(account.app, name="account")
app.add_typer(alerts.app, name="alerts")
app.add_typer(token.app, name="token")
app.add_typer(export.export_app, name="export")
app.add_typer(export.import_app, name="import")
app.add_typer(backup.app, name="backup")
app.add_typer(hub.app, name="hub")
app.command("serve")(serve.serve)
app.command("sync")(sync.sync)
app.command("verify")(verify.verify)
app.command("demo")(demo.demo)


def main() -> None:
    """Run the command line."""
    app()
