"""Schedules (core/schedule.py): a job is due when the latest scheduled instant is after its last
run, so a device that was off at the slot catches up once when it is back; bad input is refused."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlbs.core.schedule import is_due, last_slot, parse_at
from dlbs.errors import InvalidInput

TODAY = datetime(2024, 6, 12)  # mid-June: no DST switch near any test time


def t(days: int, hour: int, minute: int = 0) -> float:
    return (TODAY + timedelta(days=days, hours=hour, minutes=minute)).timestamp()


def test_daily_slot_is_today_at_2_once_it_has_passed() -> None:
    assert last_slot("daily", t(0, 9)) == t(0, 2)
    assert last_slot("daily", t(0, 2)) == t(0, 2)
    assert last_slot("daily", t(0, 1, 59)) == t(-1, 2)
    assert last_slot("daily", t(0, 23), at="22:30") == t(0, 22, 30)


def test_daily_catches_up_after_the_device_was_off() -> None:
    # last run yesterday 01:00, off at 02:00, back at 09:00: due, once
    assert is_due("daily", t(-1, 1), t(0, 9))
    assert not is_due("daily", t(0, 9), t(0, 9, 1))
    assert not is_due("daily", t(0, 9), t(1, 1, 59))
    assert is_due("daily", t(0, 9), t(1, 2))


def test_daily_not_due_after_todays_run() -> None:
    assert not is_due("daily", t(0, 2, 30), t(0, 9))
    assert not is_due("daily", t(-1, 2, 30), t(0, 1))  # yesterday's 02:30 run covers until today 02:00
    assert is_due("daily", t(-1, 2, 30), t(0, 2))


def test_never_run_is_due() -> None:
    for sched in ("daily", "hourly", 60):
        assert is_due(sched, None, t(0, 9))


def test_hourly() -> None:
    assert last_slot("hourly", t(0, 10, 59)) == t(0, 10)
    assert not is_due("hourly", t(0, 10, 5), t(0, 10, 59))
    assert is_due("hourly", t(0, 10, 5), t(0, 11))
    assert is_due("hourly", t(0, 9, 59), t(0, 10, 1))


def test_seconds() -> None:
    now = 1_000_000.0
    assert last_slot(600, now) == 999_600.0  # 1_000_000 - 1_000_000 % 600
    assert not is_due(600, 999_700.0, now)
    assert is_due(600, 999_500.0, now)


@pytest.mark.parametrize("sched", ["weekly", "", "DAILY", 9, 0, -60, True, 1.5])
def test_bad_schedule_raises(sched: object) -> None:
    with pytest.raises(InvalidInput):
        last_slot(sched, t(0, 9))  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        is_due(sched, t(-1, 9), t(0, 9))  # type: ignore[arg-type]


@pytest.mark.parametrize("at", ["", "2", "24:00", "02:60", "-1:00", "ab:cd", "1:2:3", "02h00"])
def test_bad_time_raises(at: str) -> None:
    with pytest.raises(InvalidInput):
        parse_at(at)
    with pytest.raises(InvalidInput):
        last_slot("daily", t(0, 9), at=at)


def test_parse_at() -> None:
    assert parse_at("02:00") == (2, 0) and parse_at("23:59") == (23, 59) and parse_at("0:5") == (0, 5)


nows = st.floats(t(-100, 0), t(100, 0), allow_nan=False)
schedules = st.one_of(st.sampled_from(["daily", "hourly"]), st.integers(10, 10 * 86400))


@settings(max_examples=300, deadline=None)
@given(schedules, nows, st.floats(0, 3 * 86400))
def test_slot_properties(sched: str | int, now: float, later: float) -> None:
    slot = last_slot(sched, now)
    period = {"daily": 86400 + 3600, "hourly": 3600}.get(sched, sched)  # type: ignore[call-overload]
    assert now - period < slot <= now
    assert last_slot(sched, slot) == slot  # a slot is its own latest slot
    assert last_slot(sched, now + later) >= slot  # slots never go backwards
    # due exactly when a slot has passed since the last run; once run, not due until the next slot
    assert is_due(sched, now, now + later) == (last_slot(sched, now + later) > now)
    assert not is_due(sched, slot, now)


def test_a_slot_never_lies_after_now_even_a_hair_before_the_hour() -> None:
    """Found by hypothesis: fromtimestamp() rounded 10:59:59.9999998 up to 11:00."""
    now = 1726790399.9999998
    assert last_slot("hourly", now) <= now
    assert last_slot("daily", now, "00:00") <= now
