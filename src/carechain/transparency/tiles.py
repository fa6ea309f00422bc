"""A Merkle tree kept as tiles, the layout of C2SP tlog-tiles (`docs/transparency.md`).

The hashes of the tree are cut into tiles of height 8: a tile at level L holds up to 256
consecutive node hashes of height 8·L (level 0: leaf hashes; level 1: the roots of full
level-0 tiles; …). Tile `index` at level L holds the nodes `index·256 …` of that height;
the rightmost tile of each level may be *partial* (width < 256) and grows as leaves are
appended, always by appending hashes, so a partial tile is a prefix of every later
version of itself. A tree of n leaves has at most one partial tile per level, and the
partial tiles alone give its size (sum of width·256^L) and its right frontier.

- `TileEdge` is the writer's side: the partial tiles, extended with new leaf hashes,
  telling which tiles to write (full ones once, partial ones again).
- `TiledTree` is the reader's side: roots and RFC 9162 proofs at any size it knows,
  reading O(log n) tiles through a callable and keeping an LRU of them; nothing in memory
  grows with the tree.

Pure: the store decides where tiles live. `height` is a parameter only so that tests can
reach many levels with few leaves; the store always uses `TILE_HEIGHT`.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence

from carechain.transparency.hashing import HASH_SIZE, node_hash
from carechain.transparency.tree import SubtreeHashes

__all__ = [
    "TILE_CACHE",
    "TILE_HEIGHT",
    "Tile",
    "TileDamaged",
    "TileEdge",
    "TiledTree",
    "expand_tile",
    "tiles_of",
]

TILE_HEIGHT = 8  # tlog-tiles: 2**8 = 256 hashes a tile
TILE_CACHE = 1024  # tiles a TiledTree keeps (expanded, at most 16 KiB each: 16 MiB)

# (level, index, hashes): a tile to write; its width is len(hashes) // 32.
Tile = tuple[int, int, bytes]


def expand_tile(hashes: bytes) -> list[bytes]:
    """Return the rows of full subtrees inside a tile: row r holds the nodes of height r
    above the tile's own level (row 0 is the tile itself), one per full run of 2**r."""
    rows = [bytes(hashes)]
    row = rows[0]
    while len(row) >= 2 * HASH_SIZE:
        row = b"".join(
            node_hash(row[i : i + HASH_SIZE], row[i + HASH_SIZE : i + 2 * HASH_SIZE])
            for i in range(0, len(row) - HASH_SIZE, 2 * HASH_SIZE)
        )
        rows.append(row)
    return rows


class TileDamaged(ValueError):
    """A tile is missing, too narrow, or does not hash to its node in the tile above."""


