"""Retention (core/retention.py) with restic's `forget` semantics: keep-last keeps the N newest;
each bucketed rule keeps the newest snapshot of each of the N most recent buckets that have one;
a snapshot is kept iff some rule keeps it; groups are (host, paths); bad rules are refused."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlbs.core.retention import RULES, KeepPolicy, apply_policy
from dlbs.core.snapshot import SnapshotInfo
from dlbs.errors import InvalidInput

BASE = datetime(2024, 6, 15, 12, 0).timestamp()  # mid-June: no DST switch near any test time
HOUR = 3600.0
DAY = 86400.0


def snap(i: int | str, t: float, host: str = "h", paths: tuple[str, ...] = ("/data",)) -> SnapshotInfo:
    sid = i if isinstance(i, str) else f"{i:032x}"
    return SnapshotInfo(id=sid, time=t, host=host, node_id="n", paths=paths, files=0, dirs=0, symlinks=0,
                        size=0, added_bytes=0, partial=False)


def kept_ids(snaps: list[SnapshotInfo], **rules: int) -> set[str]:
    d = apply_policy(snaps, KeepPolicy(**rules))
    return {s.id for s in d.keep}


def at(day: int, hour: int = 12, minute: int = 0) -> float:
    return (datetime(2024, 6, 1) + timedelta(days=day, hours=hour, minutes=minute)).timestamp()


# ---- examples -------------------------------------------------------------------------------------


def test_keep_last_keeps_the_newest() -> None:
    snaps = [snap(i, BASE + i * HOUR) for i in range(10)]
    assert kept_ids(snaps, last=3) == {snaps[i].id for i in (7, 8, 9)}
    assert kept_ids(snaps, last=50) == {s.id for s in snaps}


def test_keep_daily_keeps_the_newest_of_each_recent_day() -> None:
    # two snapshots a day on days 0..4: 09:00 and 18:00
    snaps = [snap(d * 10 + k, at(d, h)) for d in range(5) for k, h in enumerate((9, 18))]
    d = apply_policy(snaps, KeepPolicy(daily=3))
    assert {s.id for s in d.keep} == {snap(d * 10 + 1, 0).id for d in (2, 3, 4)}
    assert all(d.reasons[s.id] == ("daily",) for s in d.keep)
    assert len(d.forget) == 7


def test_days_without_a_snapshot_do_not_count() -> None:
    snaps = [snap(1, at(0)), snap(2, at(10)), snap(3, at(30)), snap(4, at(30, 13))]
    assert kept_ids(snaps, daily=3) == {snap(4, 0).id, snap(2, 0).id, snap(1, 0).id}


def test_rules_combine_and_reasons_name_them() -> None:
    snaps = [snap(i, at(i // 3, 8 + i % 3)) for i in range(9)]  # 3 a day for 3 days
    d = apply_policy(snaps, KeepPolicy(last=2, daily=2))
    assert {s.id for s in d.keep} == {snap(8, 0).id, snap(7, 0).id, snap(5, 0).id}
    assert d.reasons[snap(8, 0).id] == ("last", "daily")
    assert d.reasons[snap(7, 0).id] == ("last",)
    assert d.reasons[snap(5, 0).id] == ("daily",)


def test_hourly_weekly_monthly_yearly_buckets() -> None:
    hourly = [snap(i, at(0, 10, 5 * i)) for i in range(24)]  # 10:00 .. 11:55
    assert kept_ids(hourly, hourly=1) == {snap(23, 0).id}
    assert kept_ids(hourly, hourly=5) == {snap(23, 0).id, snap(11, 0).id}
    # 2024-06-03 is a Monday: days 2 (Mon) .. 8 (Sun) are one ISO week, day 9 the next
    weekly = [snap(1, at(1)), snap(2, at(2)), snap(3, at(8)), snap(4, at(9))]
    assert kept_ids(weekly, weekly=2) == {snap(4, 0).id, snap(3, 0).id}
    monthly = [snap(i, datetime(2023, m, 10 + i % 3).timestamp()) for i, m in enumerate((1, 1, 2, 5, 5, 12))]
    assert kept_ids(monthly, monthly=3) == {snap(5, 0).id, snap(4, 0).id, snap(2, 0).id}
    yearly = [snap(i, datetime(y, 3, 1 + i).timestamp()) for i, y in enumerate((2020, 2020, 2022, 2023, 2023))]
    assert kept_ids(yearly, yearly=2) == {snap(4, 0).id, snap(2, 0).id}


def test_groups_by_host_and_paths() -> None:
    snaps = [
        snap(1, BASE, host="a"), snap(2, BASE + 1, host="a"),
        snap(3, BASE, host="b"), snap(4, BASE + 1, host="b"),
        snap(5, BASE, paths=("/x", "/y")), snap(6, BASE + 1, paths=("/y", "/x")),  # same group: order irrelevant
        snap(7, BASE, paths=("/x",)),
    ]
    assert kept_ids(snaps, last=1) == {snap(i, 0).id for i in (2, 4, 6, 7)}


def test_every_snapshot_is_kept_or_forgotten_once() -> None:
    snaps = [snap(i, BASE + i * 7 * HOUR) for i in range(40)]
    d = apply_policy(snaps, KeepPolicy(last=2, daily=3, weekly=2))
    assert sorted(s.id for s in (*d.keep, *d.forget)) == sorted(s.id for s in snaps)
    assert set(d.reasons) == {s.id for s in d.keep}


def test_no_snapshots_gives_an_empty_decision() -> None:
    d = apply_policy([], KeepPolicy(last=1))
    assert d.keep == () and d.forget == ()


@pytest.mark.parametrize("rules", [
    {"last": -1}, {"daily": -5}, {"hourly": True}, {"weekly": 1.5}, {"monthly": "3"}, {"yearly": None},
])
def test_invalid_rules_raise_invalid_input(rules: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        KeepPolicy(**rules)  # type: ignore[arg-type]


@pytest.mark.parametrize("d", [{"keep_last": -1}, {"keep_often": 1}, {"keep_daily": "7"}, {"keep_last": 1, "x": 2}])
def test_invalid_rule_dicts_raise_invalid_input(d: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        KeepPolicy.from_dict(d)


def test_from_dict_reads_keep_names() -> None:
    assert KeepPolicy.from_dict({"keep_last": 2, "keep_daily": 7}) == KeepPolicy(last=2, daily=7)
    assert KeepPolicy.from_dict({"weekly": 4}) == KeepPolicy(weekly=4)


@pytest.mark.parametrize("snaps", [[], [snap(1, BASE)]])
def test_an_empty_policy_raises(snaps: list[SnapshotInfo]) -> None:
    with pytest.raises(InvalidInput):
        apply_policy(snaps, KeepPolicy())
    with pytest.raises(InvalidInput):
        apply_policy(snaps, KeepPolicy.from_dict({"keep_last": 0, "keep_daily": 0}))


# ---- properties against an independent model ------------------------------------------------------

BUCKETS = {
    "hourly": lambda t: (t.year, t.month, t.day, t.hour),
    "daily": lambda t: t.date(),
    "weekly": lambda t: tuple(t.isocalendar())[:2],
    "monthly": lambda t: (t.year, t.month),
    "yearly": lambda t: t.year,
}


def model_keep(snaps: list[SnapshotInfo], policy: KeepPolicy) -> dict[str, set[str]]:
    """Per rule, the ids it keeps: restic's semantics written out directly, group by group."""
    groups: dict[tuple[str, tuple[str, ...]], list[SnapshotInfo]] = {}
    for s in snaps:
        groups.setdefault((s.host, tuple(sorted(s.paths))), []).append(s)
    out: dict[str, set[str]] = {r: set() for r in RULES}
    for group in groups.values():
        newest_first = sorted(group, key=lambda s: (s.time, s.id), reverse=True)
        out["last"] |= {s.id for s in newest_first[: policy.last]}
        for rule, bucket in BUCKETS.items():
            newest_in: dict[object, str] = {}
            for s in newest_first:  # dicts keep insertion order: buckets newest first
                newest_in.setdefault(bucket(datetime.fromtimestamp(s.time)), s.id)
            out[rule] |= set(list(newest_in.values())[: getattr(policy, rule)])
    return out


