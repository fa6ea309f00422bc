"""Build a trust and enrolled nodes in a directory, quickly: for tests, benchmarks and the demo.

Uses a cheap Argon2id cost (the secrets here are throwaway); real nodes use `carechain node
init`, which uses libsodium's interactive profile, and the trust root its moderate one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from carechain.entries import Clock, SystemClock
from carechain.node import Node, enroll, init_node
from carechain.trust import KdfCost, RootKey
from carechain.trust.authority import TrustHome, certify

__all__ = ["FAST_KDF", "Trust", "make_node", "make_trust"]

FAST_KDF = KdfCost(1, 8 * 1024 * 1024)


@dataclass(frozen=True)
class Trust:
    """A trust root with its directory."""

    home: TrustHome
    root: RootKey


def make_trust(path: Path, secret: str = "trust-secret") -> Trust:
    """Create a trust root in path."""
    home = TrustHome(path)
    return Trust(home, home.init(secret, FAST_KDF))


def make_node(
    path: Path,
    trust: Trust,
    *,
    role: str = "crew",
    name: str = "crew-1",
    org: str = "Example Ambulance Service NHS Trust",
    secret: str = "operator-secret",
    days: int = 365,
    clock: Clock | None = None,
    not_before_ms: int | None = None,
) -> Node:
    """Create, certify, enroll and open a node in path."""
    clock = clock or SystemClock()
    request = init_node(path, name=name, role=role, org=org, secret=secret, cost=FAST_KDF)
    start = clock.now_ms() - 60_000 if not_before_ms is None else not_before_ms
    _, entry = certify(trust.root, request, not_before_ms=start, days=days)
    enroll(path, root_public=trust.root.public, certificate=entry.to_wire())
    return Node.open(path, secret, clock=clock)
