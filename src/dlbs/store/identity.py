"""Who this node is and which cluster it belongs to: the data dir's identity files.

    node.json     {"node_id": "…"}                  stable id of this node, made once
    cluster.json  {"cluster_id": "…", "secret": …}  the cluster's shared secret (mode 0600)

The cluster token (`dlbs invite`) carries the cluster id and secret; it is the only secret a
device needs to join, and the credential on the peer port.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from dlbs.config import write_atomic
from dlbs.errors import ConfigError, InvalidInput

log = logging.getLogger(__name__)

TOKEN_PREFIX = "dlbs1-"


@dataclass(frozen=True)
class ClusterSecret:
    cluster_id: str  # 32 hex chars
    secret: bytes  # 32 bytes

    @property
    def token(self) -> str:
        raw = bytes.fromhex(self.cluster_id) + self.secret
        return TOKEN_PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def new(cls) -> ClusterSecret:
        return cls(secrets.token_hex(16), secrets.token_bytes(32))

    @classmethod
    def from_token(cls, token: str) -> ClusterSecret:
        t = token.strip()
        if not t.startswith(TOKEN_PREFIX):
            raise InvalidInput("invalid token", "a dlbs cluster token starts with 'dlbs1-' (see `dlbs invite`)")
        body = t[len(TOKEN_PREFIX):]
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (binascii.Error, ValueError):
            raise InvalidInput("invalid token", "the token is damaged (not base64)") from None
        if len(raw) != 48:
            raise InvalidInput("invalid token", "the token is damaged (wrong length); copy it again")
        return cls(raw[:16].hex(), raw[16:])


def default_data_dir() -> Path:
    env = os.environ.get("DLBS_DATA_DIR")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("dlbs", appauthor=False))


@dataclass(frozen=True)
class DataDir:
    """The files of one node under its data dir."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "config.json"

    @property
    def catalog(self) -> Path:
        return self.root / "catalog.db"

    @property
    def chunks(self) -> Path:
        return self.root / "chunks"

    @property
    def log(self) -> Path:
        return self.root / "node.log"

    @property
    def node_file(self) -> Path:
        return self.root / "node.json"

    @property
    def cluster_file(self) -> Path:
        return self.root / "cluster.json"

    def exists(self) -> bool:
        return self.cluster_file.exists() and self.node_file.exists()

    def node_id(self, create: bool = False) -> str:
        try:
            return str(json.loads(self.node_file.read_text())["node_id"])
        except FileNotFoundError:
            if not create:
                raise ConfigError("no node here", f"{self.root} holds no dlbs node; run `dlbs init`") from None
        except (OSError, ValueError, KeyError) as exc:
            raise ConfigError("unreadable node identity", f"{self.node_file}: {exc}") from exc
        node_id = secrets.token_hex(8)
        write_atomic(self.node_file, json.dumps({"node_id": node_id}).encode())
        log.info("created node identity %s in %s", node_id, self.root)
        return node_id

    def cluster(self) -> ClusterSecret:
        try:
            raw = json.loads(self.cluster_file.read_text())
            return ClusterSecret(str(raw["cluster_id"]), base64.b64decode(raw["secret"]))
        except FileNotFoundError:
            raise ConfigError(
                "no cluster here", f"{self.root} holds no dlbs cluster; run `dlbs init` or `dlbs join`"
            ) from None
        except (OSError, ValueError, KeyError, binascii.Error) as exc:
            raise ConfigError("unreadable cluster secret", f"{self.cluster_file}: {exc}") from exc

    def write_cluster(self, cluster: ClusterSecret) -> None:
        data = {"cluster_id": cluster.cluster_id, "secret": base64.b64encode(cluster.secret).decode()}
        write_atomic(self.cluster_file, json.dumps(data).encode(), mode=0o600)

    def ensure(self) -> tuple[str, ClusterSecret]:
        """Make this data dir a node of a one-node cluster if it is not a node yet."""
        self.root.mkdir(parents=True, exist_ok=True)
        node_id = self.node_id(create=True)
        if not self.cluster_file.exists():
            cluster = ClusterSecret.new()
            self.write_cluster(cluster)
            log.info("created a new one-node cluster %s", cluster.cluster_id)
        return node_id, self.cluster()
