"""Fetching chunks from a peer: batched streams, several at once, every blob verified before it
is stored, and stored durably and recorded before the caller merges anything that needs it."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from dlbs.errors import IntegrityError, PeerError
from dlbs.events import EventBus
from dlbs.peer.client import PeerClient, PeerUnreachable
from dlbs.store.repository import Repository

log = logging.getLogger(__name__)

CHUNK_BATCH_COUNT = 64  # chunks per request stream
FETCH_STREAMS = 3  # streams in flight per peer


@dataclass
class PullResult:
    address: str
    node_id: str | None = None
    name: str = ""
    status: str = "ok"  # ok, offline, error, self
    versions: int = 0
    chunks: int = 0
    bytes: int = 0
    missing_chunks: int = 0
    rejected_chunks: int = 0
    seconds: float = 0.0
    error: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "node": self.name or self.address, "id": self.node_id, "name": self.name, "address": self.address,
            "status": self.status, "pulled_versions": self.versions, "fetched_chunks": self.chunks,
            "bytes": self.bytes, "missing_chunks": self.missing_chunks, "rejected_chunks": self.rejected_chunks,
            "seconds": round(self.seconds, 3), "error": self.error,
        }


class StreamFetcher:
    """Fetches chunks from one peer at a time in `FETCH_STREAMS` parallel batched streams. Thread-safe."""

    def __init__(self, repo: Repository, events: EventBus) -> None:
        self.repo = repo
        self.events = events
        self._pool = ThreadPoolExecutor(max_workers=FETCH_STREAMS, thread_name_prefix="dlbs-fetch")

    def stop(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def verify(self, cid: bytes, blob: bytes, source: str, res: PullResult | None = None) -> int | None:
        """The plaintext length of a sealed blob from `source`, or None (logged and published as an
        integrity event) if it is not exactly chunk `cid`."""
        try:
            return len(self.repo.codec.decode(cid, blob))
        except IntegrityError as exc:
            if res is not None:
                res.rejected_chunks += 1
            log.error("rejected chunk %s from %s: %s", cid.hex()[:16], source, exc.detail)
            self.events.publish("integrity", f"Rejected a bad chunk from {source}", "error",
                                chunk=cid.hex(), detail=exc.detail)
            return None

    def fetch(self, client: PeerClient, ids: list[bytes], res: PullResult) -> list[bytes]:
        """Fetch `ids` from one peer into the store; returns the ids it could not give.
        Raises PeerUnreachable if the peer went away (what arrived before that is kept)."""
        groups = [ids[i:i + CHUNK_BATCH_COUNT] for i in range(0, len(ids), CHUNK_BATCH_COUNT)]
        futures = [self._pool.submit(self._fetch_group, client, g, res) for g in groups]
        missing: list[bytes] = []
        first_error: Exception | None = None
        for f in futures:
            try:
                missing.extend(f.result())
            except PeerUnreachable as exc:
                first_error = first_error or exc
        if first_error is not None:
            raise first_error
        return missing

    def _fetch_group(self, client: PeerClient, ids: list[bytes], res: PullResult) -> list[bytes]:
        wanted = set(ids)
        got: list[tuple[bytes, int, int]] = []
        missing: list[bytes] = []
        try:
            for cid, blob in client.fetch_chunks(ids):
                if cid not in wanted:
                    raise PeerError("bad chunk stream", f"{client.address} sent a chunk we did not ask for")
                wanted.discard(cid)
                length = None if blob is None else self.verify(cid, blob, client.address, res)
                if blob is None or length is None:
                    missing.append(cid)
                    continue
                self.repo.store.put(cid, blob)
                got.append((cid, length, len(blob)))
                res.chunks += 1
                res.bytes += len(blob)
        finally:
            if got:
                self.repo.store.sync()
                self.repo.catalog.add_chunks(got)
        missing.extend(wanted)
        return missing
