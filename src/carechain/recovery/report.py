"""What a rebuild did, and what it proves: the rebuild report.

It names every head of the lost hub's log the survivors held and whether the rebuilt log
reproduces it (same size, same root: the node holding it will be given a consistency
proof at its next sync); every run of positions no survivor holds, with the ids known and
the heads that prove those positions existed; and every entry a survivor held that the
rebuilt hub refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from carechain.transparency import SignedTreeHead

__all__ = ["HeadCheck", "Missing", "RebuildReport"]


@dataclass(frozen=True)
class HeadCheck:
    """One head of the lost hub's log held by a survivor, checked against the rebuilt log."""

    holder: str
    head: SignedTreeHead
    proven: bool

    def to_dict(self) -> dict[str, Any]:
        """Return the check as JSON."""
        return {
            "holder": self.holder,
            "size": self.head.size,
            "root": self.head.root.hex(),
            "timestamp_ms": self.head.head.timestamp_ms,
            "proven": self.proven,
        }


@dataclass
class Missing:
    """Positions first..last of the lost log that no survivor holds."""

    first: int
    last: int
    ids: list[str] = field(default_factory=list)  # ids some survivor knew without the entry
    proven_by: list[str] = field(default_factory=list)  # "holder: size n" of heads covering it

    def to_dict(self) -> dict[str, Any]:
        """Return the run as JSON."""
        return {
            "first": self.first,
            "last": self.last,
            "ids": self.ids,
            "proven_by": self.proven_by,
        }


@dataclass
class RebuildReport:
    """The outcome of one `carechain hub rebuild` run (a resumed run reports the whole log)."""

    hub: str
    log_id: str
    size: int = 0  # leaves of the rebuilt log
    held_before: int = 0  # leaves the hub's store held when this run started
    placed: int = 0  # leaves this run put back at their old positions
    replaced: int = 0  # entries after a lost position, appended at new positions
    by_survivor: dict[str, int] = field(default_factory=dict)
    heads: list[HeadCheck] = field(default_factory=list)
    missing: list[Missing] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    refused_heads: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def complete(self) -> bool:
        """Return whether the whole history came back and every head is proven."""
        return not self.missing and not self.refused and all(h.proven for h in self.heads)

    def summary(self) -> list[str]:
        """Return the report as lines for a person."""
        rate = self.placed / self.seconds if self.seconds > 0 else 0.0
        lines = [
            f"hub {self.hub}: rebuilt log of {self.size} entries "
            f"({self.held_before} held before, {self.placed} placed in {self.seconds:.1f} s, "
            f"{rate:,.0f} entries/s)",
        ]
        lines += [f"  from {name}: {n}" for name, n in sorted(self.by_survivor.items())]
        proven = sum(h.proven for h in self.heads)
        lines.append(f"heads held by survivors: {len(self.heads)}, proven: {proven}")
        for h in self.heads:
            if not h.proven:
                lines.append(f"  NOT PROVEN: {h.holder}'s head of size {h.head.size}")
        for m in self.missing:
            lines.append(
                f"LOST positions {m.first}..{m.last}: no survivor holds them; "
                f"proven by {', '.join(m.proven_by) or 'no head'}"
            )
        if self.replaced:
            lines.append(f"{self.replaced} entries after a lost position appended at new places")
        lines += [f"REFUSED {r}" for r in self.refused]
        lines += [f"head not taken: {r}" for r in self.refused_heads]
        lines.append("complete: every head proven" if self.complete else "INCOMPLETE")
        return lines

    def to_dict(self) -> dict[str, Any]:
        """Return the report as JSON."""
        return {
            "hub": self.hub,
            "log_id": self.log_id,
            "size": self.size,
            "held_before": self.held_before,
            "placed": self.placed,
            "replaced": self.replaced,
            "by_survivor": self.by_survivor,
            "heads": [h.to_dict() for h in self.heads],
            "missing": [m.to_dict() for m in self.missing],
            "refused": self.refused,
            "refused_heads": self.refused_heads,
            "seconds": round(self.seconds, 3),
            "complete": self.complete,
        }
