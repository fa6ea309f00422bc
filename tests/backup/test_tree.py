"""The log's tree root computed page by page equals the transparency log's root."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carechain.backup._content import LogRoot
from carechain.backup.errors import BackupCorrupt
from carechain.transparency import MerkleTree, leaf_hash


@settings(max_examples=200, deadline=None)
@given(size=st.integers(min_value=0, max_value=300), page_power=st.integers(0, 6))
def test_paged_root_equals_the_transparency_root(size: int, page_power: int) -> None:
    page = 1 << page_power
    ids = [i.to_bytes(32, "big") for i in range(size)]
    root = LogRoot(page)
    for start in range(0, size, page):
        root.add(ids[start : start + page])
    tree = MerkleTree(leaf_hash(i) for i in ids)
    assert root.size == size and root.root() == tree.root()


def test_only_the_last_page_may_be_short() -> None:
    root = LogRoot(4)
    root.add([bytes(32)] * 3)
    with pytest.raises(BackupCorrupt):
        root.add([bytes(32)] * 4)
    with pytest.raises(ValueError):
        LogRoot(6)
