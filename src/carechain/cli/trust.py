"""`carechain trust`: create the trust root, certify nodes, revoke keys, move a hub's log
to a new key."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from carechain.cli._common import TrustSecretOpt, fail, handle, secret_or_prompt
from carechain.entries import canonical, decode_entry
from carechain.errors import CarechainError, InvalidInput
from carechain.trust import Certificate, CertRequest, NodeKeys, open_file
from carechain.trust.authority import TrustHome, certify, hand_over, revoke

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


def _public_key_of(path: Path, root_public: bytes, name: str) -> tuple[str, bytes]:
    """Return the name and signing key in a node's request or certificate entry file, or
    the key itself given in hex (a hub lost with its files: `carechain node heads` shows
    it) for the node `name`."""
    text = str(path)
    if len(text) == 64 and not path.exists():
        try:
            return name, bytes.fromhex(text)
        except ValueError:
            pass
    data = path.read_bytes()
    try:
        req = CertRequest.from_bytes(data)
        return req.name, req.sig_key
    except CarechainError:
        pass
    entry = decode_entry(data)
    body = canonical.decode(entry.body)
    if not isinstance(body, dict) or body.get("kind") != "certificate":
        raise InvalidInput(f"{path.name} is neither a certificate request nor a certificate")
    cert = Certificate.from_map(body.get("cert"), root_public)
    return cert.name, cert.sig_key


@app.command("rotate-hub")
def rotate_hub(
    request: Annotated[Path, typer.Argument(help="The new hub key's request.cbor.")],
    dir: TrustDir,
    old: Annotated[
        Path,
        typer.Option(
            help="The old hub key's request.cbor or certificate entry, or its public key in "
            "hex (as `carechain node heads` shows it) when the hub is lost with its files."
        ),
    ],
    size: Annotated[
        int, typer.Option(help="Size of the last head of the old key the trust vouches for.")
    ],
    root: Annotated[str, typer.Option(help="Root of that head, hex.")],
    out_dir: Annotated[
        Path,
        typer.Option(help="Where to write certificate.cbor, transition.cbor and revocation.cbor."),
    ],
    days: Annotated[int, typer.Option(help="Validity of the new key's certificate in days.")] = 365,
    reason: Annotated[
        str, typer.Option(help="Why the old key is revoked, e.g. 'hub key stolen'.")
    ] = "hub key replaced",
    cosign: Annotated[
        Path | None,
        typer.Option(
            help="The old key's sealed keys file (keys.replaced.sealed), if still at hand: "
            "it co-signs."
        ),
    ] = None,
    cosign_secret: Annotated[
        str | None,
        typer.Option(help="Operator secret of the old keys file (prompted if --cosign is given)."),
    ] = None,
    secret: TrustSecretOpt = None,
) -> None:
    """Move a hub's log to a new key: certify it, state the transition, revoke the old key.

    Import the three files on the new hub, then on every node (they also reach nodes by sync).
    """
    try:
        home = TrustHome(dir)
        new = CertRequest.from_bytes(request.read_bytes())
        old_name, old_key = _public_key_of(old, home.public(), new.name)
        if new.role != "hub" or new.name != old_name:
            raise InvalidInput(f"the new request must be for hub {old_name!r}, with role hub")
        tree_root = bytes.fromhex(root)
        old_keys = None
        if cosign is not None:
            sealed = open_file(cosign, secret_or_prompt(cosign_secret, "old operator secret"))
            old_keys = NodeKeys.from_secret(sealed)
        trust_root = home.unlock(secret_or_prompt(secret, "trust secret"))
        now = _now_ms()
        _, cert_entry = certify(trust_root, new, not_before_ms=now, days=days)
        _, transition = hand_over(
            trust_root,
            old_key=old_key,
            new_key=new.sig_key,
            size=size,
            tree_root=tree_root,
            at_ms=now,
            old_keys=old_keys,
        )
        revocation = revoke(trust_root, sig_key=old_key, at_ms=now, reason=reason)
    except CarechainError as exc:
        handle(exc)
    except ValueError:
        fail("--root must be 64 hex digits")
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, entry in (
        ("certificate.cbor", cert_entry),
        ("transition.cbor", transition),
        ("revocation.cbor", revocation),
    ):
        (out_dir / name).write_bytes(entry.to_wire())
    signed = "root and old key" if old_keys is not None else "root"
    typer.echo(
        f"hub {old_name}: log moves to key {new.sig_key.hex()[:16]} after the head of size "
        f"{size}; signed by the {signed}; old key revoked → {out_dir}"
    )
