"""Backing up folders into a snapshot.

One run: scan every source, reuse the previous snapshot's chunks for files whose size, mtime and
inode did not change (they are not read again: incremental), chunk and store the rest (a few files
at a time, so small files do not wait on each other), then store the tree and record the snapshot
entry and every new chunk in one transaction, after `store.sync()`. A run killed at any instant
leaves no snapshot (only unreferenced chunks, which prune removes), and the next run completes.
"""

from __future__ import annotations

import io
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from dlbs.backup.scanner import Found, ScanReport, resolve_source, scan
from dlbs.backup.snapshots import latest_for
from dlbs.core.model import KIND_SNAPSHOT, Version
from dlbs.core.snapshot import DIR, FILE, SYMLINK, SnapshotInfo, TreeEntry, encode_tree
from dlbs.errors import InvalidInput
from dlbs.store.repository import Repository

log = logging.getLogger(__name__)
FILE_WORKERS = 3


@dataclass
class BackupProgress:
    files_total: int = 0
    bytes_total: int = 0
    files_done: int = 0
    bytes_done: int = 0
    files_reused: int = 0
    current: str = ""
    started: float = field(default_factory=time.monotonic)

    def to_json(self) -> dict[str, object]:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = self.bytes_done / elapsed
        left = max(self.bytes_total - self.bytes_done, 0)
        return {
            "files_total": self.files_total, "bytes_total": self.bytes_total, "files_done": self.files_done,
            "bytes_done": self.bytes_done, "files_reused": self.files_reused, "current": self.current,
            "elapsed": round(elapsed, 2), "mib_per_s": round(rate / 2**20, 1),
            "eta": round(left / rate, 1) if rate > 0 and self.bytes_done else None,
        }


Progress = Callable[[BackupProgress], None]


