"""The ChunkStore contract (store/chunkstore.py), one conformance suite run against every
implementation, plus what only the filesystem store promises (layout, no half-written blobs)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dlbs.errors import NotFound
from dlbs.store.chunkstore import ChunkStore, FsChunkStore, MemChunkStore


def cid(n: int) -> bytes:
    return n.to_bytes(2, "big") * 16


@pytest.fixture(params=["fs", "mem"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], ChunkStore]]:
    """Opens the store under test; for the filesystem store, opening again reopens the same dir."""
    if request.param == "fs":
        yield lambda: FsChunkStore(tmp_path / "chunks")
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


def test_fs_layout_is_one_file_per_chunk_under_its_first_byte(tmp_path: Path) -> None:
    s = FsChunkStore(tmp_path / "chunks")
    k = bytes.fromhex("ab" + "cd" * 31)
    s.put(k, b"blob")
    s.sync()
    assert (tmp_path / "chunks" / "ab" / k.hex()).read_bytes() == b"blob"
    assert s.path_of(k) == tmp_path / "chunks" / "ab" / k.hex()
    assert list((tmp_path / "chunks" / "tmp").iterdir()) == []


def test_fs_leftover_temp_files_are_invisible_and_cleaned_on_open(tmp_path: Path) -> None:
    s = FsChunkStore(tmp_path / "chunks")
    s.put(cid(1), b"whole")
    half = tmp_path / "chunks" / "tmp" / f"{cid(2).hex()[:16]}.crashed"
    half.write_bytes(b"half a chu")  # what a crash in the middle of put leaves
    assert not s.has(cid(2))
    assert set(s.ids()) == {cid(1)}
    FsChunkStore(tmp_path / "chunks")
    assert not half.exists()
    assert FsChunkStore(tmp_path / "chunks").get(cid(1)) == b"whole"


def test_fs_ids_ignores_stray_files(tmp_path: Path) -> None:
    s = FsChunkStore(tmp_path / "chunks")
    s.put(cid(1), b"x")
    (tmp_path / "chunks" / "zz").mkdir()
    (tmp_path / "chunks" / "zz" / "not-hex").write_bytes(b"")
    (tmp_path / "chunks" / "README").write_text("stray")
    assert list(s.ids()) == [cid(1)]


@pytest.mark.parametrize("count", [1, 10])
def test_fs_sync_makes_every_blob_and_its_directory_durable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            count: int) -> None:
    """After sync() returns, each blob put before it and the directory entries naming it are on disk
    (checked on the per-file fsync path; syncfs is disabled so every fsync is visible)."""
    from dlbs.store import chunkstore

    synced: list[str] = []
    real_fsync = os.fsync

    def spy(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    monkeypatch.setattr(chunkstore, "_syncfs", lambda path: False)
    s = FsChunkStore(tmp_path / "chunks")
    ids = [bytes([i]) + bytes(31) for i in range(count)]
    for k in ids:
        s.put(k, b"data")
    s.sync()
    for k in ids:
        assert str(s.path_of(k)) in synced
        assert str(s.path_of(k).parent) in synced
    assert str(tmp_path / "chunks") in synced
    synced.clear()
    s.sync()
    assert synced == []  # nothing new: nothing to flush
