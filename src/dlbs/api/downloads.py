"""Streaming a version's bytes to a client, verified chunk by chunk, in bounded memory.

The first chunk is read and verified before the status line is sent, so a corrupt single-chunk
file is a clean JSON error. A chunk that fails later aborts the connection: the client sees a
short body (its Content-Length is not met), never wrong bytes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from urllib.parse import quote

from fastapi.responses import Response, StreamingResponse

from dlbs.api.streams import in_thread
from dlbs.core.model import Version
from dlbs.errors import DlbsError
from dlbs.store.repository import Repository

log = logging.getLogger(__name__)


def content_disposition(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "_").replace("\\", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


async def download_response(repo: Repository, path: str, number: int | None = None) -> Response:
    v: Version = await in_thread(repo.version, path, number)
    chunks = repo.read_version(v)
    first: bytes = await in_thread(next, chunks, b"")

    def body() -> Iterator[bytes]:
        yield first
        try:
            yield from chunks
        except DlbsError as exc:
            log.error("download of %s aborted: %s", v.path, exc)
            raise

    return StreamingResponse(
        body(),
        media_type="application/octet-stream",
        headers={
            "Content-Length": str(v.size),
            "Content-Disposition": content_disposition(v.path),
            "X-Dlbs-Sha256": v.sha256,
            "X-Dlbs-Version": str(v.key),
            "ETag": f'"{v.sha256}"',
        },
    )
