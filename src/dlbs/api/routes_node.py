"""The v2.0 node endpoints, with their v2.0 wire format: /files, /download, /upload, /delete, /health.

They answer on the peer port (behind the cluster credential) and on the web port.
"""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import unquote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel

from dlbs.api.deps import node_of
from dlbs.api.downloads import download_response
from dlbs.api.schemas import seed_file
from dlbs.api.streams import in_thread, stream_to_worker
from dlbs.core.paths import validate_path
from dlbs.errors import InvalidInput

router = APIRouter()


def _local_address(request: Request) -> str:
    """The address this request reached us on: what a peer should dial."""
    server = request.scope.get("server")
    return f"{server[0]}:{server[1]}" if server else "unknown"


@router.get("/health")
async def health(request: Request) -> dict[str, Any]:
    node = node_of(request)
    files = await in_thread(node.repo.catalog.list_files)
    return {
        "status": "healthy",
        "storage_files": len(files),
        "nodes_configured": len(node.config.nodes),
        "local_address": _local_address(request),
        "node_id": node.node_id,
        "node_name": node.node_name,
        "version": node.version,
    }


@router.get("/files")
async def files(request: Request) -> list[dict[str, Any]]:
    node = node_of(request)
    return [seed_file(e) for e in await in_thread(node.repo.list)]


@router.get("/download")
async def download(request: Request, filename: str) -> Response:
    node = node_of(request)
    return await download_response(node.repo, validate_path(filename))


@router.post("/upload")
async def upload(request: Request) -> dict[str, Any]:
    node = node_of(request)
    raw = request.headers.get("filename") or request.query_params.get("filename")
    if not raw:
        raise InvalidInput("missing file name", "send the name in a 'Filename' header (URL-encoded)")
    path = validate_path(header_name(raw))
    v = await stream_to_worker(request.stream(), lambda r: node.repo.put_stream(path, r))
    return {"message": "File uploaded successfully", "filename": v.path, "size": v.size, "hash": v.sha256}


def header_name(raw: str) -> str:
    """A file name from a header: percent-encoded UTF-8 (as v2.0 clients should send), or raw UTF-8."""
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        raw = raw.encode("latin-1").decode("utf-8")
    try:
        return unquote(raw, errors="strict")
    except UnicodeDecodeError:
        raise InvalidInput("invalid file name", "the Filename header is not valid URL-encoded UTF-8") from None


class DeleteBody(BaseModel):
    filename: str


@router.post("/delete")
async def delete(request: Request, body: DeleteBody) -> dict[str, Any]:
    node = node_of(request)
    path = validate_path(body.filename)
    await in_thread(node.repo.delete, path)
    return {"message": "File deleted successfully", "filename": path}
