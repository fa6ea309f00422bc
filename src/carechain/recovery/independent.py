"""Independent verification of a hub's log by anyone who holds only the trust's public
root key: every entry, the whole tree, and every head the nodes hold of it.

The log is read a page at a time (constant memory whatever its size): each entry's
encoding, id and record column; its signature, verified a page at a time in batch on every
core (`Directory.verify_batch`); its author's certificate at the entry's time and any
revocation (the directory is read from the log first, every directory entry checked
against the root, so a revocation logged late still counts); its parents (earlier in the
log, same record). Leaves go into a compact Merkle range (O(log n) memory), whose root is
taken at the size of every head collected from the nodes: a head holds when the log, at
its size, has its root, and is signed by the hub's certified key. A head larger than the
log means the log was rolled back.

A log that moved to a new hub key (`trust.transition`) is judged by the rules the nodes
apply: the hub is the key no transition hands over; a head signed by an earlier key of its
chain holds only up to the size that key's transition vouches for and before its time,
and the vouched head itself must hold like any other.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from carechain.entries import Entry, crypto, decode_signed
from carechain.errors import CarechainError, InvalidInput
from carechain.node.verify import Finding
from carechain.store import RawRow, Store
from carechain.transparency import (
    CompactRange,
    HeadSignatureError,
    SignedTreeHead,
    empty_root,
    leaf_hash,
    log_id_from_key,
    verify_head,
)
from carechain.trust import DIRECTORY_RECORD, Certificate, Directory
from carechain.trust.transition import KeyTransition

__all__ = ["HeadVerdict", "LogVerdict", "verify_log"]

PAGE = 4_000  # rows read, decoded and verified at a time
MOST_FINDINGS = 1_000  # findings kept in the report (all are counted)


@dataclass(frozen=True)
class HeadVerdict:
    """One head of the log a node holds, judged against the log."""

    holder: str
    size: int
    root: str
    holds: bool
    why: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Return the verdict as JSON."""
        return {
            "holder": self.holder,
            "size": self.size,
            "root": self.root,
            "holds": self.holds,
            "why": self.why,
        }


@dataclass
class LogVerdict:
    """What independent verification of one hub's log found."""

    hub: str
    log_id: str
    entries: int = 0
    root: str = ""
    findings: list[Finding] = field(default_factory=list)
    bad: int = 0  # findings, all counted (the list keeps the first MOST_FINDINGS)
    heads: list[HeadVerdict] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def clean(self) -> bool:
        """Return whether every entry verifies and every head holds."""
        return self.bad == 0 and all(h.holds for h in self.heads)

    def add(self, finding: Finding) -> None:
        """Count a finding (and keep it, up to a bound)."""
        self.bad += 1
        if len(self.findings) < MOST_FINDINGS:
            self.findings.append(finding)

    def summary(self) -> list[str]:
        """Return the verdict as lines for a person."""
        rate = self.entries / self.seconds if self.seconds > 0 else 0.0
        lines = [
            f"log of hub {self.hub} ({self.log_id[:16]}…): {self.entries} entries, root "
            f"{self.root[:16]}…, checked in {self.seconds:.1f} s ({rate:,.0f} entries/s)"
        ]
        lines += [f"BAD seq {f.seq} entry {f.entry}: {f.code}: {f.detail}" for f in self.findings]
        if self.bad > len(self.findings):
            lines.append(f"… and {self.bad - len(self.findings)} more bad entries")
        for h in self.heads:
            verdict = "holds" if h.holds else f"DOES NOT HOLD: {h.why}"
            lines.append(f"head of size {h.size} held by {h.holder}: {verdict}")
        lines.append(
            "clean: every entry verifies and every head holds"
            if self.clean
            else f"NOT CLEAN: {self.bad} bad entries, "
            f"{sum(not h.holds for h in self.heads)} heads that do not hold"
        )
        return lines

    def to_dict(self) -> dict[str, Any]:
        """Return the verdict as JSON."""
        return {
            "hub": self.hub,
            "log_id": self.log_id,
            "entries": self.entries,
            "root": self.root,
            "bad": self.bad,
            "findings": [f.to_dict() for f in self.findings],
            "heads": [h.to_dict() for h in self.heads],
            "clean": self.clean,
            "seconds": round(self.seconds, 3),
        }


def _directory(store: Store, root_public: bytes, verdict: LogVerdict) -> Directory:
    """Read every certificate and revocation in the log, each checked against the root."""
    directory = Directory(root_public)
    for stored in store.record(DIRECTORY_RECORD):
        try:
            directory.check_signature(stored.entry)
            directory.absorb(stored.entry)
        except CarechainError as exc:
            verdict.add(Finding(stored.seq, stored.entry.hex, exc.code, exc.detail))
    return directory


def _hub(directory: Directory, name: str | None) -> Certificate:
    hubs = [
        c
        for c in directory.nodes("hub")
        if (name is None or c.name == name) and c.key_id not in directory.handed_over
    ]
    if len(hubs) != 1:
        which = f"named {name!r}" if name else "(name it)"
        raise InvalidInput(f"the log's directory holds {len(hubs)} hub certificates {which}")
    return hubs[0]


def _signers(
    directory: Directory, hub: Certificate
) -> dict[bytes, tuple[bytes, KeyTransition | None]]:
    """Return, by log id, the keys whose heads count for the hub's log: its own, and each
    earlier key with the transition that ended it."""
    keys: dict[bytes, tuple[bytes, KeyTransition | None]] = {
        log_id_from_key(hub.sig_key): (hub.sig_key, None)
    }
    for step in directory.predecessors(hub.key_id):
        old = directory.certs.get(step.old)
        if old:
            keys[log_id_from_key(old[0].sig_key)] = (old[0].sig_key, step)
    return keys


