"""Restoring snapshots (backup/restorer.py) in process: bit-exact with metadata after the source
changed, one path, refusals (existing files, target inside the source, a file as target), never a
write outside the target even for a handcrafted hostile tree, never wrong bytes under a final name."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from backuptree import (
    MiB,
    add_snapshot,
    chunk_root,
    manifest,
    open_repo,
    restored_root,
    same_bytes,
    store_blob,
)

import chunkdisk
from dlbs.backup import archiver, restorer
from dlbs.core.snapshot import DIR, FILE, SYMLINK, TreeEntry
from dlbs.errors import IntegrityError, InvalidInput, NotFound
from dlbs.store.repository import Repository


@pytest.fixture(autouse=True, params=["unnamed", "named"])
def file_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test twice: files made unnamed (O_TMPFILE) and linked in when whole, and the
    portable way (a hidden temp name, then rename)."""
    if request.param == "named":
        monkeypatch.setattr(restorer, "_tmpfile_works", lambda folder: False)
    return str(request.param)


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repository]:
    r = open_repo(tmp_path / "repo")
    yield r
    r.close()


def make_source(root: Path) -> Path:
    (root / "docs" / "deep" / "deeper").mkdir(parents=True)
    (root / "empty-dir").mkdir()
    (root / "private").mkdir(mode=0o700)
    (root / "docs" / "a.txt").write_bytes(b"alpha\n" * 1000)
    (root / "docs" / "deep" / "big.bin").write_bytes(os.urandom(5 * MiB + 123))
    (root / "docs" / "deep" / "deeper" / "zero").write_bytes(b"")
    (root / "private" / "key").write_bytes(b"secret")
    os.chmod(root / "private" / "key", 0o600)
    (root / "run.sh").write_bytes(b"#!/bin/sh\necho hi\n")
    os.chmod(root / "run.sh", 0o755)
    (root / "Ünïcode файл.txt").write_bytes("ü".encode() * 10)
    (root / "rel-link").symlink_to("docs/a.txt")
    (root / "abs-link").symlink_to("/etc/hostname")
    (root / "dangling").symlink_to("does/not/exist")
    (root / "dir-link").symlink_to("docs")
    for i, p in enumerate(sorted(root.rglob("*"), reverse=True)):  # distinct, odd times, children first
        os.utime(p, ns=(1_600_000_000_123_456_789 + i, 1_600_000_000_123_456_789 + i * 1_000_003),
                 follow_symlinks=False)
    os.utime(root, ns=(1_500_000_000_000_000_001, 1_500_000_000_000_000_001))
    return root


def test_restore_the_first_snapshot_after_the_source_changed(repo: Repository, tmp_path: Path) -> None:
    src = make_source(tmp_path / "src")
    before = manifest(src)
    v1, _ = archiver.backup(repo, [str(src)])
    # modify, delete, add, chmod, retarget
    (src / "docs" / "a.txt").write_bytes(b"changed\n")
    (src / "docs" / "deep" / "big.bin").unlink()
    (src / "empty-dir").rmdir()
    (src / "new.txt").write_bytes(b"new")
    os.chmod(src / "run.sh", 0o700)
    (src / "rel-link").unlink()
    (src / "rel-link").symlink_to("new.txt")
    after = manifest(src)
    v2, info2 = archiver.backup(repo, [str(src)])
    assert info2.parent == v1.path

    out1 = tmp_path / "out1"
    prog = restorer.restore(repo, v1, out1)
    root1 = restored_root(out1, src)
    assert manifest(root1) == before
    assert prog.files_done == prog.files_total == 6 and prog.bytes_done == prog.bytes_total
    assert (root1 / "docs" / "deep" / "big.bin").stat().st_size == 5 * MiB + 123
    assert os.readlink(root1 / "dir-link") == "docs" and not (root1 / "dangling").exists()
    assert not list(out1.rglob("*.dlbs-restore"))

    out2 = tmp_path / "out2"
    restorer.restore(repo, v2, out2)
    assert manifest(restored_root(out2, src)) == after
    assert same_bytes(src, restored_root(out2, src))


