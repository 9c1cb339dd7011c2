"""The backup features of a node, as jobs the faces can start and watch, plus the backup schedule.

Owned by NodeService. Backups, restores and checks run as jobs (jobs.py); one backup at a time
(`_backup_lock`). The schedule loop runs on the node's event loop and checks every
`TICK` seconds which configured sources are due (see core/schedule.py).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dlbs.backup import archiver, maintenance, restorer, snapshots
from dlbs.config import Config
from dlbs.core import schedule
from dlbs.core.paths import under_prefix as under
from dlbs.core.placement import should_hold
from dlbs.core.retention import KeepPolicy
from dlbs.core.snapshot import SnapshotInfo, diff_trees
from dlbs.errors import DlbsError, InvalidInput, NotFound
from dlbs.jobs import Job, JobRunner
from dlbs.store.repository import Repository
from dlbs.sync.replicator import Replicator

log = logging.getLogger(__name__)
TICK = 30.0


def printable(path: str) -> str:
    """A name for display and JSON: bytes that were not UTF-8 on disk become U+FFFD."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


class BackupService:
    def __init__(self, repo: Repository, replicator: Replicator, jobs: JobRunner, config: Callable[[], Config]) -> None:
        self.repo = repo
        self.replicator = replicator
        self.jobs = jobs
        self._config = config
        self._backup_lock = threading.Lock()

    # ---- backups --------------------------------------------------------------------------------

    def start_backup(self, paths: list[str], excludes: list[str]) -> Job:
        if not paths or not all(isinstance(p, str) and p for p in paths):
            raise InvalidInput("nothing to back up", "give one or more folders")
        from dlbs.backup.scanner import resolve_source

        for p in paths:
            resolve_source(p)  # a missing source is a clear error now, not a failed job later
        title = f"Backup of {', '.join(paths)}"

        def work(report: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
            _v, info = archiver.backup(self.repo, paths, tuple(excludes), lambda p: report(p.to_json()))
            return info.to_json()

        return self.jobs.start("backup", title, work, exclusive=self._backup_lock)

    def list(self) -> list[dict[str, Any]]:
        return [SnapshotInfo.from_version(v).to_json() for v in snapshots.live_snapshots(self.repo)]

    def entries(self, snap_id: str, prefix: str = "", children_only: bool = False) -> dict[str, Any]:
        """The entries under `prefix`; with `children_only`, just its direct children, each folder
        with the file count and size of its whole subtree (`files`, `size`), so a browser of a
        snapshot of 100,000 files loads one folder at a time."""
        v = snapshots.resolve(self.repo, snap_id)
        pre = prefix.strip("/")
        rows = [e for e in self.repo.read_tree(v) if under(e.path, pre)]
        if pre and not rows:
            raise NotFound("path not in snapshot", f"/{printable(pre)} is not in snapshot {v.path[:8]}")
        out = [{"path": "/" + printable(e.path), "type": e.type, "mode": e.mode, "mtime_ns": e.mtime_ns,
                "size": e.size, "sha256": e.sha256, "target": e.target} for e in rows]
        if children_only:
            out = _children(out, "/" + printable(pre) if pre else "")
        return {"snapshot": SnapshotInfo.from_version(v).to_json(), "prefix": pre, "entries": out}

    def diff(self, a: str, b: str) -> dict[str, Any]:
        va, vb = snapshots.resolve(self.repo, a), snapshots.resolve(self.repo, b)
        d = diff_trees(self.repo.read_tree(va), self.repo.read_tree(vb))
        return {"from": va.path, "to": vb.path, "added": ["/" + printable(p) for p in d.added],
                "removed": ["/" + printable(p) for p in d.removed], "changed": ["/" + printable(p) for p in d.changed]}

    def start_restore(self, snap_id: str | None, at: float | None, path: str | None, target: str,
                      overwrite: bool) -> Job:
        if not target:
            raise InvalidInput("no target", "give --target DIR")
        include = path.strip("/") if path else None
        if snap_id:
            v = snapshots.resolve(self.repo, snap_id)
        elif at is not None:
            v = snapshots.at_time(self.repo, at, "/" + include if include else None)
        else:
            raise InvalidInput("which snapshot?", "give a snapshot id or --at TIME")
        title = f"Restore of {v.path[:8]}" + (f" /{include}" if include else "") + f" into {target}"
        # Fail fast on bad input (existing files, target inside source, unknown path) before a job starts:
        restorer.preflight(self.repo, v, Path(target), include, overwrite)

        def work(report: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
            prog = restorer.restore(self.repo, v, Path(target), include, overwrite, lambda p: report(p.to_json()))
            return {"snapshot": v.path, "target": str(Path(target).expanduser().absolute()), **prog.to_json()}

        return self.jobs.start("restore", title, work)

    # ---- retention and integrity ------------------------------------------------------------------

    def forget(self, rules: dict[str, Any], dry_run: bool, prune: bool) -> dict[str, Any]:
        policy = KeepPolicy.from_dict(rules)
        decision = maintenance.forget(self.repo, policy, dry_run)
        if decision.forget and not dry_run:
            self.jobs.events.publish("backup", f"Forgot {len(decision.forget)} snapshot(s)", "warning",
                                     forgotten=[s.id for s in decision.forget])
        out: dict[str, Any] = {
            "dry_run": dry_run,
            "keep": [dict(s.to_json(), reasons=list(decision.reasons.get(s.id, ()))) for s in decision.keep],
            "forget": [s.to_json() for s in decision.forget],
        }
        if prune:
            grace = float(self._config().prune_grace)
            r = maintenance.prune(self.repo, grace=grace, dry_run=dry_run,
                                  forgetting=frozenset(s.id for s in decision.forget) if dry_run else frozenset())
            out["prune"] = {"removed_chunks": r.removed_chunks, "removed_bytes": r.removed_bytes,
                            "kept_in_grace": r.kept_in_grace, "orphan_files": r.orphan_files,
                            "packs_compacted": r.packs_compacted, "compacted_bytes": r.compacted_bytes}
        return out

    def start_check(self, read_data: bool, repair: bool) -> Job:
        def must_hold(cid: bytes) -> bool:
            return should_hold(self.repo.node.node_id, cid, self.replicator.placement_members(),
                               self._config().replicas)

        def work(report: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
            r = maintenance.check(self.repo, must_hold, read_data, self.replicator.fetch_missing if repair else None,
                                  lambda i, n: report({"chunks_checked": i, "chunks_total": n}))
            return r.to_json()

        return self.jobs.start("check", "Check" + (" --read-data" if read_data else "") +
                               (" --repair" if repair else ""), work)

    # ---- schedule -------------------------------------------------------------------------------

    async def schedule_loop(self) -> None:
        """Run configured sources when due (default daily at 02:00 local time, catching up)."""
        while True:
            try:
                for src in self._config().sources:
                    path = str(src.get("path", ""))
                    sched = src.get("schedule", "daily")
                    at = str(src.get("at", "02:00"))
                    key = f"backup_last:{path}"
                    last = self.repo.catalog.get_meta(key)
                    if not path or not schedule.is_due(sched, float(last) if last else None, time.time(), at):
                        continue
                    if self._backup_lock.locked():
                        break
                    log.info("scheduled backup of %s is due", path)
                    self.repo.catalog.set_meta(key, str(time.time()))
                    try:
                        job = self.start_backup([path], [str(x) for x in src.get("exclude", [])])
                    except DlbsError as exc:
                        log.error("scheduled backup of %s cannot start: %s", path, exc)
                        continue
                    while job.state == "running":
                        await asyncio.sleep(1)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("backup schedule failed; retrying later")
            await asyncio.sleep(TICK)


def _children(entries: list[dict[str, Any]], folder: str) -> list[dict[str, Any]]:
    """Direct children of `folder` among `entries` (all under it); folders (listed or only implied
    by deeper paths) get `files` and `size` totals of their subtree."""
    base = folder.rstrip("/") + "/"
    rows: dict[str, dict[str, Any]] = {}
    for e in entries:
        if not e["path"].startswith(base):
            continue
        name, slash, _rest = e["path"][len(base):].partition("/")
        if not name:
            continue
        if not slash and e["type"] != "dir":
            rows[name] = e
            continue
        row = rows.setdefault(name, {"path": base + name, "type": "dir", "mode": None, "mtime_ns": None,
                                     "size": 0, "sha256": "", "target": None, "files": 0})
        if not slash:  # the folder's own entry: its metadata, keeping the totals so far
            row.update({k: e[k] for k in ("mode", "mtime_ns", "target")})
        elif e["type"] == "file":
            row["size"] += e["size"]
            row["files"] += 1
    return sorted(rows.values(), key=lambda r: (r["type"] != "dir", r["path"]))
