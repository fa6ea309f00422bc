"""Hostile CBOR for tests: the shapes an attacker sends to make a decoder do unbounded
work, and a Hypothesis strategy that mixes them with ordinary values."""

from __future__ import annotations

from typing import Any

import cbor2
from hypothesis import strategies as st

__all__ = [
    "SELF_REFERENCE",
    "hostile_values",
    "shared_dag",
    "with_tags",
]

# A list whose only item is itself (tag 28 marks it shareable, tag 29 refers to it):
# what the attack put after `…entries` to get a 500 from /sync/v1/directory and /push.
SELF_REFERENCE = bytes.fromhex("d81c81d81d00")


def shared_dag(depth: int, message: bool = True) -> bytes:
    """Return a few dozen bytes that decode to a list tree of 2**depth leaves through
    shared references: each level is a pair of references to the level below."""
    x: list[Any] = []
    for _ in range(depth):
        x = [x, x]
    value: Any = {"v": 1, "entries": x} if message else x
    return bytes(cbor2.dumps(value, value_sharing=True))


def with_tags(value: Any, tag: int) -> bytes:
    """Return a value wrapped in a tag (any number) as CBOR."""
    return bytes(cbor2.dumps(cbor2.CBORTag(tag, value)))


_leaves = (
    st.none()
    | st.booleans()
    | st.integers(-(2**64) + 1, 2**64 - 1)
    | st.binary(max_size=64)
    | st.text(max_size=16)
    | st.floats(allow_nan=False)
)


def _tagged(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.builds(cbor2.CBORTag, st.sampled_from([0, 1, 2, 24, 28, 29, 55799, 258]), children)


hostile_values = st.recursive(
    _leaves,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4)
    | _tagged(children),
    max_leaves=20,
)
