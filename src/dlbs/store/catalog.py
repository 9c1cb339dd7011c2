"""The catalog: every version of every path, the chunks this node holds, and peers' marks.

SQLite in WAL mode with `synchronous=FULL`: a committed transaction survives kill -9 and power
loss. The catalog is a grow-only set of versions keyed by (origin node, sequence); merging a
peer's catalog is a union (`merge_versions`), so all nodes converge.

Concurrency: reads use one connection per thread; all writes go through one connection under
`_write_lock` (one writer at a time, as SQLite wants), each in one transaction.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from dlbs.core import merge
from dlbs.core.model import ChunkRef, FileEntry, Version, VersionKey, pack_chunk_refs, unpack_chunk_refs
from dlbs.errors import NotFound
from dlbs.store import sqlite

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS versions (
    origin TEXT NOT NULL,
    seq INTEGER NOT NULL,
    path TEXT NOT NULL,
    hlc INTEGER NOT NULL,
    deleted INTEGER NOT NULL,
    size INTEGER NOT NULL,
    mode INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    chunks BLOB NOT NULL,
    supersedes TEXT NOT NULL,
    node_name TEXT NOT NULL,
    received_at REAL NOT NULL,
    kind TEXT NOT NULL DEFAULT 'file',
    meta TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (origin, seq)
);
CREATE INDEX IF NOT EXISTS versions_path ON versions (path);
CREATE TABLE IF NOT EXISTS superseded (
    origin TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (origin, seq)
);
CREATE TABLE IF NOT EXISTS chunks (
    id BLOB PRIMARY KEY,
    length INTEGER NOT NULL,
    stored INTEGER NOT NULL,
    added_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS corrupt (
    id BLOB PRIMARY KEY,
    detected_at REAL NOT NULL,
    detail TEXT NOT NULL
);
"""

SCHEMA_VERSION = 2

_COLUMNS = "origin, seq, path, hlc, deleted, size, mode, mtime_ns, sha256, chunks, supersedes, node_name, kind, meta"


def _row_to_version(row: sqlite3.Row | tuple) -> Version:
    origin, seq, path, hlc, deleted, size, mode, mtime_ns, sha, chunks, sup, node_name, kind, meta = row
    return Version(
        origin=origin,
        seq=seq,
        path=path,
        hlc=hlc,
        deleted=bool(deleted),
        size=size,
        mode=mode,
        mtime_ns=mtime_ns,
        sha256=sha,
        chunks=unpack_chunk_refs(chunks),
        supersedes=tuple(VersionKey(o, s) for o, s in json.loads(sup)),
        node_name=node_name,
        kind=kind,
        meta=meta,
    )


def _prefix_clause(prefix: str) -> tuple[str, tuple[str, ...]]:
    if not prefix:
        return "", ()
    # '/' is 0x2F and '0' is 0x30: the range covers exactly the paths under prefix/.
    return " AND (path = ? OR (path >= ? AND path < ?))", (prefix, prefix + "/", prefix + "0")


