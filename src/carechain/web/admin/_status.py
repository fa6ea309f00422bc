"""What the admin console shows of a node: its log, the hub heads it holds, integrity
alerts, its peers' sync status, and every node in its directory with what is known of
its last sync. Read-only views built from the node's store; nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from carechain.backup.schedule import last_backup, schedule_of
from carechain.node import Node
from carechain.sync.heads import Alert, HeadKeeper
from carechain.sync.service import SyncService
from carechain.transparency import SignedTreeHead
from carechain.trust import Certificate

__all__ = [
    "RECENT_WINDOW",
    "BackupView",
    "BlockedHub",
    "HeadView",
    "NodeRow",
    "Overview",
    "RevokedKey",
    "backup_view",
    "node_rows",
    "orphan_revocations",
    "overview",
]

# How many of the newest log entries the nodes page reads to find each node's latest
# entry: bounded, so the page costs the same on a hub holding millions of entries.
RECENT_WINDOW = 2000


@dataclass(frozen=True)
class HeadView:
    """One signed tree head, as a page shows it."""

    hub: str
    log_id: str
    size: int
    root: str
    at_ms: int
    blocked: str | None = None


@dataclass(frozen=True)
class BlockedHub:
    """A hub this node has stopped syncing with after an integrity alert."""

    hub: str  # "hub <name>", or the log id when no certificate names it
    log_id: str
    kind: str


@dataclass(frozen=True)
class BackupView:
    """This node's scheduled backups and the last one's result (from its meta)."""

    every_s: float | None
    directory: str | None
    keep: int | None
    last: dict[str, Any] | None

    @property
    def every(self) -> str:
        """Return the interval the way an operator writes it (6h, 30m, 90s)."""
        if self.every_s is None:
            return "not scheduled"
        for unit, size in (("d", 86_400), ("h", 3600), ("m", 60)):
            if self.every_s >= size and self.every_s % size == 0:
                return f"every {int(self.every_s // size)}{unit}"
        return f"every {self.every_s:g}s"


def backup_view(node: Node) -> BackupView | None:
    """Return what is known of this node's scheduled backups, or None if nothing is."""
    schedule, last = schedule_of(node), last_backup(node)
    if schedule is None and last is None:
        return None
    schedule = schedule or {}
    return BackupView(schedule.get("every_s"), schedule.get("dir"), schedule.get("keep"), last)


@dataclass(frozen=True)
class Overview:
    """Everything the overview page shows."""

    entries: int
    records: int
    own: Certificate | None
    log_head: HeadView | None
    hub_heads: list[HeadView]
    alerts: list[Alert]
    blocked: list[BlockedHub]
    peers: list[dict[str, Any]] | None
    backup: BackupView | None = None


@dataclass(frozen=True)
class NodeRow:
    """One node of the directory, with its certificate, revocation and last sync."""

    name: str
    role: str
    org: str
    key_id: str
    nbf: int
    exp: int
    validity: str  # "valid", "expired" or "not yet valid"
    revoked_at: int | None
    revoked_reason: str | None
    is_self: bool
    last_entry_ms: int | None
    last_entry_seq: int | None
    pulled_to: int | None
    pushed_to: int | None
    seen_ms: int | None

    @property
    def revoked(self) -> bool:
        """Return whether the key is revoked (from some time on)."""
        return self.revoked_at is not None

    @property
    def known_sync(self) -> bool:
        """Return whether anything is known of this node's last sync."""
        return any(v is not None for v in (self.last_entry_ms, self.pulled_to,
                                           self.pushed_to, self.seen_ms))


@dataclass(frozen=True)
class RevokedKey:
    """A revocation of a key this node holds no certificate for (yet)."""

    key_id: str
    at_ms: int
    reason: str


def _head_view(keeper: HeadKeeper, sth: SignedTreeHead, blocked: str | None = None,
               name: str | None = None) -> HeadView:
    cert = keeper.hub_for(sth.head.log_id)
    hub = name or (cert.name if cert else sth.head.log_id.hex()[:16])
    return HeadView(hub, sth.head.log_id.hex(), sth.size, sth.root.hex(),
                    sth.head.timestamp_ms, blocked)


