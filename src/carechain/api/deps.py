"""Dependencies shared by the JSON API's routes, as `Annotated` aliases."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Path, Request

from carechain.edge import actor_of
from carechain.errors import Forbidden, NotAuthenticated, NotFound
from carechain.operations import Actor, Door

__all__ = [
    "READ_ACTIONS",
    "ActorDep",
    "Appender",
    "DoorDep",
    "Granter",
    "Needs",
    "NotAuthenticated",
    "Reader",
    "RecordId",
    "Writer",
]

# Reading a record: a crew's own, the organisation's, or one addressed to this hospital.
READ_ACTIONS = ("record.read_own", "record.read_own_org", "record.read_addressed")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def _door(request: Request) -> Door:
    door: Door | None = getattr(request.app.state, "door", None)
    if door is None:
        raise NotAuthenticated("this node has no accounts: nobody can call its API")
    return door


async def _actor(request: Request) -> Actor:
    """Return the authenticated caller; a browser session changing anything must also send
    its CSRF token in `X-CSRF-Token`."""
    user = actor_of(request)
    if user is None:
        raise NotAuthenticated("log in, or send a bearer token: Authorization: Bearer <token>")
    if user.session is not None and request.method not in SAFE_METHODS:
        sent = request.headers.get("x-csrf-token", "")
        if not hmac.compare_digest(sent.encode(), user.session.csrf_token.encode()):
            raise Forbidden("a request made with a browser session needs its CSRF token in "
                            "X-CSRF-Token", action="csrf")
    return user.actor


def _record_id(record_id: Annotated[str, Path(description="Record id, 32 hex digits")]) -> bytes:
    try:
        value = bytes.fromhex(record_id)
    except ValueError:
        value = b""
    if len(value) != 16:
        raise NotFound(f"no record {record_id!r}: a record id is 32 hex digits")
    return value


ActorDep = Annotated[Actor, Depends(_actor)]


class Needs:
    """A route's permission: the authenticated actor, who must be allowed one of `actions`
    (the route → action table in docs/accounts.md is read off these)."""

    def __init__(self, *actions: str) -> None:
        self.actions = actions

    async def __call__(self, actor: ActorDep) -> Actor:
        if not any(actor.can(a) for a in self.actions):
            raise Forbidden(f"a {actor.role} may not {' or '.join(self.actions)}",
                            action=self.actions[0], role=actor.role)
        return actor


Reader = Annotated[Actor, Depends(Needs(*READ_ACTIONS))]
Writer = Annotated[Actor, Depends(Needs("record.write"))]
# Appending: a sign-off (`record.signed`) needs `record.sign`, anything else `record.write`.
Appender = Annotated[Actor, Depends(Needs("record.write", "record.sign"))]
Granter = Annotated[Actor, Depends(Needs("key.grant"))]
DoorDep = Annotated[Door, Depends(_door)]
RecordId = Annotated[bytes, Depends(_record_id)]
