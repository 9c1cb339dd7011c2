"""forget, prune and check (backup/maintenance.py) in process: forget keeps exactly what the policy
says and every kept snapshot still restores; prune with no grace removes exactly the chunks only
forgotten snapshots used (files gone from disk) and orphans of killed runs; check --read-data finds
corrupt and missing chunks and repair puts them back."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from backuptree import MiB, chunk_root, manifest, open_repo, restored_root, set_snapshot_time

import chunkdisk
from dlbs.backup import archiver, maintenance, restorer, snapshots
from dlbs.core.retention import KeepPolicy
from dlbs.errors import InvalidInput
from dlbs.store.repository import Repository


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repository]:
    r = open_repo(tmp_path / "repo")
    yield r
    r.close()


def chunk_set(repo: Repository, v) -> set[bytes]:  # type: ignore[no-untyped-def]
    return {r.id for r in repo.chunks_of(v)}


def day(n: int, hour: int) -> float:
    return (datetime(2024, 6, 1) + timedelta(days=n, hours=hour)).timestamp()


def test_forget_and_prune(repo: Repository, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "shared.bin").write_bytes(os.urandom(600_000))  # in every snapshot
    times = [day(0, 9), day(0, 18), day(1, 9), day(2, 9), day(2, 12), day(2, 20), day(5, 10), day(6, 10)]
    made = []
    for i, when in enumerate(times):
        (src / "changing.bin").write_bytes(os.urandom(400_000 + i))  # unique chunks per snapshot
        v, _ = archiver.backup(repo, [str(src)])
        set_snapshot_time(repo, v, when)
        made.append((v, manifest(src)))
    # keep-last 2 -> #7, #6; keep-daily 4 -> newest of days 6, 5, 2, 1 -> #7, #6, #5, #2
    expect_keep = {made[i][0].path for i in (7, 6, 5, 2)}

    dry = maintenance.forget(repo, KeepPolicy(last=2, daily=4), dry_run=True)
    assert {s.id for s in dry.keep} == expect_keep
    assert len(snapshots.live_snapshots(repo)) == 8  # a dry run records nothing

    decision = maintenance.forget(repo, KeepPolicy(last=2, daily=4), dry_run=False)
    assert {s.id for s in decision.keep} == expect_keep
    assert {v.path for v in snapshots.live_snapshots(repo)} == expect_keep
    assert decision.reasons[made[7][0].path] == ("last", "daily")
    assert decision.reasons[made[2][0].path] == ("daily",)

    kept = [v for v, _ in made if v.path in expect_keep]
    gone = [v for v, _ in made if v.path not in expect_keep]
    kept_chunks = set().union(*(chunk_set(repo, v) for v in kept))
    only_forgotten = set().union(*(chunk_set(repo, v) for v in gone)) - kept_chunks
    assert only_forgotten  # every forgotten snapshot had its own changing.bin and tree

    # with the default grace period nothing recent is removed
    held = maintenance.prune(repo)
    assert held.removed_chunks == 0 and held.kept_in_grace == len(only_forgotten)
    assert all(chunkdisk.exists(chunk_root(repo), c) for c in only_forgotten)

    res = maintenance.prune(repo, grace=0)
    assert res.removed_chunks == len(only_forgotten) and res.orphan_files == 0
    assert repo.catalog.chunk_ids() == kept_chunks
    assert set(repo.store.ids()) == kept_chunks
    assert not any(chunkdisk.exists(chunk_root(repo), c) for c in only_forgotten)

    for i, (v, want) in enumerate(made):
        if v.path in expect_keep:
            out = tmp_path / f"out{i}"
            restorer.restore(repo, v, out)
            assert manifest(restored_root(out, src)) == want
    ok = maintenance.check(repo, lambda c: True, read_data=True)
    assert ok.ok and ok.chunks_checked == len(kept_chunks)

    # a second forget with the same policy forgets nothing more and records nothing
    again = maintenance.forget(repo, KeepPolicy(last=2, daily=4), dry_run=False)
    assert again.forget == ()
    assert maintenance.prune(repo, grace=0).removed_chunks == 0


def test_forget_needs_a_rule(repo: Repository, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        maintenance.forget(repo, KeepPolicy(), dry_run=False)
    with pytest.raises(InvalidInput):
        KeepPolicy.from_dict({"keep_last": -1})


def test_prune_removes_the_orphans_of_a_killed_run(repo: Repository, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.bin").write_bytes(os.urandom(300_000))
    v, _ = archiver.backup(repo, [str(src)])
    import io

    orphan = repo.store_stream(io.BytesIO(os.urandom(2 * MiB)))  # written, never recorded: a killed run
    orphan_ids = {c for c, _, _ in orphan.new_chunks}
    assert orphan_ids and all(repo.store.has(c) for c in orphan_ids)
    assert maintenance.prune(repo).orphan_files == 0  # too recent: may belong to a backup still running
    res = maintenance.prune(repo, grace=0)
    assert res.orphan_files == len(orphan_ids) and res.removed_chunks == 0
    assert not any(repo.store.has(c) for c in orphan_ids)
    assert set(repo.store.ids()) == chunk_set(repo, v)


def test_check_finds_and_repairs_corrupt_and_missing_chunks(repo: Repository, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "big.bin").write_bytes(os.urandom(4 * MiB))
    (src / "small.txt").write_bytes(b"small")
    v, _ = archiver.backup(repo, [str(src)])
    want = manifest(src)
    tree = {e.path.rsplit("/", 1)[-1]: e for e in repo.read_tree(v)}
    bad = tree["big.bin"].chunks[1].id
    lost = tree["small.txt"].chunks[0].id
    good_copies = {c: chunkdisk.blob_bytes(chunk_root(repo), c) for c in (bad, lost)}
    chunkdisk.flip_byte(chunk_root(repo), bad)
    chunkdisk.remove(chunk_root(repo), lost)

    quick = maintenance.check(repo, lambda c: True)
    assert quick.missing == [lost.hex()] and quick.corrupt == [] and not quick.ok  # corruption needs --read-data

    full = maintenance.check(repo, lambda c: True, read_data=True)
    assert full.corrupt == [bad.hex()] and full.missing == [lost.hex()] and not full.ok
    assert repo.catalog.corrupt_count() >= 1
    assert full.chunks_checked == len(repo.catalog.chunk_ids())

    asked: list[bytes] = []

    def refetch(ids: list[bytes]) -> list[bytes]:
        """What the replicator does: fetch good copies from a peer into the store and catalog."""
        asked.extend(ids)
        for cid in ids:
            repo.store.put(cid, good_copies[cid])
        repo.store.sync()
        repo.catalog.add_chunks([(cid, 1, len(good_copies[cid])) for cid in ids])
        return []

    fixed = maintenance.check(repo, lambda c: True, read_data=True, repair=refetch)
    assert set(asked) == {bad, lost}
    assert set(fixed.repaired) == {bad.hex(), lost.hex()} and fixed.ok
    assert repo.catalog.corrupt_count() == 0
    assert maintenance.check(repo, lambda c: True, read_data=True).ok
    out = tmp_path / "out"
    restorer.restore(repo, v, out)
    assert manifest(restored_root(out, src)) == want


def test_check_reports_what_could_not_be_repaired(repo: Repository, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "f.bin").write_bytes(os.urandom(100_000))
    v, _ = archiver.backup(repo, [str(src)])
    cid = next(e for e in repo.read_tree(v) if e.type == "file").chunks[0].id
    chunkdisk.flip_byte(chunk_root(repo), cid)
    res = maintenance.check(repo, lambda c: True, read_data=True, repair=lambda ids: list(ids))
    assert res.unrepaired == [cid.hex()] and not res.ok
    assert "unrepaired" in res.to_json() and res.to_json()["ok"] is False


def test_check_only_requires_the_chunks_this_node_must_hold(repo: Repository, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "f.bin").write_bytes(os.urandom(100_000))
    v, _ = archiver.backup(repo, [str(src)])
    cid = next(e for e in repo.read_tree(v) if e.type == "file").chunks[0].id
    chunkdisk.remove(chunk_root(repo), cid)
    assert not maintenance.check(repo, lambda c: True).ok
    assert maintenance.check(repo, lambda c: c != cid).missing == []


def test_prune_gives_the_space_of_forgotten_small_files_back(tmp_path: Path) -> None:
    """Small files live in pack files: prune must rewrite mostly-dead packs, not just drop index rows."""
    secret = os.urandom(32)
    repo = open_repo(tmp_path / "repo", secret)
    src = tmp_path / "src"
    src.mkdir()
    for i in range(300):
        (src / f"f{i:03d}.bin").write_bytes(os.urandom(20_000))
    archiver.backup(repo, [str(src)])
    for i in range(300):
        if i % 10:
            (src / f"f{i:03d}.bin").write_bytes(os.urandom(20_000))  # 90% of the files change
    second, _ = archiver.backup(repo, [str(src)])
    want = manifest(src)
    repo.close()

    repo = open_repo(tmp_path / "repo", secret)  # a later run: no pack is still being written
    before = chunkdisk.disk_bytes(chunk_root(repo))
    would = maintenance.forget(repo, KeepPolicy(last=1), dry_run=True)
    dry = maintenance.prune(repo, grace=0, dry_run=True, forgetting=frozenset(s.id for s in would.forget))
    assert chunkdisk.disk_bytes(chunk_root(repo)) == before and dry.packs_compacted == 0
    maintenance.forget(repo, KeepPolicy(last=1), dry_run=False)
    res = maintenance.prune(repo, grace=0)
    assert (dry.removed_chunks, dry.removed_bytes) == (res.removed_chunks, res.removed_bytes)  # the dry run told
    after = chunkdisk.disk_bytes(chunk_root(repo))
    assert res.removed_chunks >= 270 and res.packs_compacted >= 1
    assert before - after >= 0.8 * res.removed_bytes  # the bytes really left the disk
    out = tmp_path / "out"
    restorer.restore(repo, second, out)
    assert manifest(restored_root(out, src)) == want
    repo.close()
