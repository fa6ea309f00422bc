"""`carechain trust`: create the trust root, certify nodes, revoke keys."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from carechain.cli._common import TrustSecretOpt, fail, handle, secret_or_prompt
from carechain.errors import CarechainError
from carechain.trust import CertRequest
from carechain.trust.authority import TrustHome, certify, revoke

__all__ = ["app"]

app = typer.Typer(
    help="The trust root: create it, certify nodes, revoke keys.", no_args_is_help=True
)
TrustDir = Annotated[Path, typer.Option("--dir", help="The trust root's directory.")]


def _now_ms() -> int:
    return int(datetime.now(UTC).timestamp() * 1000)


@app.command("init")
def init(dir: TrustDir, secret: TrustSecretOpt = None) -> None:
    """Create a trust root (keep its directory offline)."""
    try:
        root = TrustHome(dir).init(secret_or_prompt(secret, "trust secret", confirm=True))
    except CarechainError as exc:
        handle(exc)
    typer.echo(f"trust root created in {dir}")
    typer.echo(f"root public key: {root.public.hex()}")


@app.command("certify")
def certify_cmd(
    request: Annotated[Path, typer.Argument(help="The node's request.cbor.")],
    dir: TrustDir,
    out: Annotated[Path, typer.Option(help="Where to write the certificate entry.")],
    days: Annotated[int, typer.Option(help="Validity in days.")] = 365,
    org: Annotated[str | None, typer.Option(help="Override the organisation.")] = None,
    secret: TrustSecretOpt = None,
) -> None:
    """Sign a node's certificate request (role, organisation, validity window)."""
    try:
        req = CertRequest.from_bytes(request.read_bytes())
        root = TrustHome(dir).unlock(secret_or_prompt(secret, "trust secret"))
        cert, entry = certify(root, req, not_before_ms=_now_ms(), days=days, org=org)
    except CarechainError as exc:
        handle(exc)
    out.write_bytes(entry.to_wire())
    typer.echo(f"certified {cert.name} ({cert.role}, {cert.org}) for {days} days → {out}")


@app.command("revoke")
def revoke_cmd(
    request: Annotated[Path, typer.Argument(help="The revoked node's request.cbor.")],
    dir: TrustDir,
    out: Annotated[Path, typer.Option(help="Where to write the revocation entry.")],
    reason: Annotated[str, typer.Option(help="Why, e.g. 'tablet stolen'.")],
    at: Annotated[
        str | None, typer.Option(help="ISO 8601 time it takes effect (default now).")
    ] = None,
    secret: TrustSecretOpt = None,
) -> None:
    """Revoke a node's key from a time on; import the output on every node."""
    try:
        req = CertRequest.from_bytes(request.read_bytes())
        when = _now_ms() if at is None else int(datetime.fromisoformat(at).timestamp() * 1000)
        root = TrustHome(dir).unlock(secret_or_prompt(secret, "trust secret"))
        entry = revoke(root, sig_key=req.sig_key, at_ms=when, reason=reason)
    except CarechainError as exc:
        handle(exc)
    except ValueError:
        fail("--at must be an ISO 8601 time with a UTC offset")
    out.write_bytes(entry.to_wire())
    typer.echo(f"revoked {req.name} from {at or 'now'} → {out}")
