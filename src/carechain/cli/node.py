"""`carechain node`: create a node's keys, enroll it, import directory entries."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from carechain.cli._common import DirOpt, SecretOpt, fail, handle, secret_or_prompt
from carechain.entries import decode_entry
from carechain.errors import CarechainError
from carechain.node import Node, enroll, init_node
from carechain.trust import ROLES
from carechain.trust.authority import TrustHome

__all__ = ["app"]

app = typer.Typer(
    help="A node: create its keys, enroll it, import directory entries.", no_args_is_help=True
)


@app.command("init")
def init(
    dir: DirOpt,
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}.")],
    name: Annotated[str, typer.Option(help="The node's name, e.g. 'crew-ambulance-412'.")],
    org: Annotated[str, typer.Option(help="The organisation, e.g. the trust's name.")],
    secret: SecretOpt = None,
) -> None:
    """Create a node's keys (sealed under the operator secret) and a certificate request."""
    if role not in ROLES:
        fail(f"--role must be one of {', '.join(ROLES)}")
    try:
        init_node(
            dir,
            name=name,
            role=role,
            org=org,
            secret=secret_or_prompt(secret, "operator secret", confirm=True),
        )
    except CarechainError as exc:
        handle(exc)
    typer.echo(f"{role} node {name!r} created; take {dir / 'request.cbor'} to the trust")


@app.command("enroll")
def enroll_cmd(
    certificate: Annotated[Path, typer.Argument(help="The certificate entry from the trust.")],
    dir: DirOpt,
    trust_public: Annotated[
        str | None, typer.Option(help="The trust root public key, hex.")
    ] = None,
    trust_dir: Annotated[Path | None, typer.Option(help="Or: the trust root's directory.")] = None,
) -> None:
    """Install the trust root and this node's certificate."""
    if (trust_public is None) == (trust_dir is None):
        fail("give exactly one of --trust-public and --trust-dir")
    try:
        root = TrustHome(trust_dir).public() if trust_dir else bytes.fromhex(trust_public or "")
        cert = enroll(dir, root_public=root, certificate=certificate.read_bytes())
    except CarechainError as exc:
        handle(exc)
    except ValueError:
        fail("--trust-public must be 64 hex digits")
    typer.echo(f"enrolled {cert.name} ({cert.role}, {cert.org})")


@app.command("import")
def import_cmd(
    files: Annotated[
        list[Path], typer.Argument(help="Directory entries (certificates, revocations).")
    ],
    dir: DirOpt,
    secret: SecretOpt = None,
) -> None:
    """Verify and store directory entries: other nodes' certificates, revocations."""
    try:
        node = Node.open(dir, secret_or_prompt(secret, "operator secret"))
        results = node.ingest([decode_entry(f.read_bytes()) for f in files])
        node.close()
    except CarechainError as exc:
        handle(exc)
    for f, r in zip(files, results, strict=True):
        if r.error is not None:
            fail(f"{f}: {r.error.detail} [{r.error.code}]")
        typer.echo(f"{f}: {'stored' if r.new else 'already held'} at {r.seq}")
