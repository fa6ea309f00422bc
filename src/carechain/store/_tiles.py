"""The log's Merkle tree on disk: tiles written with the entries they cover.

Leaf i of the tree is `leaf_hash(id of the entry with seq i + 1)`: the tree of the hub's
transparency log and of the node's own signed head. Table `tree_tiles(level, idx, width,
hashes)` keeps it cut into tlog-tiles tiles (`carechain.transparency.tiles`). Every append
writes the tiles its entries change in its own transaction, so a crash keeps or loses
entries and tiles together. If the log holds entries the tiles do not cover yet (a store
an older version filled, or entries an older process appended to a shared PostgreSQL
database), the next writer covers them first from the entries: work bounded by what is not
yet tiled, never by the log. Both engines run the same statements (`P` is their
placeholder).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence

from carechain.errors import StoreError
from carechain.transparency import TILE_HEIGHT, Tile, TileEdge, leaf_hash

__all__ = [
    "BACKLOG_BATCH",
    "EDGE",
    "SIZE",
    "Edge",
    "covered",
    "size_of",
    "tile_sql",
    "upsert_sql",
    "write_tiles",
]

log = logging.getLogger("carechain.store")

FULL = 1 << TILE_HEIGHT
PAGE = 50_000  # ids read from the entries at a time while covering a backlog
BACKLOG_BATCH = 1_000_000  # entries covered per transaction when a store opens behind

# The partial tiles (at most one per level): the tree's size and its right edge.
EDGE = f"SELECT level, idx, hashes FROM tree_tiles WHERE width < {FULL}"
SIZE = f"SELECT level, width FROM tree_tiles WHERE width < {FULL}"

Edge = Callable[[], Iterable[tuple[int, int, bytes]]]


def tile_sql(p: str) -> str:
    """Return the query of one tile's hashes, with the engine's placeholder `p`."""
    return f"SELECT hashes FROM tree_tiles WHERE level = {p} AND idx = {p}"


def upsert_sql(p: str) -> str:
    """Return the statement that writes a tile, with the engine's placeholder `p`."""
    return (
        f"INSERT INTO tree_tiles (level, idx, width, hashes) VALUES ({p}, {p}, {p}, {p}) "
        "ON CONFLICT (level, idx) DO UPDATE SET width = excluded.width, hashes = excluded.hashes"
    )


def size_of(rows: Iterable[tuple[int, int]]) -> int:
    """Return the number of leaves the tiles cover, from the (level, width) of the partial ones."""
    return sum(int(width) << (TILE_HEIGHT * int(level)) for level, width in rows)


def rows_of(tiles: Sequence[Tile]) -> list[tuple[int, int, int, bytes]]:
    """Return tiles as rows of `tree_tiles`."""
    return [(level, index, len(hashes) // 32, hashes) for level, index, hashes in tiles]


def _edge(read_edge: Edge) -> TileEdge:
    try:
        return TileEdge.from_tiles((int(lv), int(i), bytes(h)) for lv, i, h in read_edge())
    except ValueError as exc:
        raise StoreError(f"the tree's tiles are damaged: {exc}") from exc


def write_tiles(
    *,
    read_edge: Edge,
    read_ids: Callable[[int, int], list[bytes]],
    write: Callable[[list[tuple[int, int, int, bytes]]], None],
    before: int,
    added: Sequence[bytes] = (),
) -> int:
    """Cover the first `before` entries (from the entries, if the tiles lag) and then the
    `added` ids in the caller's transaction; return the size the tiles now cover."""
    edge = _edge(read_edge)
    if edge.size > before:
        raise StoreError(f"the tree's tiles cover {edge.size} entries; the log holds {before}")
    while edge.size < before:
        ids = read_ids(edge.size, min(PAGE, before - edge.size))
        if not ids:
            raise StoreError(f"entries after {edge.size} are missing: the log is not dense")
        edge.extend(leaf_hash(i) for i in ids)
        write(rows_of(edge.take_changed()))  # a page at a time: memory stays bounded
    edge.extend(leaf_hash(i) for i in added)
    write(rows_of(edge.take_changed()))
    return edge.size


def covered(tiled: int, count: int, what: str) -> None:
    """Say how far covering a store's entries with tiles has gone."""
    log.warning("%s: building the log's tree tiles: %d of %d entries so far", what, tiled, count)
