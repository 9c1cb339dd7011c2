"""Hybrid logical clock (core/hlc.py): never goes backwards, orders after what it observed."""

from __future__ import annotations

import threading

from hypothesis import given
from hypothesis import strategies as st

from dlbs.core.hlc import COUNTER_BITS, HybridClock, pack, wall_ms


@given(st.integers(min_value=0, max_value=2**46), st.integers(min_value=0, max_value=2**COUNTER_BITS - 1))
def test_pack_and_wall_ms_round_trip(ms: int, counter: int) -> None:
    ts = pack(ms, counter)
    assert wall_ms(ts) == ms
    assert ts & (2**COUNTER_BITS - 1) == counter


@given(st.lists(st.integers(min_value=0, max_value=2**40), min_size=1, max_size=50))
def test_now_is_strictly_increasing_whatever_the_wall_clock_does(walls: list[int]) -> None:
    it = iter(walls)
    current = [walls[0]]

    def now_ms() -> int:
        current[0] = next(it, current[0])
        return current[0]

    clock = HybridClock(now_ms=now_ms)
    stamps = [clock.now() for _ in walls]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == len(stamps)


@given(st.integers(min_value=1, max_value=2**60), st.integers(min_value=0, max_value=2**40))
def test_after_observe_now_is_later_than_the_remote_stamp(remote: int, wall: int) -> None:
    clock = HybridClock(now_ms=lambda: wall)
    clock.observe(remote)
    assert clock.now() > remote


def test_a_clock_resumed_from_last_never_repeats() -> None:
    first = HybridClock(now_ms=lambda: 1000)
    a = first.now()
    resumed = HybridClock(last=first.last, now_ms=lambda: 5)  # wall clock went back after a restart
    assert resumed.now() > a


def test_now_is_thread_safe() -> None:
    clock = HybridClock(now_ms=lambda: 42)
    out: list[int] = []
    lock = threading.Lock()

    def work() -> None:
        mine = [clock.now() for _ in range(2000)]
        with lock:
            out.extend(mine)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(out)) == 8000