class TileEdge:
    """The partial tiles at the right edge of a tiled tree: what an append extends."""

    def __init__(self, height: int = TILE_HEIGHT) -> None:
        self._height = height
        self._width = 1 << height
        self._partial: list[bytearray] = []  # per level, the hashes of its partial tile
        self._counts: list[int] = []  # per level, how many nodes of that height exist
        self._changed: dict[tuple[int, int], bytes] = {}

    @classmethod
    def from_tiles(cls, tiles: Iterable[Tile], height: int = TILE_HEIGHT) -> TileEdge:
        """Resume from the partial tiles as stored; refuse a set no tree could have."""
        edge = cls(height)
        found = {level: (index, hashes) for level, index, hashes in tiles}
        size = 0
        for level, (_, hashes) in found.items():
            width, extra = divmod(len(hashes), HASH_SIZE)
            if extra or not 0 < width < edge._width or level < 0:
                raise ValueError(f"the partial tile of level {level} holds {len(hashes)} bytes")
            size += width << (height * level)
        # A level whose node count is a multiple of the tile width has no partial tile.
        for level in range(max(found, default=-1) + 1):
            index, hashes = found.get(level, (-1, b""))
            count = size >> (height * level)
            if len(hashes) // HASH_SIZE != count % edge._width or (
                hashes and index != count >> height
            ):
                raise ValueError(f"the partial tile of level {level} is not at the tree's edge")
            edge._partial.append(bytearray(hashes))
            edge._counts.append(count)
        return edge

    @property
    def size(self) -> int:
        """Return the number of leaves the tiles cover."""
        return self._counts[0] if self._counts else 0

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Append leaf hashes; the tiles this changes are kept for `take_changed`."""
        width, partial, counts, changed = self._width, self._partial, self._counts, self._changed
        dirty: set[int] = set()
        for value in leaf_hashes:
            if len(value) != HASH_SIZE:
                raise ValueError(f"leaf hash must be {HASH_SIZE} bytes, got {len(value)}")
            level = 0
            while True:
                if level == len(partial):
                    partial.append(bytearray())
                    counts.append(0)
                partial[level] += value
                counts[level] += 1
                if counts[level] % width:
                    dirty.add(level)
                    break
                # The tile is full: written once, and its root goes one level up.
                full = bytes(partial[level])
                changed[(level, counts[level] // width - 1)] = full
                partial[level] = bytearray()
                dirty.discard(level)
                value = expand_tile(full)[-1]
                level += 1
        for level in dirty:
            if partial[level]:
                changed[(level, counts[level] // width)] = bytes(partial[level])

    def take_changed(self) -> list[Tile]:
        """Return the tiles changed since the last call (full ones, then the new partial
        ones), and forget them."""
        out = [(level, index, hashes) for (level, index), hashes in self._changed.items()]
        self._changed = {}
        return out


class TiledTree(SubtreeHashes):
    """Roots and proofs of a tree kept in tiles, read through `read_tile(level, index)`.

    `read_tile` returns the tile's hashes as stored (b"" when there is none). The tree
    knows a size (`grow` raises it) and answers for any size up to it; tiles only grow,
    so a tile read later serves every earlier size too. A full tile is checked against
    its node in the tile above as it is read (that tile is on the way to the root
    anyway), so damage below the right edge is found, not served: `TileDamaged`.
    """

    def __init__(
        self,
        size: int,
        read_tile: Callable[[int, int], bytes],
        *,
        height: int = TILE_HEIGHT,
        cache: int = TILE_CACHE,
    ) -> None:
        self._size = size
        self._read = read_tile
        self._height = height
        self._cache_size = cache
        self._tiles: OrderedDict[tuple[int, int], list[bytes]] = OrderedDict()
        self.reads = 0  # tiles read through `read_tile` (for tests and benchmarks)

    def grow(self, size: int) -> None:
        """Serve sizes up to `size` from now on (a tree never shrinks)."""
        if size < self._size:
            raise ValueError(f"a tree of {self._size} leaves cannot shrink to {size}")
        self._size = size

    def _node(self, height: int, index: int) -> bytes:
        level, row = divmod(height, self._height)
        first = index << row  # the first node of the tile's own height under this one
        tile = first >> self._height
        rows = self._tile(level, tile, first + (1 << row) - (tile << self._height))
        at = (index - (tile << (self._height - row))) * HASH_SIZE
        return rows[row][at : at + HASH_SIZE]

    def _tile(self, level: int, index: int, needed: int) -> list[bytes]:
        """Return the expanded tile, read again if the cached one is narrower than needed."""
        key = (level, index)
        rows = self._tiles.get(key)
        if rows is not None and len(rows[0]) >= needed * HASH_SIZE:
            self._tiles.move_to_end(key)
            return rows
        hashes = self._read(level, index)
        self.reads += 1
        if len(hashes) < needed * HASH_SIZE:
            raise TileDamaged(
                f"tile {level}/{index} holds {len(hashes) // HASH_SIZE} hashes, "
                f"{needed} needed for a tree of {self._size}"
            )
        rows = expand_tile(hashes)
        if len(rows) > self._height:  # a full tile: its root is the parent tile's node
            parent = self._node(self._height * (level + 1), index)
            if rows[self._height] != parent:
                raise TileDamaged(f"tile {level}/{index} does not hash to its node above")
        self._tiles[key] = rows
        self._tiles.move_to_end(key)
        while len(self._tiles) > self._cache_size:
            self._tiles.popitem(last=False)
        return rows


def tiles_of(
    leaf_hashes: Sequence[bytes], height: int = TILE_HEIGHT
) -> dict[tuple[int, int], bytes]:
    """Return every tile of a tree of these leaves (for tests and checks)."""
    edge = TileEdge(height)
    edge.extend(leaf_hashes)
    return {(level, index): hashes for level, index, hashes in edge.take_changed()}
