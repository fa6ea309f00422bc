"""What the admin console shows of this node's recovery work: a hub rebuild under way or
its last result, the restore this node's store came from, and the last independent
verification report an admin filed. Read from the node's own `meta` (carechain.node.progress),
which `carechain hub rebuild` and `carechain backup restore` write; nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from carechain.node import Node
from carechain.node.progress import REBUILD_KEY, RESTORE_KEY, VERIFICATION_KEY, read_status

__all__ = ["RecoveryView", "Verification", "recovery_view"]


@dataclass(frozen=True)
class Verification:
    """The last filed verification report, as the console shows it."""

    signer: str
    at_ms: int | None  # when the verifier signed it (reports from `carechain verify`)
    filed_ms: int
    filed_by: str
    clean: bool
    entries: int
    bad: int
    heads: int
    heads_holding: int
    root: str
    hub: str
    seconds: float


@dataclass(frozen=True)
class RecoveryView:
    """Everything the recovery card shows (each part None when nothing is known)."""

    rebuild: dict[str, Any] | None
    restore: dict[str, Any] | None
    verification: Verification | None

    @property
    def rebuild_percent(self) -> int:
        """Return how far the rebuild is through the positions the heads prove (0–100)."""
        if self.rebuild is None:
            return 0
        total = int(self.rebuild.get("total") or 0)
        done = int(self.rebuild.get("done") or 0)
        return 100 if total <= 0 else max(0, min(100, done * 100 // total))


def _verification(row: dict[str, Any] | None) -> Verification | None:
    if row is None or not isinstance(row.get("document"), dict):
        return None
    document = row["document"]
    report = document.get("report")
    if not isinstance(report, dict):
        return None
    heads = [h for h in report.get("heads", []) if isinstance(h, dict)]
    at = report.get("at_ms")
    return Verification(
        signer=str(document.get("signer", "")), at_ms=at if isinstance(at, int) else None,
        filed_ms=int(row.get("filed_ms", 0)), filed_by=str(row.get("filed_by", "")),
        clean=bool(report.get("clean")), entries=int(report.get("entries", 0)),
        bad=int(report.get("bad", 0)), heads=len(heads),
        heads_holding=sum(bool(h.get("holds")) for h in heads), root=str(report.get("root", "")),
        hub=str(report.get("hub", "")), seconds=float(report.get("seconds", 0.0)),
    )


def recovery_view(node: Node) -> RecoveryView:
    """Return what is known of this node's rebuild, restore and verification."""
    store = node.store
    return RecoveryView(read_status(store, REBUILD_KEY), read_status(store, RESTORE_KEY),
                        _verification(read_status(store, VERIFICATION_KEY)))
