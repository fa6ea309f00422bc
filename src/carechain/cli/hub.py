"""`carechain hub`: rebuild a lost or distrusted hub's log from the survivors."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from carechain.cli._common import DirOpt, SecretOpt, fail, handle, progress_bar, secret_or_prompt
from carechain.errors import CarechainError
from carechain.node import Node
from carechain.recovery import BATCH, Survivor, node_location, open_survivor, rebuild_hub

__all__ = ["app"]

app = typer.Typer(help="The hub: rebuild its log from the survivors.", no_args_is_help=True)


@app.command("rebuild")
def rebuild(
    dir: DirOpt,
    survivor: Annotated[
        list[str],
        typer.Option(
            "--from",
            help="A surviving node's data directory (a vault, a hospital, a crew node), or "
            "DIR=URL when its store is elsewhere (postgresql://…); repeat it. Read only; no "
            "secret needed.",
        ),
    ],
    secret: SecretOpt = None,
    database: Annotated[
        str | None, typer.Option(help="The hub's store URL, e.g. postgresql://…, if not SQLite.")
    ] = None,
    report: Annotated[
        Path | None, typer.Option(help="Write the rebuild report here, as JSON.")
    ] = None,
    log_key: Annotated[
        str | None,
        typer.Option(
            help="The public signing key (hex) of the lost log, when the hub now has a new "
            "key the trust certified; default: the hub's own key."
        ),
    ] = None,
    batch: Annotated[
        int, typer.Option(min=1, help="Positions checked and stored per transaction.")
    ] = BATCH,
) -> None:
    """Put every entry of the hub's lost log back at its old position, from the survivors;
    run it again after an interruption to go on. Exits 1 if anything is lost."""
    try:
        old_key = bytes.fromhex(log_key) if log_key else None
    except ValueError:
        old_key = None
    if log_key and (old_key is None or len(old_key) != 32):
        fail("--log-key must be a 32-byte public key in hex")
    try:
        node = Node.open(dir, secret_or_prompt(secret, "operator secret"), store_url=database)
    except CarechainError as exc:
        handle(exc)
    opened: list[Survivor] = []
    try:
        root = node.directory.root_public
        old = old_key or node.keys.sign_public
        for value in survivor:
            path, url = node_location(value)
            opened.append(open_survivor(path, root_public=root, hub_key=old, store_url=url))
        result = rebuild_hub(node, opened, batch=batch, progress=progress_bar, log_key=old)
    except CarechainError as exc:
        handle(exc)
    finally:
        for s in opened:
            s.close()
        node.close()
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    for line in result.summary():
        typer.echo(line)
    if report is not None:
        report.write_text(json.dumps(result.to_dict(), indent=2))
    if not result.complete:
        raise typer.Exit(1)