class Catalog:
    """The SQLite catalog of one node. Thread-safe (see module docstring)."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        self._readers = sqlite.ReaderPool(self._connect)
        self._write_lock = threading.RLock()
        self._writer = self._connect()
        with self._write_lock:
            self._writer.executescript(SCHEMA)
            self._migrate()

    def _migrate(self) -> None:
        """Bring a catalog made by an older dlbs up to this schema (additive changes only)."""
        cols = {r[1] for r in self._writer.execute("PRAGMA table_info(versions)")}
        with self.write() as w:
            if "kind" not in cols:
                log.info("upgrading catalog %s: adding entry kinds (snapshots)", self.path)
                w.execute("ALTER TABLE versions ADD COLUMN kind TEXT NOT NULL DEFAULT 'file'")
            if "meta" not in cols:
                w.execute("ALTER TABLE versions ADD COLUMN meta TEXT NOT NULL DEFAULT ''")
            w.execute("CREATE INDEX IF NOT EXISTS versions_kind ON versions (kind)")
            w.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)", (str(SCHEMA_VERSION),))

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite.connect(self.path)
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    def reader(self) -> sqlite3.Connection:
        """This thread's read connection (for tables kept by other store modules)."""
        return self._reader()

    def _reader(self) -> sqlite3.Connection:
        return self._readers.get()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed when the block ends, rolled back if it raises."""
        with self._write_lock, sqlite.transaction(self._writer) as w:
            yield w

    def close(self) -> None:
        with self._write_lock:
            self._writer.close()
        self._readers.close()

    # ---- meta -------------------------------------------------------------------------------

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self._reader().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        with self.write() as w:
            w.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # ---- versions ---------------------------------------------------------------------------

    def _insert_version(self, w: sqlite3.Connection, v: Version) -> bool:
        cur = w.execute(
            f"INSERT OR IGNORE INTO versions ({_COLUMNS}, received_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                v.origin, v.seq, v.path, v.hlc, int(v.deleted), v.size, v.mode, v.mtime_ns, v.sha256,
                pack_chunk_refs(v.chunks), json.dumps([[k.origin, k.seq] for k in v.supersedes]),
                v.node_name, v.kind, v.meta, time.time(),
            ),
        )
        if cur.rowcount == 0:
            return False
        w.executemany(
            "INSERT OR IGNORE INTO superseded (origin, seq) VALUES (?, ?)",
            [(k.origin, k.seq) for k in v.supersedes],
        )
        return True

    def heads_of(self, path: str, conn: sqlite3.Connection | None = None) -> list[Version]:
        conn = conn or self._reader()
        rows = conn.execute(
            f"SELECT {_COLUMNS} FROM versions v WHERE path = ? AND kind = 'file' AND NOT EXISTS "
            "(SELECT 1 FROM superseded s WHERE s.origin = v.origin AND s.seq = v.seq)",
            (path,),
        ).fetchall()
        return merge.heads(_row_to_version(r) for r in rows)

    def add_local_version(
        self,
        origin: str,
        node_name: str,
        path: str,
        make_hlc: object,
        *,
        deleted: bool,
        size: int,
        mode: int,
        mtime_ns: int,
        sha256: str,
        chunks: tuple[ChunkRef, ...],
        new_chunks: Iterable[tuple[bytes, int, int]] = (),
        require_live: bool = False,
    ) -> Version:
        """Record a version made on this node, superseding the path's current heads.

        Chunks in `new_chunks` (id, length, stored size) must already be durable in the chunk
        store; they are recorded as held here in the same transaction. With `require_live`, the
        write fails with NotFound if the path has no live version (used by delete).
        """
        with self.write() as w:
            hs = self.heads_of(path, w)
            if require_live and not any(not h.deleted for h in hs):
                raise NotFound("file not found", path)
            v = Version(
                origin=origin, seq=self._next_seq(w, origin), path=path, hlc=make_hlc(),  # type: ignore[operator]
                deleted=deleted, size=size, mode=mode, mtime_ns=mtime_ns, sha256=sha256, chunks=chunks,
                supersedes=tuple(h.key for h in hs), node_name=node_name,
            )
            self._record_local(w, v, new_chunks)
            return v

    @staticmethod
    def _next_seq(w: sqlite3.Connection, origin: str) -> int:
        row = w.execute("SELECT COALESCE(MAX(seq), 0) FROM versions WHERE origin = ?", (origin,)).fetchone()
        return int(row[0]) + 1

    def _record_local(self, w: sqlite3.Connection, v: Version, new_chunks: Iterable[tuple[bytes, int, int]]) -> None:
        now = time.time()
        w.executemany(
            "INSERT OR IGNORE INTO chunks (id, length, stored, added_at) VALUES (?, ?, ?, ?)",
            [(cid, length, stored, now) for cid, length, stored in new_chunks],
        )
        self._insert_version(w, v)

    def merge_versions(self, versions: Iterable[Version]) -> list[Version]:
        """Union remote versions into the catalog in one transaction; returns the new ones."""
        added = []
        with self.write() as w:
            for v in versions:
                if self._insert_version(w, v):
                    added.append(v)
        return added

    def versions_of(self, path: str) -> list[Version]:
        rows = self._reader().execute(
            f"SELECT {_COLUMNS} FROM versions WHERE path = ? AND kind = 'file'", (path,)
        ).fetchall()
        return merge.history_order(_row_to_version(r) for r in rows)

    def get_version(self, origin: str, seq: int) -> Version:
        row = self._reader().execute(
            f"SELECT {_COLUMNS} FROM versions WHERE origin = ? AND seq = ?", (origin, seq)
        ).fetchone()
        if row is None:
            raise NotFound("version not found", f"{origin}:{seq}")
        return _row_to_version(row)

    def list_files(self, prefix: str = "") -> list[FileEntry]:
        """Every live path under `prefix` with its current version, sorted by path."""
        clause, args = _prefix_clause(prefix)
        conn = self._reader()
        rows = conn.execute(
            f"SELECT {_COLUMNS} FROM versions v WHERE kind = 'file' AND NOT EXISTS "
            f"(SELECT 1 FROM superseded s WHERE s.origin = v.origin AND s.seq = v.seq){clause} ORDER BY path",
            args,
        ).fetchall()
        counts = dict(conn.execute(f"SELECT path, COUNT(*) FROM versions WHERE kind = 'file'{clause} GROUP BY path",
                                   args))
        by_path: dict[str, list[Version]] = {}
        for r in rows:
            v = _row_to_version(r)
            by_path.setdefault(v.path, []).append(v)
        entries = []
        for path, hs in by_path.items():
            entry = merge.resolve(hs)
            if entry is not None:
                entries.append(FileEntry(entry.current, counts.get(path, len(hs)), entry.conflict, entry.conflicting))
        return entries

    def versions_since(self, origin: str, after_seq: int, limit: int = 1000) -> list[Version]:
        rows = self._reader().execute(
            f"SELECT {_COLUMNS} FROM versions WHERE origin = ? AND seq > ? ORDER BY seq LIMIT ?",
            (origin, after_seq, limit),
        ).fetchall()
        return [_row_to_version(r) for r in rows]

    def max_hlc(self) -> int:
        """The newest timestamp any entry carries (the clock never goes below it after a restart)."""
        return int(self._reader().execute("SELECT COALESCE(MAX(hlc), 0) FROM versions").fetchone()[0])

    def version_vector(self) -> dict[str, int]:
        """Per origin, the highest sequence number held (versions arrive in order per origin)."""
        return dict(self._reader().execute("SELECT origin, MAX(seq) FROM versions GROUP BY origin"))

    def all_versions(self, kind: str | None = None) -> Iterator[Version]:
        if kind is None:
            cur = self._reader().execute(f"SELECT {_COLUMNS} FROM versions")
        else:
            cur = self._reader().execute(f"SELECT {_COLUMNS} FROM versions WHERE kind = ?", (kind,))
        for r in cur:
            yield _row_to_version(r)

    def add_entry(self, origin: str, node_name: str, make_hlc: object, *, kind: str, path: str, size: int,
                  sha256: str, chunks: tuple[ChunkRef, ...], meta: str,
                  new_chunks: Iterable[tuple[bytes, int, int]] = ()) -> Version:
        """Record a snapshot or forget entry made here (and the new chunks it needs) in one transaction."""
        with self.write() as w:
            v = Version(
                origin=origin, seq=self._next_seq(w, origin), path=path, hlc=make_hlc(),  # type: ignore[operator]
                deleted=False, size=size, mode=0, mtime_ns=0, sha256=sha256, chunks=chunks,
                node_name=node_name, kind=kind, meta=meta,
            )
            self._record_local(w, v, new_chunks)
            return v

    def chunk_rows(self) -> Iterator[tuple[bytes, int, int, float]]:
        """(id, length, stored size, added_at) of every chunk held here."""
        yield from self._reader().execute("SELECT id, length, stored, added_at FROM chunks")

    # ---- chunks -----------------------------------------------------------------------------

    def has_chunk(self, chunk_id: bytes) -> bool:
        return self._reader().execute("SELECT 1 FROM chunks WHERE id = ?", (chunk_id,)).fetchone() is not None

    def add_chunks(self, rows: Iterable[tuple[bytes, int, int]]) -> None:
        now = time.time()
        with self.write() as w:
            w.executemany(
                "INSERT OR IGNORE INTO chunks (id, length, stored, added_at) VALUES (?, ?, ?, ?)",
                [(cid, length, stored, now) for cid, length, stored in rows],
            )

    def remove_chunks(self, ids: Iterable[bytes]) -> None:
        with self.write() as w:
            w.executemany("DELETE FROM chunks WHERE id = ?", [(i,) for i in ids])

    def chunk_ids(self) -> set[bytes]:
        return {r[0] for r in self._reader().execute("SELECT id FROM chunks")}

    def mark_corrupt(self, chunk_id: bytes, detail: str) -> None:
        with self.write() as w:
            w.execute(
                "INSERT OR REPLACE INTO corrupt (id, detected_at, detail) VALUES (?, ?, ?)",
                (chunk_id, time.time(), detail),
            )

    def clear_corrupt(self, chunk_id: bytes) -> None:
        with self.write() as w:
            w.execute("DELETE FROM corrupt WHERE id = ?", (chunk_id,))

    def corrupt_count(self) -> int:
        return int(self._reader().execute("SELECT COUNT(*) FROM corrupt").fetchone()[0])

    def chunk_totals(self) -> tuple[int, int, int]:
        """(count, plaintext bytes, stored bytes) of the chunks held here."""
        n, plain, stored = self._reader().execute(
            "SELECT COUNT(*), COALESCE(SUM(length), 0), COALESCE(SUM(stored), 0) FROM chunks"
        ).fetchone()
        return int(n), int(plain), int(stored)

    def referenced_bytes(self) -> int:
        """Plaintext bytes that all live file versions and snapshots reference, before deduplication."""
        conn = self._reader()
        files = conn.execute("SELECT COALESCE(SUM(size), 0) FROM versions WHERE deleted = 0 AND kind = 'file'")
        total = int(files.fetchone()[0])
        forgotten: set[str] = set()
        for (meta,) in conn.execute("SELECT meta FROM versions WHERE kind = 'forget'"):
            try:
                forgotten.update(str(i) for i in json.loads(meta).get("snapshots", []))
            except (ValueError, AttributeError):
                continue
        for path, size, chunks in conn.execute("SELECT path, size, chunks FROM versions WHERE kind = 'snapshot'"):
            if path not in forgotten:  # the files, and the tree that lists them
                total += int(size) + sum(r.length for r in unpack_chunk_refs(chunks))
        return total

    def version_count(self) -> int:
        return int(self._reader().execute("SELECT COUNT(*) FROM versions WHERE kind = 'file'").fetchone()[0])

