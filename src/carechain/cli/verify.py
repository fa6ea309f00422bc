"""`carechain verify`: check every entry of a node's store; or, independently, a hub's log
with only the trust's public root key, and sign the report."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import nacl.signing
import typer

from carechain.cli._common import SecretOpt, fail, handle, secret_or_prompt
from carechain.errors import CarechainError
from carechain.node import Node
from carechain.node.home import NodeHome
from carechain.node.verify import verify_node
from carechain.recovery import (
    held_heads,
    load_or_make_key,
    node_location,
    sign_report,
    verify_log,
)
from carechain.store import Store, open_store
from carechain.transparency import SignedTreeHead, log_id_from_key
from carechain.trust import DIRECTORY_RECORD, Directory
from carechain.trust.authority import TrustHome

__all__ = ["verify"]

LogOpt = Annotated[
    str | None,
    typer.Option(
        "--log",
        help="Verify this hub's log independently: its data directory (read only) or its "
        "store URL (postgresql://…). Needs only the trust's public root key.",
    ),
]
TrustDirOpt = Annotated[
    Path | None, typer.Option(help="The trust root's directory (its root.pub is enough).")
]
TrustPublicOpt = Annotated[str | None, typer.Option(help="Or: the trust root public key, hex.")]
HubOpt = Annotated[
    str | None, typer.Option("--hub", help="The hub's name, if the log certifies several.")
]
HeadsOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--heads-from",
        help="A node's data directory whose heads of the log are checked, or DIR=URL when "
        "its store is elsewhere (postgresql://…); repeat it.",
    ),
]
ReportOpt = Annotated[Path | None, typer.Option(help="Write the signed report here (JSON).")]
SignKeyOpt = Annotated[
    Path | None,
    typer.Option(help="Sign the report with this key file (hex seed; made if missing)."),
]
SignNodeOpt = Annotated[
    Path | None,
    typer.Option(help="Or: sign it with this node's key (--secret unlocks it)."),
]


def verify(
    dir: Annotated[Path | None, typer.Option("--dir", help="The node's data directory.")] = None,
    secret: SecretOpt = None,
    log: LogOpt = None,
    trust_dir: TrustDirOpt = None,
    trust_public: TrustPublicOpt = None,
    hub: HubOpt = None,
    heads_from: HeadsOpt = None,
    report: ReportOpt = None,
    sign_key: SignKeyOpt = None,
    sign_node: SignNodeOpt = None,
) -> None:
    """Check encoding, ids, signatures, certificates, revocations, decryption and parents,
    and the log against the node's own signed head of it; or, with --log, a hub's whole log
    and every head the nodes hold of it, and sign the report."""
    if log is not None:
        _independent(log, trust_dir, trust_public, hub, heads_from or [], report,
                      sign_key, sign_node, secret)  # fmt: skip
        return
    if dir is None:
        fail("give --dir (this node's own store) or --log (a hub's log, independently)")
    _own(dir, secret)


def _own(dir: Path, secret: str | None) -> None:
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


def _root(trust_dir: Path | None, trust_public: str | None) -> bytes:
    if (trust_dir is None) == (trust_public is None):
        fail("give one of --trust-dir and --trust-public")
    try:
        return TrustHome(trust_dir).public() if trust_dir else bytes.fromhex(str(trust_public))
    except (OSError, ValueError) as exc:
        fail(f"cannot read the trust root public key: {exc}")


def _open_log(log: str) -> Store:
    if "://" in log:
        return open_store(log)
    home = NodeHome(Path(log))
    if not home.store_file.exists():
        fail(f"{log} holds no node store")
    return open_store(home.store_file)


def _signer(
    sign_key: Path | None, sign_node: Path | None, secret: str | None
) -> nacl.signing.SigningKey:
    if (sign_key is None) == (sign_node is None):
        fail("a report is signed: give one of --sign-key and --sign-node")
    if sign_key is not None:
        return load_or_make_key(sign_key)
    assert sign_node is not None
    return NodeHome(sign_node).keys(secret_or_prompt(secret, "operator secret")).signing_key


def _independent(
    log: str,
    trust_dir: Path | None,
    trust_public: str | None,
    hub: str | None,
    heads_from: list[str],
    report: Path | None,
    sign_key: Path | None,
    sign_node: Path | None,
    secret: str | None,
) -> None:
    root = _root(trust_dir, trust_public)
    try:
        key = _signer(sign_key, sign_node, secret) if report is not None else None
        store = _open_log(log)
        try:
            heads: list[tuple[str, SignedTreeHead]] = []
            logs = _hub_logs(store, root)
            for value in heads_from:
                path, url = node_location(value)
                name = NodeHome(path).info().name
                heads += [(name, h) for lid in logs for h in held_heads(path, lid, url)]
            verdict = verify_log(store, root_public=root, heads=heads, hub_name=hub)
        finally:
            store.close()
    except CarechainError as exc:
        handle(exc)
    for line in verdict.summary():
        typer.echo(line)
    if report is not None and key is not None:
        signed = sign_report({"kind": "carechain-log-verification-v1",
                              "at_ms": int(time.time() * 1000), **verdict.to_dict()}, key)
        report.write_text(json.dumps(signed, indent=2))
        typer.echo(f"report signed by {signed['signer']} written to {report}")
    if not verdict.clean:
        raise typer.Exit(1)


def _hub_logs(store: Store, root: bytes) -> list[bytes]:
    """Return the log id of every hub the log's directory certifies."""
    directory = Directory(root)
    for stored in store.record(DIRECTORY_RECORD):
        try:
            directory.check_signature(stored.entry)
            directory.absorb(stored.entry)
        except CarechainError:
            continue
    return [log_id_from_key(c.sig_key) for c in directory.nodes("hub")]
