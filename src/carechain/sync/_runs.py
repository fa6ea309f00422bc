"""Run proofs on a hub's page: one proof for each run of consecutive log positions.

A pulled page that holds consecutive positions (a vault or a rebuilt hub copying the log,
a hospital catching up on records addressed to it) is proven with one `RunProof` per run
instead of an inclusion proof per entry: O(run + log size) hashes instead of
O(run × log size), and a page about half the size on the wire. An entry standing alone
still comes with its own inclusion proof.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from carechain.entries import Entry
from carechain.sync.wire import RunProof
from carechain.transparency import ProofError, SignedTreeHead, leaf_hash, verify_range

__all__ = ["RunFault", "run_fault", "unplaced"]


class RunFault(NamedTuple):
    """What is wrong with a page's run proofs: an alert's kind and detail, and whether it
    is only a gap (a run names a position the page gives no entry for: an entry left out
    on the way, asked for again) rather than a proof that does not hold."""

    kind: str
    detail: str
    gap: bool = False


def run_fault(
    items: Sequence[tuple[int | None, Entry, bool]], runs: Sequence[RunProof], head: SignedTreeHead
) -> RunFault | None:
    """Return the first fault in a page's run proofs, or None.

    `items` are the page's decoded entries as (log position, entry, has its own proof).
    Every entry without a proof of its own must be in exactly one run; every run must name
    positions the page gives entries for, and verify against the head (`verify_range`).
    """
    unproven: dict[int, Entry] = {}
    for seq, entry, proven in items:
        if proven:
            continue
        if seq is None or seq in unproven:
            return RunFault("no-inclusion-proof", unplaced(entry))
        unproven[seq] = entry
    covered: set[int] = set()
    for run in runs:
        seqs = range(run.first, run.first + run.count)
        gone = [s for s in seqs if s in covered or s not in unproven]
        if gone:
            return RunFault(
                "entry-not-in-log",
                f"a run proof names position {gone[0]}, which the page gives no entry for",
                gap=True,
            )
        entries = [unproven[s] for s in seqs]
        try:
            verify_range(
                run.first - 1,
                [leaf_hash(e.id) for e in entries],
                run.left,
                run.consistency,
                head.size,
                head.root,
            )
        except ProofError as exc:
            detail = f"entries {entries[0].hex}… at {seqs[0]}–{seqs[-1]}: {exc}"
            return RunFault("entry-not-in-log", detail)
        covered.update(seqs)
    for seq in sorted(set(unproven) - covered):
        return RunFault("no-inclusion-proof", unplaced(unproven[seq]))
    return None


def unplaced(entry: Entry) -> str:
    """Return the alert detail for an entry that came without its place and proof."""
    return f"entry {entry.hex} came without its place in the log and its proof"
