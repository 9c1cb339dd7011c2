"""The replication API on the peer port (`/peer/v1/...`): hello, join, versions, chunks, notify, sync.

Served only behind TLS and the cluster credential (see api/app.py). Answers are in the wire format
of peer/protocol.py.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from dlbs.api.deps import json_body, node_of
from dlbs.api.streams import in_thread
from dlbs.config import parse_node_address
from dlbs.errors import InvalidInput, NotFound
from dlbs.peer.protocol import CHUNK_ID_HEX, PROTOCOL, encode_frames, version_to_wire
from dlbs.service import NodeService

router = APIRouter(prefix="/peer/v1")
MAX_IDS = 1024
MAX_VERSIONS = 5000
FRAMES_PER_READ = 4  # chunks read per thread hop when streaming a batch


def hello_body(node: NodeService) -> dict[str, Any]:
    n, _plain, stored = node.repo.catalog.chunk_totals()
    members = node.members.all()
    return {
        "protocol": PROTOCOL,
        "node_id": node.node_id,
        "node_name": node.node_name,
        "cluster_id": node.cluster.cluster_id,
        "version": node.version,
        "port": node.bound_ports[0] or node.config.port,
        "vector": node.repo.catalog.version_vector(),
        "hlc": node.repo.clock.last,
        "members": [{"node_id": m.node_id, "name": m.name, "address": m.address}
                    for m in members if not m.removed and m.address],
        "removed": [m.node_id for m in members if m.removed],
        "bytes_stored": stored,
        "chunks": n,
    }


@router.get("/hello")
async def hello(request: Request) -> dict[str, Any]:
    return await in_thread(hello_body, node_of(request))


@router.post("/join")
async def join(request: Request) -> dict[str, Any]:
    """A new device announces itself: remember it under the address it came from."""
    node = node_of(request)
    body = await json_body(request)
    node_id, name, port = body.get("node_id"), body.get("node_name", ""), body.get("port")
    if not isinstance(node_id, str) or not node_id or not isinstance(port, int) or not 1 <= port <= 65535:
        raise InvalidInput("invalid join", "send {\"node_id\": str, \"node_name\": str, \"port\": int}")
    host = request.client.host if request.client else "127.0.0.1"
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    parse_node_address(address)
    await in_thread(node.add_member, node_id, str(name), address)
    return await in_thread(hello_body, node)


@router.post("/versions")
async def versions(request: Request) -> dict[str, Any]:
    node = node_of(request)
    body = await json_body(request)
    vector, limit = body.get("vector", {}), body.get("limit", 500)
    if not isinstance(vector, dict) or not all(isinstance(v, int) for v in vector.values()):
        raise InvalidInput("invalid vector", "send {\"vector\": {origin: seq}}")
    if not isinstance(limit, int) or not 1 <= limit <= MAX_VERSIONS:
        raise InvalidInput("invalid limit", f"limit must be 1..{MAX_VERSIONS}")

    def collect() -> dict[str, Any]:
        catalog = node.repo.catalog
        out: list[dict[str, Any]] = []
        more = False
        for origin, top in sorted(catalog.version_vector().items()):
            have = int(vector.get(origin, 0))
            if top <= have:
                continue
            room = limit - len(out)
            if room <= 0:
                more = True
                break
            batch = catalog.versions_since(origin, have, room)
            out.extend(version_to_wire(v) for v in batch)
            if batch and batch[-1].seq < top:
                more = True
        return {"versions": out, "more": more}

    return await in_thread(collect)


def _parse_ids(raw: object, limit: int = MAX_IDS) -> list[bytes]:
    if not isinstance(raw, list) or len(raw) > limit or not all(
        isinstance(i, str) and CHUNK_ID_HEX.fullmatch(i) for i in raw
    ):
        raise InvalidInput("invalid chunk ids", f"send up to {limit} 64-hex-digit chunk ids")
    return [bytes.fromhex(i) for i in raw]  # type: ignore[arg-type]


@router.post("/chunks/batch")
async def chunks_batch(request: Request) -> StreamingResponse:
    node = node_of(request)
    body = await json_body(request)
    ids = _parse_ids(body.get("ids"))
    kbps = node.config.max_send_kbps

    def read_group(group: list[bytes]) -> bytes:
        # Sent as stored: the receiver opens and verifies every blob (and rejects a bad one), so
        # the sender does not pay for a second decryption.
        return b"".join(encode_frames((cid, node.read_stored(cid)) for cid in group))

    async def frames() -> AsyncIterator[bytes]:
        started = time.monotonic()
        sent = 0
        for i in range(0, len(ids), FRAMES_PER_READ):
            data = await in_thread(read_group, ids[i : i + FRAMES_PER_READ])
            yield data
            if kbps:
                sent += len(data)
                ahead = sent / (kbps * 1024) - (time.monotonic() - started)
                if ahead > 0:
                    await asyncio.sleep(ahead)

    return StreamingResponse(frames(), media_type="application/octet-stream")


@router.post("/chunks/has")
async def chunks_has(request: Request) -> dict[str, Any]:
    """Which of the given chunks this node holds (recorded in its catalog and present on disk)."""
    node = node_of(request)
    body = await json_body(request)
    ids = _parse_ids(body.get("ids"), limit=1000)

    def have() -> list[str]:
        catalog, store = node.repo.catalog, node.repo.store
        return [cid.hex() for cid in ids if catalog.has_chunk(cid) and store.has(cid)]

    return {"have": await in_thread(have)}


@router.get("/chunks/{chunk_id}")
async def chunk(request: Request, chunk_id: str) -> Response:
    node = node_of(request)
    if not CHUNK_ID_HEX.fullmatch(chunk_id):
        raise InvalidInput("invalid chunk id", "a chunk id is 64 hex digits")
    blob = await in_thread(node.read_sealed, bytes.fromhex(chunk_id))
    if blob is None:
        raise NotFound("chunk not found", chunk_id)
    return Response(blob, media_type="application/octet-stream")


async def _caller_id(request: Request, error: str) -> str:
    """The calling node's id from a `{"node_id": str}` body."""
    node_id = (await json_body(request)).get("node_id")
    if not isinstance(node_id, str):
        raise InvalidInput(error, "send {\"node_id\": str}")
    return node_id


@router.post("/notify")
async def notify(request: Request) -> dict[str, Any]:
    node = node_of(request)
    node_id = await _caller_id(request, "invalid notify")
    queued = node.scheduler.request_pull_from(node_id)
    return {"queued": queued}


@router.post("/sync")
async def sync(request: Request) -> dict[str, Any]:
    """The caller asks us to pull from it now (the other half of its 'sync now')."""
    node = node_of(request)
    node_id = await _caller_id(request, "invalid sync request")
    result = await node.scheduler.pull_node_now(node_id)
    return result.to_json() if result else {"status": "unknown node", "node": node_id}
