"""Batch signature checks: `verify_many` answers as `verify_signature` would, item by item."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache

import nacl.signing
import pytest
from hypothesis import given
from hypothesis import strategies as st

from carechain.entries import crypto
from tests.entries.verify_spy import verifying_threads

Item = tuple[bytes, bytes, bytes]
Maker = Callable[[bytes, bytes, int], tuple[Item, bool]]

SEEDS = [bytes([i]) * 32 for i in range(1, 5)]
MESSAGES = [b"", b"m", b"entry id " + bytes(range(23)), b"\x00" * 32, bytes(range(256))]


@cache
def public_key(seed: bytes) -> bytes:
    """Return the Ed25519 public key of a seed."""
    return bytes(nacl.signing.SigningKey(seed).verify_key)


@cache
def signature(seed: bytes, message: bytes) -> bytes:
    """Return the signature of message under the seed's key (cached: signing is the cost)."""
    return crypto.sign(seed, message)


def other_seed(seed: bytes) -> bytes:
    """Return a seed other than this one."""
    return SEEDS[1] if seed == SEEDS[0] else SEEDS[0]


def flipped(value: bytes, position: int) -> bytes:
    """Return value with one bit of one byte inverted."""
    mutable = bytearray(value)
    mutable[position % len(mutable)] ^= 0x10
    return bytes(mutable)


# Each kind makes one (public key, message, signature) triple from a seed, a message and a
# position, and says whether it is good.
KINDS: dict[str, Maker] = {
    "good": lambda k, m, n: ((public_key(k), m, signature(k, m)), True),
    "flipped signature": lambda k, m, n: ((public_key(k), m, flipped(signature(k, m), n)), False),
    "flipped key": lambda k, m, n: ((flipped(public_key(k), n), m, signature(k, m)), False),
    "other message": lambda k, m, n: ((public_key(k), m + b"!", signature(k, m)), False),
    "other key": lambda k, m, n: ((public_key(other_seed(k)), m, signature(k, m)), False),
    "short key": lambda k, m, n: ((public_key(k)[:31], m, signature(k, m)), False),
    "long key": lambda k, m, n: ((public_key(k) + b"\x00", m, signature(k, m)), False),
    "empty key": lambda k, m, n: ((b"", m, signature(k, m)), False),
    "short signature": lambda k, m, n: ((public_key(k), m, signature(k, m)[:63]), False),
    "long signature": lambda k, m, n: ((public_key(k), m, signature(k, m) + b"\x00"), False),
    "empty signature": lambda k, m, n: ((public_key(k), m, b""), False),
    "zero signature": lambda k, m, n: ((public_key(k), m, bytes(64)), False),
    "not a point": lambda k, m, n: ((b"\xff" * 32, m, signature(k, m)), False),
    "signature and message swapped": lambda k, m, n: ((public_key(k), signature(k, m), m), False),
}
KIND_NAMES = sorted(KINDS)


def build(kinds: Sequence[str]) -> tuple[list[Item], list[bool]]:
    """Return a batch of the given kinds (cycling keys and messages) and the right answers."""
    items: list[Item] = []
    want: list[bool] = []
    for i, kind in enumerate(kinds):
        item, ok = KINDS[kind](SEEDS[i % len(SEEDS)], MESSAGES[i % len(MESSAGES)], i)
        items.append(item)
        want.append(ok)
    return items, want


def mixed(n: int) -> list[str]:
    """Return n kinds: mostly good, every bad kind at positions spread through the batch."""
    return [KIND_NAMES[(i * 7) % len(KIND_NAMES)] if i % 3 else "good" for i in range(n)]


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_each_kind_alone(kind: str) -> None:
    """Answer each kind of triple as verify_signature does, and as its name says."""
    items, want = build([kind])
    assert crypto.verify_many(items) == want == [crypto.verify_signature(*items[0])]


P = crypto.PARALLEL_FROM


@pytest.mark.parametrize(
    "n", [0, 1, 2, P - 1, P, P + 1, 2 * P - 1, 2 * P, 2 * P + 3, 3 * P + 1, 5 * P + 7]
)
def test_mixed_batches_below_and_above_the_parallel_threshold(n: int) -> None:
    """Give every answer in its own position, in and out of the thread pool."""
    items, want = build(mixed(n))
    got = crypto.verify_many(items)
    assert got == want
    assert got == [crypto.verify_signature(*item) for item in items]
    if n >= 10:
        assert True in got and False in got


@pytest.mark.parametrize("workers", [1, 2, 3, 4, 5, 7])
@pytest.mark.parametrize("n", [P - 1, P, P + 1, 2 * P + 3, 101])
def test_order_is_kept_for_any_number_of_workers(
    monkeypatch: pytest.MonkeyPatch, workers: int, n: int
) -> None:
    """Split the batch into uneven slices for any worker count and still answer in order."""
    monkeypatch.setattr(crypto, "_workers", lambda: workers)
    # Only the last item is bad, then only the first: a shift by one would show.
    for bad in (n - 1, 0):
        kinds = ["good"] * n
        kinds[bad] = "flipped signature"
        items, want = build(kinds)
        assert crypto.verify_many(items) == want


def test_large_batches_run_on_the_pool_small_ones_inline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Verify a batch of PARALLEL_FROM or more off the caller's thread, a smaller one on it."""
    seen = verifying_threads(monkeypatch, 2)
    items, want = build(mixed(P - 1))
    assert crypto.verify_many(items) == want
    assert seen == [threading.current_thread().name]
    seen.clear()
    items, want = build(mixed(P))
    assert crypto.verify_many(items) == want
    assert len(seen) == 2
    assert all(name.startswith("carechain-verify") for name in seen)


def test_one_worker_never_uses_the_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a single core, verify even a large batch on the caller's thread."""
    seen = verifying_threads(monkeypatch, 1)
    items, want = build(mixed(3 * P))
    assert crypto.verify_many(items) == want
    assert seen == [threading.current_thread().name]


def test_accepts_any_sequence() -> None:
    """Take a tuple as well as a list, and answer with a list."""
    items, want = build(mixed(P + 5))
    got = crypto.verify_many(tuple(items))
    assert isinstance(got, list)
    assert got == want


def test_concurrent_callers_each_get_their_own_answers() -> None:
    """Share the pool between callers on several threads without mixing their answers."""
    batches = [build(mixed(P + 11 * i)[i:] + ["flipped key"] * i) for i in range(8)]
    with ThreadPoolExecutor(4) as callers:
        answers = list(callers.map(lambda batch: crypto.verify_many(batch[0]), batches * 3))
    assert answers == [want for _, want in batches * 3]


@given(kinds=st.lists(st.sampled_from(KIND_NAMES), max_size=3 * P))
def test_verify_many_is_verify_signature_item_by_item(kinds: list[str]) -> None:
    """Answer any batch exactly as verify_signature answers each triple, in order."""
    items, want = build(kinds)
    got = crypto.verify_many(items)
    assert got == [crypto.verify_signature(*item) for item in items]
    assert got == want
