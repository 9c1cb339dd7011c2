"""/api/v1: the richer model: listing by prefix, versions, download of any version, streamed
raw uploads to a given path, deletes, restores, stats and the live event stream."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

from dlbs.api.deps import json_body, node_of
from dlbs.api.downloads import download_response
from dlbs.api.schemas import entry_json, stats_json, version_json
from dlbs.api.streams import in_thread, stream_to_worker
from dlbs.core.paths import validate_path
from dlbs.errors import InvalidInput

router = APIRouter(prefix="/api/v1")


def _int_header(request: Request, name: str) -> int | None:
    raw = request.headers.get(name)
    if raw is None:
        return None
    try:
        return int(raw, 0)
    except ValueError:
        raise InvalidInput("invalid header", f"{name} must be an integer") from None


@router.get("/files")
async def list_files(request: Request, prefix: str = "") -> dict[str, Any]:
    node = node_of(request)
    entries = await in_thread(node.repo.list, prefix)
    return {"prefix": prefix, "files": [entry_json(e) for e in entries]}


@router.get("/files/{path:path}")
async def get_file(request: Request, path: str, version: int | None = Query(default=None, ge=1)) -> Response:
    node = node_of(request)
    return await download_response(node.repo, validate_path(path), version)


@router.put("/files/{path:path}")
async def put_file(request: Request, path: str) -> dict[str, Any]:
    """Upload the raw body as a new version of `path`. Optional headers: X-Dlbs-Mtime-Ns,
    X-Dlbs-Mode, X-Dlbs-Sha256 (the upload is refused, and nothing recorded, if it differs)."""
    node = node_of(request)
    validate_path(path)
    mtime_ns = _int_header(request, "x-dlbs-mtime-ns")
    mode = _int_header(request, "x-dlbs-mode")
    expected = request.headers.get("x-dlbs-sha256")
    length = _int_header(request, "content-length")
    v = await stream_to_worker(
        request.stream(),
        lambda r: node.repo.put_stream(
            path, r, mtime_ns=mtime_ns, mode=mode if mode is not None else 0o644, expected_sha256=expected,
            size_hint=length,
        ),
    )
    history = await in_thread(node.repo.history, path)
    return version_json(v, len(history))


@router.delete("/files/{path:path}")
async def delete_file(request: Request, path: str) -> dict[str, Any]:
    node = node_of(request)
    v = await in_thread(node.repo.delete, validate_path(path))
    return {"message": "deleted", "path": v.path, "tombstone": str(v.key)}


@router.get("/history/{path:path}")
async def history(request: Request, path: str) -> dict[str, Any]:
    node = node_of(request)
    vs = await in_thread(node.repo.history, validate_path(path))
    current = None
    conflict = False
    try:
        entry = await in_thread(node.repo.current, path)
        current, conflict = str(entry.current.key), entry.conflict
    except Exception:  # a deleted path still has a history
        pass
    return {
        "path": path,
        "current": current,
        "conflict": conflict,
        "versions": [version_json(v, i) for i, v in enumerate(vs, start=1)],
    }


@router.post("/restore/{path:path}")
async def restore(request: Request, path: str) -> dict[str, Any]:
    node = node_of(request)
    body = await json_body(request)
    number = body.get("version")
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        raise InvalidInput("invalid version", "send {\"version\": N} with N >= 1")
    v = await in_thread(node.repo.restore_version, validate_path(path), number)
    n = len(await in_thread(node.repo.history, path))
    return version_json(v, n)


@router.get("/stats")
async def stats(request: Request) -> dict[str, Any]:
    node = node_of(request)
    return stats_json(await in_thread(node.repo.stats))


@router.get("/status")
async def status(request: Request, refresh: bool = False) -> dict[str, Any]:
    """This node and its peers. Peers not contacted in the last 5 s are contacted now; with
    `refresh=true` (what `dlbs status` asks) every peer is."""
    node = node_of(request)
    await in_thread(node.refresh_peers, 0.0 if refresh else 5.0)
    stats_ = stats_json(await in_thread(node.repo.stats))
    return {
        "node_id": node.node_id,
        "node_name": node.node_name,
        "version": node.version,
        "data_dir": str(node.data.root),
        "uptime": round(time.time() - node.started_at, 1),
        "stats": stats_,
        "nodes": await in_thread(node.peer_status),
    }


@router.get("/config")
async def get_config(request: Request) -> dict[str, Any]:
    node = node_of(request)
    cfg = node.config.model_dump()
    cfg.pop("web_password", None)
    return cfg


@router.post("/config")
async def set_config(request: Request) -> dict[str, Any]:
    node = node_of(request)
    body = await json_body(request)
    allowed = {"nodes", "node_name", "sync", "replicas", "repair_after", "max_send_kbps", "sources", "retention"}
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise InvalidInput("unknown setting", f"these cannot be changed here: {', '.join(unknown)}")
    cfg = await in_thread(node.update_config, body)
    out = cfg.model_dump()
    out.pop("web_password", None)
    return out


@router.get("/events")
async def events(request: Request, after: int = 0) -> StreamingResponse:
    """Server-sent events: recent history first, then live events, with a keep-alive comment."""
    node = node_of(request)
    last_id = request.headers.get("last-event-id")
    if last_id and last_id.isdigit():
        after = int(last_id)

    async def stream() -> AsyncIterator[str]:
        q = node.events.subscribe()
        try:
            for ev in node.events.recent(after):
                yield f"id: {ev.id}\nevent: {ev.kind}\ndata: {json.dumps(ev.to_json())}\n\n"
            yield ": connected\n\n"
            while True:
                try:
                    ev = await asyncio.wait_for(q.get(), timeout=15)
                except TimeoutError:
                    if await request.is_disconnected():
                        return
                    yield ": keep-alive\n\n"
                    continue
                yield f"id: {ev.id}\nevent: {ev.kind}\ndata: {json.dumps(ev.to_json())}\n\n"
        finally:
            node.events.unsubscribe(q)

    return StreamingResponse(
        stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )


@router.post("/nodes/forget")
async def forget_node(request: Request) -> dict[str, Any]:
    node = node_of(request)
    body = await json_body(request)
    node_id = body.get("id")
    if not isinstance(node_id, str) or not node_id:
        raise InvalidInput("invalid node id", "send {\"id\": NODE_ID}")
    await in_thread(node.forget_node, node_id)
    return {"message": "node forgotten", "id": node_id}


@router.get("/events/recent")
async def recent_events(request: Request, after: int = 0) -> dict[str, Any]:
    node = node_of(request)
    return {"events": [e.to_json() for e in node.events.recent(after)]}
