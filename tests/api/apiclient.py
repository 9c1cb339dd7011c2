"""In-process API helpers: a synchronous client over httpx.ASGITransport (no sockets), a snapshot
of what is on disk to prove a refused request changed nothing, and the error-shape check."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx

from dlbs.service import NodeService


class InProcessClient:
    """A synchronous face over httpx.AsyncClient + ASGITransport, on one private event loop."""

    def __init__(self, app: Any, headers: dict[str, str] | None = None) -> None:
        self._loop = asyncio.new_event_loop()
        self._client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver",
                                         headers=headers or {})

    def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        return self._loop.run_until_complete(self._client.request(method, url, **kw))

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("GET", url, **kw)

    def post(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("POST", url, **kw)

    def put(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("PUT", url, **kw)

    def delete(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("DELETE", url, **kw)

    def close(self) -> None:
        self._loop.run_until_complete(self._client.aclose())
        self._loop.close()


@dataclass(frozen=True)
class DiskState:
    versions: int
    chunk_files: tuple[str, ...]
    catalog_chunks: tuple[int, int, int]
    config: bytes


def disk_state(node: NodeService) -> DiskState:
    root = node.data.chunks
    files = tuple(sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()))
    return DiskState(node.repo.catalog.version_count(), files, node.repo.catalog.chunk_totals(),
                     node.config_path.read_bytes())


def assert_error(resp: httpx.Response, status: int | None = None) -> dict[str, Any]:
    """A clean error: 4xx (or the given status) with a JSON body holding 'error' and 'detail'."""
    ok = 400 <= resp.status_code < 500 if status is None else resp.status_code == status
    assert ok, (
        resp.status_code, resp.text[:300])
    assert resp.headers.get("content-type", "").startswith("application/json"), resp.headers
    body = resp.json()
    assert isinstance(body.get("error"), str) and body["error"], body
    assert isinstance(body.get("detail"), str), body
    return body


NAMES = ["Ünïcode файл.txt", "a&b.txt", "dir/sub dir/50% #1.txt", "x+y=z?.txt", "q'uote\"d.txt", "emoji 😀.bin"]
