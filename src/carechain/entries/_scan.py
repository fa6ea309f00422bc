"""A structural pre-scan of CBOR bytes, before any of them reach a decoder.

carechain's encoding uses integers, byte and text strings, arrays, maps with text keys,
booleans and null, all of definite length. The scan walks the item heads of the bytes
without building a single value and refuses, before any decoding work:

- any tag (major type 6): the canonical encoding defines none, and shared references
  (tags 28 and 29) let a few bytes stand for an exponentially large value;
- indefinite lengths and the reserved head values;
- floats, `undefined` and the other simple values;
- map keys that are not text;
- nesting deeper than `max_depth`, more than `max_items` items, a length that claims
  more items or bytes than are left, truncated input and trailing bytes.

It is linear in the number of item heads (strings are skipped by their length), so a
refusal costs no more than reading the bytes once. This is parsing, not cryptography.
"""

from __future__ import annotations

from carechain.errors import BadEncoding

__all__ = ["MAX_DEPTH", "MAX_ITEMS", "scan"]

MAX_DEPTH = 16  # the deepest carechain message nests 5 levels
MAX_ITEMS = 262_144  # a pull page of 1,000 entries with proofs is about 40,000

_SIMPLE_OK = (20, 21, 22)  # false, true, null


def _refuse(at: int, why: str) -> BadEncoding:
    return BadEncoding(f"CBOR at byte {at}: {why}")


def scan(data: bytes, *, max_depth: int = MAX_DEPTH, max_items: int = MAX_ITEMS) -> None:
    """Refuse bytes that are not one bounded, tag-free CBOR item of carechain's kinds."""
    n = len(data)
    i = 0
    items = 0
    # Items still expected at each open level; a map's level counts keys and values and
    # is negative, so that an even count left means the next item is a key.
    stack = [1]
    while stack:
        left = stack[-1]
        if left == 0:
            stack.pop()
            continue
        key = left < 0 and not left & 1
        stack[-1] = left + 1 if left < 0 else left - 1
        if i >= n:
            raise _refuse(i, "the input ends inside an item")
        start = i
        head = data[i]
        i += 1
        major = head >> 5
        ai = head & 31
        if ai < 24:
            arg = ai
        elif ai < 28:
            width = 1 << (ai - 24)
            if i + width > n:
                raise _refuse(start, "the input ends inside an item head")
            arg = int.from_bytes(data[i : i + width], "big")
            i += width
        elif ai == 31:
            raise _refuse(start, "indefinite lengths are not allowed")
        else:
            raise _refuse(start, f"reserved head value {ai}")
        items += 1
        if items > max_items:
            raise _refuse(start, f"more than {max_items} items")
        if key and major != 3:
            raise _refuse(start, "map keys must be text")
        if major < 2:
            continue
        if major < 4:
            if arg > n - i:
                raise _refuse(start, "a string is longer than the input left")
            i += arg
            continue
        if major < 6:
            count = arg * 2 if major == 5 else arg
            if count > n - i:  # every item takes at least one byte
                raise _refuse(start, "a length claims more items than the input holds")
            if len(stack) > max_depth:
                raise _refuse(start, f"nested deeper than {max_depth} levels")
            if count:
                stack.append(-count if major == 5 else count)
            continue
        if major == 6:
            raise _refuse(start, f"tag {arg}: tags are not part of carechain's encoding")
        if ai not in _SIMPLE_OK:
            raise _refuse(start, "floats and simple values other than true, false, null "
                          "are not allowed")
    if i != n:
        raise _refuse(i, "trailing bytes after the item")
