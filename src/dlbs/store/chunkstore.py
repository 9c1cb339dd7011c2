"""Chunk stores: where sealed chunk blobs live, keyed by chunk id.

`ChunkStore` is the contract; `FsChunkStore` keeps large chunks one file each under
`chunks/ab/<id>` and small ones in pack files (`dlbs.store.packs`); `MemChunkStore`
(`dlbs.store.memstore`) keeps them in a dict for tests. The same conformance suite runs against both
(tests/store/test_chunkstore.py).
"""

from __future__ import annotations

import errno
import logging
import os
import threading
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from dlbs.errors import NotFound, StorageError
from dlbs.store.durability import Flusher, FlushError, write_all
from dlbs.store.packs import ENTRY, MAGIC, PACK_BELOW, PACK_TARGET, SUFFIX, PackIndex, Row, read_at, scan

log = logging.getLogger(__name__)
TMP_PREFIX = ".tmp."
AUTO_SYNC = 50_000  # staged pack entries before put() makes them durable on its own


@dataclass(frozen=True)
class Location:
    """Where a blob's bytes are: a whole file (`offset` 0) or a slice of a pack."""

    path: Path
    offset: int
    length: int
    packed: bool


@dataclass
class CompactResult:
    packs_removed: int = 0
    blobs_moved: int = 0
    bytes_freed: int = 0


class ChunkStore(Protocol):
    """Stores opaque blobs by 32-byte id. Implementations are thread-safe.

    - `put` is idempotent; when it returns, the blob is written. It is *durable* once `sync()`
      has returned: callers record a version referencing the chunk only after that.
    - `get` returns the exact bytes put, or raises NotFound. It does not verify content;
      the codec does.
    - `delete` is idempotent: deleting a missing id is not an error.
    - A crash never leaves a partially written blob visible under its id.
    - `compact` reclaims the space of deleted blobs where deleting does not free it at once.
    """

    def put(self, chunk_id: bytes, blob: bytes) -> None: ...
    def get(self, chunk_id: bytes) -> bytes: ...
    def has(self, chunk_id: bytes) -> bool: ...
    def delete(self, chunk_id: bytes) -> None: ...
    def delete_many(self, ids: Iterable[bytes]) -> None: ...
    def ids(self) -> Iterator[bytes]: ...
    def added_at(self, chunk_id: bytes) -> float | None: ...
    def sync(self) -> None: ...
    def compact(self) -> CompactResult: ...
    def close(self) -> None: ...


class _OpenPack:
    def __init__(self, name: str, fd: int, size: int) -> None:
        self.name, self.fd, self.size = name, fd, size


