"""Chunk stores: where sealed chunk blobs live, keyed by chunk id.

`ChunkStore` is the contract; `FsChunkStore` keeps one file per chunk under `chunks/ab/<id>`,
`MemChunkStore` keeps them in a dict for tests. The same conformance suite runs against both
(tests/store/test_chunkstore.py).
"""

from __future__ import annotations

import errno
import logging
import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from dlbs.errors import NotFound, StorageError

log = logging.getLogger(__name__)


class ChunkStore(Protocol):
    """Stores opaque blobs by 32-byte id. Implementations are thread-safe.

    - `put` is idempotent; when it returns, the blob is written. It is *durable* once `sync()`
      has returned: callers record a version referencing the chunk only after that.
    - `get` returns the exact bytes put, or raises NotFound. It does not verify content;
      the codec does.
    - `delete` is idempotent: deleting a missing id is not an error.
    - A crash never leaves a partially written blob visible under its id.
    """

    def put(self, chunk_id: bytes, blob: bytes) -> None: ...
    def get(self, chunk_id: bytes) -> bytes: ...
    def has(self, chunk_id: bytes) -> bool: ...
    def delete(self, chunk_id: bytes) -> None: ...
    def ids(self) -> Iterator[bytes]: ...
    def sync(self) -> None: ...


class MemChunkStore:
    """An in-memory ChunkStore for tests. Everything is durable at once."""

    def __init__(self) -> None:
        self._blobs: dict[bytes, bytes] = {}
        self._lock = threading.Lock()

    def put(self, chunk_id: bytes, blob: bytes) -> None:
        with self._lock:
            self._blobs[chunk_id] = bytes(blob)

    def get(self, chunk_id: bytes) -> bytes:
        with self._lock:
            try:
                return self._blobs[chunk_id]
            except KeyError:
                raise NotFound("chunk not found", chunk_id.hex()) from None

    def has(self, chunk_id: bytes) -> bool:
        with self._lock:
            return chunk_id in self._blobs

    def delete(self, chunk_id: bytes) -> None:
        with self._lock:
            self._blobs.pop(chunk_id, None)

    def ids(self) -> Iterator[bytes]:
        with self._lock:
            keys = list(self._blobs)
        yield from keys

    def sync(self) -> None:
        return None


class FsChunkStore:
    """One file per chunk: `root/ab/abcdef…` (hex id), written to `root/tmp/`, fsynced, renamed.

    Renames make a blob visible only when whole. Directory entries are made durable in `sync()`,
    which fsyncs every fan-out directory that gained a file since the last call, so a batch of
    chunks costs one fsync per chunk file plus one per touched directory, not two per chunk.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._tmp = root / "tmp"
        self._tmp.mkdir(parents=True, exist_ok=True)
        self._dirty_dirs: set[Path] = set()
        self._lock = threading.Lock()
        for stale in self._tmp.iterdir():  # leftovers of a crash: never visible, safe to drop
            stale.unlink(missing_ok=True)

    def _path(self, chunk_id: bytes) -> Path:
        h = chunk_id.hex()
        return self.root / h[:2] / h

    def put(self, chunk_id: bytes, blob: bytes) -> None:
        final = self._path(chunk_id)
        if final.exists():
            return
        tmp = self._tmp / f"{chunk_id.hex()[:16]}.{uuid.uuid4().hex}"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                view = memoryview(blob)
                while view:
                    view = view[os.write(fd, view):]
                os.fsync(fd)
            finally:
                os.close(fd)
            final.parent.mkdir(exist_ok=True)
            os.replace(tmp, final)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            if exc.errno == errno.ENOSPC:
                raise StorageError("disk full", f"no space left for chunks in {self.root}") from exc
            raise StorageError("cannot write chunk", str(exc)) from exc
        with self._lock:
            self._dirty_dirs.add(final.parent)

    def get(self, chunk_id: bytes) -> bytes:
        try:
            return self._path(chunk_id).read_bytes()
        except FileNotFoundError:
            raise NotFound("chunk not found", chunk_id.hex()) from None
        except OSError as exc:
            raise StorageError("cannot read chunk", str(exc)) from exc

    def has(self, chunk_id: bytes) -> bool:
        return self._path(chunk_id).exists()

    def delete(self, chunk_id: bytes) -> None:
        self._path(chunk_id).unlink(missing_ok=True)

    def ids(self) -> Iterator[bytes]:
        for sub in sorted(self.root.iterdir()):
            if sub.name == "tmp" or not sub.is_dir():
                continue
            for f in sub.iterdir():
                try:
                    yield bytes.fromhex(f.name)
                except ValueError:
                    continue

    def sync(self) -> None:
        with self._lock:
            dirs, self._dirty_dirs = self._dirty_dirs, set()
        for d in dirs | ({self.root} if dirs else set()):
            fd = os.open(d, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def path_of(self, chunk_id: bytes) -> Path:
        """Where a chunk lives on disk (for tests and `check`)."""
        return self._path(chunk_id)
