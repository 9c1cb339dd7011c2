"""Merge rules (core/merge.py): heads and the current version are functions of the set of
versions, not of the order they arrived in; a path is in conflict iff it has more than one head."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dlbs.core import merge
from dlbs.core.model import Version, VersionKey

ORIGINS = ["node-a", "node-b", "node-c"]


def make(origin: str, seq: int, hlc: int, deleted: bool, supersedes: tuple[VersionKey, ...]) -> Version:
    return Version(origin=origin, seq=seq, path="p", hlc=hlc, deleted=deleted, size=0 if deleted else seq,
                   mode=0o644, mtime_ns=0, sha256="" if deleted else f"{origin}{seq}", chunks=(),
                   supersedes=supersedes)


@st.composite
def histories(draw: st.DrawFn) -> list[Version]:
    """One path's versions as made by several nodes: each supersedes some earlier versions (what
    its node had seen), so the set can have one head or several (a conflict)."""
    n = draw(st.integers(1, 12))
    seqs = dict.fromkeys(ORIGINS, 0)
    last = dict.fromkeys(ORIGINS, 0)
    out: list[Version] = []
    for _ in range(n):
        origin = draw(st.sampled_from(ORIGINS))
        seqs[origin] += 1
        seen = draw(st.lists(st.sampled_from(out), unique_by=lambda v: v.key)) if out else []
        # An HLC is strictly increasing per node and after what it observed; between nodes that
        # did not see each other stamps may tie or run "backwards".
        hlc = max([last[origin], *(v.hlc for v in seen)]) + draw(st.integers(1, 3))
        last[origin] = hlc
        out.append(make(origin, seqs[origin], hlc, draw(st.booleans()), tuple(v.key for v in seen)))
    return out


def not_superseded(vs: list[Version]) -> set[VersionKey]:
    superseded = {k for v in vs for k in v.supersedes}
    return {v.key for v in vs if v.key not in superseded}


@given(histories(), st.randoms(use_true_random=False))
def test_heads_and_resolve_do_not_depend_on_input_order(vs: list[Version], rnd) -> None:  # type: ignore[no-untyped-def]
    shuffled = list(vs)
    rnd.shuffle(shuffled)
    assert merge.heads(shuffled) == merge.heads(vs)
    assert merge.resolve(shuffled) == merge.resolve(vs)
    assert merge.history_order(shuffled) == merge.history_order(vs)


@given(histories())
def test_heads_are_exactly_the_versions_nothing_supersedes(vs: list[Version]) -> None:
    hs = merge.heads(vs)
    assert {h.key for h in hs} == not_superseded(vs)
    assert [h.order for h in hs] == sorted(h.order for h in hs)


@given(histories())
def test_conflict_iff_more_than_one_head(vs: list[Version]) -> None:
    entry = merge.resolve(vs)
    hs = merge.heads(vs)
    live = [h for h in hs if not h.deleted]
    if not live:
        assert entry is None
        return
    assert entry is not None
    assert entry.conflict == (len(hs) > 1)
    assert entry.current == max(live, key=lambda v: v.order)
    assert entry.versions == len(vs)
    if entry.conflict:
        assert set(entry.conflicting) == {h.key for h in hs} - {entry.current.key}
    else:
        assert entry.conflicting == ()


@given(histories())
def test_a_write_that_saw_every_head_ends_the_conflict(vs: list[Version]) -> None:
    hs = merge.heads(vs)
    top = max(v.hlc for v in vs) + 1
    final = make("node-z", 1, top, False, tuple(h.key for h in hs))
    entry = merge.resolve([*vs, final])
    assert entry is not None
    assert entry.current == final and not entry.conflict


def test_empty_is_none_and_delete_hides_the_path() -> None:
    assert merge.resolve([]) is None
    a = make("node-a", 1, 1, False, ())
    d = make("node-a", 2, 2, True, (a.key,))
    assert merge.resolve([a, d]) is None
    assert merge.heads([a, d]) == [d]


def test_concurrent_write_and_delete_is_a_conflict_showing_the_write() -> None:
    a = make("node-a", 1, 1, False, ())
    b = make("node-b", 1, 5, False, (a.key,))
    d = make("node-a", 2, 9, True, (a.key,))  # deleted on a without having seen b
    entry = merge.resolve([d, b, a])
    assert entry is not None
    assert entry.current == b and entry.conflict and entry.conflicting == (d.key,)


def test_ties_in_hlc_are_broken_by_node_id() -> None:
    a = make("node-a", 1, 7, False, ())
    b = make("node-b", 1, 7, False, ())
    for order in ([a, b], [b, a]):
        entry = merge.resolve(order)
        assert entry is not None and entry.current == b and entry.conflict
