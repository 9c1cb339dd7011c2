"""Backing up folders (backup/archiver.py, scanner.py) in process against a Repository on disk:
incremental runs read no unchanged file, excludes, special and unreadable files, failed runs
leave no snapshot, bad sources are refused."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from backuptree import MiB, manifest, open_repo, restored_root

from dlbs.backup import archiver, restorer, scanner, snapshots
from dlbs.core.model import KIND_SNAPSHOT
from dlbs.errors import InvalidInput
from dlbs.store.repository import Repository


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repository]:
    r = open_repo(tmp_path / "repo")
    yield r
    r.close()


@pytest.fixture
def src(tmp_path: Path) -> Path:
    root = tmp_path / "src"
    (root / "docs" / "deep").mkdir(parents=True)
    (root / "docs" / "a.txt").write_bytes(b"alpha\n" * 100)
    (root / "docs" / "deep" / "b.bin").write_bytes(os.urandom(300_000))
    (root / "big.bin").write_bytes(os.urandom(3 * MiB))
    (root / "empty.txt").write_bytes(b"")
    (root / "link").symlink_to("docs/a.txt")
    return root


class StoreSpy:
    """Counts Repository.store_stream calls (one per file read, plus one for the tree)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        real = Repository.store_stream

        def spy(repo: Repository, stream, progress=None, size_hint=None):  # type: ignore[no-untyped-def]
            self.calls += 1
            return real(repo, stream, progress, size_hint)

        monkeypatch.setattr(Repository, "store_stream", spy)


def snapshot_count(repo: Repository) -> int:
    return sum(1 for _ in repo.catalog.all_versions(KIND_SNAPSHOT))


def test_backup_records_every_entry(repo: Repository, src: Path) -> None:
    seen: list[dict[str, object]] = []
    v, info = archiver.backup(repo, [str(src)], progress=lambda p: seen.append(p.to_json()))
    assert (info.files, info.dirs, info.symlinks) == (4, 3, 1)
    assert info.size == 600 + 300_000 + 3 * MiB and not info.partial and info.errors == ()
    assert info.paths == (str(src),) and info.parent is None and info.added_bytes > 0
    tree = {e.path: e for e in repo.read_tree(v)}
    rel = str(src).lstrip("/")
    assert set(tree) == {rel, f"{rel}/docs", f"{rel}/docs/deep", f"{rel}/docs/a.txt", f"{rel}/docs/deep/b.bin",
                         f"{rel}/big.bin", f"{rel}/empty.txt", f"{rel}/link"}
    assert tree[f"{rel}/link"].target == "docs/a.txt"
    assert seen and seen[-1]["bytes_done"] == seen[-1]["bytes_total"] == info.size
    assert seen[-1]["files_done"] == seen[-1]["files_total"] == 4
    assert snapshots.resolve(repo, v.path[:8]).path == v.path


