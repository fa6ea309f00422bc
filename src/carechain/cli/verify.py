"""`carechain verify`: check every entry of a node's store."""

from __future__ import annotations

import typer

from carechain.cli._common import DirOpt, SecretOpt, handle, secret_or_prompt
from carechain.errors import CarechainError
from carechain.node import Node
from carechain.node.verify import verify_node

__all__ = ["verify"]


def verify(dir: DirOpt, secret: SecretOpt = None) -> None:
    """Check encoding, ids, signatures, certificates, revocations, decryption and parents,
    and the log against the node's own signed head of it."""
    try:
        node = Node.open(dir, secret_or_prompt(secret, "operator secret"))
    except CarechainError as exc:
        handle(exc)
    try:
        total = node.store.count()
        findings = verify_node(node)
    finally:
        node.close()
    bad = [f for f in findings if f.entry]
    log = [f for f in findings if not f.entry]  # the log as a whole, against its head
    for f in bad:
        typer.echo(f"BAD seq {f.seq} entry {f.entry}: {f.code}: {f.detail}")
    for f in log:
        typer.echo(f"BAD log from seq {f.seq}: {f.code}: {f.detail}")
    verdict = (
        f"{len(bad)} bad entr{'y' if len(bad) == 1 else 'ies'} of {total}"
        if bad
        else f"all {total} entries verify"
    )
    if log:
        verdict += "; the log is not the one this node signed"
    typer.echo(verdict)
    if findings:
        raise typer.Exit(1)
