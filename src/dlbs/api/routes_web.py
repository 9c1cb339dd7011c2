"""The v2.0 web endpoints with their v2.0 shapes: /api/files, /api/upload, /api/delete/<f>,
/api/download/<f>, /api/sync, /api/stats, /api/nodes. `<f>` may contain '/' (folders)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile  # what request.form() returns (FastAPI's is a subclass)

from dlbs.api.deps import json_body, node_of
from dlbs.api.downloads import download_response
from dlbs.api.schemas import seed_web_file, stats_json
from dlbs.api.streams import in_thread
from dlbs.core.paths import validate_path
from dlbs.errors import InvalidInput

router = APIRouter(prefix="/api")


@router.get("/files")
async def files(request: Request) -> list[dict[str, Any]]:
    node = node_of(request)
    return [seed_web_file(e) for e in await in_thread(node.repo.list)]


@router.post("/upload")
async def upload(request: Request) -> dict[str, Any]:
    node = node_of(request)
    ctype = request.headers.get("content-type", "")
    if not ctype.startswith("multipart/form-data"):
        raise InvalidInput("expected a form upload", "send multipart/form-data with the file in field 'file'")
    form = await request.form()
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput("missing file", "the form has no file in field 'file'")
        folder = form.get("path") or form.get("folder") or ""
        if not isinstance(folder, str):
            raise InvalidInput("invalid folder", "'path' must be text")
        name = f"{folder.strip('/')}/{upload.filename}" if folder.strip("/") else upload.filename
        path = validate_path(name)
        v = await in_thread(lambda: node.repo.put_stream(path, upload.file))  # type: ignore[arg-type]
    finally:
        await form.close()
    return {"message": "File uploaded successfully", "filename": v.path, "hash": v.sha256, "size": v.size}


@router.delete("/delete/{filename:path}")
async def delete(request: Request, filename: str) -> dict[str, Any]:
    node = node_of(request)
    path = validate_path(filename)
    await in_thread(node.repo.delete, path)
    return {"message": "File deleted successfully", "filename": path}


@router.get("/download/{filename:path}")
async def download(request: Request, filename: str) -> Response:
    node = node_of(request)
    return await download_response(node.repo, validate_path(filename))


@router.get("/stats")
async def stats(request: Request) -> dict[str, Any]:
    node = node_of(request)
    s = stats_json(await in_thread(node.repo.stats))
    s.update(await in_thread(node.cluster_stats))
    s["node_id"] = node.node_id
    s["node_name"] = node.node_name
    return s


@router.post("/sync")
async def sync(request: Request) -> dict[str, Any]:
    """Sync now, both directions: pull from every peer, then ask each to pull from us."""
    node = node_of(request)
    results = await node.scheduler.sync_now()
    ok = sum(1 for r in results if r.status == "ok")
    message = "no peers configured" if not results else f"synced with {ok} of {len(results)} peer(s)"
    return {"message": message, "results": [r.to_json() for r in results]}


@router.get("/nodes")
async def get_nodes(request: Request) -> dict[str, Any]:
    node = node_of(request)
    return {"nodes": list(node.config.nodes), "details": await in_thread(node.peer_status)}


@router.post("/nodes")
async def set_nodes(request: Request) -> dict[str, Any]:
    node = node_of(request)
    body = await json_body(request)
    nodes = body.get("nodes")
    if not isinstance(nodes, list) or not all(isinstance(n, str) for n in nodes):
        raise InvalidInput("invalid nodes", "send {\"nodes\": [\"host:port\", ...]}")
    cfg = await in_thread(node.update_config, {"nodes": [n.strip() for n in nodes if n.strip()]})
    return {"message": "Nodes updated", "nodes": cfg.nodes}