def _refused(
    directory: Directory, head: SignedTreeHead, key: bytes, step: KeyTransition | None
) -> str:
    """Return why a head cannot count for the log, by the nodes' rules ('' if it can)."""
    try:
        verify_head(head, key)
    except HeadSignatureError:
        return "not signed by the hub"
    revoked = directory.revoked.get(crypto.key_id(key))
    if step is not None and (head.size > step.size or head.head.timestamp_ms > step.at_ms):
        return (
            f"signed by a hub key the trust replaced after the head of size {step.size} "
            f"(at {step.at_ms})"
        )
    if revoked is not None and head.head.timestamp_ms >= revoked[0]:
        return f"signed by a hub key revoked from {revoked[0]} ({revoked[1]})"
    return ""


def _decode(row: RawRow) -> Entry | CarechainError:
    try:
        entry = decode_signed(row.signed, row.signature)
    except CarechainError as exc:
        return exc
    if hashlib.sha256(row.signed).digest() != row.id:
        return CarechainError(f"content hashes to {entry.hex}, not the stored id")
    if entry.header.record != row.record:
        return CarechainError("stored record column differs from the signed header")
    return entry


@dataclass
class _Page:
    """A page of rows decoded, and its signatures being verified meanwhile."""

    rows: Sequence[RawRow]
    decoded: list[Entry | CarechainError]
    signatures: Future[list[bool | None]]


def _read(store: Store, directory: Directory, after: int, verifier: ThreadPoolExecutor) -> _Page:
    """Read and decode the page after `after`; start verifying its signatures."""
    rows = store.raw_since(after, PAGE)
    decoded = [_decode(row) for row in rows]
    entries = [e for e in decoded if isinstance(e, Entry)]
    return _Page(rows, decoded, verifier.submit(directory.verify_batch, entries))


def _check(store: Store, directory: Directory, page: _Page, v: LogVerdict) -> None:
    """Judge one page: decoding, signatures (verified in batch), certificates, parents."""
    signatures = iter(page.signatures.result())
    entries = [e for e in page.decoded if isinstance(e, Entry)]
    parents = sorted({p for e in entries for p in e.header.parents})
    seqs = store.seqs_of(parents)
    records = store.records_of(parents)
    for row, item in zip(page.rows, page.decoded, strict=True):
        if isinstance(item, CarechainError):
            code = item.code if item.code != "internal" else "bad-id"
            v.add(Finding(row.seq, row.id.hex(), code, item.detail))
            continue
        try:
            directory.check_signature(item, next(signatures))
            for p in item.header.parents:
                if seqs.get(p, row.seq) >= row.seq or records.get(p) != item.header.record:
                    raise CarechainError(f"parent {p.hex()} is not earlier in the log's record")
        except CarechainError as exc:
            code = "bad-parents" if type(exc) is CarechainError else exc.code
            v.add(Finding(row.seq, item.hex, code, exc.detail))


def verify_log(
    store: Store,
    *,
    root_public: bytes,
    heads: Sequence[tuple[str, SignedTreeHead]] = (),
    hub_name: str | None = None,
) -> LogVerdict:
    """Verify a hub's whole log, streaming, and each (holder, head) collected from nodes."""
    started = time.monotonic()
    probe = LogVerdict(hub="", log_id="")
    directory = _directory(store, root_public, probe)
    hub = _hub(directory, hub_name)
    log = log_id_from_key(hub.sig_key)
    verdict = LogVerdict(hub=hub.name, log_id=log.hex())
    for f in probe.findings:
        verdict.add(f)
    signers = _signers(directory, hub)
    wanted: dict[int, list[tuple[str, bytes]]] = {}  # size → (holder, root)
    for key, step in signers.values():
        if step is not None:
            holder = f"the trust (transition from key {key.hex()[:16]}…)"
            wanted.setdefault(step.size, []).append((holder, step.root))
    for holder, head in heads:
        if head.head.log_id not in signers:
            continue  # another hub's log
        why = _refused(directory, head, *signers[head.head.log_id])
        if why:
            verdict.heads.append(HeadVerdict(holder, head.size, head.root.hex(), False, why))
            continue
        wanted.setdefault(head.size, []).append((holder, head.root))
    roots: dict[int, bytes] = {0: empty_root()}
    tree = CompactRange()
    # While one page's signatures are verified (on every core: the verifier's threads
    # leave the interpreter lock), the next page is read and decoded.
    with ThreadPoolExecutor(1, thread_name_prefix="carechain-verify-log") as verifier:
        page = _read(store, directory, 0, verifier)
        while page.rows:
            upcoming = _read(store, directory, page.rows[-1].seq, verifier)
            _check(store, directory, page, verdict)
            for row in page.rows:
                tree.append(leaf_hash(row.id))
                if tree.size in wanted:
                    roots[tree.size] = tree.root()
            page = upcoming
    verdict.entries = tree.size
    verdict.root = (tree.root() if tree.size else empty_root()).hex()
    for size, held in sorted(wanted.items()):
        for holder, claimed in held:
            root = roots.get(size)
            if root is None:
                why = f"the log has {tree.size} entries: rolled back"
                verdict.heads.append(HeadVerdict(holder, size, claimed.hex(), False, why))
            elif root != claimed:
                why = f"the log's root at size {size} is {root.hex()[:16]}…: another history"
                verdict.heads.append(HeadVerdict(holder, size, claimed.hex(), False, why))
            else:
                verdict.heads.append(HeadVerdict(holder, size, claimed.hex(), True))
    verdict.seconds = time.monotonic() - started
    return verdict
