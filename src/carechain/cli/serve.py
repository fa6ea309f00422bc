"""`carechain serve`: run a node's HTTP API."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from carechain.api import create_app
from carechain.cli._common import DirOpt, SecretOpt, fail, handle, secret_or_prompt
from carechain.errors import CarechainError
from carechain.node import Node

__all__ = ["serve"]


def serve(
    dir: DirOpt,
    role: Annotated[str | None, typer.Option(help="Refuse to start unless the node has this role.")] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8470,
    secret: SecretOpt = None,
) -> None:
    """Run the node's HTTP API (OpenAPI schema at /openapi.json)."""
    try:
        node = Node.open(dir, secret_or_prompt(secret, "operator secret"))
    except CarechainError as exc:
        handle(exc)
    if role is not None and role != node.info.role:
        fail(f"this node's role is {node.info.role!r}, not {role!r}")
    typer.echo(f"{node.info.role} node {node.info.name!r} on http://{host}:{port}")
    try:
        uvicorn.run(create_app(node), host=host, port=port, log_level="warning")
    finally:
        node.close()
