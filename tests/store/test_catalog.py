"""The SQLite catalog (store/catalog.py): WAL and full sync, grow-only versions keyed by
(origin, seq), tombstones, prefix listings, union merge, all-or-nothing writes, reopening."""

from __future__ import annotations

import itertools
import random
import threading
from pathlib import Path

import pytest

from dlbs.core.model import ChunkRef
from dlbs.errors import NotFound
from dlbs.store.catalog import Catalog

CLOCK = itertools.count(1)


def stamp() -> int:
    return next(CLOCK)


def put(cat: Catalog, path: str, origin: str = "n1", size: int = 1, chunks: tuple[ChunkRef, ...] = ()):  # type: ignore[no-untyped-def]
    return cat.add_local_version(origin, origin.upper(), path, stamp, deleted=False, size=size, mode=0o644,
                                 mtime_ns=123, sha256=f"sha-{path}-{size}", chunks=chunks)


def rm(cat: Catalog, path: str, origin: str = "n1"):  # type: ignore[no-untyped-def]
    return cat.add_local_version(origin, origin.upper(), path, stamp, deleted=True, size=0, mode=0,
                                 mtime_ns=0, sha256="", chunks=(), require_live=True)


@pytest.fixture
def cat(tmp_path: Path) -> Catalog:
    c = Catalog(tmp_path / "catalog.db")
    yield c
    c.close()


def test_wal_and_full_sync(cat: Catalog) -> None:
    conn = cat._reader()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_versions_get_increasing_seq_and_supersede_the_previous_head(cat: Catalog) -> None:
    refs = (ChunkRef(b"\x01" * 32, 10), ChunkRef(b"\x02" * 32, 20))
    v1 = put(cat, "a.txt", size=30, chunks=refs)
    v2 = put(cat, "a.txt", size=5)
    other = put(cat, "b.txt")
    assert (v1.seq, v2.seq, other.seq) == (1, 2, 3)
    assert v2.supersedes == (v1.key,) and v1.supersedes == () and other.supersedes == ()
    assert v2.hlc > v1.hlc
    assert cat.versions_of("a.txt") == [v1, v2]
    assert cat.get_version("n1", 1).chunks == refs
    assert [e.current for e in cat.list_files()] == [v2, other]
    assert [e.versions for e in cat.list_files()] == [2, 1]
    assert cat.version_count() == 3
    assert cat.version_vector() == {"n1": 3}


def test_delete_is_a_tombstone_and_history_is_kept(cat: Catalog) -> None:
    v1 = put(cat, "a.txt")
    d = rm(cat, "a.txt")
    assert d.deleted and d.supersedes == (v1.key,)
    assert cat.list_files() == []
    assert cat.versions_of("a.txt") == [v1, d]
    with pytest.raises(NotFound):
        rm(cat, "a.txt")  # already deleted
    with pytest.raises(NotFound):
        rm(cat, "never.txt")
    assert cat.version_count() == 2  # the refused deletes recorded nothing
    v3 = put(cat, "a.txt")
    assert v3.supersedes == (d.key,)
    assert [e.current for e in cat.list_files()] == [v3]


def test_unknown_version_is_not_found(cat: Catalog) -> None:
    with pytest.raises(NotFound):
        cat.get_version("n1", 99)


def test_prefix_listing_is_by_folder_not_by_string_prefix(cat: Catalog) -> None:
    for p in ["a", "a/b", "a/c/d", "ab", "a0", "a.txt", "b/a"]:
        put(cat, p)
    assert [e.current.path for e in cat.list_files("a")] == ["a", "a/b", "a/c/d"]
    assert [e.current.path for e in cat.list_files("a/c")] == ["a/c/d"]
    assert [e.current.path for e in cat.list_files("")] == sorted(["a", "a/b", "a/c/d", "ab", "a0", "a.txt", "b/a"])


