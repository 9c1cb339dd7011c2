"""The JSON shapes of the HTTP API: v2.0-compatible ones and the richer /api/v1 ones.

Functions from model values to plain JSON, so the wire stays independent of the model.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from dlbs.core.hlc import wall_ms
from dlbs.core.model import FileEntry, StoreStats, Version


def iso(ts_seconds: float) -> str:
    return datetime.fromtimestamp(ts_seconds, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def version_time(v: Version) -> float:
    return wall_ms(v.hlc) / 1000


def seed_file(e: FileEntry) -> dict[str, Any]:
    """v2.0 node `/files` entry."""
    v = e.current
    return {
        "name": v.path,
        "size": v.size,
        "hash": v.sha256,
        "uploaded": iso(version_time(v)),
        "modified": iso(v.mtime_ns / 1e9),
    }


def seed_web_file(e: FileEntry) -> dict[str, Any]:
    """v2.0 web `/api/files` entry."""
    v = e.current
    return {"name": v.path, "size": v.size, "modified": iso(v.mtime_ns / 1e9), "hash": v.sha256}


def version_json(v: Version, number: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "path": v.path,
        "id": str(v.key),
        "origin": v.origin,
        "origin_name": v.node_name,
        "seq": v.seq,
        "time": iso(version_time(v)),
        "timestamp": version_time(v),
        "deleted": v.deleted,
        "size": v.size,
        "mode": v.mode,
        "modified": iso(v.mtime_ns / 1e9),
        "mtime_ns": v.mtime_ns,
        "sha256": v.sha256,
        "chunks": len(v.chunks),
        "supersedes": [str(k) for k in v.supersedes],
    }
    if number is not None:
        out["version"] = number
    return out


def entry_json(e: FileEntry) -> dict[str, Any]:
    out = version_json(e.current)
    out["versions"] = e.versions
    out["conflict"] = e.conflict
    out["conflicting"] = [str(k) for k in e.conflicting]
    return out


def stats_json(s: StoreStats) -> dict[str, Any]:
    dedup = s.referenced_bytes / s.chunk_bytes if s.chunk_bytes else 1.0
    compression = s.chunk_bytes / s.stored_bytes if s.stored_bytes else 1.0
    return {
        "total_files": s.total_files,
        "total_size": s.total_size,
        "total_versions": s.total_versions,
        "chunks": s.chunks,
        "unique_bytes": s.chunk_bytes,
        "stored_bytes": s.stored_bytes,
        "referenced_bytes": s.referenced_bytes,
        "dedup_ratio": round(dedup, 3),
        "compression_ratio": round(compression, 3),
        "space_saving_ratio": round(dedup * compression, 3),
        "integrity_errors": s.integrity_errors,
    }
