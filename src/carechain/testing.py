"""Build a trust and enrolled nodes in a directory, quickly: for tests, benchmarks and the demo.

Uses a cheap Argon2id cost (the secrets here are throwaway); real nodes use `carechain node
init`, which uses libsodium's interactive profile, and the trust root its moderate one.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from carechain.accounts import AccountStore
from carechain.entries import Clock, SystemClock
from carechain.node import Node, enroll, init_node
from carechain.trust import KdfCost, RootKey
from carechain.trust.authority import TrustHome, certify

__all__ = ["FAST_KDF", "ServedApp", "Trust", "api_token", "make_node", "make_trust"]

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


class ServedApp:
    """An ASGI app served by uvicorn on 127.0.0.1 in a background thread."""

    def __init__(self, app: Any, port: int = 0) -> None:
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", ws="websockets-sansio",
            timeout_graceful_shutdown=3,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("the server did not start")
            time.sleep(0.02)
        sock = self.server.servers[0].sockets[0]
        self.port = int(sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        self.server.should_exit = True
        self.thread.join(10)


def api_token(
    accounts: AccountStore,
    node: Node,
    *,
    staff_id: str = "P100234",
    role: str | None = None,
    secret: str = "482913",
    name: str = "test client",
) -> str:
    """Return a bearer token acting as `staff_id` on `node` (creating that person if need be,
    with the default role of the node); a week long."""
    if accounts.person(staff_id) is None:
        default = {"crew": "paramedic", "hospital": "ed_clinician"}.get(node.info.role,
                                                                        "clinical_lead")
        secret = secret if node.info.role == "crew" else "violet tractor harbour 42"
        accounts.create_person(staff_id, staff_id, role or default, secret,
                               node_role=node.info.role, now_ms=node.clock_ms())
    _, token = accounts.issue_client(name, role=None, staff_id=staff_id,
                                     expires_ms=node.clock_ms() + 7 * 86_400_000,
                                     issued_by="tests", now_ms=node.clock_ms())
    return token