def test_unchanged_tree_reads_no_file(repo: Repository, src: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    v1, _ = archiver.backup(repo, [str(src)])
    spy = StoreSpy(monkeypatch)
    progress: list[dict[str, object]] = []
    v2, second = archiver.backup(repo, [str(src)], progress=lambda p: progress.append(p.to_json()))
    assert spy.calls == 1  # only the tree
    assert progress[-1]["files_reused"] == 4
    assert second.parent == v1.path and second.added_bytes == 0
    assert [e for e in repo.read_tree(v2)] == [e for e in repo.read_tree(v1)]

    # a changed file (same size, new mtime) and a touched one are read again; nothing else is
    (src / "docs" / "a.txt").write_bytes(b"ALPHA\n" * 100)
    os.utime(src / "big.bin", ns=(1, 1))
    spy.calls = 0
    _, third = archiver.backup(repo, [str(src)])
    assert spy.calls == 3
    assert third.parent == v2.path
    assert third.added_bytes > 0 and third.added_bytes < MiB  # big.bin's chunks were already held


def test_a_replaced_file_with_the_same_size_and_mtime_is_read_again(repo: Repository, src: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    archiver.backup(repo, [str(src)])
    f = src / "docs" / "a.txt"
    st = f.stat()
    tmp = src / "docs" / "new"
    tmp.write_bytes(b"BETA!\n" * 100)
    os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(tmp, f)  # new inode, same size and mtime (what an editor's atomic save can look like)
    spy = StoreSpy(monkeypatch)
    v, _ = archiver.backup(repo, [str(src)])
    assert spy.calls == 2
    entry = next(e for e in repo.read_tree(v) if e.path.endswith("docs/a.txt"))
    assert b"".join(repo.read_chunk(r) for r in entry.chunks) == b"BETA!\n" * 100


def test_ten_thousand_files(repo: Repository, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "many"
    for d in range(100):
        (root / f"d{d:02d}").mkdir(parents=True)
        for i in range(100):
            (root / f"d{d:02d}" / f"f{i:03d}").write_bytes(b"%d/%d\n" % (d, i))
    started = time.monotonic()
    _, first = archiver.backup(repo, [str(root)])
    t_first = time.monotonic() - started
    assert first.files == 10_000 and not first.partial
    spy = StoreSpy(monkeypatch)
    started = time.monotonic()
    _, second = archiver.backup(repo, [str(root)])
    t_second = time.monotonic() - started
    assert spy.calls == 1 and second.files == 10_000 and second.added_bytes == 0
    print(f"\n10,000 files: first backup {t_first:.2f}s, unchanged re-backup {t_second:.2f}s")


def test_excludes(repo: Repository, src: Path) -> None:
    (src / "x.tmp").write_bytes(b"scratch")
    (src / "docs" / "y.tmp").write_bytes(b"scratch")
    (src / "node_modules" / "pkg").mkdir(parents=True)
    (src / "node_modules" / "pkg" / "index.js").write_bytes(b"js")
    (src / "docs" / "node_modules").mkdir()
    (src / "build" / "cache").mkdir(parents=True)
    (src / "build" / "cache" / "o").write_bytes(b"o")
    (src / "build" / "keep").write_bytes(b"k")
    v, info = archiver.backup(repo, [str(src)], excludes=("*.tmp", "node_modules", "build/cache"))
    names = {e.path.removeprefix(str(src).lstrip("/")) for e in repo.read_tree(v)}
    assert not any(".tmp" in n or "node_modules" in n or "cache" in n for n in names)
    assert {"/build", "/build/keep", "/docs/a.txt"} <= names
    assert info.excludes == ("*.tmp", "node_modules", "build/cache")


def test_excluded_helper() -> None:
    assert scanner.excluded("a.tmp", "x/a.tmp", ("*.tmp",))
    assert scanner.excluded("node_modules", "x/node_modules", ("node_modules",))
    assert scanner.excluded("cache", "build/cache", ("build/cache",))
    assert not scanner.excluded("a.tmpl", "a.tmpl", ("*.tmp",))


def test_a_fifo_is_skipped_with_a_warning(repo: Repository, src: Path) -> None:
    os.mkfifo(src / "pipe")
    v, info = archiver.backup(repo, [str(src)])  # must not block reading the FIFO
    assert not info.partial
    assert any("pipe" in e and "skipped" in e for e in info.errors)
    assert not any(e.path.endswith("/pipe") for e in repo.read_tree(v))
    assert info.files == 4


def test_an_unreadable_file_marks_the_snapshot_partial(repo: Repository, src: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    locked = str(src / "docs" / "a.txt")
    real_open = os.open

    def deny(path, flags, *args, **kwargs):  # type: ignore[no-untyped-def]
        if str(path) == locked:
            raise PermissionError(13, "Permission denied", path)
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", deny)
    v, info = archiver.backup(repo, [str(src)])
    assert info.partial
    assert any(locked in e and "Permission denied" in e for e in info.errors)
    paths = {e.path for e in repo.read_tree(v)}
    assert locked.lstrip("/") not in paths
    assert str(src / "big.bin").lstrip("/") in paths and info.files == 3
    monkeypatch.setattr(os, "open", real_open)
    # the next run reads it (there is nothing to reuse) and is complete again
    _, again = archiver.backup(repo, [str(src)])
    assert not again.partial and again.files == 4


def test_a_file_that_disappears_before_it_is_read(repo: Repository, src: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    gone = src / "docs" / "deep" / "b.bin"
    real_scan = archiver.scan

    def scan_then_delete(*args, **kwargs):  # type: ignore[no-untyped-def]
        found = list(real_scan(*args, **kwargs))
        gone.unlink()
        yield from found

    monkeypatch.setattr(archiver, "scan", scan_then_delete)
    v, info = archiver.backup(repo, [str(src)])
    assert info.partial and any(str(gone) in e for e in info.errors)
    assert str(gone).lstrip("/") not in {e.path for e in repo.read_tree(v)}


def test_a_failed_run_leaves_no_snapshot_and_the_next_completes(repo: Repository, src: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    archiver.backup(repo, [str(src)])
    (src / "new.bin").write_bytes(os.urandom(2 * MiB))
    real = Repository.store_stream

    def boom(self, stream, progress=None, size_hint=None):  # type: ignore[no-untyped-def]
        real(self, stream, progress, size_hint)
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(Repository, "store_stream", boom)
    with pytest.raises(OSError):
        # the error of the tree write escapes; file read errors are reported, see above
        archiver.backup(repo, [str(src)])
    assert snapshot_count(repo) == 1
    monkeypatch.setattr(Repository, "store_stream", real)
    v, info = archiver.backup(repo, [str(src)])
    assert snapshot_count(repo) == 2 and not info.partial and info.files == 5
    out = tmp_path / "out"
    restorer.restore(repo, v, out)
    assert manifest(restored_root(out, src)) == manifest(src)


def test_several_sources_and_a_single_file(repo: Repository, src: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "o.txt").write_bytes(b"o")
    single = tmp_path / "single.txt"
    single.write_bytes(b"just me")
    v, info = archiver.backup(repo, [str(src), str(other), str(single)])
    assert info.paths == tuple(sorted((str(src), str(other), str(single))))
    paths = {e.path for e in repo.read_tree(v)}
    assert str(single).lstrip("/") in paths and str(other / "o.txt").lstrip("/") in paths


@pytest.mark.parametrize("bad", ["missing", "overlap", "none"])
def test_bad_sources_are_refused(repo: Repository, src: Path, tmp_path: Path, bad: str) -> None:
    sources = {"missing": [str(tmp_path / "nope")], "overlap": [str(src), str(src / "docs")], "none": []}[bad]
    with pytest.raises(InvalidInput):
        archiver.backup(repo, sources)
    assert snapshot_count(repo) == 0
    assert not list(repo.store.ids())  # nothing was stored either


def test_a_non_utf8_file_name(repo: Repository, src: Path) -> None:
    """Linux names are bytes; one that is not UTF-8 must not break the whole backup."""
    weird = os.fsencode(str(src)) + b"/caf\xe9.txt"
    with open(weird, "wb") as fh:
        fh.write(b"latin-1 name")
    v, info = archiver.backup(repo, [str(src)])
    tree = repo.read_tree(v)
    assert info.files == len([e for e in tree if e.type == "file"])
    backed_up = any(e.path.endswith(".txt") and "caf" in e.path for e in tree)
    assert backed_up or any("caf" in e for e in info.errors)


def test_a_file_name_with_a_unicode_line_separator(repo: Repository, src: Path, tmp_path: Path) -> None:
    (src / "a\u2028b.txt").write_bytes(b"x")
    v, _ = archiver.backup(repo, [str(src)])
    repo._trees.clear()  # read it back from the store, not from the cache
    out = tmp_path / "out"
    restorer.restore(repo, v, out)
    assert manifest(restored_root(out, src)) == manifest(src)