def test_restore_one_path(repo: Repository, tmp_path: Path) -> None:
    src = make_source(tmp_path / "src")
    want = manifest(src / "docs")
    v, _ = archiver.backup(repo, [str(src)])
    out = tmp_path / "out"
    restorer.restore(repo, v, out, include=str(src / "docs"))
    assert sorted(p.name for p in out.iterdir()) == ["docs"]
    assert manifest(out / "docs") == want

    one = tmp_path / "one"
    restorer.restore(repo, v, one, include=str(src / "docs" / "deep" / "big.bin"))
    assert [p.name for p in one.iterdir()] == ["big.bin"]
    assert (one / "big.bin").read_bytes() == (src / "docs" / "deep" / "big.bin").read_bytes()

    with pytest.raises(NotFound):
        restorer.restore(repo, v, tmp_path / "none", include=str(src / "nope"))
    with pytest.raises(NotFound):
        restorer.restore(repo, v, tmp_path / "none", include=str(src / "doc"))  # a prefix of a name is not a path
    assert not (tmp_path / "none").exists()


def test_existing_files_are_not_overwritten_without_overwrite(repo: Repository, tmp_path: Path) -> None:
    src = make_source(tmp_path / "src")
    v, _ = archiver.backup(repo, [str(src)])
    out = tmp_path / "out"
    root = restored_root(out, src)
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "a.txt").write_bytes(b"mine, keep me")
    with pytest.raises(InvalidInput, match="exist"):
        restorer.restore(repo, v, out)
    assert (root / "docs" / "a.txt").read_bytes() == b"mine, keep me"
    assert sorted(p.name for p in root.iterdir()) == ["docs"]  # nothing else was written
    restorer.restore(repo, v, out, overwrite=True)
    assert manifest(root) == manifest(src)


def test_a_target_inside_the_source_is_refused(repo: Repository, tmp_path: Path) -> None:
    src = make_source(tmp_path / "src")
    v, _ = archiver.backup(repo, [str(src)])
    before = manifest(src)
    for target in (src / "restore-here", src, src / "docs" / "deep"):
        with pytest.raises(InvalidInput, match="inside"):
            restorer.restore(repo, v, target)
    assert manifest(src) == before


def test_a_file_as_target_is_refused(repo: Repository, tmp_path: Path) -> None:
    src = make_source(tmp_path / "src")
    v, _ = archiver.backup(repo, [str(src)])
    target = tmp_path / "a-file"
    target.write_bytes(b"x")
    with pytest.raises(InvalidInput):
        restorer.restore(repo, v, target)
    assert target.read_bytes() == b"x"


def test_restore_into_a_target_that_exists_and_is_empty(repo: Repository, tmp_path: Path) -> None:
    src = make_source(tmp_path / "src")
    v, _ = archiver.backup(repo, [str(src)])
    out = tmp_path / "out"
    out.mkdir()
    restorer.restore(repo, v, out)
    assert manifest(restored_root(out, src)) == manifest(src)


def files_outside(tmp_path: Path, target: Path, before: set[Path]) -> set[Path]:
    return {p for p in tmp_path.rglob("*") if target not in p.parents and p != target} - before


@pytest.mark.parametrize("order", ["link-then-file", "dir-link-file"])
def test_a_hostile_tree_never_writes_outside_the_target(repo: Repository, tmp_path: Path, order: str) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    refs, sha, new = store_blob(repo, b"payload")
    entries = [TreeEntry("a", SYMLINK, 0o777, 1, target=str(elsewhere)),
               TreeEntry("a/x", FILE, 0o644, 1, 7, sha, refs)]
    if order == "dir-link-file":
        entries.append(TreeEntry("a", DIR, 0o755, 1))  # a second entry for the same path
        entries.append(TreeEntry("b", SYMLINK, 0o777, 1, target="a"))
        entries.append(TreeEntry("b/y", FILE, 0o644, 1, 7, sha, refs))
    v = add_snapshot(repo, entries, paths=("/nowhere",), new_chunks=new)
    target = tmp_path / "target"
    before = {p for p in tmp_path.rglob("*") if target not in p.parents}
    with contextlib.suppress(InvalidInput, OSError):  # refusing is fine; writing through the link is not
        restorer.restore(repo, v, target)
    assert list(elsewhere.iterdir()) == []
    assert files_outside(tmp_path, target, before) == set()


