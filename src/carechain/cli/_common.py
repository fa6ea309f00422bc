"""Options and helpers shared by the command groups."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from carechain.errors import CarechainError

__all__ = [
    "CaBundleOpt",
    "ClientCertOpt",
    "ClientKeyOpt",
    "DirOpt",
    "SecretOpt",
    "TrustSecretOpt",
    "fail",
    "progress_bar",
    "secret_or_prompt",
]

DirOpt = Annotated[Path, typer.Option("--dir", help="The node's data directory.")]
SecretOpt = Annotated[
    str | None,
    typer.Option(
        "--secret",
        envvar="CARECHAIN_SECRET",
        show_envvar=True,
        help="Operator secret that unlocks the node's keys (prompted if not given).",
    ),
]
TrustSecretOpt = Annotated[
    str | None,
    typer.Option(
        "--secret",
        envvar="CARECHAIN_TRUST_SECRET",
        show_envvar=True,
        help="Secret that unlocks the trust root key (prompted if not given).",
    ),
]
# The trust's own PKI on calls to peers (`serve` and `sync`):
CaBundleOpt = Annotated[Path | None, typer.Option(
    help="Check peers' certificates against this CA bundle (PEM) instead of the system's.")]
ClientCertOpt = Annotated[Path | None, typer.Option(
    help="Present this certificate to peers that ask for one (mutual TLS; PEM).")]
ClientKeyOpt = Annotated[Path | None, typer.Option(help="The private key of --client-cert (PEM).")]


def secret_or_prompt(secret: str | None, what: str, *, confirm: bool = False) -> str:
    """Return the given secret, or ask for it on the terminal."""
    if secret:
        return secret
    if not sys.stdin.isatty():
        fail(f"no {what}: pass --secret or set the environment variable")
    value: str = typer.prompt(what, hide_input=True, confirmation_prompt=confirm)
    return value


def fail(message: str, code: int = 2) -> NoReturn:
    """Print an error and exit non-zero."""
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def handle(exc: CarechainError) -> NoReturn:
    """Report a deliberate error and exit 2."""
    fail(f"{exc.detail} [{exc.code}]")


def progress_bar(done: int, total: int, unit: str = "") -> None:
    """Draw a long command's progress on stderr when it is a terminal."""
    if not sys.stderr.isatty():
        return
    width = 40
    filled = width if total <= 0 else min(width, width * done // max(total, 1))
    label = f" {unit}" if unit else ""
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}{label}")
    sys.stderr.flush()
