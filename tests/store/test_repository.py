"""The repository (store/repository.py): deduplication, history, tombstones, atomic writes
(chunks durable before the version), verified reads, compression and encryption at rest."""

from __future__ import annotations

import hashlib
import io
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import chunkdisk
from dlbs.core.keys import ClusterKeys
from dlbs.errors import IntegrityError, InvalidInput, NotFound
from dlbs.store.catalog import Catalog
from dlbs.store.chunkstore import FsChunkStore
from dlbs.store.memstore import MemChunkStore
from dlbs.store.repository import EMPTY_SHA256, NodeInfo, Repository

MiB = 1 << 20
SECRET = bytes(range(32))


def open_repo(root: Path, store: object | None = None, secret: bytes = SECRET) -> Repository:
    return Repository(Catalog(root / "catalog.db"), store or FsChunkStore(root / "chunks"),  # type: ignore[arg-type]
                      ClusterKeys.from_secret(secret), NodeInfo("node-1", "one"))


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repository]:
    r = open_repo(tmp_path)
    yield r
    r.close()


def chunk_bytes_on_disk(root: Path) -> int:
    return chunkdisk.disk_bytes(root / "chunks")


def chunk_data_files(root: Path) -> list[Path]:
    return [*(root / "chunks").glob("??/*"), *(root / "chunks").glob("packs/*.pack")]


def read_all(repo: Repository, path: str, number: int | None = None) -> bytes:
    return b"".join(repo.read_version(repo.version(path, number)))


@pytest.mark.parametrize("kind", ["fs", "mem"])
@pytest.mark.parametrize("size", [0, 1, 1000, 3 * MiB + 17])
def test_round_trip(tmp_path: Path, kind: str, size: int) -> None:
    r = open_repo(tmp_path, MemChunkStore() if kind == "mem" else None)
    try:
        data = os.urandom(size)
        v = r.put_stream("dir/file.bin", io.BytesIO(data), mtime_ns=5, mode=0o100755)
        assert v.size == size and v.mode == 0o755 and v.mtime_ns == 5
        assert v.sha256 == hashlib.sha256(data).hexdigest()
        assert sum(c.length for c in v.chunks) == size
        assert read_all(r, "dir/file.bin") == data
        if size == 0:
            assert v.chunks == () and v.sha256 == EMPTY_SHA256
    finally:
        r.close()


def test_identical_content_is_stored_once(tmp_path: Path, repo: Repository) -> None:
    data = os.urandom(12 * MiB)
    repo.put_bytes("one.bin", data)
    once = chunk_bytes_on_disk(tmp_path)
    chunks_once = repo.stats().chunks
    repo.put_bytes("two.bin", data)
    repo.put_bytes("sub/three.bin", data)
    thrice = chunk_bytes_on_disk(tmp_path)
    assert len(data) <= once < 1.01 * len(data)  # random data: stored about its size
    assert thrice == once, f"three copies grew the store by {thrice - once} bytes"
    s = repo.stats()
    assert s.chunks == chunks_once
    assert s.referenced_bytes == 3 * len(data)
    assert s.total_files == 3 and s.total_size == 3 * len(data)
    for p in ("one.bin", "two.bin", "sub/three.bin"):
        assert read_all(repo, p) == data


def test_one_byte_inserted_at_the_front_reuses_almost_all_chunks(tmp_path: Path, repo: Repository) -> None:
    data = os.urandom(20 * MiB)
    v1 = repo.put_bytes("f.bin", data)
    before = chunk_bytes_on_disk(tmp_path)
    v2 = repo.put_bytes("f.bin", b"!" + data)
    grown = chunk_bytes_on_disk(tmp_path) - before
    old = {c.id for c in v1.chunks}
    reused = sum(1 for c in v2.chunks if c.id in old) / len(v2.chunks)
    assert reused >= 0.85, f"only {reused:.0%} of {len(v2.chunks)} chunks reused"
    assert grown < 0.2 * len(data), f"the store grew by {grown / MiB:.1f} MiB"
    assert read_all(repo, "f.bin") == b"!" + data
    assert read_all(repo, "f.bin", 1) == data


