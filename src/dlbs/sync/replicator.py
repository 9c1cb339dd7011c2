"""Pull-based anti-entropy: ask a peer for the versions we have not seen, fetch the chunks we
must hold, then merge the versions.

Algorithm of one pull from peer P:

1. `hello`: P's node id, cluster id and version vector (per origin, the highest sequence number
   it holds). A peer with our own node id is ourselves under another address: skipped
   (self-detection by id). A different cluster id is refused.
2. Repeatedly ask P for versions beyond our vector, in batches. For each batch, fetch every chunk
   that placement says we hold and we lack (several batched requests in flight), open each blob
   (decrypt + re-hash: a blob that does not match its id is rejected and logged), write it durably
   and record it; *then* merge the batch into the catalog in one transaction. So a version
   becomes visible only after its chunks are here, and a killed transfer resumes where it
   stopped (chunks already received are not fetched again; the vector did not move).
3. A chunk P could not give (placement, or P lost it) is asked of the other peers; if nobody has
   it now the version is merged anyway and `ensure_held` tries again later, so one missing chunk
   never blocks the rest of the catalog.

Threading: all methods block and are called from worker threads; a per-peer lock keeps one pull
per peer at a time. `stop()` makes running pulls end between batches.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from dlbs.config import Config
from dlbs.core import placement
from dlbs.core.model import KIND_SNAPSHOT, ChunkRef, Version
from dlbs.core.snapshot import describe_entry
from dlbs.errors import DlbsError, PeerError
from dlbs.events import EventBus
from dlbs.peer.client import PeerClient, PeerUnreachable
from dlbs.peer.protocol import PROTOCOL, version_from_wire
from dlbs.store.members import Members
from dlbs.store.repository import Repository
from dlbs.sync.fetch import PullResult, StreamFetcher

log = logging.getLogger(__name__)

VERSION_BATCH = 500


@dataclass
class PeerState:
    """What this node currently knows about one peer address (in memory; see Members for the rest)."""

    address: str
    node_id: str | None = None
    name: str = ""
    online: bool = False
    last_seen: float | None = None
    last_sync: float | None = None
    last_error: str | None = None
    behind: int | None = None
    bytes_stored: int | None = None
    is_self: bool = False
    last_attempt: float = 0.0  # monotonic time of the last hello, answered or not
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


class Replicator:
    """Replication for one node. Thread-safe; owned by the NodeService."""

    def __init__(
        self,
        repo: Repository,
        members: Members,
        config: Callable[[], Config],
        client_factory: Callable[[str], PeerClient],
        cluster_id: str,
        events: EventBus,
    ) -> None:
        self.repo = repo
        self.catalog = repo.catalog
        self.members = members
        self._config = config
        self._client_factory = client_factory
        self.cluster_id = cluster_id
        self.node_id = repo.node.node_id
        self.events = events
        self._clients: dict[str, PeerClient] = {}
        self._states: dict[str, PeerState] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.fetcher = StreamFetcher(repo, events)

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:  # first: a fetch stream in flight ends when its connection closes
            for c in self._clients.values():
                c.close()
            self._clients.clear()
        self.fetcher.stop()  # waits for the fetches, so none writes to a store being closed

    # ---- peers ----------------------------------------------------------------------------------

    def addresses(self) -> list[str]:
        """Addresses to dial: config.json's nodes plus members learned from peers, minus removed ones."""
        out = list(self._config().nodes)
        for m in self.members.all():
            if m.removed:
                out = [a for a in out if self.state(a).node_id != m.node_id]
            elif m.address and m.address not in out and m.node_id != self.node_id:
                out.append(m.address)
        return [a for a in out if not self.state(a).is_self]

    def state(self, address: str) -> PeerState:
        """The (live, mutable) state of one peer address; made on first use."""
        with self._lock:
            st = self._states.get(address)
            if st is None:
                st = self._states[address] = PeerState(address)
            return st

    def states(self) -> list[PeerState]:
        addrs = self.addresses()
        return [self.state(a) for a in addrs]

    def client(self, address: str) -> PeerClient:
        with self._lock:
            c = self._clients.get(address)
            if c is None:
                c = self._clients[address] = self._client_factory(address)
            return c

    def _offline(self, st: PeerState, reason: str) -> None:
        was_online = st.online
        st.online = False
        st.last_error = reason
        if was_online:
            log.warning("peer %s (%s) went offline: %s", st.name or st.address, st.address, reason)
            self.events.publish("peer", f"Peer {st.name or st.address} is offline: {reason}", "warning",
                                address=st.address)

    def hello(self, address: str) -> dict[str, object] | None:
        """Contact a peer; updates its state. Returns its hello, or None if it is unusable."""
        st = self.state(address)
        st.last_attempt = time.monotonic()
        try:
            h = self.client(address).hello()
        except PeerUnreachable as exc:
            self._offline(st, exc.reason)
            return None
        except PeerError as exc:
            self._offline(st, str(exc))
            return None
        if h.get("cluster_id") != self.cluster_id:
            self._offline(st, "a different cluster (its cluster id does not match ours)")
            return None
        node_id = str(h.get("node_id", ""))
        if node_id == self.node_id:
            st.is_self = True
            log.info("%s is this node itself: skipped (self-detection by node id)", address)
            return None
        was_online = st.online
        st.node_id, st.name = node_id, str(h.get("node_name", ""))
        st.online, st.last_error, st.last_seen = True, None, time.time()
        st.bytes_stored = int(h.get("bytes_stored", 0) or 0)  # type: ignore[call-overload]
        vector = h.get("vector") or {}
        mine = self.catalog.version_vector()
        st.behind = sum(max(0, int(s) - mine.get(o, 0)) for o, s in vector.items())  # type: ignore[union-attr]
        self.members.seen(node_id, st.name, address, st.bytes_stored)
        if not was_online:
            log.info("peer %s (%s) is online at %s", st.name, node_id, address)
            self.events.publish("peer", f"Peer {st.name} is online", "success", address=address, node_id=node_id)
        for m in h.get("members", []) or []:  # type: ignore[union-attr]
            known = isinstance(m, dict) and m.get("node_id") not in (None, "", self.node_id) and m.get("address")
            if known and self.members.learn(str(m["node_id"]), str(m.get("name", "")), str(m["address"])):
                log.info("learned of node %s at %s from %s", m.get("name"), m["address"], st.name)
        for removed in h.get("removed", []) or []:  # type: ignore[union-attr]
            if isinstance(removed, str) and removed != self.node_id:
                m = self.members.get(removed)
                if m is None or not m.removed:
                    self.members.remove(removed)
        if int(h.get("protocol", PROTOCOL)) != PROTOCOL:  # type: ignore[call-overload]
            self._offline(st, f"protocol {h.get('protocol')} (we speak {PROTOCOL}): update dlbs on both")
            return None
        return h

    # ---- pulling ----------------------------------------------------------------------------------

    def placement_members(self) -> list[str]:
        cfg = self._config()
        return [self.node_id, *self.members.live_ids(time.time(), cfg.repair_after)]

    def _must_hold(self, chunk_id: bytes, members: list[str]) -> bool:
        return placement.should_hold(self.node_id, chunk_id, members, self._config().replicas)

    def pull(self, address: str) -> PullResult:
        """One pull round from the peer at `address`."""
        st = self.state(address)
        res = PullResult(address)
        started = time.monotonic()
        with st.lock:
            h = self.hello(address)
            res.node_id, res.name = st.node_id, st.name
            if h is None:
                res.status = "self" if st.is_self else "offline"
                res.error = None if st.is_self else st.last_error
                return res
            try:
                self._pull_versions(address, res)
                st.last_sync = time.time()
                st.behind = 0
                self.members.synced(st.node_id or "")
            except PeerUnreachable as exc:
                self._offline(st, exc.reason)
                res.status, res.error = "offline", exc.reason
            except DlbsError as exc:
                log.error("sync with %s failed: %s", address, exc)
                res.status, res.error = "error", str(exc)
                st.last_error = str(exc)
        res.seconds = time.monotonic() - started
        if res.versions or res.chunks or res.status != "ok":
            log.info("pull from %s (%s): %s, %d versions, %d chunks, %d bytes in %.2fs%s", res.name, address,
                     res.status, res.versions, res.chunks, res.bytes, res.seconds,
                     f" ({res.error})" if res.error else "")
        return res

    def _pull_versions(self, address: str, res: PullResult) -> None:
        client = self.client(address)
        while not self._stopping.is_set():
            answer = client.versions(self.catalog.version_vector(), VERSION_BATCH)
            batch = [version_from_wire(d) for d in answer.get("versions", [])]
            if not batch:
                return
            members = self.placement_members()
            self._fetch_needed((ref for v in batch if not v.deleted for ref in v.chunks), members, address, res)
            snapshots = [v for v in batch if v.kind == KIND_SNAPSHOT]
            if snapshots:  # their trees are here (or fetchable) now: fetch the files they reference
                refs = (ref for v in snapshots for ref in self._snapshot_refs(v, res))
                self._fetch_needed(refs, members, address, res)
            added = self.catalog.merge_versions(batch)
            for v in added:
                self.repo.clock.observe(v.hlc)
            res.versions += len(added)
            self._announce(added, res.name or address)
            if not answer.get("more"):
                return

    def _fetch_needed(self, refs: Iterable[ChunkRef], members: list[str], address: str, res: PullResult) -> None:
        need: dict[bytes, None] = {}
        for ref in refs:
            if ref.id not in need and self._must_hold(ref.id, members) and not self.catalog.has_chunk(ref.id):
                need[ref.id] = None
        if need:
            self._fetch_into_store(list(need), [address], res)

    def _snapshot_refs(self, v: Version, res: PullResult) -> list[ChunkRef]:
        try:
            return [ref for e in self.repo.read_tree(v) for ref in e.chunks]
        except DlbsError as exc:
            log.warning("cannot read the tree of snapshot %s yet: %s", v.path[:8], exc)
            res.missing_chunks += 1
            return []

    def _announce(self, added: list[Version], source: str) -> None:
        if not added:
            return
        if len(added) <= 3:
            for v in added:
                self.events.publish("sync", f"{source}: {describe_entry(v)}", "info", path=v.path)
        else:
            self.events.publish("sync", f"{source}: received {len(added)} versions", "info", count=len(added))

    def _fetch_into_store(self, ids: list[bytes], sources: list[str], res: PullResult) -> None:
        """Fetch chunks from `sources` (then any other online peer), verify, store, record."""
        remaining = list(ids)
        tried: set[str] = set()
        for address in [*sources, *[s.address for s in self.states() if s.online]]:
            if not remaining or address in tried or self._stopping.is_set():
                continue
            tried.add(address)
            try:
                remaining = self.fetcher.fetch(self.client(address), remaining, res)
            except PeerUnreachable as exc:
                self._offline(self.state(address), exc.reason)
        res.missing_chunks += len(remaining)
        if remaining:
            log.warning("%d chunk(s) could not be fetched from any peer yet; will retry", len(remaining))

    # ---- holding and reading ------------------------------------------------------------------

    def ensure_held(self) -> PullResult:
        """Fetch every chunk placement gives this node that it lacks (repair, resume, re-replication)."""
        res = PullResult("*")
        started = time.monotonic()
        members = self.placement_members()
        held = self.catalog.chunk_ids()
        need: dict[bytes, None] = {}
        for v in self.catalog.all_versions():
            try:
                refs = list(self.repo.chunks_of(v))
            except DlbsError as exc:
                log.warning("cannot read entry %s: %s", v.key, exc)
                continue
            for ref in refs:
                if ref.id not in held and ref.id not in need and self._must_hold(ref.id, members):
                    need[ref.id] = None
        if need:
            log.info("%d chunk(s) assigned to this node are missing; fetching", len(need))
            self._fetch_into_store(list(need), [], res)
        self.hand_off()
        res.seconds = time.monotonic() - started
        return res

    def hand_off(self) -> int:
        """With `replicas: R`, drop chunks placement gives to other nodes once all R of them
        confirm they hold it (an upload stores every chunk here first). Never drops a chunk
        whose holders are not all reachable and confirmed. Returns the number dropped."""
        replicas = self._config().replicas
        if replicas is None:
            return 0
        members = self.placement_members()
        if len(members) <= replicas:
            return 0
        by_address = {st.node_id: st.address for st in self.states() if st.online and st.node_id}
        extra: dict[bytes, list[str]] = {}
        for cid in self.catalog.chunk_ids():
            hs = placement.holders(cid, members, replicas)
            if self.node_id not in hs:
                extra[cid] = hs
        if not extra:
            return 0
        confirmed: dict[bytes, int] = dict.fromkeys(extra, 0)
        for node_id, address in by_address.items():
            ids = [cid for cid, hs in extra.items() if node_id in hs]
            for i in range(0, len(ids), 1000):
                try:
                    have = self.client(address).has_chunks(ids[i:i + 1000])
                except PeerError as exc:
                    log.info("hand-off: cannot ask %s: %s", address, exc)
                    break
                for cid in have:
                    if cid in confirmed:
                        confirmed[cid] += 1
        drop = [cid for cid, n in confirmed.items() if n >= replicas]
        if drop:
            self.catalog.remove_chunks(drop)  # forget first: a crash in between leaves an orphan file, not a hole
            self.repo.store.delete_many(drop)
            self.repo.store.compact()
            log.info("handed off %d chunk(s) now held by their %d placement holders", len(drop), replicas)
        return len(drop)

    def refresh_online(self) -> None:
        """Greet every peer so `online` is current (before a repair picks sources)."""
        for address in self.addresses():
            self.hello(address)

    def fetch_missing(self, ids: list[bytes]) -> list[bytes]:
        """Fetch `ids` from any online peer into the store; returns the ids still missing."""
        self.refresh_online()
        self._fetch_into_store(ids, [], PullResult("*"))
        return [cid for cid in ids if not self.catalog.has_chunk(cid)]

    def fetch_for_read(self, chunk_id: bytes) -> bytes | None:
        """A verified sealed chunk from any online peer (holders first), for a read this node cannot
        serve. A peer that sends bytes not matching the id is logged and the next one is asked."""
        members = self.placement_members()
        order = {n: i for i, n in enumerate(placement.holders(chunk_id, members, None))}
        states = sorted(self.states(), key=lambda s: (not s.online, order.get(s.node_id or "", 1 << 30)))
        for st in states:
            try:
                blob = self.client(st.address).get_chunk(chunk_id)
            except PeerError:
                continue
            if blob is not None and self.fetcher.verify(chunk_id, blob, st.address) is not None:
                return blob
        return None

    def notify_all(self, addresses: Iterable[str] | None = None) -> None:
        """Tell peers we have new versions, so they pull from us within seconds."""
        for st in self.states():
            if addresses is not None and st.address not in addresses:
                continue
            try:
                self.client(st.address).notify(self.node_id)
            except PeerError as exc:
                log.debug("notify %s failed: %s", st.address, exc)

    def ask_to_pull(self, address: str) -> dict[str, object] | None:
        """Ask the peer at `address` to pull from us now (the push half of a bidirectional sync)."""
        try:
            return self.client(address).sync_request(self.node_id)
        except PeerError as exc:
            log.info("asking %s to pull from us failed: %s", address, exc)
            return None
