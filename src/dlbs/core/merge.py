"""Merge rules: which version of a path is current, and when two versions conflict.

The catalog is a grow-only set of versions; these rules are pure functions of that set, so every
node that holds the same set computes the same answer, whatever order it learned the versions in.

- The *heads* of a path are its versions that no other version of the path supersedes.
- The current version is the newest head by (HLC, node id) that is not a delete; if every head is
  a delete the path is deleted (it stays in history, not in listings).
- More than one head is a *conflict*: the versions did not see each other. All heads stay visible;
  a later write that saw them all supersedes them all and ends the conflict.
"""

from __future__ import annotations

from collections.abc import Iterable

from dlbs.core.model import FileEntry, Version, VersionKey


def heads(versions: Iterable[Version]) -> list[Version]:
    vs = list(versions)
    superseded: set[VersionKey] = set()
    for v in vs:
        superseded.update(v.supersedes)
    return sorted((v for v in vs if v.key not in superseded), key=lambda v: v.order)


def resolve(versions: Iterable[Version]) -> FileEntry | None:
    """The listing entry for one path's versions, or None if the path is deleted."""
    vs = list(versions)
    if not vs:
        return None
    hs = heads(vs)
    live = [h for h in hs if not h.deleted]
    if not live:
        return None
    current = live[-1]
    conflict = len(hs) > 1
    others = tuple(h.key for h in hs if h.key != current.key) if conflict else ()
    return FileEntry(current=current, versions=len(vs), conflict=conflict, conflicting=others)


def history_order(versions: Iterable[Version]) -> list[Version]:
    """A path's versions oldest first; version number N in the UIs is position N (1-based) here."""
    return sorted(versions, key=lambda v: v.order)