def backup(repo: Repository, sources: list[str], excludes: tuple[str, ...] = (),
           progress: Progress | None = None, host: str | None = None) -> tuple[Version, SnapshotInfo]:
    """Back up `sources` into a new snapshot; returns its catalog entry and summary."""
    if not sources:
        raise InvalidInput("nothing to back up", "give at least one folder")
    roots = sorted({str(resolve_source(s)) for s in sources})
    for a in roots:
        for b in roots:
            if a != b and b.startswith(a.rstrip("/") + "/"):
                raise InvalidInput("overlapping sources", f"{b} is inside {a}; give only {a}")
    host = host or socket.gethostname()
    prev_v = latest_for(repo, host, tuple(roots))
    prev: dict[str, TreeEntry] = {}
    if prev_v is not None:
        prev = {e.path: e for e in repo.read_tree(prev_v)}
    report = ScanReport()
    found: list[Found] = []
    for root in roots:
        found.extend(scan(Path(root), excludes, report))
    prog = BackupProgress(files_total=sum(1 for f in found if f.kind == FILE),
                          bytes_total=sum(f.st.st_size for f in found if f.kind == FILE))
    tick = _throttle(progress, prog)
    entries: list[TreeEntry] = []
    new_chunks: list[tuple[bytes, int, int]] = []
    added_bytes = 0
    pending: list[tuple[Found, Future[TreeEntry | None]]] = []
    lock = threading.Lock()  # guards new_chunks and the progress counters the file workers update

    def store_file(f: Found) -> TreeEntry | None:
        try:
            fd = os.open(f.abs_path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError as exc:
            report.errors.append(f"{f.abs_path}: {exc.strerror}")
            return None
        with os.fdopen(fd, "rb", buffering=0) as fh:
            try:
                blob = repo.store_stream(fh, lambda n: _add_bytes(prog, n, lock), size_hint=f.st.st_size)
            except OSError as exc:
                report.errors.append(f"{f.abs_path}: read failed: {exc.strerror}")
                return None
            after = os.fstat(fh.fileno())
        if after.st_mtime_ns != f.st.st_mtime_ns or after.st_size != blob.size:
            report.warnings.append(f"{f.abs_path}: changed while it was read; this snapshot has what was read")
        with lock:
            new_chunks.extend(blob.new_chunks)
        return TreeEntry(f.rel, FILE, f.st.st_mode & 0o7777, f.st.st_mtime_ns, blob.size, blob.sha256, blob.refs,
                         inode=f.st.st_ino)

    with ThreadPoolExecutor(max_workers=FILE_WORKERS, thread_name_prefix="dlbs-backup") as pool:
        for f in found:
            if f.kind == DIR:
                entries.append(TreeEntry(f.rel, DIR, f.st.st_mode & 0o7777, f.st.st_mtime_ns))
            elif f.kind == SYMLINK:
                try:
                    target = os.readlink(f.abs_path)
                except OSError as exc:
                    report.errors.append(f"{f.abs_path}: {exc.strerror}")
                    continue
                entries.append(TreeEntry(f.rel, SYMLINK, 0o777, f.st.st_mtime_ns, target=target))
            else:
                old = prev.get(f.rel)
                if (old is not None and old.type == FILE and old.size == f.st.st_size
                        and old.mtime_ns == f.st.st_mtime_ns and old.inode == f.st.st_ino):
                    entries.append(TreeEntry(f.rel, FILE, f.st.st_mode & 0o7777, f.st.st_mtime_ns, old.size,
                                             old.sha256, old.chunks, inode=f.st.st_ino))
                    prog.files_done += 1
                    prog.files_reused += 1
                    prog.bytes_done += f.st.st_size
                    tick()
                    continue
                prog.current = f.abs_path
                pending.append((f, pool.submit(store_file, f)))
                while len(pending) > FILE_WORKERS * 4:
                    _collect(pending.pop(0), entries, prog)
                    tick()
        while pending:
            _collect(pending.pop(0), entries, prog)
            tick()
    added_bytes = sum(stored for _, _, stored in new_chunks)
    tree = encode_tree(entries)
    tree_blob = repo.store_stream(io.BytesIO(tree))
    repo.store.sync()
    snap_id = secrets.token_hex(16)
    info = SnapshotInfo(
        id=snap_id, time=time.time(), host=host, node_id=repo.node.node_id, paths=tuple(roots),
        files=sum(1 for e in entries if e.type == FILE), dirs=sum(1 for e in entries if e.type == DIR),
        symlinks=sum(1 for e in entries if e.type == SYMLINK), size=sum(e.size for e in entries),
        added_bytes=added_bytes + sum(s for _, _, s in tree_blob.new_chunks), partial=bool(report.errors),
        errors=tuple(report.errors + report.warnings), excludes=excludes,
        parent=prev_v.path if prev_v is not None else None, tree=tree_blob.refs,
    )
    v = repo.catalog.add_entry(
        repo.node.node_id, repo.node.node_name, repo.clock.now, kind=KIND_SNAPSHOT, path=snap_id, size=info.size,
        sha256=tree_blob.sha256, chunks=tree_blob.refs, meta=info.meta_json(),
        new_chunks=[*new_chunks, *tree_blob.new_chunks],
    )
    prog.current = ""
    if progress:
        progress(prog)
    elapsed = time.monotonic() - prog.started
    log.info("snapshot %s of %s: %d files (%d unchanged), %d bytes, %d bytes added, %d errors, in %.2fs",
             snap_id[:8], ", ".join(roots), info.files, prog.files_reused, info.size, info.added_bytes,
             len(report.errors), elapsed)
    repo.notify(v)
    return v, info


def _collect(item: tuple[Found, Future[TreeEntry | None]], entries: list[TreeEntry], prog: BackupProgress) -> None:
    _found, fut = item
    entry = fut.result()
    prog.files_done += 1
    if entry is not None:
        entries.append(entry)



def _add_bytes(prog: BackupProgress, n: int, lock: threading.Lock) -> None:
    with lock:
        prog.bytes_done += n


def _throttle(progress: Progress | None, prog: BackupProgress, every: float = 0.2) -> Callable[[], None]:
    last = [0.0]

    def tick() -> None:
        now = time.monotonic()
        if progress is not None and now - last[0] >= every:
            last[0] = now
            progress(prog)

    return tick
