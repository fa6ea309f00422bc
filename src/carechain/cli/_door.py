"""The CLI's way in: open a node and its accounts as the door, acting as the operator."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from carechain.cli._common import secret_or_prompt
from carechain.node import Node
from carechain.operations import Actor, Door
from carechain.operations.door import open_accounts

__all__ = ["DatabaseOpt", "open_door", "operator"]

DatabaseOpt = Annotated[
    str | None,
    typer.Option(
        "--database",
        help="The node's store URL if not its data directory (postgresql://…): its accounts "
        "live there too.",
    ),
]


@contextmanager
def open_door(dir: Path, secret: str | None, database: str | None = None) -> Iterator[Door]:
    """Open the node in `dir` (with its store at `database`, if given) and its accounts."""
    node = Node.open(dir, secret_or_prompt(secret, "operator secret"), store_url=database)
    try:
        accounts = open_accounts(dir, node, database)
        try:
            yield Door(node, accounts)
        finally:
            accounts.close()
    finally:
        node.close()


def operator() -> Actor:
    """Return the actor the CLI acts as: the node's operator, holding its secret."""
    return Actor.operator()
