"""Administration through the door: accounts and API clients, each change audited in the
same unit of work as nothing else it could be separated from."""

from __future__ import annotations

import json
from typing import Any

from carechain.accounts import Person
from carechain.accounts.clients import Client
from carechain.errors import FieldInvalid, Forbidden, InvalidInput
from carechain.node import Unit
from carechain.node.progress import VERIFICATION_KEY, write_status
from carechain.operations.actor import Actor
from carechain.operations.door import Door
from carechain.recovery import check_signed_report
from carechain.sync.heads import HeadKeeper
from carechain.transparency import log_id_from_key

__all__ = [
    "MAX_REPORT_BYTES",
    "create_person",
    "disable_person",
    "file_verification",
    "issue_client",
    "list_clients",
    "reset_totp",
    "revoke_client",
    "unblock_hub",
    "unlock_person",
]


def _permit(actor: Actor, action: str) -> None:
    if not actor.can(action):
        raise Forbidden(f"a {actor.role} may not {action}", action=action, role=actor.role)


def create_person(
    door: Door, actor: Actor, uow: Unit, *, staff_id: str, display_name: str, role: str,
    secret: str, totp: bool | None = None, issuer: str = "carechain",
) -> tuple[Person, str | None]:
    """Add an account; return it and the TOTP URI to show once (admins)."""
    _permit(actor, "account.manage")
    person, uri = door.accounts.create_person(
        staff_id, display_name, role, secret, node_role=door.node.info.role,
        now_ms=door.now_ms(), totp=totp, issuer=issuer,
    )
    door.audit(actor, uow, "account.create", detail={
        "target": person.staff_id, "target_role": person.role, "totp": person.has_totp})
    return person, uri


def unlock_person(door: Door, actor: Actor, uow: Unit, *, staff_id: str) -> Person:
    """Clear a lockout (audited as `account.lock` with `change` `unlock`)."""
    _permit(actor, "account.manage")
    person = door.accounts.unlock(staff_id)
    door.audit(actor, uow, "account.lock", detail={
        "target": person.staff_id, "target_role": person.role, "change": "unlock",
        "method": "admin"})
    return person


def disable_person(door: Door, actor: Actor, uow: Unit, *, staff_id: str) -> Person:
    """Disable an account and end its sessions and tokens (`account.lock`, `disable`)."""
    _permit(actor, "account.manage")
    person = door.accounts.disable(staff_id)
    door.audit(actor, uow, "account.lock", detail={
        "target": person.staff_id, "target_role": person.role, "change": "disable"})
    return person


def reset_totp(door: Door, actor: Actor, uow: Unit, *, staff_id: str) -> str:
    """Give an account a new TOTP secret; return the URI to show once."""
    _permit(actor, "account.manage")
    uri = door.accounts.reset_totp(staff_id)
    door.audit(actor, uow, "account.totp_reset", detail={"target": staff_id})
    return uri


def issue_client(
    door: Door, actor: Actor, uow: Unit, *, name: str, role: str | None, staff_id: str | None,
    expires_ms: int,
) -> tuple[Client, str]:
    """Issue a bearer token to a named API client; return it and the token (shown once)."""
    _permit(actor, "account.manage")
    client, token = door.accounts.issue_client(
        name, role=role, staff_id=staff_id, expires_ms=expires_ms, issued_by=actor.user,
        now_ms=door.now_ms(),
    )
    door.audit(actor, uow, "client.issue", detail=_client_detail(client))
    return client, token


def revoke_client(door: Door, actor: Actor, uow: Unit, *, client_id: str) -> Client:
    """Revoke a client's token at once (every process sharing the accounts sees it)."""
    _permit(actor, "account.manage")
    client = door.accounts.revoke_client(client_id, now_ms=door.now_ms())
    door.audit(actor, uow, "client.revoke", detail=_client_detail(client))
    return client


def list_clients(door: Door, actor: Actor) -> list[Client]:
    """Return every API client (never a token)."""
    _permit(actor, "account.manage")
    return door.accounts.list_clients()


def _client_detail(client: Client) -> dict[str, Any]:
    return {"client": client.client_id, "client_name": client.name, "client_role": client.role,
            "acts_as": client.staff_id, "expires_ms": client.expires_ms}


def unblock_hub(door: Door, actor: Actor, *, hub: str, reason: str,
                forget_head: bool) -> list[str]:
    """Let the node sync with a hub again after an integrity alert; return the kinds of
    alert that had stopped it. The audit entry (`hub.unblock`) is made durable first, so
    the change that follows is always accounted for."""
    _permit(actor, "node.admin")
    node = door.node
    if not reason.strip():
        raise FieldInvalid("reason", "say why it is safe to sync with the hub again")
    certs = [c for c in node.directory.nodes("hub") if c.name == hub]
    if not certs:
        raise FieldInvalid("hub", f"no hub named {hub!r} is in this node's directory")
    keeper = HeadKeeper(node.store, node.directory)
    blocked = keeper.blocked_logs()
    logs = [log_id_from_key(c.sig_key) for c in certs]
    kinds = [blocked[log] for log in logs if log in blocked]
    if not kinds and not forget_head:
        raise FieldInvalid("hub", f"this node is not stopped from syncing with {hub!r}")
    with door.unit() as uow:
        door.audit(actor, uow, "hub.unblock", detail={
            "hub": hub, "alerts": kinds, "reason": reason.strip(), "forget_head": forget_head})
    for log in logs:
        keeper.clear(log)
        if forget_head:
            keeper.forget(log)
    return kinds


MAX_REPORT_BYTES = 1 << 20  # a report names at most a thousand findings: well under this


def file_verification(door: Door, actor: Actor, *, data: bytes,
                      filename: str = "") -> dict[str, Any]:
    """File a signed independent verification report (`carechain verify --log … --report`)
    of a hub's log of this trust, for the console to show; return the report.

    The report's signature must hold and its log must be a hub's that this node's
    directory certifies; the signer is whoever verified (named, not trusted: the console
    shows the key). Kept in `meta` `recovery:verification` after its audit entry
    (`verification.file`) is durable; a refusal is audited in its own unit too."""
    _permit(actor, "node.admin")
    node = door.node
    base = {"file": filename[:100]}
    try:
        if len(data) > MAX_REPORT_BYTES:
            raise FieldInvalid("report", "is larger than a verification report can be")
        try:
            document = json.loads(data)
        except (UnicodeDecodeError, ValueError):
            raise FieldInvalid("report", "is not a JSON document") from None
        if not isinstance(document, dict):
            raise FieldInvalid("report", "is not a signed report")
        try:
            report = check_signed_report(document)
        except InvalidInput as exc:
            raise FieldInvalid("report", exc.detail) from None
        if report.get("kind") != "carechain-log-verification-v1":
            raise FieldInvalid("report", "is not a log verification report (carechain verify)")
        logs = {log_id_from_key(c.sig_key).hex() for c in node.directory.nodes("hub")}
        if report.get("log_id") not in logs:
            raise FieldInvalid("report", "is of a log no hub of this trust signs")
    except FieldInvalid as exc:
        with door.unit() as uow:
            door.audit(actor, uow, "verification.file", outcome="refused",
                       detail=base | {"error": exc.rule[:300]})
        raise
    with door.unit() as uow:
        door.audit(actor, uow, "verification.file", detail=base | {
            "signer": str(document["signer"]), "log_id": report["log_id"],
            "clean": bool(report.get("clean")), "entries": int(report.get("entries", 0))})
    write_status(node.store, VERIFICATION_KEY, {
        "document": document, "filed_ms": door.now_ms(), "filed_by": actor.user})
    return report
