"""The data model: chunks, versions and the views built from them. Frozen values only."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

CHUNK_REF = struct.Struct(">32sI")  # chunk id, plaintext length


@dataclass(frozen=True)
class ChunkRef:
    """One chunk of a file: its id and its plaintext length."""

    id: bytes
    length: int


def pack_chunk_refs(refs: list[ChunkRef] | tuple[ChunkRef, ...]) -> bytes:
    return b"".join(CHUNK_REF.pack(r.id, r.length) for r in refs)


def unpack_chunk_refs(blob: bytes) -> tuple[ChunkRef, ...]:
    return tuple(ChunkRef(cid, length) for cid, length in CHUNK_REF.iter_unpack(blob))


@dataclass(frozen=True, order=True)
class VersionKey:
    """A version's identity everywhere in the cluster: the node that made it and its sequence number."""

    origin: str
    seq: int

    def __str__(self) -> str:
        return f"{self.origin}:{self.seq}"


@dataclass(frozen=True)
class Version:
    """One state of one logical path. Never edited; a delete is a version with `deleted=True`.

    `supersedes` lists the versions this one replaced (the path's heads on the node that made
    it); two versions neither of which supersedes the other are concurrent: a conflict.
    """

    origin: str
    seq: int
    path: str
    hlc: int
    deleted: bool
    size: int
    mode: int
    mtime_ns: int
    sha256: str
    chunks: tuple[ChunkRef, ...]
    supersedes: tuple[VersionKey, ...] = ()
    node_name: str = ""
    kind: str = "file"  # file | snapshot | forget: one replicated log holds all three
    meta: str = ""  # JSON for snapshots and forgets; empty for files

    @property
    def key(self) -> VersionKey:
        return VersionKey(self.origin, self.seq)

    @property
    def order(self) -> tuple[int, str, int]:
        """The total order used to pick the newest version: (HLC, node id, sequence)."""
        return (self.hlc, self.origin, self.seq)


KIND_FILE = "file"
KIND_SNAPSHOT = "snapshot"
KIND_FORGET = "forget"
KINDS = (KIND_FILE, KIND_SNAPSHOT, KIND_FORGET)


@dataclass(frozen=True)
class FileEntry:
    """What a listing shows for one path: its current version and how many versions it has."""

    current: Version
    versions: int
    conflict: bool
    conflicting: tuple[VersionKey, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class StoreStats:
    """Numbers for the statistics dashboard and `dlbs status`."""

    total_files: int
    total_size: int
    total_versions: int
    chunks: int
    chunk_bytes: int  # plaintext bytes of unique chunks
    stored_bytes: int  # bytes on disk after dedup, compression and encryption
    referenced_bytes: int  # plaintext bytes all versions reference (before dedup)
    integrity_errors: int
