"""Finding snapshots: the live ones (not forgotten), by id prefix, by time, by source."""

from __future__ import annotations

import json
from collections.abc import Iterable

from dlbs.core.model import KIND_FORGET, KIND_SNAPSHOT, Version
from dlbs.core.snapshot import SnapshotInfo
from dlbs.errors import InvalidInput, NotFound
from dlbs.store.repository import Repository

MIN_PREFIX = 4


def forgotten_ids(repo: Repository) -> set[str]:
    out: set[str] = set()
    for v in repo.catalog.all_versions(KIND_FORGET):
        try:
            out.update(str(i) for i in json.loads(v.meta).get("snapshots", []))
        except (ValueError, AttributeError):
            continue
    return out


def live_snapshots(repo: Repository) -> list[Version]:
    """Snapshots not forgotten, oldest first."""
    gone = forgotten_ids(repo)
    snaps = [v for v in repo.catalog.all_versions(KIND_SNAPSHOT) if v.path not in gone]
    return sorted(snaps, key=lambda v: (SnapshotInfo.from_version(v).time, v.path))


def resolve(repo: Repository, prefix: str, snapshots: Iterable[Version] | None = None) -> Version:
    """The live snapshot whose id starts with `prefix`; InvalidInput if ambiguous, NotFound if none."""
    p = prefix.strip().lower()
    if len(p) < MIN_PREFIX or any(c not in "0123456789abcdef" for c in p):
        raise InvalidInput("invalid snapshot id", f"{prefix!r}: give at least {MIN_PREFIX} hex digits of an id")
    matches = [v for v in (snapshots if snapshots is not None else live_snapshots(repo)) if v.path.startswith(p)]
    if not matches:
        raise NotFound("unknown snapshot", f"no snapshot id starts with {prefix} (see `dlbs snapshots`)")
    if len(matches) > 1:
        raise InvalidInput("ambiguous snapshot id",
                           f"{prefix} matches {len(matches)} snapshots: {', '.join(v.path[:8] for v in matches[:5])}")
    return matches[0]


def latest_for(repo: Repository, host: str, paths: tuple[str, ...]) -> Version | None:
    """The newest live snapshot of exactly these sources on this host (the parent of the next one)."""
    best: Version | None = None
    for v in live_snapshots(repo):
        info = SnapshotInfo.from_version(v)
        if info.host == host and tuple(sorted(info.paths)) == tuple(sorted(paths)):
            best = v
    return best


def at_time(repo: Repository, when: float, path: str | None = None) -> Version:
    """The newest live snapshot taken at or before `when` (containing `path`, if given)."""
    best: Version | None = None
    for v in live_snapshots(repo):
        info = SnapshotInfo.from_version(v)
        if info.time > when:
            continue
        if path is not None and not any(path == p or path.startswith(p.rstrip("/") + "/") or
                                        p.startswith(path.rstrip("/") + "/") for p in info.paths):
            continue
        best = v
    if best is None:
        raise NotFound("no snapshot that early", "no snapshot was taken at or before that time"
                       + (f" containing {path}" if path else ""))
    return best
