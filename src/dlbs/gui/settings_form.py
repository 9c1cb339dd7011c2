"""The settings the user types (peers, sync schedule, replicas), checked before anything is sent.

Pure (no tkinter): `parse_settings` turns the raw text of the form into the two requests the node
takes (POST /api/nodes and POST /api/v1/config) or raises InvalidInput naming the bad field. The
node validates again; its error detail is shown as is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dlbs.errors import InvalidInput

_HOST_PORT = re.compile(r"^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$")
SCHEDULES = ("daily", "hourly")
MIN_INTERVAL = 10


@dataclass(frozen=True)
class Settings:
    """A validated settings change: the peers, the schedule and the replica count (None = all)."""

    nodes: list[str] = field(default_factory=list)
    schedule: str | int = "daily"
    replicas: int | None = None

    def config_change(self, current_sync: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The body of POST /api/v1/config; keeps the other keys of `sync` (the node replaces it whole)."""
        sync = dict(current_sync or {})
        sync["schedule"] = self.schedule
        return {"sync": sync, "replicas": self.replicas}


def parse_nodes(text: str) -> list[str]:
    """One `host:port` per line (commas and spaces also separate); duplicates dropped, order kept."""
    out: list[str] = []
    for raw in re.split(r"[\s,]+", text.strip()):
        if not raw:
            continue
        addr = raw
        for scheme in ("https://", "http://"):
            if addr.startswith(scheme):
                addr = addr[len(scheme):].rstrip("/")
        m = _HOST_PORT.match(addr)
        if not m:
            raise InvalidInput("invalid node address", f"{raw!r} is not host:port (e.g. 192.168.1.10:8000)")
        if not 1 <= int(m.group(2)) <= 65535:
            raise InvalidInput("invalid node address", f"{raw!r}: the port must be 1-65535")
        if raw not in out:
            out.append(raw)
    return out


def parse_schedule(text: str) -> str | int:
    """`daily`, `hourly`, or a whole number of seconds (at least 10)."""
    value = text.strip().lower()
    if value in SCHEDULES:
        return value
    if value.endswith("s") and value[:-1].strip().isdigit():
        value = value[:-1].strip()
    if not value.isdigit():
        raise InvalidInput("invalid sync schedule", f"{text.strip()!r}: use daily, hourly or a number of seconds")
    seconds = int(value)
    if seconds < MIN_INTERVAL:
        raise InvalidInput("invalid sync schedule", f"sync at most every {MIN_INTERVAL} seconds (got {seconds})")
    return seconds


def parse_replicas(text: str) -> int | None:
    """Blank or `all` means every node keeps every chunk; otherwise a whole number >= 1."""
    value = text.strip().lower()
    if value in {"", "all", "every node"}:
        return None
    if not value.isdigit() or int(value) < 1:
        raise InvalidInput("invalid replicas", f"{text.strip()!r}: use a whole number >= 1, or leave it blank")
    return int(value)


def parse_settings(nodes: str, schedule: str, replicas: str) -> Settings:
    return Settings(parse_nodes(nodes), parse_schedule(schedule), parse_replicas(replicas))


def form_values(config: Mapping[str, Any]) -> tuple[str, str, str]:
    """The text a form shows for a node's config: (nodes, one per line; schedule; replicas)."""
    nodes = "\n".join(str(n) for n in config.get("nodes") or [])
    sync = config.get("sync") or {}
    schedule = str(sync.get("schedule", "daily")) if isinstance(sync, Mapping) else "daily"
    replicas = config.get("replicas")
    return nodes, schedule, "" if replicas is None else str(replicas)
