"""The cluster's members as this node knows them: id, name, address, when last seen and synced.

Kept in the catalog database (table `members`) so it survives restarts. Addresses come from
config.json's `nodes`, from `dlbs join`, and from peers telling us whom they know (gossip).
A member removed with `dlbs forget-node` stays listed as removed, so gossip cannot bring it back.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from dlbs.store.catalog import Catalog

SCHEMA = """
CREATE TABLE IF NOT EXISTS members (
    node_id TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT '',
    last_seen REAL,
    last_sync REAL,
    bytes_stored INTEGER,
    removed INTEGER NOT NULL DEFAULT 0,
    updated REAL NOT NULL
);
"""


@dataclass(frozen=True)
class Member:
    node_id: str
    name: str
    address: str
    last_seen: float | None
    last_sync: float | None
    bytes_stored: int | None
    removed: bool


class Members:
    """Reads and writes the members table. Thread-safe (it goes through the Catalog)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        with catalog.write() as w:
            w.execute(SCHEMA.strip().rstrip(";"))

    def all(self) -> list[Member]:
        rows = self.catalog.reader().execute(
            "SELECT node_id, name, address, last_seen, last_sync, bytes_stored, removed FROM members ORDER BY name"
        ).fetchall()
        return [Member(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6])) for r in rows]

    def get(self, node_id: str) -> Member | None:
        for m in self.all():
            if m.node_id == node_id:
                return m
        return None

    def by_address(self, address: str) -> Member | None:
        for m in self.all():
            if m.address == address:
                return m
        return None

    def seen(self, node_id: str, name: str, address: str | None, bytes_stored: int | None = None) -> None:
        """Record a successful contact with a member at `address`."""
        now = time.time()
        with self.catalog.write() as w:
            w.execute(
                "INSERT INTO members (node_id, name, address, last_seen, bytes_stored, updated) VALUES (?,?,?,?,?,?) "
                "ON CONFLICT(node_id) DO UPDATE SET name=excluded.name, last_seen=excluded.last_seen, "
                "address=CASE WHEN excluded.address != '' THEN excluded.address ELSE members.address END, "
                "bytes_stored=COALESCE(excluded.bytes_stored, members.bytes_stored), updated=excluded.updated",
                (node_id, name, address or "", now, bytes_stored, now),
            )

    def learn(self, node_id: str, name: str, address: str) -> bool:
        """Add a member we heard of from a peer, if unknown; returns True if it was new."""
        with self.catalog.write() as w:
            cur = w.execute(
                "INSERT OR IGNORE INTO members (node_id, name, address, updated) VALUES (?,?,?,?)",
                (node_id, name, address, time.time()),
            )
            return cur.rowcount > 0

    def synced(self, node_id: str) -> None:
        with self.catalog.write() as w:
            w.execute("UPDATE members SET last_sync = ? WHERE node_id = ?", (time.time(), node_id))

    def remove(self, node_id: str) -> None:
        now = time.time()
        with self.catalog.write() as w:
            w.execute(
                "INSERT INTO members (node_id, removed, updated) VALUES (?, 1, ?) "
                "ON CONFLICT(node_id) DO UPDATE SET removed = 1, updated = excluded.updated",
                (node_id, now),
            )

    def live_ids(self, now: float, repair_after: float) -> list[str]:
        """Members that count for placement: not removed, and seen within `repair_after`."""
        return [
            m.node_id for m in self.all()
            if not m.removed and m.last_seen is not None and now - m.last_seen <= repair_after
        ]
