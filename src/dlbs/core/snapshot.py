"""Snapshots: what one backup run saw, as values, and the tree format they are stored in.

A snapshot is a catalog entry of kind `snapshot` (so it replicates like every other entry). Its
list of entries — the tree — is stored as an ordinary chunked, compressed, encrypted blob whose
chunk refs are the entry's `chunks`: replicating a snapshot is one small catalog entry plus chunks,
and the chunks of an unchanged file are shared with every earlier snapshot (deduplication).

Tree format (version 1): UTF-8 JSON lines, sorted by path, one object per entry:

    {"p": path, "t": "file"|"dir"|"symlink", "m": mode, "mt": mtime_ns, "s": size,
     "h": sha256 hex, "c": [[chunk id hex, length], ...], "l": symlink target, "i": inode}

`path` is the absolute source path without its leading "/" (as restic keeps full paths).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from dlbs.core.model import KIND_FORGET, KIND_SNAPSHOT, ChunkRef, Version
from dlbs.core.paths import validate_path
from dlbs.errors import IntegrityError, InvalidInput

TREE_FORMAT = 1
FILE, DIR, SYMLINK = "file", "dir", "symlink"


@dataclass(frozen=True)
class TreeEntry:
    path: str
    type: str
    mode: int
    mtime_ns: int
    size: int = 0
    sha256: str = ""
    chunks: tuple[ChunkRef, ...] = ()
    target: str = ""
    inode: int = 0

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"p": self.path, "t": self.type, "m": self.mode, "mt": self.mtime_ns}
        if self.type == FILE:
            d.update(s=self.size, h=self.sha256, c=[[c.id.hex(), c.length] for c in self.chunks], i=self.inode)
        elif self.type == SYMLINK:
            d["l"] = self.target
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> TreeEntry:
        t = d["t"]
        if t not in (FILE, DIR, SYMLINK):
            raise ValueError(f"unknown entry type {t!r}")
        return cls(
            path=validate_path(d["p"], allow_surrogates=True), type=t, mode=int(d["m"]), mtime_ns=int(d["mt"]),
            size=int(d.get("s", 0)),
            sha256=str(d.get("h", "")), chunks=tuple(ChunkRef(bytes.fromhex(h), int(n)) for h, n in d.get("c", [])),
            target=str(d.get("l", "")), inode=int(d.get("i", 0)),
        )

    def same_content(self, other: TreeEntry) -> bool:
        if self.type != other.type:
            return False
        if self.type == FILE:
            return self.sha256 == other.sha256 and self.mode == other.mode
        if self.type == SYMLINK:
            return self.target == other.target
        return self.mode == other.mode


def encode_tree(entries: list[TreeEntry]) -> bytes:
    lines = [json.dumps({"format": TREE_FORMAT}, separators=(",", ":"))]
    # ensure_ascii: names that are not valid UTF-8 on disk arrive as lone surrogates
    # (surrogateescape); escaped, they round-trip and restore to the original bytes.
    lines += [json.dumps(e.to_json(), separators=(",", ":"), ensure_ascii=True)
              for e in sorted(entries, key=lambda e: e.path)]
    return ("\n".join(lines) + "\n").encode()


def decode_tree(data: bytes) -> list[TreeEntry]:
    try:
        lines = data.decode().split("\n")  # not splitlines(): it also splits on U+2028 and friends
        header = json.loads(lines[0])
        if not isinstance(header, dict) or header.get("format") != TREE_FORMAT:
            raise ValueError("unknown tree format")
        return [TreeEntry.from_json(json.loads(line)) for line in lines[1:] if line]
    except (ValueError, KeyError, IndexError, TypeError, OverflowError, AttributeError, InvalidInput) as exc:
        raise IntegrityError("snapshot tree is corrupt", str(exc)) from exc


@dataclass(frozen=True)
class SnapshotInfo:
    """A snapshot's summary: the catalog entry's metadata, without its tree."""

    id: str
    time: float
    host: str
    node_id: str
    paths: tuple[str, ...]
    files: int
    dirs: int
    symlinks: int
    size: int
    added_bytes: int
    partial: bool
    errors: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    parent: str | None = None
    tree: tuple[ChunkRef, ...] = field(default=(), repr=False)

    @property
    def short_id(self) -> str:
        return self.id[:8]

    def meta_json(self) -> str:
        return json.dumps({
            "time": self.time, "host": self.host, "paths": list(self.paths), "files": self.files, "dirs": self.dirs,
            "symlinks": self.symlinks, "added_bytes": self.added_bytes, "partial": self.partial,
            "errors": list(self.errors[:100]), "excludes": list(self.excludes), "parent": self.parent,
        }, ensure_ascii=False)

    @classmethod
    def from_version(cls, v: Version) -> SnapshotInfo:
        m = json.loads(v.meta or "{}")
        return cls(
            id=v.path, time=float(m.get("time", 0)), host=str(m.get("host", "")), node_id=v.origin,
            paths=tuple(m.get("paths", [])), files=int(m.get("files", 0)), dirs=int(m.get("dirs", 0)),
            symlinks=int(m.get("symlinks", 0)), size=v.size, added_bytes=int(m.get("added_bytes", 0)),
            partial=bool(m.get("partial", False)), errors=tuple(m.get("errors", [])),
            excludes=tuple(m.get("excludes", [])), parent=m.get("parent"), tree=v.chunks,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "short_id": self.short_id, "time": self.time, "host": self.host, "node_id": self.node_id,
            "paths": list(self.paths), "files": self.files, "dirs": self.dirs, "symlinks": self.symlinks,
            "size": self.size, "added_bytes": self.added_bytes, "partial": self.partial, "errors": list(self.errors),
            "excludes": list(self.excludes), "parent": self.parent,
        }


@dataclass(frozen=True)
class TreeDiff:
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]


def diff_trees(old: list[TreeEntry], new: list[TreeEntry]) -> TreeDiff:
    a = {e.path: e for e in old}
    b = {e.path: e for e in new}
    return TreeDiff(
        added=tuple(sorted(set(b) - set(a))),
        removed=tuple(sorted(set(a) - set(b))),
        changed=tuple(sorted(p for p in set(a) & set(b) if not a[p].same_content(b[p]))),
    )


def describe_entry(v: Version) -> str:
    """What an entry received from a peer is, in words for the activity log."""
    if v.kind == KIND_SNAPSHOT:
        try:
            info = SnapshotInfo.from_version(v)
            return f"received snapshot {v.path[:8]} of {', '.join(info.paths)}"
        except (ValueError, TypeError):  # a malformed meta from a peer: still say what it is
            return f"received snapshot {v.path[:8]}"
    if v.kind == KIND_FORGET:
        return "received a forget of older snapshots"
    return f"{'deleted' if v.deleted else 'received'} {v.path}"
