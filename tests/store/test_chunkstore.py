"""The ChunkStore contract (store/chunkstore.py), one conformance suite run against every
implementation (the filesystem store both packing small blobs and with every blob in a file of its
own), plus what only the filesystem store promises: layout, no half-written blobs, durability
order, crash recovery, pack compaction and index rebuild."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import chunkdisk
from dlbs.errors import NotFound
from dlbs.store.chunkstore import ChunkStore, FsChunkStore, Location
from dlbs.store.memstore import MemChunkStore


def cid(n: int) -> bytes:
    return n.to_bytes(2, "big") * 16


@pytest.fixture(params=["fs-packed", "fs-loose", "mem"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], ChunkStore]]:
    """Opens the store under test; for the filesystem store, opening again reopens the same dir."""
    if request.param == "fs-packed":
        yield lambda: FsChunkStore(tmp_path / "chunks", pack_target=4096)  # small packs: rollover too
    elif request.param == "fs-loose":
        yield lambda: FsChunkStore(tmp_path / "chunks", pack_below=0)
    else:
        mem = MemChunkStore()
        yield lambda: mem


@pytest.fixture
def store(make_store: Callable[[], ChunkStore]) -> ChunkStore:
    return make_store()


def test_get_returns_exactly_what_was_put(store: ChunkStore) -> None:
    blobs = {cid(i): os.urandom(i * 1000) for i in range(5)}
    for k, v in blobs.items():
        store.put(k, v)
    store.sync()
    for k, v in blobs.items():
        assert store.get(k) == v
        assert store.has(k)


def test_put_accepts_memoryview_and_bytearray(store: ChunkStore) -> None:
    store.put(cid(1), memoryview(b"abc"))  # type: ignore[arg-type]
    store.put(cid(2), bytearray(b"def"))  # type: ignore[arg-type]
    assert store.get(cid(1)) == b"abc"
    assert store.get(cid(2)) == b"def"


def test_missing_chunk_is_not_found(store: ChunkStore) -> None:
    assert not store.has(cid(9))
    with pytest.raises(NotFound):
        store.get(cid(9))


def test_put_is_idempotent(store: ChunkStore) -> None:
    store.put(cid(1), b"same")
    store.put(cid(1), b"same")
    store.sync()
    assert store.get(cid(1)) == b"same"
    assert list(store.ids()) == [cid(1)]


def test_delete_is_idempotent(store: ChunkStore) -> None:
    store.put(cid(1), b"x")
    store.delete(cid(1))
    store.delete(cid(1))
    store.delete(cid(2))
    assert not store.has(cid(1))
    with pytest.raises(NotFound):
        store.get(cid(1))
    assert list(store.ids()) == []


def test_ids_lists_exactly_the_stored_chunks(store: ChunkStore) -> None:
    assert list(store.ids()) == []
    ids = {cid(i) for i in range(40)}
    for i in ids:
        store.put(i, i)
    store.delete(cid(3))
    assert set(store.ids()) == ids - {cid(3)}
    assert len(list(store.ids())) == 39


def test_sync_with_nothing_to_do_is_fine(store: ChunkStore) -> None:
    store.sync()
    store.sync()


def test_blobs_survive_reopening(make_store: Callable[[], ChunkStore]) -> None:
    s = make_store()
    s.put(cid(5), b"durable")
    s.sync()
    assert make_store().get(cid(5)) == b"durable"


def test_concurrent_puts_and_gets(store: ChunkStore) -> None:
    errors: list[BaseException] = []

    def work(t: int) -> None:
        try:
            for i in range(50):
                k = cid(i % 25)  # threads overlap on the same ids
                v = k * 10
                store.put(k, v)
                assert store.get(k) == v
            store.sync()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert set(store.ids()) == {cid(i) for i in range(25)}


# ---- filesystem store only -----------------------------------------------------------------------


def loose_store(tmp_path: Path) -> FsChunkStore:
    return FsChunkStore(tmp_path / "chunks", pack_below=0)


def test_fs_large_blobs_are_one_file_under_their_first_byte(tmp_path: Path) -> None:
    s = FsChunkStore(tmp_path / "chunks", pack_below=100)
    k = bytes.fromhex("ab" + "cd" * 31)
    s.put(k, b"b" * 100)
    s.sync()
    assert (tmp_path / "chunks" / "ab" / k.hex()).read_bytes() == b"b" * 100
    assert s.path_of(k) == tmp_path / "chunks" / "ab" / k.hex()
    assert s.locate(k) == Location(s.path_of(k), 0, 100, packed=False)
    assert list((tmp_path / "chunks" / "tmp").iterdir()) == []
    assert list((tmp_path / "chunks" / "packs").iterdir()) == []


def test_fs_small_blobs_share_pack_files(tmp_path: Path) -> None:
    s = FsChunkStore(tmp_path / "chunks", pack_target=10_000)
    blobs = {cid(i): os.urandom(900 + i) for i in range(30)}
    for k, v in blobs.items():
        s.put(k, v)
    s.sync()
    packs = sorted((tmp_path / "chunks" / "packs").iterdir())
    assert 2 <= len(packs) <= 4  # ~28 KiB in packs that close at 10,000 bytes
    assert all(p.stat().st_size < 10_000 + 1000 + 36 for p in packs)
    assert not any(p.name != "packs" and len(p.name) == 2 for p in (tmp_path / "chunks").iterdir())
    for k, v in blobs.items():
        loc = s.locate(k)
        assert loc is not None and loc.packed and loc.length == len(v)
        with open(loc.path, "rb") as f:
            f.seek(loc.offset)
            assert f.read(loc.length) == v


def test_fs_leftover_temp_files_are_invisible_and_cleaned_on_open(tmp_path: Path) -> None:
    s = loose_store(tmp_path)
    s.put(cid(1), b"whole")
    half = tmp_path / "chunks" / "tmp" / f"{cid(2).hex()[:16]}.crashed"
    half.write_bytes(b"half a chu")  # what a crash in the middle of put leaves
    assert not s.has(cid(2))
    assert set(s.ids()) == {cid(1)}
    loose_store(tmp_path)
    assert not half.exists()
    assert loose_store(tmp_path).get(cid(1)) == b"whole"


def test_fs_ids_ignores_stray_files(tmp_path: Path) -> None:
    s = FsChunkStore(tmp_path / "chunks")
    s.put(cid(1), b"x")
    (tmp_path / "chunks" / "zz").mkdir()
    (tmp_path / "chunks" / "zz" / "not-hex").write_bytes(b"")
    (tmp_path / "chunks" / "README").write_text("stray")
    (tmp_path / "chunks" / "packs" / "notes.txt").write_text("stray")
    assert list(s.ids()) == [cid(1)]
    assert s.compact().packs_removed == 0
    assert (tmp_path / "chunks" / "packs" / "notes.txt").exists()


@pytest.mark.parametrize("count", [1, 10])
def test_fs_sync_makes_every_blob_and_its_directory_durable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            count: int) -> None:
    """After sync() returns, each blob put before it and the directory entries naming it are on disk
    (fsynced by the background flusher or by sync() itself)."""
    synced: list[str] = []
    real_fsync = os.fsync

    def spy(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    s = loose_store(tmp_path)
    ids = [bytes([i]) + bytes(31) for i in range(count)]
    for k in ids:
        s.put(k, b"data")
    s.sync()
    for k in ids:
        assert str(s.path_of(k)) in synced
        assert str(s.path_of(k).parent) in synced
    assert str(tmp_path / "chunks") in synced
    s._flusher.idle()
    synced.clear()
    s.sync()
    assert synced == []  # nothing new: nothing to flush


def test_fs_pack_bytes_are_durable_before_the_index_names_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dlbs.store import packs

    events: list[str] = []
    real_fsync, real_commit = os.fsync, packs.PackIndex.commit

    def spy(fd: int) -> None:
        events.append("fsync " + os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    def commit(self: packs.PackIndex, rows: Any) -> None:
        rows = list(rows)
        events.append(f"commit {len(rows)}")
        real_commit(self, rows)

    monkeypatch.setattr(os, "fsync", spy)
    monkeypatch.setattr(packs.PackIndex, "commit", commit)
    s = FsChunkStore(tmp_path / "chunks")
    for i in range(3):
        s.put(cid(i), b"small" * i)
    s.sync()
    (pack,) = (tmp_path / "chunks" / "packs").iterdir()
    assert events.index(f"fsync {pack}") < events.index("commit 3")
    assert events.index(f"fsync {pack.parent}") < events.index("commit 3")


def test_fs_a_crash_before_sync_leaves_only_dead_bytes_that_compact_reclaims(tmp_path: Path) -> None:
    s = FsChunkStore(tmp_path / "chunks")
    s.put(cid(1), b"kept")
    s.sync()
    s.put(cid(2), b"never synced")  # the process dies here: no sync, no close
    crashed_pack = s.locate(cid(2)).path  # type: ignore[union-attr]
    after = FsChunkStore(tmp_path / "chunks")
    assert after.get(cid(1)) == b"kept"
    assert not after.has(cid(2)) and set(after.ids()) == {cid(1)}
    assert crashed_pack.exists()
    res = after.compact()
    assert res.packs_removed == 1 and not crashed_pack.exists()
    assert after.get(cid(1)) == b"kept"
    after.close()
    assert FsChunkStore(tmp_path / "chunks").get(cid(1)) == b"kept"


def filled_store(tmp_path: Path, count: int, size: int, pack_target: int) -> tuple[FsChunkStore, dict[bytes, bytes]]:
    """A store closed after `count` random blobs of `size` bytes, and what it holds."""
    s = FsChunkStore(tmp_path / "chunks", pack_target=pack_target)
    blobs = {cid(i): os.urandom(size) for i in range(count)}
    for k, v in blobs.items():
        s.put(k, v)
    s.close()
    return s, blobs


def test_fs_compact_rewrites_mostly_dead_packs_and_keeps_the_live_blobs(tmp_path: Path) -> None:
    _, blobs = filled_store(tmp_path, 100, 3000, 64 * 1024)
    s = FsChunkStore(tmp_path / "chunks", pack_target=64 * 1024)  # a later run: no pack is being written
    packs_dir = tmp_path / "chunks" / "packs"
    before = sum(p.stat().st_size for p in packs_dir.iterdir())
    gone = [k for i, k in enumerate(blobs) if i % 5]  # 80% of every pack dies
    s.delete_many(gone)
    res = s.compact()
    after = sum(p.stat().st_size for p in packs_dir.iterdir())
    assert res.packs_removed >= 4 and res.blobs_moved == 20
    assert after < before * 0.3 and res.bytes_freed >= before * 0.7
    assert s.compact().packs_removed == 0  # nothing left to do
    s.close()
    reopened = FsChunkStore(tmp_path / "chunks")
    assert set(reopened.ids()) == set(blobs) - set(gone)
    for k in set(blobs) - set(gone):
        assert reopened.get(k) == blobs[k]


def test_fs_reads_during_compaction_never_fail(tmp_path: Path) -> None:
    _, blobs = filled_store(tmp_path, 200, 2000, 32 * 1024)
    s = FsChunkStore(tmp_path / "chunks", pack_target=32 * 1024)
    s.delete_many([k for i, k in enumerate(blobs) if i % 2])
    live = [k for i, k in enumerate(blobs) if i % 2 == 0]
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        try:
            while not stop.is_set():
                for k in live:
                    assert s.get(k) == blobs[k]
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    for _ in range(3):
        s.compact(dead_above=0.0)  # every pack, every time: the most moving possible
    stop.set()
    for t in threads:
        t.join()
    assert not errors


def test_fs_a_lost_index_is_rebuilt_from_the_packs_ignoring_a_torn_tail(tmp_path: Path) -> None:
    s = FsChunkStore(tmp_path / "chunks")
    blobs = {cid(i): os.urandom(500 + i) for i in range(20)}
    for k, v in blobs.items():
        s.put(k, v)
    s.close()
    (pack,) = (tmp_path / "chunks" / "packs").iterdir()
    with open(pack, "ab") as f:  # a put torn by a power cut: header promises more than is there
        f.write(cid(99) + (5000).to_bytes(4, "big") + b"partial")
    for f in (tmp_path / "chunks").glob("packs.db*"):
        f.unlink()
    rebuilt = FsChunkStore(tmp_path / "chunks")
    assert set(rebuilt.ids()) == set(blobs)
    for k, v in blobs.items():
        assert rebuilt.get(k) == v


def test_fs_added_at_is_when_the_blob_was_stored(tmp_path: Path) -> None:
    import time

    s = FsChunkStore(tmp_path / "chunks", pack_below=100)
    before = time.time()
    s.put(cid(1), b"small")
    s.put(cid(2), b"L" * 200)
    assert before - 1 <= (s.added_at(cid(1)) or 0) <= time.time() + 1
    s.sync()
    for k in (cid(1), cid(2)):
        assert before - 1 <= (s.added_at(k) or 0) <= time.time() + 1
    assert s.added_at(cid(3)) is None


def test_fs_full_packs_and_loose_files_are_flushed_in_the_background(tmp_path: Path) -> None:
    s = FsChunkStore(tmp_path / "chunks", pack_below=1000, pack_target=4096)
    for i in range(20):
        s.put(cid(i), os.urandom(900))  # packed: packs fill and close every ~4 entries
    s.put(cid(99), os.urandom(5000))  # loose
    s._flusher.idle()
    # left for sync(): the open pack (still being written) and the folders of the open pack's name
    assert s._flusher.pending() <= 3
    s.sync()
    assert s._flusher.pending() == 0


def test_fs_a_rewrite_after_a_background_flush_is_flushed_again(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    s = FsChunkStore(tmp_path / "chunks", pack_below=10)
    s.put(cid(1), b"first version")
    s._flusher.idle()
    synced: list[str] = []
    real_fsync = os.fsync

    def spy(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    s.put(cid(1), b"second version")
    s.sync()
    assert str(s.path_of(cid(1))) in synced
    assert s.get(cid(1)) == b"second version"


def test_fs_a_store_written_before_packs_existed_reads_as_before(tmp_path: Path) -> None:
    """Stores made by an older dlbs hold every blob as a file of its own; they open unchanged."""
    old = FsChunkStore(tmp_path / "chunks", pack_below=0)  # what the old layout wrote
    blobs = {cid(i): os.urandom(100 * i + 10) for i in range(10)}
    for k, v in blobs.items():
        old.put(k, v)
    old.close()
    new = FsChunkStore(tmp_path / "chunks")
    assert set(new.ids()) == set(blobs)
    for k, v in blobs.items():
        assert new.get(k) == v and not new.locate(k).packed  # type: ignore[union-attr]
    new.put(cid(50), b"new small blob")
    new.delete(cid(3))
    new.close()
    again = FsChunkStore(tmp_path / "chunks")
    assert set(again.ids()) == (set(blobs) - {cid(3)}) | {cid(50)}
    assert again.locate(cid(50)).packed  # type: ignore[union-attr]


def test_fs_a_failed_background_fsync_is_reported_and_its_blobs_are_dropped(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Linux reports a writeback error once, then fsync succeeds on the lost pages: the failure
    must stick, sync() must fail, and nothing in that pack may reach the index."""
    import errno

    from dlbs.errors import StorageError
    from dlbs.store import durability

    real = durability.fsync_path
    failures: list[Path] = []

    def flaky(path: Path) -> None:
        if path.suffix == ".pack" and not failures:
            failures.append(path)
            raise OSError(errno.EIO, "Input/output error")
        real(path)

    monkeypatch.setattr(durability, "fsync_path", flaky)
    s = FsChunkStore(tmp_path / "chunks", pack_target=2000)
    blobs = {cid(i): os.urandom(900) for i in range(3)}  # the first pack fills and is flushed early
    for k, v in blobs.items():
        s.put(k, v)
    s._flusher.idle()
    with pytest.raises(StorageError, match="fsync"):
        s.sync()
    assert failures
    lost = {k for k in blobs if not s.has(k)}
    assert lost and all(chunkdisk.locate(tmp_path / "chunks", k) is None for k in lost)  # never indexed
    for k in lost:  # what a caller does next time: put them again
        s.put(k, blobs[k])
    s.sync()  # the failure was reported once; new writes go to a new pack
    s.close()
    again = FsChunkStore(tmp_path / "chunks")
    assert {k: again.get(k) for k in blobs} == blobs


def test_fs_a_pack_deleted_behind_the_stores_back_fails_the_sync(tmp_path: Path) -> None:
    from dlbs.errors import StorageError

    s = FsChunkStore(tmp_path / "chunks")
    s.put(cid(1), b"small")
    pack = s.locate(cid(1)).path  # type: ignore[union-attr]
    pack.unlink()
    with pytest.raises(StorageError, match="vanished"):
        s.sync()
    assert not s.has(cid(1))
    s.put(cid(1), b"small")
    s.sync()
    assert s.get(cid(1)) == b"small"


def test_fs_reader_connections_do_not_pile_up_with_threads(tmp_path: Path) -> None:
    import gc

    s = FsChunkStore(tmp_path / "chunks")
    s.put(cid(1), b"x")
    s.sync()

    def read() -> None:
        assert s.get(cid(1)) == b"x"

    def fds() -> int:
        gc.collect()
        return len(os.listdir("/proc/self/fd"))

    before = fds()
    for _ in range(40):  # restore workers and jobs are new threads every time
        t = threading.Thread(target=read)
        t.start()
        t.join()
    assert fds() <= before + 4
