"""Rebuild a lost hub's log from the survivors, leaf for leaf.

The hub's Merkle tree is over entry ids in its log order (hub/log.py), so the rebuilt log
is provably the same history exactly when every entry is back at the position it had.
The rebuild walks the old log's positions from the first one the hub's store does not yet
hold, a window at a time: it asks every survivor what it knows of the window (the places
it noted, with the entries it holds; the places its pushes were given), takes each entry
from whoever holds it, and hands the run to the one receiving path (`sync.receive`) in one
batch: every signature (in batch, on every core), certificate, revocation and parent is
checked, and the batch is stored in one durable transaction at the next positions.

Each batch is committed on its own, so a rebuild killed at any instant is resumed by
running it again: the store then holds a prefix of the old log, checked against what the
survivors say, and the walk goes on after it. Nothing is stored twice (entries are
content-addressed) and nothing is skipped.

A position that no survivor holds stops the leaf-for-leaf part: it and its run are named
in the report with the heads that prove they existed; the entries survivors hold after it
are still stored (P2), after the last position that could be restored.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from carechain.entries import Entry
from carechain.errors import CarechainError, InvalidInput
from carechain.node import IngestResult, Node
from carechain.node.progress import REBUILD_KEY, write_status
from carechain.recovery.report import HeadCheck, Missing, RebuildReport
from carechain.recovery.sources import Survivor, decode_row
from carechain.sync.heads import HeadKeeper
from carechain.sync.receive import Delivery, Received, receive
from carechain.transparency import TiledTree, log_id_from_key

__all__ = ["BATCH", "Progress", "SurvivorsDisagree", "rebuild_hub"]

BATCH = 5_000  # positions checked and stored in one transaction
MOST_IDS = 100  # ids of a lost run named in the report

Progress = Callable[[int, int], None]  # (positions done, positions the heads prove)


class SurvivorsDisagree(InvalidInput):
    """Two survivors (or the hub's own store) name different entries at one position."""

    code = "survivors-disagree"
    status = 409
    title = "Survivors disagree on the lost hub's log"


@dataclass
class _Place:
    id: bytes
    entry: Entry | None
    holder: int  # index of the survivor the entry comes from (-1: none yet)


class _Places:
    """What the survivors know of the lost log, read a window at a time."""

    def __init__(self, survivors: Sequence[Survivor], log: bytes, hub: str) -> None:
        self.survivors = survivors
        self.log = log
        self.marks: dict[int, tuple[bytes, int]] = {}  # few: each node's own pushes
        for i, s in enumerate(survivors):
            for seq, entry_id in s.pushed(hub):
                self._agree(self.marks.get(seq, (entry_id, i))[0], entry_id, seq, s.name)
                self.marks.setdefault(seq, (entry_id, i))

    @staticmethod
    def _agree(known: bytes, offered: bytes, seq: int, who: str) -> None:
        if known != offered:
            raise SurvivorsDisagree(
                f"position {seq}: {who} names entry {offered.hex()} where another names "
                f"{known.hex()}: the lost hub showed different histories"
            )

    def window(self, first: int, size: int, *, entries: bool) -> dict[int, _Place]:
        """Return what survivors know of positions first … first + size - 1."""
        out: dict[int, _Place] = {}
        for i, s in enumerate(self.survivors):
            for p in s.held(self.log, first - 1, size):
                if p.seq >= first + size:
                    break
                known = out.get(p.seq)
                if known is not None:
                    self._agree(known.id, p.id, p.seq, s.name)
                entry = None
                if entries and p.row is not None and (known is None or known.entry is None):
                    decoded = decode_row(p.row.signed, p.row.signature)
                    # A row that is not the entry it is noted as (a survivor's store edited)
                    # is no copy of it: another survivor's may be.
                    entry = decoded if isinstance(decoded, Entry) and decoded.id == p.id else None
                if known is None or (known.entry is None and entry is not None):
                    out[p.seq] = _Place(p.id, entry, i if entry is not None else -1)
        for seq in range(first, first + size):
            mark = self.marks.get(seq)
            if mark is None:
                continue
            known = out.get(seq)
            if known is not None:
                self._agree(known.id, mark[0], seq, self.survivors[mark[1]].name)
            else:
                out[seq] = _Place(mark[0], None, -1)
        if entries:
            for place in out.values():
                if place.entry is None:
                    self._find(place)
        return out

    def _find(self, place: _Place) -> None:
        for i, s in enumerate(self.survivors):
            entry = s.entry(place.id)
            if entry is not None and entry.id == place.id:
                place.entry, place.holder = entry, i
                return

    def first_known(self, first: int) -> int | None:
        """Return the first position at or after `first` that any survivor knows."""
        found = [p.seq for s in self.survivors for p in s.held(self.log, first - 1, 1)]
        found += [seq for seq in self.marks if seq >= first]
        return min(found, default=None)


Prepared = tuple[dict[int, _Place], dict[bytes, bool | None]]


class _Ahead:
    """The next window read, decoded and its signatures verified (in batch, on every core)
    while the current run is stored."""

    def __init__(self, places: _Places, node: Node, batch: int, pool: ThreadPoolExecutor):
        self._places = places
        self._node = node
        self._batch = batch
        self._pool = pool
        self._at: int | None = None
        self._future: Future[Prepared] | None = None

    def _prepare(self, position: int) -> Prepared:
        window = self._places.window(position, self._batch, entries=True)
        entries = [p.entry for p in window.values() if p.entry is not None]
        # A key certified by an entry of the run being stored is not known yet: its
        # answer is None, and the receiving path verifies that signature itself.
        answers = self._node.directory.verify_batch(entries)
        return window, {e.id: ok for e, ok in zip(entries, answers, strict=True)}

    def start(self, position: int) -> None:
        """Begin preparing the window at `position`."""
        self._settle()
        self._at, self._future = position, self._pool.submit(self._prepare, position)

    def take(self, position: int) -> Prepared:
        """Return the window at `position` (prepared ahead if it was the one started)."""
        if self._at == position and self._future is not None:
            future, self._future, self._at = self._future, None, None
            return future.result()
        self._settle()
        return self._prepare(position)

    def _settle(self) -> None:
        if self._future is not None:
            self._future.result()  # one reader of the survivors' stores at a time
            self._future, self._at = None, None


def _check_prefix(node: Node, places: _Places, held: int, new_key: bool = False) -> None:
    """Check that what the hub's store holds is the old log's prefix, as survivors say."""
    try:
        _check_ids(node, places, held)
    except SurvivorsDisagree as exc:
        if new_key and node.keys.key_id in node.directory.certs:
            raise SurvivorsDisagree(
                f"{exc.detail}; a hub under a new key that takes over a lost log keeps its "
                "log empty until the rebuild: enroll a new directory with `carechain node "
                "enroll --empty-log` and import the certificate after the rebuild"
            ) from exc
        raise


def _check_ids(node: Node, places: _Places, held: int) -> None:
    after = 0
    while after < held:
        ids = node.store.ids(after, min(BATCH, held - after))
        known = places.window(after + 1, len(ids), entries=False)
        for offset, entry_id in enumerate(ids):
            place = known.get(after + 1 + offset)
            if place is not None and place.id != entry_id:
                raise SurvivorsDisagree(
                    f"position {after + 1 + offset}: the hub's store holds entry "
                    f"{entry_id.hex()}, survivors name {place.id.hex()}: rebuild into an "
                    "empty store"
                )
        after += len(ids)


def _store_run(
    node: Node,
    keeper: HeadKeeper,
    places: _Places,
    run: list[tuple[int, _Place]],
    signatures: dict[bytes, bool | None],
    report: RebuildReport,
    in_order: bool,
) -> bool:
    """Hand a run of entries to the receiving path; return whether order still holds."""
    deliveries: list[Delivery] = []
    for _, place in run:
        assert place.entry is not None
        cert = places.survivors[place.holder].cert
        if not deliveries or deliveries[-1].peer is not cert:
            deliveries.append(Delivery(cert, [], signatures=[]))
        items, answers = deliveries[-1].items, deliveries[-1].signatures
        assert isinstance(items, list) and isinstance(answers, list)
        items.append(Received(place.entry))
        answers.append(signatures.get(place.entry.id))
    outcomes = receive(node, keeper, deliveries)
    results = [r for o in outcomes for r in o.results]
    for (seq, place), result in zip(run, results, strict=True):
        name = places.survivors[place.holder].name
        if isinstance(result, IngestResult) and result.error is None:
            report.by_survivor[name] = report.by_survivor.get(name, 0) + 1
            if in_order and result.seq != seq:
                raise InvalidInput(
                    f"entry {place.id.hex()} of position {seq} was stored at {result.seq}: "
                    "the hub's store holds entries that are not the old log's"
                )
            report.placed += int(in_order)
            report.replaced += int(not in_order)
            continue
        error = result if isinstance(result, CarechainError) else result.error
        assert error is not None
        report.refused.append(f"position {seq}: entry {place.id.hex()} from {name}: {error}")
        _lost(report, seq, seq, [place.id])
        in_order = False
    return in_order


def _lost(report: RebuildReport, first: int, last: int, ids: Sequence[bytes]) -> None:
    proven_by = sorted(
        {f"{h.holder}: size {h.head.size}" for h in report.heads if h.head.size >= first}
    )
    if report.missing and report.missing[-1].last == first - 1:
        run = report.missing[-1]
        run.last = last
    else:
        run = Missing(first, last, proven_by=proven_by)
        report.missing.append(run)
    room = MOST_IDS - len(run.ids)
    run.ids += [i.hex() for i in ids[: max(room, 0)]]


def rebuild_hub(
    node: Node,
    survivors: Sequence[Survivor],
    *,
    batch: int = BATCH,
    progress: Progress | None = None,
    log_key: bytes | None = None,
) -> RebuildReport:
    """Put back every entry of the hub's lost log the survivors hold, at its old position;
    report what came back, what is lost, and which survivors' heads the result proves."""
    if node.info.role != "hub":
        raise InvalidInput(f"node {node.info.name!r} is a {node.info.role}, not a hub")
    started = time.monotonic()
    # The lost log is named by the key that signed its heads: the hub's own, or, when the
    # trust has certified the hub a new key, the old one (`log_key`).
    log = log_id_from_key(log_key or node.keys.sign_public)
    report = RebuildReport(hub=node.info.name, log_id=log.hex())
    for s in survivors:
        report.heads += [HeadCheck(s.name, h, False) for h in s.heads]
        report.refused_heads += [f"{s.name}: {r}" for r in s.refused_heads]
    top = max((h.head.size for h in report.heads), default=0)
    places = _Places(survivors, log, node.info.name)
    report.held_before = node.store.count()
    status = _Status(node, report, top, progress)
    try:
        _check_prefix(node, places, report.held_before, log_key is not None)
        with ThreadPoolExecutor(1, thread_name_prefix="carechain-rebuild") as pool:
            _walk(node, places, _Ahead(places, node, batch, pool), report, top, status)
        _prove(node, report)
    except BaseException as exc:
        status.fail(exc)
        raise
    report.seconds = time.monotonic() - started
    status.finish()
    return report


class _Status:
    """The rebuild's progress, kept in the hub's own store (`recovery:rebuild`) for the
    admin console of the serving hub: at the start, at most once a second, and at the end."""

    EVERY_S = 1.0

    def __init__(self, node: Node, report: RebuildReport, top: int,
                 progress: Progress | None) -> None:
        self.node, self.report, self.top, self.progress = node, report, top, progress
        self.started = time.monotonic()
        self.written = 0.0
        self.row: dict[str, object] = {
            "state": "running", "started_ms": node.wall.now_ms(), "total": top,
            "done": report.held_before, "placed": 0, "entries_per_s": 0, "lost": 0,
            "heads": len(report.heads), "heads_proven": 0, "error": "",
        }
        self._write()

    def _write(self) -> None:
        self.row["updated_ms"] = self.node.wall.now_ms()
        self.row["placed"] = self.report.placed
        self.row["lost"] = sum(m.last - m.first + 1 for m in self.report.missing)
        elapsed = time.monotonic() - self.started
        self.row["entries_per_s"] = round(self.report.placed / elapsed) if elapsed > 0 else 0
        write_status(self.node.store, REBUILD_KEY, self.row)
        self.written = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        self.row["done"] = done
        if time.monotonic() - self.written >= self.EVERY_S:
            self._write()
        if self.progress is not None:
            self.progress(done, total)

    def finish(self) -> None:
        """Record the result."""
        self.row.update(state="complete" if self.report.complete else "incomplete",
                        done=self.report.size,
                        heads_proven=sum(h.proven for h in self.report.heads))
        self._write()

    def fail(self, exc: BaseException) -> None:
        """Record that the run stopped on an error (it resumes when run again)."""
        self.row.update(state="failed", error=str(exc)[:300] or type(exc).__name__)
        with contextlib.suppress(CarechainError):
            self._write()


def _walk(
    node: Node,
    places: _Places,
    ahead: _Ahead,
    report: RebuildReport,
    top: int,
    progress: Progress,
) -> None:
    """Walk the old log's positions from the first one the store lacks, storing runs."""
    keeper = HeadKeeper(node.store, node.directory)
    position = report.held_before + 1  # the next position of the old log
    in_order = True
    ahead.start(position)
    while True:
        window, signatures = ahead.take(position)
        run: list[tuple[int, _Place]] = []
        while position + len(run) in window and window[position + len(run)].entry is not None:
            run.append((position + len(run), window[position + len(run)]))
        if run:
            ahead.start(position + len(run))  # read while this run is stored
            in_order = _store_run(node, keeper, places, run, signatures, report, in_order)
            position += len(run)
            progress(position - 1, top)
            continue
        known = window.get(position)
        if known is not None:  # its id is known, the entry is nowhere
            _lost(report, position, position, [known.id])
            in_order, position = False, position + 1
            continue
        upcoming = places.first_known(position)
        if upcoming is None:
            if position <= top:
                _lost(report, position, top, [])
            return
        _lost(report, position, upcoming - 1, [])
        in_order, position = False, upcoming


def _prove(node: Node, report: RebuildReport) -> None:
    """Check each survivor's head against the rebuilt log: same root at its size."""
    store = node.store
    tree = TiledTree(store.tree_size(), store.tile)  # the tiles written with the entries
    report.size = tree.size
    report.heads = [
        HeadCheck(h.holder, h.head, _same(tree, h.head.size, h.head.root)) for h in report.heads
    ]


def _same(tree: TiledTree, size: int, root: bytes) -> bool:
    return size <= tree.size and tree.root(size) == root
