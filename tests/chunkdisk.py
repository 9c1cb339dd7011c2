"""Reaching chunk blobs on disk from tests, whether a blob is a file of its own or sits in a pack.

Works on the store folder (`<data dir>/chunks`) of a node that is running in another process too:
the pack index is read with its own SQLite connection, as a second process would.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from dlbs.store.chunkstore import Location


def _index(root: Path) -> sqlite3.Connection | None:
    db = root / "packs.db"
    if not db.exists():
        return None
    return sqlite3.connect(db, timeout=30, isolation_level=None)


def held_ids(root: Path) -> set[str]:
    """Hex ids of every blob the store holds: loose files and indexed packed blobs."""
    if not root.exists():
        return set()
    ids = {p.name for p in root.glob("??/*") if p.is_file() and not p.name.startswith(".")}
    conn = _index(root)
    if conn is not None:
        with conn:
            ids |= {bytes(r[0]).hex() for r in conn.execute("SELECT id FROM packed")}
        conn.close()
    return ids


def _cid(chunk_id: bytes | str) -> bytes:
    return bytes.fromhex(chunk_id) if isinstance(chunk_id, str) else chunk_id


def locate(root: Path, chunk_id: bytes | str) -> Location | None:
    cid = _cid(chunk_id)
    conn = _index(root)
    if conn is not None:
        row = conn.execute("SELECT pack, offset, length FROM packed WHERE id = ?", (cid,)).fetchone()
        conn.close()
        if row is not None:
            return Location(root / "packs" / row[0], row[1], row[2], packed=True)
    path = root / cid.hex()[:2] / cid.hex()
    return Location(path, 0, path.stat().st_size, packed=False) if path.exists() else None


def exists(root: Path, chunk_id: bytes | str) -> bool:
    return locate(root, chunk_id) is not None


def blob_bytes(root: Path, chunk_id: bytes | str) -> bytes:
    loc = locate(root, chunk_id)
    assert loc is not None, f"chunk {_cid(chunk_id).hex()} is not on disk"
    with open(loc.path, "rb") as f:
        f.seek(loc.offset)
        return f.read(loc.length)


def flip_byte(root: Path, chunk_id: bytes | str) -> None:
    """Corrupt one byte in the middle of a blob, in place (bit rot)."""
    loc = locate(root, chunk_id)
    assert loc is not None, f"chunk {_cid(chunk_id).hex()} is not on disk"
    with open(loc.path, "r+b") as f:
        f.seek(loc.offset + loc.length // 2)
        b = f.read(1)
        f.seek(loc.offset + loc.length // 2)
        f.write(bytes([b[0] ^ 0x40]))


def remove(root: Path, chunk_id: bytes | str) -> None:
    """Make a blob vanish (a lost file, or a pack entry the index no longer has)."""
    cid = _cid(chunk_id)
    (root / cid.hex()[:2] / cid.hex()).unlink(missing_ok=True)
    conn = _index(root)
    if conn is not None:
        conn.execute("DELETE FROM packed WHERE id = ?", (cid,))
        conn.close()


def disk_bytes(root: Path) -> int:
    """Bytes of chunk data on disk: loose files and pack files."""
    return sum(p.stat().st_size for p in [*root.glob("??/*"), *root.glob("packs/*.pack")] if p.is_file())
