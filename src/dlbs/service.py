"""The running node's state: config, identity, repository and activity feed, wired together.

Faces and HTTP routes get everything they need from one `NodeService`; it owns no sockets (the
server in `server.py` does). Thread-safety: the repository and catalog are thread-safe; config
changes go through `update_config`, which validates, writes config.json atomically and swaps.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

from dlbs import __version__
from dlbs.config import Config, load_config, save_config, validate_config
from dlbs.core.keys import ClusterKeys
from dlbs.core.model import Version
from dlbs.events import EventBus
from dlbs.store.catalog import Catalog
from dlbs.store.chunkstore import FsChunkStore
from dlbs.store.identity import ClusterSecret, DataDir
from dlbs.store.repository import NodeInfo, Repository

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
        self.repo.close()

    @property
    def token(self) -> str:
        return self.cluster.token

    @property
    def node_name(self) -> str:
        return self.config.node_name

    def _on_version(self, v: Version) -> None:
        if v.deleted:
            self.events.publish("delete", f"Deleted {v.path}", "warning", path=v.path)
        else:
            self.events.publish("upload", f"Stored {v.path} ({v.size} bytes)", "success", path=v.path,
                                size=v.size, sha256=v.sha256)

    def update_config(self, changes: dict[str, Any]) -> Config:
        """Validate and apply a partial config change; InvalidInput and nothing written if wrong."""
        with self._config_lock:
            merged = self.config.model_dump()
            merged.update(changes)
            new = validate_config(merged)
            save_config(self.config_path, new)
            self.config = new
        self.events.publish("config", "Settings saved", "info", keys=sorted(changes))
        return new