def test_an_existing_symlink_in_the_target_is_not_followed(repo: Repository, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    refs, sha, new = store_blob(repo, b"payload")
    v = add_snapshot(repo, [TreeEntry("a", DIR, 0o755, 1), TreeEntry("a/x", FILE, 0o644, 1, 7, sha, refs),
                            TreeEntry("c/y", FILE, 0o644, 1, 7, sha, refs)], paths=("/nowhere",), new_chunks=new)
    target = tmp_path / "target"
    target.mkdir()
    (target / "a").symlink_to(elsewhere)
    (target / "c").symlink_to(elsewhere)
    for overwrite in (False, True):
        with pytest.raises(InvalidInput):
            restorer.restore(repo, v, target, overwrite=overwrite)
        assert list(elsewhere.iterdir()) == []
    v2 = add_snapshot(repo, [TreeEntry("c/y", FILE, 0o644, 1, 7, sha, refs)], paths=("/nowhere",))
    with pytest.raises(InvalidInput, match="outside"):
        restorer.restore(repo, v2, target, overwrite=True)
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize("bad_path", ["../escape", "a/../../escape", "/abs/escape"])
def test_a_tree_with_an_escaping_path_is_refused(repo: Repository, tmp_path: Path, bad_path: str) -> None:
    refs, sha, new = store_blob(repo, b"payload")
    v = add_snapshot(repo, [TreeEntry(bad_path, FILE, 0o644, 1, 7, sha, refs)], paths=("/nowhere",), new_chunks=new)
    target = tmp_path / "deep" / "target"
    with pytest.raises(IntegrityError):
        restorer.restore(repo, v, target)
    assert not (tmp_path / "deep").exists() and not (tmp_path / "escape").exists()


def test_a_corrupt_chunk_fails_the_restore_without_wrong_bytes(repo: Repository, tmp_path: Path) -> None:
    src = make_source(tmp_path / "src")
    v, _ = archiver.backup(repo, [str(src)])
    big = next(e for e in repo.read_tree(v) if e.path.endswith("big.bin"))
    assert len(big.chunks) >= 2
    chunkdisk.flip_byte(chunk_root(repo), big.chunks[-1].id)
    out = tmp_path / "out"
    with pytest.raises(IntegrityError):
        restorer.restore(repo, v, out)
    dest = restored_root(out, src) / "docs" / "deep" / "big.bin"
    assert not dest.exists()
    assert not list(out.rglob("*.dlbs-restore"))
    assert repo.catalog.corrupt_count() == 1


def test_a_restored_file_whose_hash_does_not_match_is_not_kept(repo: Repository, tmp_path: Path) -> None:
    refs, _sha, new = store_blob(repo, b"payload")
    v = add_snapshot(repo, [TreeEntry("f", FILE, 0o644, 1, 7, "00" * 32, refs)], paths=("/nowhere",), new_chunks=new)
    out = tmp_path / "out"
    with pytest.raises(IntegrityError):
        restorer.restore(repo, v, out)
    assert list(out.iterdir()) == []


def test_a_restore_leaves_no_temporary_files(repo: Repository, tmp_path: Path, file_mode: str) -> None:
    src = make_source(tmp_path / "src")
    v, _ = archiver.backup(repo, [str(src)])
    out = tmp_path / "out"
    restorer.restore(repo, v, out)
    assert manifest(restored_root(out, src)) == manifest(src)
    assert not [p for p in out.rglob("*") if "dlbs-restore" in p.name]
    restorer.restore(repo, v, out, overwrite=True)  # over existing files: the rename path, both modes
    assert manifest(restored_root(out, src)) == manifest(src)
    assert not [p for p in out.rglob("*") if "dlbs-restore" in p.name]
