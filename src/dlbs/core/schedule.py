"""When a scheduled job is due: pure time arithmetic, in local time.

Schedules: "daily" (at `at`, default 02:00), "hourly" (at the top of the hour), or a number of
seconds. A job is due when the most recent scheduled instant is later than its last run, so a
device that was off at 02:00 runs the backup as soon as it is back (catch-up), once.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from dlbs.errors import InvalidInput


def parse_at(at: str) -> tuple[int, int]:
    try:
        h, m = (int(x) for x in at.split(":"))
    except ValueError:
        raise InvalidInput("invalid time", f"{at!r}: use HH:MM") from None
    if not (0 <= h < 24 and 0 <= m < 60):
        raise InvalidInput("invalid time", f"{at!r}: use HH:MM")
    return h, m


def last_slot(schedule: str | int, now: float, at: str = "02:00") -> float:
    """The most recent scheduled instant at or before `now` (epoch seconds)."""
    if isinstance(schedule, int) and not isinstance(schedule, bool):
        if schedule < 10:
            raise InvalidInput("invalid schedule", "a schedule in seconds must be at least 10")
        return now - (now % schedule)
    # Whole seconds: fromtimestamp rounds to the microsecond, so 10:59:59.9999998 became 11:00.
    # Slots fall on whole minutes, so flooring never moves one across `now`.
    t = datetime.fromtimestamp(math.floor(now))
    if schedule == "hourly":
        return t.replace(minute=0, second=0, microsecond=0).timestamp()
    if schedule == "daily":
        h, m = parse_at(at)
        slot = t.replace(hour=h, minute=m, second=0, microsecond=0)
        if slot > t:
            slot -= timedelta(days=1)
        return slot.timestamp()
    raise InvalidInput("invalid schedule", f"{schedule!r}: use daily, hourly or a number of seconds")


def is_due(schedule: str | int, last_run: float | None, now: float, at: str = "02:00") -> bool:
    if last_run is None:
        return True
    return last_run < last_slot(schedule, now, at)
