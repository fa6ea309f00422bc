"""Hybrid logical clock timestamps and the clock seam."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Protocol

__all__ = ["HLC", "Clock", "FakeClock", "HybridClock", "SystemClock"]


@dataclass(frozen=True, order=True)
class HLC:
    """A hybrid logical clock reading: wall milliseconds, then a counter."""

    ms: int
    counter: int = 0

    def to_wire(self) -> list[int]:
        """Return the signed wire form."""
        return [self.ms, self.counter]

    @classmethod
    def from_wire(cls, value: object) -> HLC:
        """Parse the wire form, refusing anything but two non-negative integers."""
        if (
            not isinstance(value, list)
            or len(value) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value)
        ):
            raise ValueError("hlc must be [milliseconds, counter]")
        return cls(value[0], value[1])


class Clock(Protocol):
    """Where wall time comes from."""

    def now_ms(self) -> int:
        """Return milliseconds since the Unix epoch."""
        ...


class SystemClock:
    """The machine's clock."""

    def now_ms(self) -> int:
        """Return milliseconds since the Unix epoch."""
        return time.time_ns() // 1_000_000


class FakeClock:
    """A clock the tests move by hand."""

    def __init__(self, ms: int = 1_700_000_000_000) -> None:
        self.ms = ms

    def now_ms(self) -> int:
        """Return the set time."""
        return self.ms

    def advance(self, ms: int) -> None:
        """Move the clock forward."""
        self.ms += ms


class HybridClock:
    """Issue HLC readings that never go backwards and follow what has been seen."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._last = HLC(0, 0)
        self._lock = threading.Lock()

    def observe(self, seen: HLC) -> None:
        """Fold a reading from another node into this clock."""
        with self._lock:
            if seen > self._last:
                self._last = seen

    def tick(self) -> HLC:
        """Return a reading later than every reading issued or observed."""
        with self._lock:
            wall = self._clock.now_ms()
            if wall > self._last.ms:
                self._last = HLC(wall, 0)
            else:
                self._last = HLC(self._last.ms, self._last.counter + 1)
            return self._last
