"""Helpers for the in-process backup tests: a Repository on disk, a folder's manifest (content and
metadata, for bit-exact comparisons), and handcrafted snapshots (for trees no real folder has)."""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import stat
import time
from pathlib import Path

from dlbs.core.keys import ClusterKeys
from dlbs.core.model import KIND_SNAPSHOT, Version
from dlbs.core.snapshot import SnapshotInfo, TreeEntry, encode_tree
from dlbs.store.catalog import Catalog
from dlbs.store.chunkstore import FsChunkStore
from dlbs.store.repository import NodeInfo, Repository

MiB = 1 << 20


def open_repo(root: Path, secret: bytes | None = None) -> Repository:
    """A repository as a node builds one (service.py), with a fresh cluster secret unless given."""
    root.mkdir(parents=True, exist_ok=True)
    return Repository(Catalog(root / "catalog.db"), FsChunkStore(root / "chunks"),
                      ClusterKeys.from_secret(secret or os.urandom(32)), NodeInfo("node-1", "one"))


def manifest(root: Path) -> dict[str, tuple[object, ...]]:
    """Every entry under `root` (itself as '.'): type, permission bits, mtime_ns, and the sha256 of a
    file's bytes or a symlink's target. Two equal manifests mean a bit-exact copy with metadata."""
    out: dict[str, tuple[object, ...]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [".", *dirnames, *filenames] if dirpath == str(root) else [*dirnames, *filenames]:
            p = Path(dirpath) / name if name != "." else Path(dirpath)
            rel = os.path.relpath(p, root)
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("symlink", os.readlink(p), st.st_mtime_ns)
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("dir", stat.S_IMODE(st.st_mode), st.st_mtime_ns)
            elif stat.S_ISREG(st.st_mode):
                out[rel] = ("file", stat.S_IMODE(st.st_mode), st.st_mtime_ns, st.st_size,
                            hashlib.sha256(p.read_bytes()).hexdigest())
    return out


def restored_root(target: Path, source: Path) -> Path:
    """Where a restore of a whole snapshot puts `source` (snapshots keep absolute paths)."""
    return target / str(source).lstrip("/")


def same_bytes(a: Path, b: Path) -> bool:
    """Byte-for-byte comparison of every regular file under two folders (not only hashes)."""
    for dirpath, _dirs, files in os.walk(a):
        for name in files:
            pa = Path(dirpath) / name
            if pa.is_symlink():
                continue
            pb = b / pa.relative_to(a)
            if pa.read_bytes() != pb.read_bytes():
                return False
    return True


def store_blob(repo: Repository, data: bytes) -> tuple[tuple, str, list[tuple[bytes, int, int]]]:
    blob = repo.store_stream(io.BytesIO(data))
    return blob.refs, blob.sha256, blob.new_chunks


def add_snapshot(repo: Repository, entries: list[TreeEntry], *, paths: tuple[str, ...], when: float | None = None,
                 host: str = "crafted-host", new_chunks: list[tuple[bytes, int, int]] | None = None) -> Version:
    """Record a snapshot with exactly `entries` as its tree (as archiver.backup records one)."""
    tree = encode_tree(entries)
    blob = repo.store_stream(io.BytesIO(tree))
    repo.store.sync()
    sid = secrets.token_hex(16)
    info = SnapshotInfo(id=sid, time=time.time() if when is None else when, host=host, node_id=repo.node.node_id,
                        paths=paths, files=sum(e.type == "file" for e in entries),
                        dirs=sum(e.type == "dir" for e in entries), symlinks=sum(e.type == "symlink" for e in entries),
                        size=sum(e.size for e in entries), added_bytes=0, partial=False, tree=blob.refs)
    return repo.catalog.add_entry(repo.node.node_id, repo.node.node_name, repo.clock.now, kind=KIND_SNAPSHOT,
                                  path=sid, size=info.size, sha256=blob.sha256, chunks=blob.refs,
                                  meta=info.meta_json(), new_chunks=[*(new_chunks or []), *blob.new_chunks])


def set_snapshot_time(repo: Repository, v: Version, when: float) -> None:
    """Move a recorded snapshot to another time (its meta JSON) — for retention tests."""
    import json

    meta = json.loads(v.meta)
    meta["time"] = when
    with repo.catalog.write() as w:
        w.execute("UPDATE versions SET meta = ? WHERE origin = ? AND seq = ?", (json.dumps(meta), v.origin, v.seq))


def chunk_root(repo: Repository) -> Path:
    """The store folder, for the `chunkdisk` helpers that reach blobs on disk."""
    store = repo.store
    assert isinstance(store, FsChunkStore)
    return store.root
