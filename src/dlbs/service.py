"""The running node's state: config, identity, repository and activity feed, wired together.

Faces and HTTP routes get everything they need from one `NodeService`; it owns no sockets (the
server in `server.py` does). Thread-safety: the repository and catalog are thread-safe; config
changes go through `update_config`, which validates, writes config.json atomically and swaps.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dlbs import __version__
from dlbs.backup.service import BackupService
from dlbs.config import Config, load_config, save_config, validate_config
from dlbs.core.keys import ClusterKeys
from dlbs.core.model import Version
from dlbs.errors import DlbsError, InvalidInput, NotFound
from dlbs.events import EventBus
from dlbs.jobs import JobRunner
from dlbs.peer.client import PeerClient
from dlbs.peer.tls import client_context, ensure_tls, server_context
from dlbs.store.catalog import Catalog
from dlbs.store.chunkstore import FsChunkStore
from dlbs.store.identity import ClusterSecret, DataDir
from dlbs.store.members import Members
from dlbs.store.repository import NodeInfo, Repository
from dlbs.sync.replicator import Replicator
from dlbs.sync.scheduler import SyncScheduler

log = logging.getLogger(__name__)


class NodeService:
    """One node: open it with `NodeService.open(data_dir)`, close it with `close()`."""

    def __init__(self, data: DataDir, config_path: Path, config: Config, node_id: str,
                 cluster: ClusterSecret) -> None:
        self.data = data
        self.config_path = config_path
        self.config = config
        self.node_id = node_id
        self.cluster = cluster
        self.keys = ClusterKeys.from_secret(cluster.secret)
        self.events = EventBus()
        self.started_at = time.time()
        self.repo = Repository(
            Catalog(data.catalog), FsChunkStore(data.chunks), self.keys, NodeInfo(node_id, config.node_name)
        )
        self.repo.add_listener(self._on_version)
        self._config_lock = threading.Lock()
        self.version = __version__
        self.bound_ports: tuple[int, int] = (0, 0)
        self.tls = ensure_tls(data.root, cluster.secret, cluster.cluster_id, node_id)
        self._client_ctx = client_context(self.tls)
        self.members = Members(self.repo.catalog)
        self.replicator = Replicator(
            self.repo, self.members, lambda: self.config, self.peer_client, cluster.cluster_id, self.events
        )
        self.scheduler = SyncScheduler(self.replicator, lambda: self.config, self.repo.catalog, self.events)
        self.repo.set_chunk_fetcher(self.replicator.fetch_for_read)
        self.jobs = JobRunner(self.events)
        self.backups = BackupService(self.repo, self.replicator, self.jobs, lambda: self.config)

    @classmethod
    def open(cls, root: Path, config_path: Path | None = None) -> NodeService:
        data = DataDir(root)
        cfg_path = config_path or data.config
        config = load_config(cfg_path)
        node_id, cluster = data.ensure()
        if not cfg_path.exists():
            save_config(cfg_path, config)
        return cls(data, cfg_path, config, node_id, cluster)

    def close(self) -> None:
        self.replicator.stop()
        self.repo.close()

    def peer_client(self, address: str) -> PeerClient:
        return PeerClient(address, self._client_ctx, self.token)

    def server_ssl_context(self) -> ssl.SSLContext:
        return server_context(self.tls)

    async def start_jobs(self) -> list[asyncio.Task[Any]]:
        tasks = self.scheduler.start()
        tasks.append(asyncio.create_task(self.backups.schedule_loop(), name="dlbs-backup-schedule"))
        return tasks

    async def stop_jobs(self) -> None:
        await self.scheduler.stop()

    def read_sealed(self, chunk_id: bytes) -> bytes | None:
        """A chunk exactly as stored (sealed), for a peer; None if not held here or corrupt."""
        try:
            blob = self.repo.store.get(chunk_id)
        except DlbsError:
            return None
        try:
            self.repo.codec.decode(chunk_id, blob)  # never hand a peer a corrupt chunk
        except DlbsError as exc:
            self.repo.catalog.mark_corrupt(chunk_id, exc.detail)
            log.error("not serving corrupt chunk %s to a peer: %s", chunk_id.hex()[:16], exc.detail)
            return None
        return blob

    def read_stored(self, chunk_id: bytes) -> bytes | None:
        """A chunk exactly as stored, unverified (the receiving peer verifies); None if not here."""
        try:
            return self.repo.store.get(chunk_id)
        except DlbsError:
            return None

    def add_member(self, node_id: str, name: str, address: str) -> None:
        """A device joined through us: remember it and dial it like a config.json node."""
        if node_id == self.node_id:
            return
        self.members.seen(node_id, name, address)
        if address not in self.config.nodes:
            self.update_config({"nodes": [*self.config.nodes, address]})
        self.events.publish("peer", f"Node {name or node_id} joined from {address}", "success", node_id=node_id)

    def forget_node(self, node_id: str) -> None:
        """Remove a node for good: its chunks are re-replicated elsewhere; gossip spreads the removal."""
        m = self.members.get(node_id)
        if m is None:
            raise NotFound("unknown node", f"no node with id {node_id} (see `dlbs status`)")
        if node_id == self.node_id:
            raise InvalidInput("cannot forget this node", "run forget-node on another node of the cluster")
        self.members.remove(node_id)
        nodes = [a for a in self.config.nodes if a != m.address]
        if nodes != self.config.nodes:
            self.update_config({"nodes": nodes})
        self.events.publish("peer", f"Node {m.name or node_id} removed from the cluster", "warning")

    def refresh_peers(self, max_age: float = 5.0) -> None:
        """Greet every peer not contacted in the last `max_age` seconds (in parallel), so status
        shows the present with reasons, while UIs polling status every few seconds do not turn
        into a stream of handshakes (or wait on an offline peer's timeout every time)."""
        now = time.monotonic()
        addresses = [st.address for st in self.replicator.states() if now - st.last_attempt > max_age]
        if addresses:
            with ThreadPoolExecutor(max_workers=min(8, len(addresses))) as pool:
                list(pool.map(self.replicator.hello, addresses))

    def peer_status(self) -> list[dict[str, Any]]:
        now = time.time()
        out = []
        for st in self.replicator.states():
            m = self.members.get(st.node_id) if st.node_id else None
            last_seen = st.last_seen or (m.last_seen if m else None)
            last_sync = st.last_sync or (m.last_sync if m else None)
            out.append({
                "id": st.node_id, "name": st.name or (m.name if m else ""), "address": st.address,
                "online": st.online, "last_seen": iso_or_none(last_seen), "last_seen_ago": ago(now, last_seen),
                "last_sync": iso_or_none(last_sync), "last_sync_ago": ago(now, last_sync),
                "behind": st.behind, "bytes_stored": st.bytes_stored if st.bytes_stored is not None
                else (m.bytes_stored if m else None),
                "reason": st.last_error,
            })
        return out

    def cluster_stats(self) -> dict[str, Any]:
        peers = self.replicator.states()
        last = self.scheduler.last_sync
        return {
            "nodes_total": 1 + len(peers),
            "nodes_online": 1 + sum(1 for p in peers if p.online),
            "last_sync": iso_or_none(last),
        }

    @property
    def token(self) -> str:
        return self.cluster.token

    @property
    def node_name(self) -> str:
        return self.config.node_name

    def _on_version(self, v: Version) -> None:
        self.scheduler.on_local_change()
        if v.kind != "file":
            return
        if v.deleted:
            self.events.publish("delete", f"Deleted {v.path}", "warning", path=v.path)
        else:
            self.events.publish("upload", f"Stored {v.path} ({v.size} bytes)", "success", path=v.path,
                                size=v.size, sha256=v.sha256)

    def update_config(self, changes: dict[str, Any]) -> Config:
        """Validate and apply a partial config change; InvalidInput and nothing written if wrong."""
        with self._config_lock:
            merged = self.config.model_dump()
            for key, value in changes.items():  # nested settings merge: {"sync": {"schedule": …}} keeps "notify"
                if isinstance(value, dict) and isinstance(merged.get(key), dict):
                    merged[key] = {**merged[key], **value}
                else:
                    merged[key] = value
            new = validate_config(merged)
            save_config(self.config_path, new)
            self.config = new
        self.events.publish("config", "Settings saved", "info", keys=sorted(changes))
        return new


def iso_or_none(ts: float | None) -> str | None:
    if not ts:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def ago(now: float, ts: float | None) -> str:
    if not ts:
        return "never"
    d = max(0, int(now - ts))
    if d < 60:
        return f"{d}s ago"
    if d < 3600:
        return f"{d // 60}m ago"
    if d < 86400:
        return f"{d // 3600}h ago"
    return f"{d // 86400}d ago"