def test_compressible_data_is_stored_compressed_and_encrypted(tmp_path: Path, repo: Repository) -> None:
    data = b"PLAINTEXT-MARKER, quite compressible. " * 200_000  # ~7.6 MB
    repo.put_bytes("text.txt", data)
    assert chunk_bytes_on_disk(tmp_path) < len(data) / 20
    assert chunk_data_files(tmp_path)
    for f in chunk_data_files(tmp_path):
        assert b"PLAINTEXT-MARKER" not in f.read_bytes()
    rnd = os.urandom(2 * MiB)
    marker = rnd[1000:1064]
    repo.put_bytes("random.bin", rnd)
    assert not any(marker in f.read_bytes() for f in chunk_data_files(tmp_path))


def test_every_version_is_kept_and_delete_is_a_tombstone(repo: Repository) -> None:
    for i in range(3):
        repo.put_bytes("a.txt", f"version {i}".encode())
    d = repo.delete("a.txt")
    assert d.deleted
    with pytest.raises(NotFound):
        repo.current("a.txt")
    with pytest.raises(NotFound):
        repo.delete("a.txt")
    assert repo.list() == []
    hist = repo.history("a.txt")
    assert [v.deleted for v in hist] == [False, False, False, True]
    assert read_all(repo, "a.txt", 2) == b"version 1"
    r = repo.restore_version("a.txt", 2)
    assert read_all(repo, "a.txt") == b"version 1" and r.chunks == hist[1].chunks
    with pytest.raises(InvalidInput):
        repo.restore_version("a.txt", 4)  # a deletion
    with pytest.raises(NotFound):
        repo.version("a.txt", 99)
    with pytest.raises(NotFound):
        repo.history("missing.txt")


@pytest.mark.parametrize("bad", ["../x", "/etc/passwd", "a\x00b", "", "a//b", "x" * 5000])
def test_bad_paths_are_refused_before_anything_is_written(tmp_path: Path, repo: Repository, bad: str) -> None:
    with pytest.raises(InvalidInput):
        repo.put_bytes(bad, b"data")
    with pytest.raises(InvalidInput):
        repo.delete(bad)
    assert repo.catalog.version_count() == 0
    assert chunk_bytes_on_disk(tmp_path) == 0


def test_checksum_mismatch_records_no_version(repo: Repository) -> None:
    with pytest.raises(InvalidInput, match="checksum"):
        repo.put_bytes("a.bin", os.urandom(3 * MiB), expected_sha256="0" * 64)
    assert repo.catalog.version_count() == 0
    assert repo.list() == []
    data = b"ok"
    v = repo.put_bytes("a.bin", data, expected_sha256=hashlib.sha256(data).hexdigest().upper())
    assert v.seq == 1


class FailingStream:
    """Yields `good` bytes of random data, then raises (a client that went away)."""

    def __init__(self, good: int) -> None:
        self._left = good

    def readinto(self, b: memoryview) -> int:
        if self._left <= 0:
            raise InvalidInput("upload interrupted", "test")
        n = min(len(b), self._left)
        b[:n] = os.urandom(n)
        self._left -= n
        return n


def test_an_interrupted_upload_records_nothing(repo: Repository) -> None:
    repo.put_bytes("a.bin", b"first")
    with pytest.raises(InvalidInput):
        repo.put_stream("a.bin", FailingStream(9 * MiB))
    assert repo.catalog.version_count() == 1
    assert read_all(repo, "a.bin") == b"first"
    assert repo.catalog.chunk_totals()[0] == 1


class RecordingStore(MemChunkStore):
    def __init__(self, log: list[tuple[str, bytes | None]]) -> None:
        super().__init__()
        self.log = log

    def put(self, chunk_id: bytes, blob: bytes) -> None:
        super().put(chunk_id, blob)
        self.log.append(("put", chunk_id))

    def sync(self) -> None:
        self.log.append(("sync", None))


