"""Restoring a snapshot (or one path of it) into a target folder.

Guarantees: bit-exact (every file's sha256 is checked as it is written; a mismatch fails the
restore, never leaves wrong bytes under the final name), mode and mtime restored, symlinks and
empty folders restored, nothing written outside the target (paths are validated, parents are
checked not to lead elsewhere, and symlinks are created last so no write goes through one), no
existing file overwritten unless `overwrite`, memory bounded by one chunk per file.

A file gets its name only once it is whole and verified: on Linux it is written unnamed
(O_TMPFILE) and linked in, one folder change instead of a temp name and a rename (the kernel's
folder work was most of a restore of small files); elsewhere, a hidden temp name and a rename.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from dlbs.core.model import Version
from dlbs.core.paths import under_prefix as under
from dlbs.core.snapshot import DIR, FILE, SYMLINK, SnapshotInfo, TreeEntry
from dlbs.errors import IntegrityError, InvalidInput, NotFound
from dlbs.store.durability import write_all
from dlbs.store.repository import Repository

log = logging.getLogger(__name__)
RESTORE_WORKERS = 4


@dataclass
class RestoreProgress:
    files_total: int = 0
    bytes_total: int = 0
    files_done: int = 0
    bytes_done: int = 0
    started: float = field(default_factory=time.monotonic)

    def to_json(self) -> dict[str, object]:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        return {"files_total": self.files_total, "bytes_total": self.bytes_total, "files_done": self.files_done,
                "bytes_done": self.bytes_done, "elapsed": round(elapsed, 2),
                "mib_per_s": round(self.bytes_done / elapsed / 2**20, 1)}


def _select(entries: list[TreeEntry], include: str | None) -> list[tuple[TreeEntry, str]]:
    """Entries to restore with their path relative to the target."""
    if include is None:
        return [(e, e.path) for e in entries]
    inc = include.strip("/")
    base = inc.rsplit("/", 1)[0] if "/" in inc else ""
    chosen = [(e, e.path[len(base) + 1:] if base else e.path) for e in entries if under(e.path, inc)]
    if not chosen:
        raise NotFound("path not in snapshot", f"/{inc} is not in this snapshot")
    return chosen


def _spread(files: Iterable[tuple[TreeEntry, str]]) -> list[tuple[TreeEntry, str]]:
    """Files in an order that takes one from each folder in turn. Workers creating files in the
    same folder queue on that folder's lock in the kernel (perf: the largest cost of a restore of
    small files); taking the folders in turn puts concurrent workers in different folders."""
    by_dir: dict[str, list[tuple[TreeEntry, str]]] = {}
    for item in files:
        by_dir.setdefault(item[1].rpartition("/")[0], []).append(item)
    queues = list(by_dir.values())
    out: list[tuple[TreeEntry, str]] = []
    for i in range(max((len(q) for q in queues), default=0)):
        out.extend(q[i] for q in queues if i < len(q))
    return out


def _tmpfile_works(folder: Path) -> bool:
    """Whether files can be made unnamed (O_TMPFILE) in `folder` and named later through
    /proc/self/fd (Linux with a filesystem that supports it); else temp names and rename."""
    if not hasattr(os, "O_TMPFILE"):
        return False
    probe = folder / f".dlbs-restore-probe-{os.getpid()}-{threading.get_ident()}"
    try:
        fd = os.open(folder, os.O_TMPFILE | os.O_WRONLY, 0o600)
    except OSError:
        return False
    try:
        os.link(f"/proc/self/fd/{fd}", probe, follow_symlinks=True)
    except OSError:
        return False
    finally:
        os.close(fd)
    probe.unlink(missing_ok=True)
    return True


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def preflight(repo: Repository, snap: Version, target: Path, include: str | None,
              overwrite: bool) -> list[tuple[TreeEntry, str]]:
    """Everything that can be refused before a byte is written; returns what will be restored."""
    info = SnapshotInfo.from_version(snap)
    target = Path(os.path.abspath(os.path.expanduser(str(target))))
    for src in info.paths:
        if _inside(target, Path(src)) and os.uname().nodename == info.host:
            raise InvalidInput("target inside the source", f"{target} is inside the backed-up folder {src}; "
                               "restore somewhere else")
    if target.exists() and not target.is_dir():
        raise InvalidInput("target is not a folder", str(target))
    chosen = _select(repo.read_tree(snap), include)
    if not overwrite:
        clashes = [rel for e, rel in chosen if e.type != DIR and os.path.lexists(target / rel)]
        if clashes:
            raise InvalidInput("files exist", f"{len(clashes)} file(s) or link(s) already exist in {target}, e.g. "
                               f"{clashes[0]}; allow overwriting (--overwrite) or choose an empty folder")
    return chosen


def restore(repo: Repository, snap: Version, target: Path, include: str | None = None, overwrite: bool = False,
            progress: Callable[[RestoreProgress], None] | None = None) -> RestoreProgress:
    chosen = preflight(repo, snap, target, include, overwrite)
    target = Path(os.path.abspath(os.path.expanduser(str(target))))
    real_root = Path(os.path.realpath(target)) if target.exists() else None
    prog = RestoreProgress(files_total=sum(1 for e, _ in chosen if e.type == FILE),
                           bytes_total=sum(e.size for e, _ in chosen if e.type == FILE))
    target.mkdir(parents=True, exist_ok=True)
    real_root = real_root or Path(os.path.realpath(target))
    last = [0.0]

    def tick(force: bool = False) -> None:
        now = time.monotonic()
        if progress and (force or now - last[0] > 0.2):
            last[0] = now
            progress(prog)  # progress callbacks may come from any restore worker

    verified: set[Path] = set()  # folders already created and checked to be inside the target

    def safe_parent(dest: Path) -> None:
        parent = dest.parent
        if parent in verified:
            return
        parent.mkdir(parents=True, exist_ok=True)
        if not _inside(Path(os.path.realpath(parent)), real_root):
            raise InvalidInput("unsafe path", f"{dest} would be written outside {target}")
        with lock:
            verified.add(parent)

    lock = threading.Lock()
    for e, rel in chosen:
        if e.type == DIR:
            d = target / rel
            if d.is_symlink():
                raise InvalidInput("unsafe path", f"{d} is a symlink; refusing to restore through it")
            d.mkdir(parents=True, exist_ok=True)
            safe_parent(d)

    anonymous = _tmpfile_works(target)

    def restore_file(e: TreeEntry, rel: str) -> None:
        dest = target / rel
        safe_parent(dest)
        tmp: Path | None = None
        try:
            if anonymous:  # an unnamed file, named only once whole (one folder change, not two)
                fd = os.open(dest.parent, os.O_TMPFILE | os.O_WRONLY, 0o600)
            else:
                tmp = dest.with_name(f".{dest.name}.dlbs-restore")
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
        except (IsADirectoryError, NotADirectoryError, OSError) as exc:
            raise InvalidInput("cannot restore here", f"{dest}: {exc.strerror}") from None
        sha = hashlib.sha256()
        try:
            try:
                for ref in e.chunks:
                    data = repo.read_chunk(ref)
                    sha.update(data)
                    write_all(fd, data)
                    with lock:
                        prog.bytes_done += len(data)
                    tick()
                if sha.hexdigest() != e.sha256:
                    raise IntegrityError("restored file does not match",
                                         f"/{e.path}: sha256 {sha.hexdigest()[:16]}…")
                os.fchmod(fd, e.mode)
                os.utime(fd, ns=(e.mtime_ns, e.mtime_ns))
                if tmp is None:
                    try:
                        os.link(f"/proc/self/fd/{fd}", dest, follow_symlinks=True)
                    except FileExistsError:
                        if not overwrite and not dest.is_dir():
                            raise InvalidInput("file exists", f"{dest} appeared during the restore; "
                                               "not overwritten (use --overwrite)") from None
                        tmp = dest.with_name(f".{dest.name}.dlbs-restore")
                        tmp.unlink(missing_ok=True)
                        os.link(f"/proc/self/fd/{fd}", tmp, follow_symlinks=True)
            finally:
                os.close(fd)
            if tmp is not None:
                try:
                    os.replace(tmp, dest)
                except IsADirectoryError:
                    raise InvalidInput("a folder is in the way",
                                       f"{dest} is a folder; the snapshot has a file there") from None
        except BaseException:
            if tmp is not None:
                tmp.unlink(missing_ok=True)
            raise
        with lock:
            prog.files_done += 1
        tick()

    # Several files at once: creating and writing files, not decryption, dominates a restore.
    with ThreadPoolExecutor(max_workers=RESTORE_WORKERS, thread_name_prefix="dlbs-restore") as pool:
        futures = [pool.submit(restore_file, e, rel) for e, rel in _spread(x for x in chosen if x[0].type == FILE)]
        try:
            for f in futures:
                f.result()
        except BaseException:
            for f in futures:
                f.cancel()
            raise
    for e, rel in chosen:
        if e.type == SYMLINK:
            dest = target / rel
            safe_parent(dest)
            if os.path.lexists(dest):
                dest.unlink()
            os.symlink(e.target, dest)
            os.utime(dest, ns=(e.mtime_ns, e.mtime_ns), follow_symlinks=False)
    for e, rel in sorted((x for x in chosen if x[0].type == DIR), key=lambda x: x[1].count("/"), reverse=True):
        d = target / rel
        os.chmod(d, e.mode)
        os.utime(d, ns=(e.mtime_ns, e.mtime_ns))
    tick(force=True)
    log.info("restored snapshot %s%s into %s: %d files, %d bytes", snap.path[:8],
             f" (/{include.strip('/')})" if include else "", target, prog.files_done, prog.bytes_done)
    return prog
