"""`carechain sync`: one sync round with each named peer, now."""

from __future__ import annotations

from typing import Annotated

import httpx
import typer

from carechain.cli._common import (
    CaBundleOpt,
    ClientCertOpt,
    ClientKeyOpt,
    DirOpt,
    SecretOpt,
    fail,
    handle,
    secret_or_prompt,
)
from carechain.errors import CarechainError
from carechain.node import Node
from carechain.sync.client import sync_with
from carechain.sync.tls import PeerTLS

__all__ = ["sync"]


def sync(
    dir: DirOpt,
    peer: Annotated[list[str], typer.Option(help="URL of a node to sync with (repeat).")],
    secret: SecretOpt = None,
    ca_bundle: CaBundleOpt = None,
    client_cert: ClientCertOpt = None,
    client_key: ClientKeyOpt = None,
) -> None:
    """Pull from and push to each peer, checking the hub's tree heads; exit 1 on any failure."""
    try:
        tls = PeerTLS(ca_bundle, client_cert, client_key)
        node = Node.open(dir, secret_or_prompt(secret, "operator secret"))
    except CarechainError as exc:
        handle(exc)
    failed = False
    try:
        for url in peer:
            try:
                with tls.http(url, 30.0) as http:
                    report = sync_with(node, http)
            except CarechainError as exc:
                typer.secho(f"{url}: {exc.detail} [{exc.code}]", fg=typer.colors.RED, err=True)
                failed = True
                continue
            except httpx.HTTPError as exc:
                typer.secho(f"{url}: unreachable ({exc})", fg=typer.colors.RED, err=True)
                failed = True
                continue
            typer.echo(report.summary())
    finally:
        node.close()
    if failed:
        fail("some peers could not be synced", code=1)
