"""The repository: files in, files out, on one node.

`put_stream` cuts a stream into content-defined chunks, stores each new chunk sealed (compressed,
encrypted) and durable, and only then records the version in the catalog. `read_version` yields a
version's bytes chunk by chunk, each verified against its id. Memory stays bounded by a few chunks
in flight, whatever the file size.

Threading: `Repository` is thread-safe. `put_stream` encodes chunks on a small shared thread pool
(zstd, AES-GCM and BLAKE3 release the GIL, so two workers roughly double throughput).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from dlbs.core import merge
from dlbs.core.chunking import Chunker, Readable
from dlbs.core.codec import ChunkCodec
from dlbs.core.hlc import HybridClock
from dlbs.core.keys import ClusterKeys
from dlbs.core.model import KIND_FORGET, KIND_SNAPSHOT, ChunkRef, FileEntry, StoreStats, Version
from dlbs.core.paths import validate_path, validate_prefix
from dlbs.core.snapshot import TreeEntry, decode_tree
from dlbs.errors import IntegrityError, InvalidInput, NotFound
from dlbs.store.catalog import Catalog
from dlbs.store.chunkstore import ChunkStore

log = logging.getLogger(__name__)

SMALL_STREAM = 4 * 1024 * 1024  # up to this size a stream is read whole and cut in memory
MAX_IN_FLIGHT = 4  # chunks one stream may have being encoded (two encoder threads: a little slack)
MAX_IN_FLIGHT_TOTAL = 6  # ... and all streams together: memory stays bounded however many upload at once
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()

ChunkFetcher = Callable[[bytes], bytes | None]
"""Asked for a chunk this node lacks; returns a sealed blob from a peer, or None."""

VersionListener = Callable[[Version], None]


def _read_up_to(stream: Readable, expect: int, limit: int) -> memoryview:
    """Read until the stream ends or `limit` bytes are in. The buffer starts at `expect` bytes
    (allocating, and so zero-filling, the limit for every small file was the cost this avoids)
    and doubles if the stream is longer than expected."""
    buf = bytearray(min(max(expect, 1), limit))
    n = 0
    while n < limit:
        if n == len(buf):
            buf.extend(bytes(min(len(buf), limit - len(buf))))
        got = stream.readinto(memoryview(buf)[n:])
        if not got:
            break
        n += got
    return memoryview(buf)[:n]


class _Prefixed:
    """A reader that yields `head` and then the rest of `stream`."""

    def __init__(self, head: memoryview, stream: Readable) -> None:
        self._head = head
        self._stream = stream

    def readinto(self, b: memoryview) -> int:
        if self._head:
            n = min(len(b), len(self._head))
            b[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        return self._stream.readinto(b)


@dataclass(frozen=True)
class StoredBlob:
    """A stream cut and stored as chunks: refs in order, whole sha256, size, and chunks new here."""

    refs: tuple[ChunkRef, ...]
    sha256: str
    size: int
    new_chunks: list[tuple[bytes, int, int]]


@dataclass(frozen=True)
class NodeInfo:
    node_id: str
    node_name: str


class Repository:
    """Files and their versions on one node: the library every face and job calls."""

    def __init__(
        self,
        catalog: Catalog,
        store: ChunkStore,
        keys: ClusterKeys,
        node: NodeInfo,
        workers: int = 2,
    ) -> None:
        self.catalog = catalog
        self.store = store
        self.codec = ChunkCodec(keys)
        self.chunker = Chunker(keys.gear_seed)
        self.node = node
        self.clock = HybridClock(last=max(int(catalog.get_meta("hlc", "0") or 0), catalog.max_hlc()))
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dlbs-encode")
        self._fetcher: ChunkFetcher | None = None
        self._listeners: list[VersionListener] = []
        self._lock = threading.Lock()
        self._inflight = threading.BoundedSemaphore(MAX_IN_FLIGHT_TOTAL)
        self._trees: dict[str, list[TreeEntry]] = {}

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self.catalog.set_meta("hlc", str(self.clock.last))
        self.catalog.close()
        self.store.close()

    def set_chunk_fetcher(self, fetcher: ChunkFetcher | None) -> None:
        """Install the fallback used when a chunk is not held here (the cluster layer sets it)."""
        self._fetcher = fetcher

    def add_listener(self, listener: VersionListener) -> None:
        """Called (on the writing thread) after every version this node records."""
        self._listeners.append(listener)

    def notify(self, v: Version) -> None:
        """Tell listeners (sync, the activity feed) about an entry recorded here."""
        for listener in self._listeners:
            try:
                listener(v)
            except Exception:
                log.exception("version listener failed for %s", v.path)

    # ---- writing ------------------------------------------------------------------------------

    def _encode_and_store(self, cid: bytes, data: bytes) -> tuple[bytes, int, int]:
        blob = self.codec.encode(cid, data)
        self.store.put(cid, blob)
        return cid, len(data), len(blob)

    def store_stream(self, stream: Readable, progress: Callable[[int], None] | None = None,
                     size_hint: int | None = None) -> StoredBlob:
        """Chunk `stream` and store every chunk not already held; nothing is recorded yet.

        When this returns, every new chunk is written; the caller makes them durable with
        `store.sync()` and records them (`new_chunks`) together with whatever references them.
        A stream known to be small (`size_hint`) is read whole and cut in memory: the streaming
        chunker allocates and zero-fills an ~8 MiB buffer per call, which dominated small files.
        Its chunks are also sealed on the calling thread: handing each to the encode pool cost
        ~100 futex calls per file in thread hand-offs (strace), more than the work itself.
        """
        if size_hint is not None and size_hint <= SMALL_STREAM:
            head = _read_up_to(stream, size_hint + 1, SMALL_STREAM + 1)
            if len(head) <= SMALL_STREAM:
                return self._store_chunks(self.chunker.cut_bytes_views(head), progress, inline=True)
            stream = _Prefixed(head, stream)  # it grew beyond the hint: stream the rest, bounded
        return self._store_chunks(self.chunker.cut_stream(stream), progress)

    def _store_chunks(self, views: Iterator[memoryview], progress: Callable[[int], None] | None,
                      inline: bool = False) -> StoredBlob:
        sha = hashlib.sha256()
        refs: list[ChunkRef] = []
        pending: list[Future[tuple[bytes, int, int]]] = []
        new_chunks: list[tuple[bytes, int, int]] = []
        in_this_blob: set[bytes] = set()
        size = 0
        try:
            for view in views:
                data = bytes(view)
                sha.update(data)
                cid = self.codec.chunk_id(data)
                refs.append(ChunkRef(cid, len(data)))
                size += len(data)
                if cid not in in_this_blob and not self.catalog.has_chunk(cid):
                    in_this_blob.add(cid)
                    if inline:  # already in memory, and small: seal it here
                        new_chunks.append(self._encode_and_store(cid, data))
                        if progress is not None:
                            progress(len(data))
                        continue
                    self._inflight.acquire()
                    try:
                        fut = self._pool.submit(self._encode_and_store, cid, data)
                    except BaseException:  # the pool is shut down (node closing): the slot is not taken
                        self._inflight.release()
                        raise
                    fut.add_done_callback(lambda _f: self._inflight.release())
                    pending.append(fut)
                    while len(pending) >= MAX_IN_FLIGHT:
                        new_chunks.append(pending.pop(0).result())
                if progress is not None:
                    progress(len(data))
            while pending:
                new_chunks.append(pending.pop(0).result())
        except BaseException:
            for f in pending:
                f.cancel()
            raise
        return StoredBlob(tuple(refs), sha.hexdigest(), size, new_chunks)

    def put_stream(
        self,
        path: str,
        stream: Readable,
        *,
        mtime_ns: int | None = None,
        mode: int = 0o644,
        expected_sha256: str | None = None,
        progress: Callable[[int], None] | None = None,
        size_hint: int | None = None,
    ) -> Version:
        """Store the whole of `stream` as a new version of `path` and return it.

        Durability: every chunk is fsynced (and its directory entry synced) before the version is
        committed; a failure or crash before the commit leaves only unreferenced chunk files.
        """
        validate_path(path)
        started = time.monotonic()
        blob = self.store_stream(stream, progress, size_hint)
        if expected_sha256 is not None and expected_sha256.lower() != blob.sha256:
            raise InvalidInput("checksum mismatch", f"expected sha256 {expected_sha256}, received {blob.sha256}")
        self.store.sync()
        v = self.catalog.add_local_version(
            self.node.node_id, self.node.node_name, path, self.clock.now,
            deleted=False, size=blob.size, mode=mode & 0o7777,
            mtime_ns=mtime_ns if mtime_ns is not None else time.time_ns(),
            sha256=blob.sha256, chunks=blob.refs, new_chunks=blob.new_chunks,
        )
        elapsed = time.monotonic() - started
        stored = sum(s for _, _, s in blob.new_chunks)
        log.info(
            "stored %s: %d bytes in %d chunks (%d new, %d bytes written) in %.2fs (%.1f MiB/s)",
            path, blob.size, len(blob.refs), len(blob.new_chunks), stored, elapsed,
            blob.size / max(elapsed, 1e-6) / 2**20,
        )
        self.notify(v)
        return v

    def put_bytes(self, path: str, data: bytes, **kwargs: object) -> Version:
        import io

        return self.put_stream(path, io.BytesIO(data), **kwargs)  # type: ignore[arg-type]

    def delete(self, path: str) -> Version:
        """Record a tombstone for `path`; NotFound if it has no live version."""
        validate_path(path)
        v = self.catalog.add_local_version(
            self.node.node_id, self.node.node_name, path, self.clock.now,
            deleted=True, size=0, mode=0, mtime_ns=time.time_ns(), sha256="", chunks=(), require_live=True,
        )
        log.info("deleted %s (tombstone %s)", path, v.key)
        self.notify(v)
        return v

    def restore_version(self, path: str, number: int) -> Version:
        """Make version `number` of `path` current again, as a new version with the same content."""
        old = self.version(path, number)
        if old.deleted:
            raise InvalidInput("cannot restore a delete", f"version {number} of {path} is a deletion")
        v = self.catalog.add_local_version(
            self.node.node_id, self.node.node_name, path, self.clock.now,
            deleted=False, size=old.size, mode=old.mode, mtime_ns=old.mtime_ns, sha256=old.sha256,
            chunks=old.chunks,
        )
        log.info("restored %s to version %d as %s", path, number, v.key)
        self.notify(v)
        return v

    # ---- reading ------------------------------------------------------------------------------

    def list(self, prefix: str = "") -> list[FileEntry]:
        return self.catalog.list_files(validate_prefix(prefix))

    def history(self, path: str) -> list[Version]:
        validate_path(path)
        vs = self.catalog.versions_of(path)
        if not vs:
            raise NotFound("file not found", path)
        return vs

    def current(self, path: str) -> FileEntry:
        validate_path(path)
        entry = merge.resolve(self.catalog.heads_of(path))
        if entry is None:
            raise NotFound("file not found", path)
        return entry

    def version(self, path: str, number: int | None = None) -> Version:
        """Version `number` (1-based, oldest first) of `path`, or the current one."""
        if number is None:
            return self.current(path).current
        vs = self.history(path)
        if not 1 <= number <= len(vs):
            raise NotFound("version not found", f"{path} has {len(vs)} version(s); there is no version {number}")
        return vs[number - 1]

    def read_chunk(self, ref: ChunkRef) -> bytes:
        """One chunk's plaintext, verified; fetched from a peer if this node lacks or lost it."""
        try:
            return self.codec.decode(ref.id, self.store.get(ref.id))
        except IntegrityError as exc:
            self.catalog.mark_corrupt(ref.id, exc.detail)
            log.error("integrity error: %s", exc)
            data = self._fetch_from_peer(ref)
            if data is None:
                raise
            return data
        except NotFound:
            data = self._fetch_from_peer(ref)
            if data is None:
                raise IntegrityError(
                    "chunk missing", f"chunk {ref.id.hex()[:16]} is not on this node or any reachable peer"
                ) from None
            return data

    def _fetch_from_peer(self, ref: ChunkRef) -> bytes | None:
        if self._fetcher is None:
            return None
        blob = self._fetcher(ref.id)
        if blob is None:
            return None
        data = self.codec.decode(ref.id, blob)
        return data

    def read_version(self, v: Version) -> Iterator[bytes]:
        """The plaintext of version `v`, chunk by chunk; every chunk verified before it is yielded."""
        for ref in v.chunks:
            yield self.read_chunk(ref)

    def read_all(self, refs: tuple[ChunkRef, ...]) -> bytes:
        """A small blob (a snapshot tree) in memory, verified."""
        return b"".join(self.read_chunk(r) for r in refs)

    def read_tree(self, v: Version) -> list[TreeEntry]:
        """The entries of snapshot `v` (cached: trees are immutable)."""
        key = v.sha256
        with self._lock:
            cached = self._trees.get(key)
        if cached is not None:
            return cached
        tree = decode_tree(self.read_all(v.chunks))
        with self._lock:
            if len(self._trees) > 32:
                self._trees.clear()
            self._trees[key] = tree
        return tree

    def chunks_of(self, v: Version) -> Iterator[ChunkRef]:
        """Every chunk an entry needs: a file version's, or a snapshot's tree and all its files'."""
        if v.deleted or v.kind == KIND_FORGET:
            return
        yield from v.chunks
        if v.kind == KIND_SNAPSHOT:
            for e in self.read_tree(v):
                yield from e.chunks

    def stats(self) -> StoreStats:
        entries = self.catalog.list_files()
        n, plain, stored = self.catalog.chunk_totals()
        referenced = self.catalog.referenced_bytes()
        return StoreStats(
            total_files=len(entries),
            total_size=sum(e.current.size for e in entries),
            total_versions=self.catalog.version_count(),
            chunks=n,
            chunk_bytes=plain,
            stored_bytes=stored,
            referenced_bytes=referenced,
            integrity_errors=self.catalog.corrupt_count(),
        )
