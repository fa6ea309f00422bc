"""`carechain verify`: check every entry of a node's store."""

from __future__ import annotations

import typer

from carechain.cli._common import DirOpt, SecretOpt, handle, secret_or_prompt
from carechain.errors import CarechainError
from carechain.node import Node
from carechain.node.verify import verify_node

__all__ = ["verify"]


def verify(dir: DirOpt, secret: SecretOpt = None) -> None:
    """Check encoding, ids, signatures, certificates, revocations, decryption and parents."""
    try:
        node = Node.open(dir, secret_or_prompt(secret, "operator secret"))
    except CarechainError as exc:
        handle(exc)
    try:
        total = node.store.count()
        findings = verify_node(node)
    finally:
        node.close()
    for f in findings:
        typer.echo(f"BAD seq {f.seq} entry {f.entry}: {f.code}: {f.detail}")
    if findings:
        typer.echo(f"{len(findings)} bad entr{'y' if len(findings) == 1 else 'ies'} of {total}")
        raise typer.Exit(1)
    typer.echo(f"all {total} entries verify")
