"""The HTTP edge shared by every interface: who is calling (resolved once, per request),
the allow-list of anonymous routes, and the gate that refuses everyone else."""

from carechain.edge.auth import (
    SESSION_COOKIE,
    ActorUser,
    CallerBackend,
    Gate,
    actor_of,
    install_auth,
)
from carechain.edge.public import PUBLIC_PREFIXES, PUBLIC_ROUTES, is_public

__all__ = [
    "PUBLIC_PREFIXES",
    "PUBLIC_ROUTES",
    "SESSION_COOKIE",
    "ActorUser",
    "CallerBackend",
    "Gate",
    "actor_of",
    "install_auth",
    "is_public",
]
