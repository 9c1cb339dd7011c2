"""The node's configuration: one typed model with defaults and validation, loaded in one place.

`config.json` keeps v2.0's shape (`{"nodes": ["192.168.1.10:8000", ...]}`) and adds our own keys.
Unknown keys are kept, so a newer node's config survives an older node's rewrite.
"""

from __future__ import annotations

import json
import os
import re
import socket
import tempfile
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from dlbs.errors import ConfigError, InvalidInput

_HOST_PORT = re.compile(r"^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$")


def parse_node_address(address: str) -> tuple[str, int]:
    """`host:port` (or `[v6]:port`, or `https://host:port`) into (host, port); InvalidInput otherwise."""
    a = address.strip()
    for scheme in ("https://", "http://"):
        if a.startswith(scheme):
            a = a[len(scheme):].rstrip("/")
    m = _HOST_PORT.match(a)
    if not m:
        raise InvalidInput("invalid node address", f"{address!r} is not host:port (e.g. 192.168.1.10:8000)")
    port = int(m.group(2))
    if not 1 <= port <= 65535:
        raise InvalidInput("invalid node address", f"{address!r}: port must be 1-65535")
    return m.group(1).strip("[]"), port


class SyncSettings(BaseModel):
    model_config = ConfigDict(extra="allow")
    schedule: Literal["daily", "hourly"] | int = "daily"
    notify: bool = True

    @field_validator("schedule")
    @classmethod
    def _positive(cls, v: object) -> object:
        if isinstance(v, int) and v < 10:
            raise ValueError("a schedule in seconds must be at least 10")
        return v

    @property
    def interval_seconds(self) -> int:
        if self.schedule == "daily":
            return 86400
        if self.schedule == "hourly":
            return 3600
        return int(self.schedule)


class Config(BaseModel):
    """Everything a node reads from config.json."""

    model_config = ConfigDict(extra="allow")

    nodes: list[str] = Field(default_factory=list)
    node_name: str = Field(default_factory=socket.gethostname)
    host: str = "0.0.0.0"
    port: int = Field(default=8000, ge=1, le=65535)
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=5000, ge=0, le=65535)
    web_password: str | None = None
    sync: SyncSettings = Field(default_factory=SyncSettings)
    replicas: int | None = Field(default=None, ge=1)
    repair_after: int = Field(default=86400, ge=60)
    max_send_kbps: int | None = Field(default=None, ge=1)
    prune_grace: float = Field(default=3600.0, ge=0)
    sources: list[dict[str, Any]] = Field(default_factory=list)
    retention: dict[str, Any] = Field(default_factory=dict)

    @field_validator("nodes")
    @classmethod
    def _valid_nodes(cls, nodes: list[str]) -> list[str]:
        out: list[str] = []
        for n in nodes:
            try:
                parse_node_address(n)
            except InvalidInput as exc:
                raise ValueError(exc.detail) from None
            if n not in out:
                out.append(n)
        return out


def load_config(path: Path) -> Config:
    """Read config.json (defaults when it does not exist); ConfigError when it is unusable."""
    if not path.exists():
        return Config()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError("cannot read config", f"{path}: {exc}") from exc
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError("invalid config", f"{path}: {_first_error(exc)}") from exc


def validate_config(data: dict[str, Any]) -> Config:
    """Validate a config coming from a user (API, settings panel); InvalidInput when wrong."""
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput("invalid settings", _first_error(exc)) from exc


def _first_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"


def save_config(path: Path, config: Config) -> None:
    """Write config.json atomically (temp file, fsync, rename)."""
    write_atomic(path, (json.dumps(config.model_dump(exclude_none=True), indent=2) + "\n").encode())


def write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        os.write(fd, data)
        os.fsync(fd)
        os.close(fd)
        os.replace(tmp, path)
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
