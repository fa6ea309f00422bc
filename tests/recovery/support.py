"""A chain whose hub is wiped mid-shift and rebuilt from the survivors."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from carechain.node import Node, NodeHome
from carechain.recovery import RebuildReport, open_survivor, rebuild_hub
from tests.sync.harness import Chain
from tests.sync.hostile import HUB_SECRET, start_node, stop_node


def hub_ids(node: Node) -> list[bytes]:
    """Return the hub's log as its leaves: entry ids in log order."""
    return node.store.ids(0, 10**9)


def wipe_hub(chain: Chain, home: Path) -> None:
    """Stop the hub and lose its log (its keys and certificate stay: the key store)."""
    stop_node(chain, "hub")
    store = NodeHome(home / "hub").store_file
    for suffix in ("", "-wal", "-shm"):
        Path(f"{store}{suffix}").unlink(missing_ok=True)


def rebuild(home: Path, survivors: Sequence[str], *, batch: int = 5_000) -> RebuildReport:
    """Rebuild the hub in `home/hub` from the named survivors' directories."""
    node = Node.open(home / "hub", HUB_SECRET)
    opened = [
        open_survivor(
            home / name, root_public=node.directory.root_public, hub_key=node.keys.sign_public
        )
        for name in survivors
    ]
    try:
        return rebuild_hub(node, opened, batch=batch)
    finally:
        for s in opened:
            s.close()
        node.close()


def serve_hub(chain: Chain, home: Path) -> Node:
    """Serve the (rebuilt) hub again under its name."""
    return start_node(chain, home, "hub")
