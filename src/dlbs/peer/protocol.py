"""The wire format between nodes (`/peer/v1/...`), separate from the model it carries.

Versions travel as JSON objects (`version_to_wire` / `version_from_wire`, which validates
everything a peer sends: a malformed entry is rejected, never half-merged). Chunks travel in
batches as a stream of frames:

    id      32 bytes   the chunk id
    length   4 bytes   big-endian length of the sealed blob; 0 = "I do not have this chunk"
    blob     length    the sealed chunk exactly as stored (see core/codec.py)

The receiver opens (decrypts and re-hashes) every blob before storing it, so a peer cannot slip in
bytes that do not match their id.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterable, Iterator
from typing import Any

from dlbs.core.model import KIND_FILE, KINDS, ChunkRef, Version, VersionKey
from dlbs.core.paths import validate_path
from dlbs.errors import InvalidInput, PeerError

PROTOCOL = 1
CHUNK_ID_HEX = re.compile(r"[0-9a-f]{64}")
FRAME = struct.Struct(">32sI")
MAX_BLOB = 8 * 1024 * 1024  # a sealed 4 MiB chunk is a little larger; anything above is a lie


def version_to_wire(v: Version) -> dict[str, Any]:
    return {
        "origin": v.origin,
        "seq": v.seq,
        "path": v.path,
        "hlc": v.hlc,
        "deleted": v.deleted,
        "size": v.size,
        "mode": v.mode,
        "mtime_ns": v.mtime_ns,
        "sha256": v.sha256,
        "chunks": [[c.id.hex(), c.length] for c in v.chunks],
        "supersedes": [[k.origin, k.seq] for k in v.supersedes],
        "node_name": v.node_name,
        "kind": v.kind,
        "meta": v.meta,
    }


def _int(d: dict[str, Any], key: str, lo: int = 0) -> int:
    v = d.get(key)
    if not isinstance(v, int) or isinstance(v, bool) or v < lo:
        raise PeerError("malformed version from peer", f"field {key!r} is not an integer >= {lo}")
    return v


def _str(d: dict[str, Any], key: str) -> str:
    v = d.get(key)
    if not isinstance(v, str):
        raise PeerError("malformed version from peer", f"field {key!r} is not a string")
    return v


def version_from_wire(d: Any) -> Version:
    if not isinstance(d, dict):
        raise PeerError("malformed version from peer", "not an object")
    try:
        path = validate_path(d.get("path"))
    except InvalidInput as exc:
        raise PeerError("malformed version from peer", f"bad path: {exc.detail}") from None
    chunks_raw = d.get("chunks")
    sup_raw = d.get("supersedes")
    if not isinstance(chunks_raw, list) or not isinstance(sup_raw, list):
        raise PeerError("malformed version from peer", "chunks and supersedes must be lists")
    try:
        chunks = tuple(ChunkRef(bytes.fromhex(h), int(n)) for h, n in chunks_raw)
        supersedes = tuple(VersionKey(str(o), int(s)) for o, s in sup_raw)
    except (TypeError, ValueError) as exc:
        raise PeerError("malformed version from peer", f"bad chunk or supersedes list: {exc}") from None
    if any(len(c.id) != 32 or c.length <= 0 for c in chunks):
        raise PeerError("malformed version from peer", "bad chunk reference")
    deleted = d.get("deleted")
    if not isinstance(deleted, bool):
        raise PeerError("malformed version from peer", "field 'deleted' is not a boolean")
    size = _int(d, "size")
    kind = d.get("kind", KIND_FILE)
    meta = d.get("meta", "")
    if kind not in KINDS or not isinstance(meta, str):
        raise PeerError("malformed version from peer", f"unknown kind {kind!r} (update dlbs on this node?)")
    if kind == KIND_FILE and not deleted and sum(c.length for c in chunks) != size:
        raise PeerError("malformed version from peer", f"chunk lengths do not add up to the size of {path}")
    return Version(
        origin=_str(d, "origin"),
        seq=_int(d, "seq", 1),
        path=path,
        hlc=_int(d, "hlc"),
        deleted=deleted,
        size=size,
        mode=_int(d, "mode"),
        mtime_ns=_int(d, "mtime_ns"),
        sha256=_str(d, "sha256"),
        chunks=chunks,
        supersedes=supersedes,
        node_name=str(d.get("node_name", "")),
        kind=kind,
        meta=meta,
    )


def encode_frames(items: Iterable[tuple[bytes, bytes | None]]) -> Iterator[bytes]:
    for cid, blob in items:
        if blob is None:
            yield FRAME.pack(cid, 0)
        else:
            yield FRAME.pack(cid, len(blob)) + blob


class FrameReader:
    """Parses a stream of frames from byte pieces of any size, in bounded memory.

    Reads by offset into one buffer and compacts it only when the consumed part is the larger
    half, so a frame costs one copy (into its blob), not one per piece.
    """

    def __init__(self, pieces: Iterable[bytes]) -> None:
        self._pieces = iter(pieces)
        self._buf = bytearray()
        self._pos = 0

    def _fill(self, n: int) -> bool:
        while len(self._buf) - self._pos < n:
            try:
                piece = next(self._pieces)
            except StopIteration:
                return False
            if self._pos and self._pos >= len(self._buf) // 2:
                del self._buf[: self._pos]
                self._pos = 0
            self._buf += piece
        return True

    def _take(self, n: int) -> bytes:
        out = bytes(self._buf[self._pos : self._pos + n])
        self._pos += n
        return out

    def __iter__(self) -> Iterator[tuple[bytes, bytes | None]]:
        while True:
            if not self._fill(FRAME.size):
                if len(self._buf) > self._pos:
                    raise PeerError("truncated chunk stream", "the peer stopped in the middle of a frame header")
                return
            cid, length = FRAME.unpack(self._take(FRAME.size))
            if length == 0:
                yield cid, None
                continue
            if length > MAX_BLOB:
                raise PeerError("bad chunk stream", f"the peer announced a {length}-byte chunk")
            if not self._fill(length):
                raise PeerError("truncated chunk stream", "the peer stopped in the middle of a chunk")
            yield cid, self._take(length)