def test_merge_is_an_idempotent_order_independent_union(tmp_path: Path) -> None:
    a, b, c = (Catalog(tmp_path / f"{n}.db") for n in "abc")
    try:
        put(a, "x")
        put(a, "x")
        put(a, "y")
        rm(a, "y")
        put(b, "x", origin="n2")  # concurrent with a's versions of x: a conflict
        put(b, "z", origin="n2")
        everything = list(a.all_versions()) + list(b.all_versions())
        assert len(b.merge_versions(a.all_versions())) == 4
        assert b.merge_versions(a.all_versions()) == []  # again: nothing new
        shuffled = list(everything)
        random.Random(3).shuffle(shuffled)
        for v in shuffled:
            c.merge_versions([v])
        listing_b = [(e.current.key, e.conflict, set(e.conflicting), e.versions) for e in b.list_files()]
        listing_c = [(e.current.key, e.conflict, set(e.conflicting), e.versions) for e in c.list_files()]
        assert listing_b == listing_c
        assert [p for p, *_ in [(e.current.path,) for e in c.list_files()]] == ["x", "z"]
        x = c.list_files("x")[0]
        assert x.conflict and x.versions == 3
        assert b.version_vector() == c.version_vector() == {"n1": 4, "n2": 2}
        assert [v.seq for v in c.versions_since("n1", 2)] == [3, 4]
    finally:
        for cat in (a, b, c):
            cat.close()


def test_a_failed_write_transaction_leaves_nothing(cat: Catalog) -> None:
    put(cat, "a.txt")
    with pytest.raises(RuntimeError), cat.write() as w:
        w.execute("INSERT INTO meta (key, value) VALUES ('k', 'v')")
        raise RuntimeError("boom")
    assert cat.get_meta("k") is None
    calls = iter([1000])

    def bad_clock() -> int:
        next(calls)
        raise RuntimeError("clock failed")

    with pytest.raises(RuntimeError):
        cat.add_local_version("n1", "N1", "b.txt", bad_clock, deleted=False, size=1, mode=0, mtime_ns=0,
                              sha256="s", chunks=(), new_chunks=[(b"\x09" * 32, 1, 50)])
    assert cat.version_count() == 1
    assert not cat.has_chunk(b"\x09" * 32)


def test_new_chunks_are_recorded_with_the_version(cat: Catalog) -> None:
    cid = b"\x07" * 32
    cat.add_local_version("n1", "N1", "a", stamp, deleted=False, size=100, mode=0, mtime_ns=0, sha256="s",
                          chunks=(ChunkRef(cid, 100),), new_chunks=[(cid, 100, 60)])
    assert cat.has_chunk(cid)
    assert cat.chunk_totals() == (1, 100, 60)
    assert cat.referenced_bytes() == 100
    cat.remove_chunks([cid])
    assert cat.chunk_totals() == (0, 0, 0)


def test_corrupt_marks(cat: Catalog) -> None:
    assert cat.corrupt_count() == 0
    cat.mark_corrupt(b"\x01" * 32, "bad")
    cat.mark_corrupt(b"\x01" * 32, "bad again")
    cat.mark_corrupt(b"\x02" * 32, "bad")
    assert cat.corrupt_count() == 2
    cat.clear_corrupt(b"\x01" * 32)
    assert cat.corrupt_count() == 1


def test_everything_survives_reopening(tmp_path: Path) -> None:
    c = Catalog(tmp_path / "c.db")
    v = put(c, "dir/ü.txt")
    c.set_meta("hlc", "77")
    c.close()
    again = Catalog(tmp_path / "c.db")
    try:
        assert again.versions_of("dir/ü.txt") == [v]
        assert again.get_meta("hlc") == "77"
        assert put(again, "dir/ü.txt").seq == 2
    finally:
        again.close()


def test_concurrent_writers_get_distinct_sequence_numbers(cat: Catalog) -> None:
    out: list[int] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(25):
            v = put(cat, "shared")
            with lock:
                out.append(v.seq)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(out) == list(range(1, 101))
    hs = cat.heads_of("shared")
    assert len(hs) == 1 and hs[0].seq == max(out)  # every write saw the previous one: no conflict


def test_reader_connections_do_not_pile_up_with_short_lived_threads(tmp_path: Path) -> None:
    """Each backup runs new file-worker threads; a reader per thread ever seen leaked fds."""
    import gc
    import os
    import threading

    cat = Catalog(tmp_path / "c.db")

    def fds() -> int:
        gc.collect()
        return len(os.listdir("/proc/self/fd"))

    before = fds()
    for _ in range(60):
        t = threading.Thread(target=lambda: cat.has_chunk(b"x" * 32))
        t.start()
        t.join()
    assert fds() <= before + 4
    cat.close()
