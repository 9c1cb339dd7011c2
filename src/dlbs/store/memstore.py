"""An in-memory ChunkStore (the contract is in `dlbs.store.chunkstore`), for tests: the same
conformance suite runs against it and the filesystem store."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator

from dlbs.errors import NotFound
from dlbs.store.chunkstore import CompactResult


class MemChunkStore:
    """An in-memory ChunkStore for tests. Everything is durable at once."""

    def __init__(self) -> None:
        self._blobs: dict[bytes, bytes] = {}
        self._added: dict[bytes, float] = {}
        self._lock = threading.Lock()

    def put(self, chunk_id: bytes, blob: bytes) -> None:
        with self._lock:
            self._blobs[chunk_id] = bytes(blob)
            self._added[chunk_id] = time.time()

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
        self.delete_many([chunk_id])

    def delete_many(self, ids: Iterable[bytes]) -> None:
        with self._lock:
            for cid in ids:
                self._blobs.pop(cid, None)
                self._added.pop(cid, None)

    def ids(self) -> Iterator[bytes]:
        with self._lock:
            keys = list(self._blobs)
        yield from keys

    def added_at(self, chunk_id: bytes) -> float | None:
        with self._lock:
            return self._added.get(chunk_id)

    def sync(self) -> None:
        return None

    def compact(self) -> CompactResult:
        return CompactResult()

    def close(self) -> None:
        return None
