"""`carechain backup`: make a node's backup while it serves, check one, restore one."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from carechain.backup import (
    BackupInfo,
    KeyOpener,
    create_backup,
    node_dir_opener,
    own_keys_opener,
    restore_backup,
    verify_backup,
)
from carechain.cli._common import DirOpt, SecretOpt, fail, handle, progress_bar, secret_or_prompt
from carechain.errors import CarechainError
from carechain.node import Node
from carechain.node.home import NodeHome
from carechain.trust.authority import TrustHome

__all__ = ["app"]

app = typer.Typer(
    help="Backups: make one while the node serves, check one, restore one.",
    no_args_is_help=True,
)
DatabaseOpt = Annotated[
    str | None, typer.Option(help="Store URL, e.g. postgresql://… (hub, vault).")
]
TrustDirOpt = Annotated[
    Path | None, typer.Option(help="The trust root's directory (its root.pub is enough).")
]
TrustPublicOpt = Annotated[str | None, typer.Option(help="Or: the trust root public key, hex.")]
VaultDirOpt = Annotated[
    Path | None,
    typer.Option(
        help="Open the backup as this records vault (its data directory; --secret is then "
        "the vault's operator secret). Also gives the trust root if none is named."
    ),
]


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds")


def _root(trust_dir: Path | None, trust_public: str | None, vault_dir: Path | None) -> bytes:
    """Return the trust root public key the backup must be of."""
    if trust_dir is not None and trust_public is not None:
        fail("give at most one of --trust-dir and --trust-public")
    try:
        if trust_dir is not None:
            return TrustHome(trust_dir).public()
        if trust_public is not None:
            return bytes.fromhex(trust_public)
        if vault_dir is not None:
            return bytes.fromhex(NodeHome(vault_dir).info().root_public)
    except CarechainError as exc:
        handle(exc)
    except (OSError, ValueError):
        fail("--trust-dir or --trust-public does not give a trust root public key")
    fail("name the trust: --trust-dir, --trust-public or --vault-dir")


def _opener(vault_dir: Path | None, secret: str | None) -> KeyOpener:
    what = "the vault's operator secret" if vault_dir else "the node's operator secret"
    given = secret_or_prompt(secret, what)
    return node_dir_opener(vault_dir, given) if vault_dir else own_keys_opener(given)


def _describe(info: BackupInfo) -> str:
    m = info.manifest
    return (
        f"backup of {m['role']} node {m['node']!r} (key {m['key'].hex()[:16]}…) made "
        f"{_when(m['created'])}: {m['entries']} entries (seq {m['first_seq']}–{m['last_seq']}), "
        f"{m['meta']} meta rows, {m['accounts']} accounts; log root {m['tree_root'].hex()[:16]}…"
    )


@app.command("create")
def create(
    dir: DirOpt,
    out: Annotated[Path, typer.Option(help="Where to write the backup file.")],
    database: DatabaseOpt = None,
    secret: SecretOpt = None,
) -> None:
    """Back up a node while it serves: log, meta, accounts and sealed keys, encrypted."""
    try:
        node = Node.open(dir, secret_or_prompt(secret, "operator secret"), store_url=database)
    except CarechainError as exc:
        handle(exc)
    try:
        result = create_backup(node, dir, out)
    except CarechainError as exc:
        handle(exc)
    finally:
        node.close()
    m = result.manifest
    typer.echo(
        f"{out}: {m['entries']} entries (seq {m['first_seq']}–{m['last_seq']}), "
        f"{m['meta']} meta rows, {m['accounts']} accounts, {result.bytes} bytes in "
        f"{result.seconds:.1f} s; sealed to {', '.join(_sealed_to(out))}"
    )


def _sealed_to(path: Path) -> list[str]:
    from carechain.backup import BackupReader

    with BackupReader(path) as reader:
        return [f"{s['role']} {s['name']}" for s in reader.header.get("to", [])]


@app.command("verify")
def verify(
    file: Annotated[Path, typer.Argument(help="The backup file.")],
    trust_dir: TrustDirOpt = None,
    trust_public: TrustPublicOpt = None,
    deep: Annotated[
        bool,
        typer.Option(
            help="Also decrypt and check every entry and the tree root (needs the node's "
            "operator secret, or --vault-dir and the vault's)."
        ),
    ] = False,
    vault_dir: VaultDirOpt = None,
    secret: SecretOpt = None,
) -> None:
    """Check a backup without the operator secret: signed manifest, trust, every chunk."""
    root = _root(trust_dir, trust_public, vault_dir)
    opener = _opener(vault_dir, secret) if deep else None
    try:
        report = verify_backup(file, root, opener=opener)
    except CarechainError as exc:
        handle(exc)
    typer.echo(_describe(report.info))
    typer.echo(
        f"manifest signed by {report.info.certificate.name!r}, certified by this trust; "
        f"{report.chunks} chunks, {report.size} bytes: every hash matches, nothing missing"
    )
    if not report.opened:
        return
    for f in report.findings:
        typer.echo(f"BAD seq {f.seq} entry {f.entry}: {f.code}: {f.detail}")
    if report.findings:
        typer.echo(f"{len(report.findings)} bad of {report.entries_checked} entries")
        raise typer.Exit(1)
    typer.echo(
        f"opened: all {report.entries_checked} entries verify; counts and tree root match"
    )


def _bar(done: int, total: int) -> None:
    progress_bar(done, total, "entries")


@app.command("restore")
def restore(
    file: Annotated[Path, typer.Argument(help="The backup file.")],
    dir: Annotated[
        Path, typer.Option("--dir", help="The new data directory (absent or empty).")
    ],
    database: Annotated[
        str | None,
        typer.Option(help="Restore the log into this (empty) database, e.g. postgresql://…"),
    ] = None,
    trust_dir: TrustDirOpt = None,
    trust_public: TrustPublicOpt = None,
    node: Annotated[
        str | None, typer.Option(help="Refuse unless the backup is of the node of this name.")
    ] = None,
    vault_dir: VaultDirOpt = None,
    secret: SecretOpt = None,
) -> None:
    """Restore a backup into a new data directory (and database), all or nothing."""
    root = _root(trust_dir, trust_public, vault_dir)
    try:
        result = restore_backup(
            file,
            dir,
            root_public=root,
            opener=_opener(vault_dir, secret),
            database=database,
            expect_node=node,
            progress=_bar,
        )
    except CarechainError as exc:
        handle(exc)
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    m = result.manifest
    where = f"{dir}" + (f" with its log in {database.split('@')[-1]}" if database else "")
    typer.echo(
        f"restored {m['role']} node {m['node']!r} into {where}: {m['entries']} entries "
        f"(seq {m['first_seq']}–{m['last_seq']}), {m['meta']} meta rows, {m['accounts']} "
        f"accounts in {result.seconds:.1f} s"
        + (" (the database already held it; finished the directory)" if result.resumed else "")
    )