class FsChunkStore:
    """Blobs on disk: large ones one file each (`root/ab/<hex id>`), small ones in pack files.

    Loose files are written under a temp name in their fan-out folder, then renamed, so a blob is
    visible only when whole. Blobs below `PACK_BELOW` are appended to the open pack
    (`root/packs/`, see `dlbs.store.packs`) and indexed in `root/packs.db`.

    Durability is batched: `put` does not fsync and `sync()` makes every blob put before it
    durable, then commits the pack index. A background flusher (`dlbs.store.durability`) fsyncs
    each loose file and each full pack as soon as it is written, so `sync()` mostly waits for the
    open pack only. Callers record chunks in the catalog only after `sync()`, and `put` always
    rewrites, so bytes a power cut left half-written are never trusted.
    """

    def __init__(self, root: Path, *, pack_below: int = PACK_BELOW, pack_target: int = PACK_TARGET) -> None:
        self.root = root
        self.pack_below, self.pack_target = pack_below, pack_target
        self._tmp = root / "tmp"
        self._tmp.mkdir(parents=True, exist_ok=True)
        self._packs = root / "packs"
        self._packs.mkdir(exist_ok=True)
        self._lock = threading.Lock()  # the open pack (its writes too) and _staged
        self._sync_lock = threading.Lock()
        self._maint_lock = threading.Lock()  # deletes and compaction, one at a time
        self._cur: _OpenPack | None = None
        self._staged: dict[bytes, Row] = {}  # written, not yet durable and indexed
        for stale in self._tmp.iterdir():  # leftovers of a crash (older layout): never visible
            stale.unlink(missing_ok=True)
        for sub in root.iterdir():
            if sub.is_dir() and len(sub.name) == 2:
                for stale in sub.glob(f"{TMP_PREFIX}*"):  # leftovers of a crash: never visible
                    stale.unlink(missing_ok=True)
        self._index = PackIndex(root / "packs.db")
        if self._index.created and any(self._packs.glob(f"*{SUFFIX}")):
            self.rebuild_index()
        self._flusher = Flusher()
        self._flusher.dir_changed(self.root)  # tmp/ and packs/ may be new

    # ---- writing ------------------------------------------------------------------------------

    def put(self, chunk_id: bytes, blob: bytes) -> None:
        if len(blob) >= self.pack_below:
            self._put_loose(chunk_id, blob)
            return
        entry = ENTRY.pack(chunk_id, len(blob)) + blob  # one write: a copy of < 512 KiB is cheaper
        with self._lock:
            pack = self._cur or self._open_pack()
            path = self._packs / pack.name
            try:
                write_all(pack.fd, entry)
            except OSError as exc:
                # The pack's tail is torn now: leave it (its whole entries stay) and start another.
                self._close_pack(pack)
                raise _storage_error(exc, self.root) from exc
            pack.size += len(entry)
            full = pack.size >= self.pack_target
            # Marked written before the blob is staged: sync() snapshots the staged blobs first,
            # then flushes, so a staged blob's bytes are always in that flush.
            self._flusher.written(path, done=full)
            self._staged[chunk_id] = (pack.name, pack.size - len(blob), len(blob))
            if full:
                self._close_pack(pack)
            flush = len(self._staged) >= AUTO_SYNC
        if flush:  # bounds the memory of a huge run between syncs
            self.sync()

    def _open_pack(self) -> _OpenPack:
        name = uuid.uuid4().hex + SUFFIX
        try:
            try:
                fd = os.open(self._packs / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileNotFoundError:
                self._packs.mkdir(exist_ok=True)
                fd = os.open(self._packs / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            raise _storage_error(exc, self.root) from exc
        try:
            write_all(fd, MAGIC)
        except OSError as exc:
            os.close(fd)
            raise _storage_error(exc, self.root) from exc
        self._flusher.dir_changed(self._packs)
        self._cur = _OpenPack(name, fd, len(MAGIC))
        return self._cur

    def _close_pack(self, pack: _OpenPack) -> None:
        if self._cur is pack:
            self._cur = None
        os.close(pack.fd)  # its bytes are made durable through the path (the flusher, sync)

    def _put_loose(self, chunk_id: bytes, blob: bytes) -> None:
        final = self.path_of(chunk_id)
        # The temp file lives in the chunk's own fan-out folder: creations spread over 256 folders
        # instead of contending for one, and the rename stays within one folder.
        tmp = final.parent / f"{TMP_PREFIX}{chunk_id.hex()[:16]}.{uuid.uuid4().hex}"
        try:
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileNotFoundError:
                final.parent.mkdir(exist_ok=True)
                self._flusher.dir_changed(self.root)
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                write_all(fd, blob)
            finally:
                os.close(fd)
            os.replace(tmp, final)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise _storage_error(exc, self.root) from exc
        self._flusher.dir_changed(final.parent)
        self._flusher.written(final, done=True)

    def sync(self) -> None:
        """Make every blob put before this call durable, then index the packed ones.

        Most bytes are durable already: the flusher fsyncs each loose file and each full pack as
        soon as it is written. Held for the whole flush: a caller whose blobs another thread's
        sync() took waits here until that flush is done."""
        with self._sync_lock:
            with self._lock:
                staged = dict(self._staged)
            try:
                self._flusher.flush()
            except FlushError as exc:
                self._forget_unsafe(set(exc.failed))
                raise _storage_error(exc, self.root) from exc
            except OSError as exc:
                raise _storage_error(exc, self.root) from exc
            vanished = {self._packs / row[0] for row in staged.values()}
            vanished = {p for p in vanished if not p.exists()}
            if vanished:  # deleted behind our back: its bytes are gone, its rows must not be written
                self._forget_unsafe(vanished)
                raise StorageError("pack file vanished", f"{', '.join(sorted(str(p) for p in vanished))} "
                                   "was deleted while it was being written")
            if staged:
                self._index.commit(staged.items())
                with self._lock:
                    for cid, row in staged.items():
                        if self._staged.get(cid) == row:
                            del self._staged[cid]

    def _forget_unsafe(self, paths: set[Path]) -> None:
        """Files whose bytes may not be on disk (a failed fsync, a vanished pack): their blobs are
        dropped, so `has` says no and the next put writes them again; nothing was indexed."""
        names = {p.name for p in paths if p.parent == self._packs}
        with self._lock:
            for cid in [c for c, row in self._staged.items() if row[0] in names]:
                del self._staged[cid]
            if self._cur is not None and self._cur.name in names:
                self._close_pack(self._cur)
        for p in paths:
            if p.parent.parent == self.root and len(p.parent.name) == 2:  # a loose chunk file
                p.unlink(missing_ok=True)

    # ---- reading ------------------------------------------------------------------------------

    def _row(self, chunk_id: bytes) -> Row | None:
        with self._lock:
            row = self._staged.get(chunk_id)
        return row if row is not None else self._index.lookup(chunk_id)

    def get(self, chunk_id: bytes) -> bytes:
        row = self._row(chunk_id)
        if row is not None:
            for _attempt in range(3):
                try:
                    return read_at(self._packs / row[0], row[1], row[2])
                except FileNotFoundError:  # compacted meanwhile: the index has its new place
                    again = self._row(chunk_id)
                    if again is None or again == row:
                        break
                    row = again
                except (OSError, ValueError) as exc:
                    raise StorageError("cannot read chunk", f"{chunk_id.hex()}: {exc}") from exc
        try:
            return self.path_of(chunk_id).read_bytes()
        except FileNotFoundError:
            raise NotFound("chunk not found", chunk_id.hex()) from None
        except OSError as exc:
            raise StorageError("cannot read chunk", str(exc)) from exc

    def has(self, chunk_id: bytes) -> bool:
        return self._row(chunk_id) is not None or self.path_of(chunk_id).exists()

    def locate(self, chunk_id: bytes) -> Location | None:
        """Where a blob is on disk (for `check`'s reports and for tests), or None."""
        row = self._row(chunk_id)
        if row is not None:
            return Location(self._packs / row[0], row[1], row[2], packed=True)
        path = self.path_of(chunk_id)
        try:
            return Location(path, 0, path.stat().st_size, packed=False)
        except FileNotFoundError:
            return None

    def added_at(self, chunk_id: bytes) -> float | None:
        """When the blob was stored (unix time), or None if it is not here."""
        with self._lock:
            row = self._staged.get(chunk_id)
        if row is not None:  # not indexed yet: its pack was last written at or after the put
            try:
                return (self._packs / row[0]).stat().st_mtime
            except FileNotFoundError:
                return None
        added = self._index.added(chunk_id)
        if added is not None:
            return added
        try:
            return self.path_of(chunk_id).stat().st_mtime
        except FileNotFoundError:
            return None

    def ids(self) -> Iterator[bytes]:
        loose: set[bytes] = set()
        for sub in sorted(self.root.iterdir()):
            if len(sub.name) != 2 or not sub.is_dir():
                continue
            for f in sub.iterdir():
                if f.name.startswith(TMP_PREFIX):
                    continue
                try:
                    cid = bytes.fromhex(f.name)
                except ValueError:
                    continue
                loose.add(cid)
                yield cid
        with self._lock:
            staged = set(self._staged)
        for cid in self._index.ids():
            if cid not in loose and cid not in staged:
                yield cid
        yield from (cid for cid in staged if cid not in loose)

    def path_of(self, chunk_id: bytes) -> Path:
        """Where a chunk too large to pack lives on disk."""
        h = chunk_id.hex()
        return self.root / h[:2] / h

    # ---- removing -----------------------------------------------------------------------------

    def delete(self, chunk_id: bytes) -> None:
        self.delete_many([chunk_id])

    def delete_many(self, ids: Iterable[bytes]) -> None:
        """Forget blobs (one index transaction); packed bytes become dead space for `compact`."""
        ids = list(ids)
        # The sync lock too: a sync() already holding these ids staged would index them again
        # after they were forgotten here.
        with self._maint_lock, self._sync_lock:
            with self._lock:
                for cid in ids:
                    self._staged.pop(cid, None)
            self._index.remove(ids)
            for cid in ids:
                self.path_of(cid).unlink(missing_ok=True)

    def compact(self, dead_above: float = 0.4) -> CompactResult:
        """Reclaim dead pack space: delete packs with no live blob, and copy the live blobs of
        packs more than `dead_above` dead into the open pack. The copies are made durable and
        indexed before the old pack is deleted, so a crash at any point loses nothing."""
        res = CompactResult()
        with self._maint_lock:
            # Order matters: list the packs, then see which are being written, then count live
            # rows. A staged blob stays staged until its row is committed, so a pack is either
            # busy or its rows are counted: never deleted with blobs on the way to the index.
            packs = list(self._packs.glob(f"*{SUFFIX}"))
            with self._lock:
                busy = {row[0] for row in self._staged.values()}
                if self._cur is not None:
                    busy.add(self._cur.name)
            live = self._index.live_by_pack()
            victims: list[tuple[Path, int]] = []
            for path in packs:
                if path.name in busy:
                    continue
                size = path.stat().st_size
                blobs, used = live.get(path.name, (0, 0))
                if blobs == 0 or used + len(MAGIC) < size * (1 - dead_above):
                    victims.append((path, size - used - len(MAGIC)))
            for path, _dead in victims:
                for cid, offset, length in self._index.rows_of(path.name):
                    self.put(cid, read_at(path, offset, length))
                    res.blobs_moved += 1
            if victims:
                self.sync()  # the copies are durable and indexed before an old pack goes
                for path, dead in victims:
                    path.unlink(missing_ok=True)
                    res.packs_removed += 1
                    res.bytes_freed += dead
        if victims:
            log.info("compacted %d pack(s): %d live blob(s) moved, %d bytes freed",
                     res.packs_removed, res.blobs_moved, res.bytes_freed)
        return res

    # ---- index --------------------------------------------------------------------------------

    def rebuild_index(self) -> int:
        """Re-create the pack index from the packs themselves (after packs.db was lost)."""
        rows: list[tuple[bytes, Row]] = []
        for path in sorted(self._packs.glob(f"*{SUFFIX}")):
            rows.extend((cid, (path.name, off, n)) for cid, off, n in scan(path))
        self._index.commit(rows)
        log.warning("pack index %s was missing: rebuilt it from %d blob(s) in the packs",
                    self._index.path, len(rows))
        return len(rows)

    def close(self) -> None:
        try:
            self.sync()
        finally:
            with self._lock:
                if self._cur is not None:
                    self._close_pack(self._cur)
            self._flusher.close()
            self._index.close()


def _storage_error(exc: OSError, root: Path) -> StorageError:
    if exc.errno == errno.ENOSPC:
        return StorageError("disk full", f"no space left for chunks in {root}")
    return StorageError("cannot write chunk", str(exc))