@st.composite
def snapshot_sets(draw: st.DrawFn) -> list[SnapshotInfo]:
    n = draw(st.integers(0, 40))
    offsets = draw(st.lists(st.floats(0, 400 * DAY, allow_nan=False), min_size=n, max_size=n))
    hosts = draw(st.lists(st.sampled_from(["a", "b"]), min_size=n, max_size=n))
    paths = draw(st.lists(st.sampled_from([("/x",), ("/y",), ("/x", "/y")]), min_size=n, max_size=n))
    return [snap(i, BASE - 200 * DAY + round(o), hosts[i], paths[i]) for i, o in enumerate(offsets)]


policies = st.builds(KeepPolicy, last=st.integers(0, 6), hourly=st.integers(0, 4), daily=st.integers(0, 6),
                     weekly=st.integers(0, 4), monthly=st.integers(0, 4), yearly=st.integers(0, 2)
                     ).filter(lambda p: not p.empty)


@settings(max_examples=200, deadline=None)
@given(snapshot_sets(), st.integers(1, 50))
def test_keep_last_keeps_exactly_the_n_newest(snaps: list[SnapshotInfo], n: int) -> None:
    one_group = [snap(s.id, s.time) for s in snaps]
    d = apply_policy(one_group, KeepPolicy(last=n))
    assert len(d.keep) == min(n, len(one_group))
    newest = sorted(one_group, key=lambda s: (s.time, s.id), reverse=True)[:n]
    assert {s.id for s in d.keep} == {s.id for s in newest}


