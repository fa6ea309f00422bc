"""The whole chain on one machine: a hub, two crews, a hospital and a vault, each a real
node with its own SQLite store, HTTP server, web app, accounts and background sync.

Used by `carechain demo` and by the end-to-end browser tests.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI

from carechain.accounts import AccountStore, HashCost
from carechain.app import create_app
from carechain.demo.outage import outage_router
from carechain.lookup.previous import PreviousCalls
from carechain.node import Node, NodeHome
from carechain.operations.door import accounts_key
from carechain.sync.loop import SyncLoop
from carechain.testing import ServedApp, make_node, make_trust

__all__ = ["DEMO_PEOPLE", "DEMO_SECRET", "DemoChain", "DemoNode", "Person"]

# The operator secret every demo node's keys and store are sealed under: documented in the
# README so the demo's nodes can also be run by hand with `carechain serve --secret …`.
DEMO_SECRET = "demo-only-secret"


@dataclass(frozen=True)
class Person:
    """A demo account."""

    staff_id: str
    name: str
    role: str
    secret: str


# node name → (node role, people). Passwords are for the demo only.
DEMO_PEOPLE: dict[str, tuple[str, tuple[Person, ...]]] = {
    "hub": (
        "hub",
        (
            Person("A9001", "Robin Admin", "admin", "hub console demo 41"),
            Person("AU7001", "Avery Quinn", "auditor", "auditor demo pass 17"),
        ),
    ),
    "hospital-essex-cardiothoracic": (
        "hospital",
        (
            Person("ED4411", "Dr Jo Lee", "ed_clinician", "emergency dept demo 23"),
            Person("AU7002", "Morgan Reid", "auditor", "auditor demo pass 29"),
        ),
    ),
    "vault-records": (
        "vault",
        (
            Person("A9002", "Casey Admin", "admin", "vault console demo 53"),
            Person("AU7003", "Jamie Fox", "auditor", "auditor demo pass 31"),
        ),
    ),
    "crew-ambulance-412": (
        "crew",
        (
            Person("P100234", "Sam Patel", "paramedic", "482913"),
            Person("T200117", "Alex Brown", "technician", "739201"),
        ),
    ),
    "crew-ambulance-217": ("crew", (Person("P100981", "Kim Evans", "paramedic", "615204"),)),
}


@dataclass
class DemoNode:
    """One running node of the chain."""

    name: str
    node: Node
    accounts: AccountStore
    loop: SyncLoop
    served: ServedApp
    totp: dict[str, str] = field(default_factory=dict)
    app: FastAPI | None = None

    @property
    def url(self) -> str:
        """Return the node's base URL."""
        return self.served.url


