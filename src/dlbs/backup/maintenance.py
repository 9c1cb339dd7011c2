"""Retention and integrity: forget (keep rules), prune (remove unreferenced chunks), check/repair.

Prune is safe while peers are still syncing: a chunk is removed only when no live entry this node
knows references it *and* it has been held longer than the grace period, so chunks just fetched
for entries that are not merged yet, or written by a backup still running, are never removed.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from dlbs.backup.snapshots import live_snapshots
from dlbs.core.model import KIND_FILE, KIND_FORGET
from dlbs.core.retention import Decision, KeepPolicy, apply_policy
from dlbs.core.snapshot import SnapshotInfo
from dlbs.errors import DlbsError
from dlbs.store.repository import Repository

log = logging.getLogger(__name__)
DEFAULT_GRACE = 3600.0


def forget(repo: Repository, policy: KeepPolicy, dry_run: bool) -> Decision:
    """Decide with `policy`; unless `dry_run`, record a forget entry (it replicates to every node)."""
    decision = apply_policy((SnapshotInfo.from_version(v) for v in live_snapshots(repo)), policy)
    if decision.forget and not dry_run:
        ids = [s.id for s in decision.forget]
        v = repo.catalog.add_entry(repo.node.node_id, repo.node.node_name, repo.clock.now, kind=KIND_FORGET,
                                   path=f"forget-{secrets.token_hex(8)}", size=0, sha256="", chunks=(),
                                   meta=json.dumps({"snapshots": ids, "time": time.time()}))
        log.info("forgot %d snapshot(s): %s", len(ids), ", ".join(i[:8] for i in ids))
        repo.notify(v)
    return decision


@dataclass
class PruneResult:
    removed_chunks: int = 0
    removed_bytes: int = 0
    kept_in_grace: int = 0
    orphan_files: int = 0
    packs_compacted: int = 0
    compacted_bytes: int = 0


def referenced_chunks(repo: Repository, forgetting: frozenset[str] = frozenset()) -> set[bytes]:
    """Chunks some file version or live snapshot needs; `forgetting`: snapshot ids to count as gone."""
    refs: set[bytes] = set()
    for v in repo.catalog.all_versions(KIND_FILE):
        refs.update(r.id for r in v.chunks)
    for v in live_snapshots(repo):
        if v.path not in forgetting:
            refs.update(r.id for r in repo.chunks_of(v))
    return refs


def prune(repo: Repository, grace: float = DEFAULT_GRACE, dry_run: bool = False,
          forgetting: frozenset[str] = frozenset()) -> PruneResult:
    """Remove chunks nothing references (after `grace` seconds). A dry run after a dry-run forget
    passes the snapshots that forget would drop as `forgetting`, so it shows what the real run does."""
    res = PruneResult()
    refs = referenced_chunks(repo, forgetting)
    now = time.time()
    doomed: list[bytes] = []
    for cid, _length, stored, added in repo.catalog.chunk_rows():
        if cid in refs:
            continue
        if now - added < grace:
            res.kept_in_grace += 1
            continue
        doomed.append(cid)
        res.removed_chunks += 1
        res.removed_bytes += stored
    if not dry_run and doomed:
        repo.catalog.remove_chunks(doomed)  # first forget them, then delete: a crash leaves orphans, not holes
        repo.store.delete_many(doomed)
    held = repo.catalog.chunk_ids()
    orphans: list[bytes] = []
    for cid in list(repo.store.ids()):
        if cid in held or cid in refs:
            continue
        added = repo.store.added_at(cid)
        if added is not None and now - added < grace:
            continue  # may belong to a backup or a sync still running
        orphans.append(cid)
    res.orphan_files = len(orphans)
    if not dry_run:
        repo.store.delete_many(orphans)
        compacted = repo.store.compact()
        res.packs_compacted, res.compacted_bytes = compacted.packs_removed, compacted.bytes_freed
    log.info("prune: removed %d chunk(s) (%d bytes) and %d orphan(s), compacted %d pack(s) (%d bytes freed); "
             "%d unreferenced kept in grace", res.removed_chunks, res.removed_bytes, res.orphan_files,
             res.packs_compacted, res.compacted_bytes, res.kept_in_grace)
    return res


@dataclass
class CheckResult:
    entries: int = 0
    chunks_checked: int = 0
    missing: list[str] = field(default_factory=list)
    corrupt: list[str] = field(default_factory=list)
    unreadable_entries: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    unrepaired: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.unrepaired and not (set(self.missing) | set(self.corrupt)) - set(self.repaired) \
            and not self.unreadable_entries

    def to_json(self) -> dict[str, object]:
        return {"ok": self.ok, "entries": self.entries, "chunks_checked": self.chunks_checked,
                "missing": self.missing, "corrupt": self.corrupt, "unreadable_entries": self.unreadable_entries,
                "repaired": self.repaired, "unrepaired": self.unrepaired}


def check(repo: Repository, must_hold: Callable[[bytes], bool], read_data: bool = False,
          repair: Callable[[list[bytes]], list[bytes]] | None = None,
          progress: Callable[[int, int], None] | None = None) -> CheckResult:
    """Verify the catalog against the chunk store; with `read_data` open every held chunk;
    with `repair`, refetch corrupt and missing chunks from peers (`repair` returns those it could not)."""
    res = CheckResult()
    held = repo.catalog.chunk_ids()
    needed: dict[bytes, None] = {}
    for v in [*repo.catalog.all_versions(KIND_FILE), *live_snapshots(repo)]:
        res.entries += 1
        try:
            for ref in repo.chunks_of(v):
                if must_hold(ref.id):
                    needed[ref.id] = None
        except DlbsError as exc:
            res.unreadable_entries.append(f"{v.kind} {v.path}: {exc}")
    missing = [cid for cid in needed if cid not in held or not repo.store.has(cid)]
    res.missing = [c.hex() for c in missing]
    corrupt: list[bytes] = []
    if read_data:
        total = len(held)
        for i, cid in enumerate(sorted(held)):
            try:
                repo.codec.decode(cid, repo.store.get(cid))
            except DlbsError as exc:
                if cid.hex() not in res.missing:
                    corrupt.append(cid)
                    repo.catalog.mark_corrupt(cid, exc.detail)
                    log.error("check: chunk %s is corrupt: %s", cid.hex()[:16], exc.detail)
            res.chunks_checked += 1
            if progress and i % 64 == 0:
                progress(i, total)
    res.corrupt = [c.hex() for c in corrupt]
    if repair is not None and (missing or corrupt):
        bad = missing + corrupt
        repo.catalog.remove_chunks(corrupt)
        repo.store.delete_many(corrupt)
        failed = set(repair(bad))
        for cid in bad:
            if cid in failed:
                res.unrepaired.append(cid.hex())
            else:
                res.repaired.append(cid.hex())
                repo.catalog.clear_corrupt(cid)
        log.info("check --repair: repaired %d chunk(s), %d could not be repaired", len(res.repaired),
                 len(res.unrepaired))
    return res
