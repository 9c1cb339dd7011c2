"""Hybrid logical clock: timestamps that follow wall time but never go backwards.

A timestamp is one 64-bit integer: milliseconds since the epoch shifted left by 16 bits, plus a
16-bit counter. Comparing two integers compares (time, counter). `observe` folds in a timestamp
seen from a peer, so every version a node makes after merging a peer's is ordered after it, even
when the two clocks disagree.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

COUNTER_BITS = 16
COUNTER_MASK = (1 << COUNTER_BITS) - 1


def pack(ms: int, counter: int = 0) -> int:
    return (ms << COUNTER_BITS) | counter


def wall_ms(ts: int) -> int:
    """The wall-clock part of a timestamp, in milliseconds since the epoch."""
    return ts >> COUNTER_BITS


class HybridClock:
    """A thread-safe HLC. `now_ms` is injectable so tests can drive time."""

    def __init__(self, last: int = 0, now_ms: Callable[[], int] | None = None) -> None:
        import time

        self._last = last
        self._now_ms = now_ms or (lambda: time.time_ns() // 1_000_000)
        self._lock = threading.Lock()

    def now(self) -> int:
        with self._lock:
            candidate = pack(self._now_ms())
            self._last = candidate if candidate > self._last else self._last + 1
            return self._last

    def observe(self, remote: int) -> None:
        with self._lock:
            if remote > self._last:
                self._last = remote

    @property
    def last(self) -> int:
        return self._last