@settings(max_examples=200, deadline=None)
@given(snapshot_sets(), st.integers(1, 20))
def test_keep_daily_keeps_one_per_recent_day(snaps: list[SnapshotInfo], n: int) -> None:
    one_group = [snap(s.id, s.time) for s in snaps]
    d = apply_policy(one_group, KeepPolicy(daily=n))
    days = sorted({datetime.fromtimestamp(s.time).date() for s in one_group}, reverse=True)[:n]
    assert len(d.keep) == len(days)
    for day in days:
        in_day = [s for s in one_group if datetime.fromtimestamp(s.time).date() == day]
        newest = max(in_day, key=lambda s: (s.time, s.id))
        assert [s.id for s in d.keep if s.id in {x.id for x in in_day}] == [newest.id]


@settings(max_examples=300, deadline=None)
@given(snapshot_sets(), policies)
def test_a_snapshot_is_kept_iff_some_rule_keeps_it(snaps: list[SnapshotInfo], policy: KeepPolicy) -> None:
    d = apply_policy(snaps, policy)
    by_rule = model_keep(snaps, policy)
    expected = set().union(*by_rule.values())
    assert {s.id for s in d.keep} == expected
    assert {s.id for s in d.forget} == {s.id for s in snaps} - expected
    assert len(d.keep) + len(d.forget) == len(snaps)
    for s in d.keep:
        assert set(d.reasons[s.id]) == {r for r in RULES if s.id in by_rule[r]}


@settings(max_examples=100, deadline=None)
@given(snapshot_sets(), policies)
def test_groups_are_decided_independently(snaps: list[SnapshotInfo], policy: KeepPolicy) -> None:
    together = {s.id for s in apply_policy(snaps, policy).keep}
    apart: set[str] = set()
    for key in {(s.host, tuple(sorted(s.paths))) for s in snaps}:
        group = [s for s in snaps if (s.host, tuple(sorted(s.paths))) == key]
        apart |= {s.id for s in apply_policy(group, policy).keep}
    assert together == apart