class DemoChain:
    """Create (first time) and run the five nodes."""

    def __init__(
        self,
        root: Path,
        *,
        ports: dict[str, int] | None = None,
        interval: float = 2.0,
        cost: HashCost | None = None,
        announce: Callable[[str], None] | None = None,
    ) -> None:
        self.root = root
        self.ports = ports or {}
        self.interval = interval
        self.cost = cost
        self.nodes: dict[str, DemoNode] = {}
        self.announce = announce
        self.hub_up = False
        self._hub_lock = threading.Lock()
        self._timers: list[threading.Timer] = []
        self._stoppers: list[Callable[[], None]] = []

    def _ensure(self) -> dict[str, str]:
        """Create the trust, nodes and accounts once; return TOTP secrets of new admins."""
        totp: dict[str, str] = {}
        if (self.root / "trust" / "root.pub").exists():
            return totp
        trust = make_trust(self.root / "trust", DEMO_SECRET)
        for name, (role, people) in DEMO_PEOPLE.items():
            node = make_node(self.root / name, trust, role=role, name=name, secret=DEMO_SECRET)
            accounts = self._accounts(name, node)
            for p in people:
                _, uri = accounts.create_person(
                    p.staff_id, p.name, p.role, p.secret, node_role=role, now_ms=node.clock_ms()
                )
                if uri:
                    secret = uri.split("secret=")[1].split("&")[0]
                    totp[p.staff_id] = secret
                    (self.root / name / f"totp-{p.staff_id}.txt").write_text(secret + "\n")
            accounts.close()
            node.close()
        return totp

    def _accounts(self, name: str, node: Node) -> AccountStore:
        path = self.root / name / "accounts.db"
        if self.cost is None:
            return AccountStore(path, accounts_key(node))
        return AccountStore(path, accounts_key(node), cost=self.cost)

    def start(self) -> None:
        """Start every node: hub first, then the others syncing with it."""
        self._ensure()
        hub_url = ""
        hospitals: list[str] = []
        for name, (role, _) in DEMO_PEOPLE.items():
            node = Node.open(self.root / name, DEMO_SECRET)
            accounts = self._accounts(name, node)
            # Crews also sync straight with the hospitals: a handover that needs no hub.
            peers = (
                () if role == "hub" else ((hub_url, *hospitals) if role == "crew" else (hub_url,))
            )
            live = (hub_url,) if role != "hub" else ()  # crews: dispatch offers pushed live
            loop = SyncLoop(node, peers, live, self.interval)
            app = self._app(node, loop, accounts, role)
            served = ServedApp(app, self.ports.get(name, 0))
            if role == "hub":
                hub_url = served.url
                self.hub_up = True
            if role == "hospital":
                hospitals.append(served.url)
            loop.start()
            if role == "vault":  # it answers crews' requests for previous calls
                self._stoppers.append(PreviousCalls(node).start(self.interval))
            totp = {
                p.staff_id: (self.root / name / f"totp-{p.staff_id}.txt").read_text().strip()
                for p in DEMO_PEOPLE[name][1]
                if (self.root / name / f"totp-{p.staff_id}.txt").exists()
            }
            self.nodes[name] = DemoNode(name, node, accounts, loop, served, totp, app)
        for n in self.nodes.values():  # introduce everyone to everyone through the hub
            n.loop.kick()

    def _app(self, node: Node, loop: SyncLoop, accounts: AccountStore, role: str) -> FastAPI:
        app = create_app(node, sync_loop=loop, accounts=accounts)
        if role == "hub":
            app.include_router(outage_router(self))
            app.state.demo_outage = True  # the console shows the outage control
        return app

    def stop_hub(self) -> None:
        """Take the hub off the network: its server and sync loop stop, its store stays."""
        with self._hub_lock:
            hub = self.nodes["hub"]
            if not self.hub_up:
                return
            hub.loop.stop()
            hub.served.stop()
            self.hub_up = False
        self._say("hub stopped: the crews keep working and hand over straight to the hospital")

    def start_hub(self) -> None:
        """Serve the same hub again on the same address."""
        with self._hub_lock:
            hub = self.nodes["hub"]
            if self.hub_up:
                return
            # A new app: a stopped one has closed its writer and live streams for good.
            hub.loop = SyncLoop(hub.node, (), (), self.interval)
            hub.app = self._app(hub.node, hub.loop, hub.accounts, "hub")
            hub.served = ServedApp(hub.app, hub.served.port)
            hub.loop.start()
            self.hub_up = True
        self._say(f"hub back on {hub.url}")
        for n in self.nodes.values():
            n.loop.kick()

    def hub_outage(self, seconds: float) -> None:
        """Stop the hub now and start it again after `seconds`."""
        self.stop_hub()
        timer = threading.Timer(seconds, self.start_hub)
        timer.daemon = True
        timer.start()
        self._timers.append(timer)

    def _say(self, text: str) -> None:
        if self.announce is not None:
            self.announce(text)

    def by_role(self, role: str) -> list[DemoNode]:
        """Return the running nodes of one role."""
        return [n for n in self.nodes.values() if n.node.info.role == role]

    def stop(self) -> None:
        """Stop every node."""
        for timer in self._timers:
            timer.cancel()
        for stop in self._stoppers:
            stop()
        self._stoppers.clear()
        for n in reversed(list(self.nodes.values())):
            n.loop.stop()
            if n.name != "hub" or self.hub_up:
                n.served.stop()
            n.accounts.close()
            n.node.close()
        self.nodes.clear()

    @staticmethod
    def exists(root: Path) -> bool:
        """Return whether a demo chain was created under root."""
        return NodeHome(root / "hub").info_file.exists()
