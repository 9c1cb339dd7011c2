"""Retention: which snapshots a keep policy keeps, with the semantics of restic's `forget`.

Snapshots are grouped by (host, paths); within a group they are walked newest first. `keep_last
N` keeps the N newest. Each bucketed rule (hourly, daily, weekly, monthly, yearly) keeps the
newest snapshot of each of the N most recent buckets (hours, days, ISO weeks, months, years, in
local time) that have one. A snapshot is kept if any rule keeps it; the rest are forgotten.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from dlbs.core.snapshot import SnapshotInfo
from dlbs.errors import InvalidInput

RULES = ("last", "hourly", "daily", "weekly", "monthly", "yearly")


@dataclass(frozen=True)
class KeepPolicy:
    last: int = 0
    hourly: int = 0
    daily: int = 0
    weekly: int = 0
    monthly: int = 0
    yearly: int = 0

    def __post_init__(self) -> None:
        for rule in RULES:
            n = getattr(self, rule)
            if not isinstance(n, int) or isinstance(n, bool) or n < 0:
                raise InvalidInput("invalid keep rule", f"keep-{rule} must be a whole number >= 0 (got {n!r})")

    @property
    def empty(self) -> bool:
        return all(getattr(self, r) == 0 for r in RULES)

    @classmethod
    def from_dict(cls, d: dict[str, object]) -> KeepPolicy:
        unknown = set(d) - {f"keep_{r}" for r in RULES} - set(RULES)
        if unknown:
            raise InvalidInput("invalid keep rule", f"unknown rule(s): {', '.join(sorted(unknown))}")
        values = {r: d.get(f"keep_{r}", d.get(r, 0)) for r in RULES}
        return cls(**values)  # type: ignore[arg-type]


def _bucket(rule: str) -> Callable[[datetime], object]:
    return {
        "hourly": lambda t: (t.year, t.month, t.day, t.hour),
        "daily": lambda t: (t.year, t.month, t.day),
        "weekly": lambda t: t.isocalendar()[:2],
        "monthly": lambda t: (t.year, t.month),
        "yearly": lambda t: t.year,
    }[rule]


@dataclass(frozen=True)
class Decision:
    keep: tuple[SnapshotInfo, ...]
    forget: tuple[SnapshotInfo, ...]
    reasons: dict[str, tuple[str, ...]]


def apply_policy(snapshots: Iterable[SnapshotInfo], policy: KeepPolicy) -> Decision:
    if policy.empty:
        raise InvalidInput("no keep rule", "give at least one of --keep-last/-hourly/-daily/-weekly/-monthly/-yearly")
    groups: dict[tuple[str, tuple[str, ...]], list[SnapshotInfo]] = {}
    for s in snapshots:
        groups.setdefault((s.host, tuple(sorted(s.paths))), []).append(s)
    keep: list[SnapshotInfo] = []
    forget: list[SnapshotInfo] = []
    reasons: dict[str, tuple[str, ...]] = {}
    for group in groups.values():
        group.sort(key=lambda s: (s.time, s.id), reverse=True)
        remaining = {r: getattr(policy, r) for r in RULES}
        last_bucket: dict[str, object] = {}
        for snap in group:
            t = datetime.fromtimestamp(snap.time)
            why: list[str] = []
            if remaining["last"] > 0:
                remaining["last"] -= 1
                why.append("last")
            for rule in RULES[1:]:
                if remaining[rule] <= 0:
                    continue
                b = _bucket(rule)(t)
                if last_bucket.get(rule) != b:
                    last_bucket[rule] = b
                    remaining[rule] -= 1
                    why.append(rule)
            if why:
                keep.append(snap)
                reasons[snap.id] = tuple(why)
            else:
                forget.append(snap)
    return Decision(tuple(keep), tuple(forget), reasons)
