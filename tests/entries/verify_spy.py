"""A spy on `crypto.verify_many`: how many workers it may use, and which threads verify."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest

from carechain.entries import crypto

Item = tuple[bytes, bytes, bytes]


def verifying_threads(monkeypatch: pytest.MonkeyPatch, workers: int) -> list[str]:
    """Give verify_many `workers` workers; return the list the verifying threads' names go to."""
    monkeypatch.setattr(crypto, "_workers", lambda: workers)
    seen: list[str] = []
    real = crypto._verify_slice

    def spy(items: Sequence[Item]) -> list[bool]:
        seen.append(threading.current_thread().name)
        return real(items)

    monkeypatch.setattr(crypto, "_verify_slice", spy)
    return seen