def _blocked(node: Node) -> dict[str, str]:
    """Return log id hex → alert kind, for every hub syncing is stopped with."""
    out: dict[str, str] = {}
    for key, value in node.store.meta_items("blocked:"):
        if value:
            out[key.removeprefix("blocked:")] = value.decode("utf-8", "replace")
    return out


def overview(node: Node, sync: SyncService, peers: list[dict[str, Any]] | None) -> Overview:
    """Return what the overview page shows of this node."""
    keeper = sync.heads
    blocked = _blocked(node)
    own = next((c for c in node.directory.nodes() if c.key_id == node.keys.key_id), None)
    log_head = None
    if sync.log is not None:
        log_head = _head_view(keeper, sync.log.head(), name=node.info.name)
    heads = sorted((_head_view(keeper, h, blocked.get(h.head.log_id.hex()))
                    for h in keeper.heads()), key=lambda h: h.hub)
    stopped = []
    for log_hex, kind in sorted(blocked.items()):
        try:
            cert = keeper.hub_for(bytes.fromhex(log_hex))
        except ValueError:
            cert = None
        label = f"hub {cert.name}" if cert else f"the hub with log id {log_hex[:16]}…"
        stopped.append(BlockedHub(label, log_hex, kind))
    return Overview(
        entries=node.store.count(),
        records=node.store.record_count(),
        own=own,
        log_head=log_head,
        hub_heads=heads,
        alerts=sorted(keeper.alerts(), key=lambda a: a.at_ms, reverse=True),
        blocked=stopped,
        peers=peers,
        backup=backup_view(node),
    )


def _cursors(node: Node, prefix: str) -> dict[str, int]:
    """Return peer key id hex → cursor, from this node's `pull:`/`push:` bookkeeping."""
    out: dict[str, int] = {}
    for key, value in node.store.meta_items(prefix):
        try:
            out[key.removeprefix(prefix)] = int(value.decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            continue
    return out


def _seen(node: Node) -> dict[str, int]:
    """Return key id hex → when it last synced with this node, if the sync routes record it
    (meta `seen:<signing key id hex>` = ASCII milliseconds; absent until they do)."""
    return _cursors(node, "seen:")


def _recent_authors(node: Node, window: int = RECENT_WINDOW) -> dict[bytes, tuple[int, int]]:
    """Return author key id → (seq, HLC ms) of its latest entry among the newest `window`."""
    total = node.store.count()
    latest: dict[bytes, tuple[int, int]] = {}
    for stored in node.store.since(max(0, total - window), window):
        latest[stored.entry.header.author] = (stored.seq, stored.entry.header.hlc.ms)
    return latest


def _validity(cert: Certificate, now_ms: int) -> str:
    if now_ms < cert.nbf:
        return "not yet valid"
    if now_ms > cert.exp:
        return "expired"
    return "valid"


def node_rows(node: Node, now_ms: int) -> list[NodeRow]:
    """Return every node in the directory, by role then name."""
    pulls, pushes, seen = _cursors(node, "pull:"), _cursors(node, "push:"), _seen(node)
    recent = _recent_authors(node)
    rows = []
    for cert in node.directory.nodes():
        key = cert.key_id
        revoked = node.directory.revoked.get(key)
        last = recent.get(key)
        rows.append(NodeRow(
            name=cert.name, role=cert.role, org=cert.org, key_id=key.hex(),
            nbf=cert.nbf, exp=cert.exp, validity=_validity(cert, now_ms),
            revoked_at=revoked[0] if revoked else None,
            revoked_reason=revoked[1] if revoked else None,
            is_self=key == node.keys.key_id,
            last_entry_ms=last[1] if last else None,
            last_entry_seq=last[0] if last else None,
            pulled_to=pulls.get(key.hex()), pushed_to=pushes.get(key.hex()),
            seen_ms=seen.get(key.hex()),
        ))
    return sorted(rows, key=lambda r: (r.role, r.name, r.key_id))


def orphan_revocations(node: Node) -> list[RevokedKey]:
    """Return revocations of keys with no certificate in this node's directory."""
    return [RevokedKey(key.hex(), at, reason)
            for key, (at, reason) in sorted(node.directory.revoked.items())
            if key not in node.directory.certs]