def test_chunks_are_durable_before_the_version_is_recorded(tmp_path: Path) -> None:
    log: list[tuple[str, bytes | None]] = []
    r = open_repo(tmp_path, RecordingStore(log))
    real = r.catalog.add_local_version

    def recording_add(*args, **kwargs):  # type: ignore[no-untyped-def]
        log.append(("commit", None))
        return real(*args, **kwargs)

    r.catalog.add_local_version = recording_add  # type: ignore[method-assign]
    try:
        v = r.put_bytes("a.bin", os.urandom(6 * MiB))
        kinds = [k for k, _ in log]
        assert kinds[-2:] == ["sync", "commit"], kinds
        assert {c for k, c in log if k == "put"} == {c.id for c in v.chunks}
    finally:
        r.close()


def test_a_corrupt_chunk_is_an_integrity_error_never_wrong_bytes(tmp_path: Path, repo: Repository) -> None:
    data = os.urandom(9 * MiB)  # more than two 4 MiB max-size chunks: always at least 3 chunks
    v = repo.put_bytes("a.bin", data)
    assert len(v.chunks) >= 3
    victim = v.chunks[1].id
    chunkdisk.flip_byte(tmp_path / "chunks", victim)
    assert repo.stats().integrity_errors == 0
    out = bytearray()
    with pytest.raises(IntegrityError, match="corrupt"):
        for piece in repo.read_version(v):
            out += piece
    assert bytes(out) == data[: v.chunks[0].length]  # only the verified chunk before it
    assert repo.stats().integrity_errors == 1


def test_a_missing_chunk_is_an_integrity_error(tmp_path: Path, repo: Repository) -> None:
    v = repo.put_bytes("a.bin", os.urandom(MiB))
    chunkdisk.remove(tmp_path / "chunks", v.chunks[0].id)
    with pytest.raises(IntegrityError, match="missing"):
        read_all(repo, "a.bin")


def test_a_peer_fetcher_repairs_a_read_but_its_blob_is_verified(tmp_path: Path, repo: Repository) -> None:
    data = os.urandom(MiB)
    v = repo.put_bytes("a.bin", data)
    cid = v.chunks[0].id
    good = repo.store.get(cid)
    repo.store.delete(cid)
    repo.set_chunk_fetcher(lambda i: good if i == cid else None)
    assert read_all(repo, "a.bin") == data
    repo.set_chunk_fetcher(lambda i: good[:-1] + bytes([good[-1] ^ 1]))
    with pytest.raises(IntegrityError):
        read_all(repo, "a.bin")


def test_another_clusters_secret_cannot_read(tmp_path: Path) -> None:
    r = open_repo(tmp_path)
    r.put_bytes("a.bin", b"secret stuff" * 1000)
    v = r.version("a.bin")
    r.close()
    other = open_repo(tmp_path, secret=bytes(32))
    try:
        with pytest.raises(IntegrityError):
            b"".join(other.read_version(v))
    finally:
        other.close()


def test_versions_and_clock_survive_reopening(tmp_path: Path) -> None:
    r = open_repo(tmp_path)
    v1 = r.put_bytes("a", b"1")
    r.close()
    r = open_repo(tmp_path)
    try:
        v2 = r.put_bytes("a", b"2")
        assert v2.hlc > v1.hlc and v2.seq == 2 and v2.supersedes == (v1.key,)
        assert read_all(r, "a", 1) == b"1"
    finally:
        r.close()


def test_concurrent_puts_of_one_path(repo: Repository) -> None:
    blobs = [os.urandom(300_000 + i) for i in range(8)]
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            repo.put_bytes("shared.bin", blobs[i])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    hist = repo.history("shared.bin")
    assert len({v.seq for v in hist}) == 8
    assert sorted(b"".join(repo.read_version(v)) for v in hist) == sorted(blobs)
    assert len(repo.catalog.heads_of("shared.bin")) == 1
