"""`carechain node`: create a node's keys, enroll it, import directory entries, give it new
keys, show the hub heads it holds."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from carechain.cli._common import DirOpt, SecretOpt, fail, handle, secret_or_prompt
from carechain.entries import decode_entry
from carechain.errors import CarechainError
from carechain.node import Node, enroll, init_node, rekey
from carechain.store.sealed import read_head
from carechain.sync.heads import HeadKeeper
from carechain.trust import ROLES
from carechain.trust.authority import TrustHome

__all__ = ["app"]

app = typer.Typer(
    help="A node: create its keys, enroll it, import directory entries, re-key it.",
    no_args_is_help=True,
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
    empty_log: Annotated[
        bool,
        typer.Option(
            help="Check the certificate but keep the log empty: a hub under a new key that "
            "takes over a lost log (import the certificate after `carechain hub rebuild`)."
        ),
    ] = False,
) -> None:
    """Install the trust root and this node's certificate."""
    if (trust_public is None) == (trust_dir is None):
        fail("give exactly one of --trust-public and --trust-dir")
    try:
        root = TrustHome(trust_dir).public() if trust_dir else bytes.fromhex(trust_public or "")
        cert = enroll(
            dir, root_public=root, certificate=certificate.read_bytes(), empty_log=empty_log
        )
    except CarechainError as exc:
        handle(exc)
    except ValueError:
        fail("--trust-public must be 64 hex digits")
    typer.echo(f"enrolled {cert.name} ({cert.role}, {cert.org})")
    if empty_log:
        typer.echo(f"its log is empty: import {certificate} after the rebuild")


@app.command("import")
def import_cmd(
    files: Annotated[
        list[Path],
        typer.Argument(help="Directory entries (certificates, revocations, hub key transitions)."),
    ],
    dir: DirOpt,
    secret: SecretOpt = None,
) -> None:
    """Verify and store directory entries: certificates, revocations, hub key transitions."""
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


@app.command("rekey")
def rekey_cmd(
    dir: DirOpt,
    database: Annotated[
        str | None,
        typer.Option("--database", help="The node's store URL if not its data directory."),
    ] = None,
    secret: SecretOpt = None,
) -> None:
    """Give the node new keys (the old ones lost or stolen) and a new certificate request.

    The log is checked against the head the old key signed first; the old keys file is kept
    as keys.replaced.sealed until the trust has used it (`trust rotate-hub --cosign`).
    """
    try:
        request = rekey(
            dir,
            secret=secret_or_prompt(secret, "operator secret", confirm=True),
            now_ms=int(datetime.now(UTC).timestamp() * 1000),
            store_url=database,
        )
    except CarechainError as exc:
        handle(exc)
    typer.echo(
        f"{request.role} node {request.name!r} has new key {request.sig_key.hex()[:16]}; "
        f"take {dir / 'request.cbor'} to the trust"
    )


@app.command("heads")
def heads_cmd(dir: DirOpt, secret: SecretOpt = None) -> None:
    """Show the last head of each hub's log this node accepted, and the head of its own
    log (on a stopped hub, the largest head any node can hold): what a trust vouches for."""
    try:
        node = Node.open(dir, secret_or_prompt(secret, "operator secret"))
    except CarechainError as exc:
        handle(exc)
    try:
        own = read_head(node.store)
        if own is not None:
            when = datetime.fromtimestamp(own.head.timestamp_ms / 1000, UTC)
            typer.echo(
                f"own log  key {node.keys.sign_public.hex()}  size {own.size}  "
                f"root {own.root.hex()}  {when.isoformat(timespec='seconds')}"
            )
        keeper = HeadKeeper(node.store, node.directory)
        heads = keeper.heads()
        for sth in heads:
            cert = keeper.hub_for(sth.head.log_id)
            when = datetime.fromtimestamp(sth.head.timestamp_ms / 1000, UTC)
            typer.echo(
                f"{cert.name if cert else '?'}  key {cert.sig_key.hex() if cert else '?'}  "
                f"size {sth.size}  root {sth.root.hex()}  {when.isoformat(timespec='seconds')}"
            )
        if not heads:
            typer.echo("no hub heads accepted yet")
    finally:
        node.close()
