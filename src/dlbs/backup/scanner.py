"""Walking a source folder: what to back up, what to skip, and what could not be read.

Excludes are glob patterns matched against an entry's name and against its path relative to the
source (so `node_modules`, `*.tmp` and `build/cache` all work). Symbolic links are recorded, never
followed. Sockets, FIFOs and devices are skipped with a warning; an unreadable folder or file is
reported (the snapshot is then marked partial), never silently left out.
"""

from __future__ import annotations

import fnmatch
import logging
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from dlbs.errors import InvalidInput

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Found:
    """One entry found on disk. `rel` is the absolute path without the leading '/'."""

    abs_path: str
    rel: str
    kind: str  # file | dir | symlink
    st: os.stat_result


@dataclass
class ScanReport:
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def resolve_source(path: str) -> Path:
    """A source folder as an absolute path; InvalidInput if it does not exist or is not a folder."""
    p = Path(os.path.expanduser(path))
    if not p.is_absolute():
        p = Path.cwd() / p
    p = Path(os.path.normpath(p))
    if not p.exists():
        raise InvalidInput("source not found", f"{path} does not exist")
    if not p.is_dir() and not p.is_file():
        raise InvalidInput("unsupported source", f"{path} is neither a folder nor a file")
    return p


def excluded(name: str, rel_to_source: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(name, pat) or fnmatch.fnmatchcase(rel_to_source, pat) for pat in patterns)


def _kind(st: os.stat_result) -> str | None:
    if stat.S_ISREG(st.st_mode):
        return "file"
    if stat.S_ISDIR(st.st_mode):
        return "dir"
    if stat.S_ISLNK(st.st_mode):
        return "symlink"
    return None


def scan(source: Path, patterns: tuple[str, ...], report: ScanReport) -> Iterator[Found]:
    """Yield the source (and its parents' chain is not included) and everything under it, depth first."""
    try:
        st = os.lstat(source)
    except OSError as exc:
        report.errors.append(f"{source}: {exc.strerror}")
        return
    kind = _kind(st)
    if kind is None:
        report.warnings.append(f"{source}: special file skipped")
        return
    yield Found(str(source), str(source).lstrip("/"), kind, st)
    if kind != "dir":
        return
    stack = [source]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                items = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            report.errors.append(f"{folder}: cannot list: {exc.strerror}")
            continue
        subdirs = []
        for item in items:
            rel_src = os.path.relpath(item.path, source)
            if excluded(item.name, rel_src, patterns):
                continue
            try:
                est = item.stat(follow_symlinks=False)
            except OSError as exc:
                report.errors.append(f"{item.path}: {exc.strerror}")
                continue
            ekind = _kind(est)
            if ekind is None:
                report.warnings.append(f"{item.path}: special file (socket, FIFO or device) skipped")
                log.warning("skipping special file %s", item.path)
                continue
            yield Found(item.path, item.path.lstrip("/"), ekind, est)
            if ekind == "dir":
                subdirs.append(Path(item.path))
        stack.extend(reversed(subdirs))
