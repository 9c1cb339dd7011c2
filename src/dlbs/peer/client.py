"""The client side of the peer protocol: one `PeerClient` per peer address.

Every failure becomes a PeerError whose `reason` says why, in the words `dlbs status` shows:
connection refused, timeout, TLS failure (not a node of this cluster), credential mismatch,
a different cluster, or a malformed answer.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Iterator
from typing import Any

import httpx

from dlbs.config import parse_node_address
from dlbs.errors import PeerError
from dlbs.peer.protocol import FrameReader

log = logging.getLogger(__name__)


class PeerUnreachable(PeerError):
    """The peer could not be reached or refused us; `reason` is the short explanation."""

    def __init__(self, address: str, reason: str) -> None:
        super().__init__(f"peer {address} unreachable", reason)
        self.reason = reason


def _explain(exc: Exception) -> str:
    text = f"{exc} {exc.__cause__ or ''} {exc.__context__ or ''}".lower()
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if "refused" in text:
        return "connection refused"
    if "certificate verify failed" in text or "unknown ca" in text or "bad certificate" in text \
            or "certificate required" in text:
        return "TLS failure: not a node of this cluster (certificate not signed by our cluster CA)"
    if "wrong version number" in text or "record layer failure" in text or "http_request" in text:
        return "TLS failure: the peer does not speak TLS (not a dlbs 3 node?)"
    if "ssl" in text or "tls" in text:
        return f"TLS failure: {exc}"
    if "name or service not known" in text or "nodename nor servname" in text:
        return "unknown host"
    if "no route" in text or "unreachable" in text:
        return "host unreachable"
    return str(exc) or type(exc).__name__


class PeerClient:
    """Talks to one peer's `/peer/v1` API over TLS with the cluster credential. Thread-safe."""

    def __init__(self, address: str, ctx: ssl.SSLContext, token: str, timeout: float = 10.0) -> None:
        host, port = parse_node_address(address)
        self.address = address
        netloc = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        self._http = httpx.Client(
            base_url=f"https://{netloc}", verify=ctx, timeout=httpx.Timeout(timeout, connect=5.0),
            headers={"Authorization": f"Bearer {token}", "User-Agent": "dlbs-peer/1"},
            limits=httpx.Limits(max_connections=8, max_keepalive_connections=4, keepalive_expiry=5.0), trust_env=False,
        )

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, url: str, **kw: Any) -> httpx.Response:
        try:
            resp = self._http.request(method, url, **kw)
        except httpx.HTTPError as exc:
            raise PeerUnreachable(self.address, _explain(exc)) from None
        except ssl.SSLError as exc:
            raise PeerUnreachable(self.address, _explain(exc)) from None
        self._check(resp)
        return resp

    def _check(self, resp: httpx.Response) -> None:
        if resp.status_code == 401:
            raise PeerUnreachable(self.address, "credential mismatch: the peer does not accept our cluster token")
        if resp.status_code >= 400:
            try:
                body = resp.json()
                detail = f"{body.get('error')}: {body.get('detail')}"
            except ValueError:
                detail = resp.text[:200]
            raise PeerError(f"peer {self.address} refused the request", f"HTTP {resp.status_code} {detail}")

    def _json(self, method: str, url: str, **kw: Any) -> Any:
        try:
            return self._call(method, url, **kw).json()
        except ValueError:
            raise PeerError(f"peer {self.address} sent malformed JSON", url) from None

    def health(self) -> dict[str, Any]:
        return dict(self._json("GET", "/health"))

    def hello(self) -> dict[str, Any]:
        return dict(self._json("GET", "/peer/v1/hello", timeout=httpx.Timeout(10.0, connect=3.0)))

    def join(self, node_id: str, name: str, port: int) -> dict[str, Any]:
        return dict(self._json("POST", "/peer/v1/join", json={"node_id": node_id, "node_name": name, "port": port}))

    def versions(self, vector: dict[str, int], limit: int) -> dict[str, Any]:
        return dict(self._json("POST", "/peer/v1/versions", json={"vector": vector, "limit": limit}))

    def notify(self, node_id: str) -> None:
        self._call("POST", "/peer/v1/notify", json={"node_id": node_id}, timeout=5.0)

    def sync_request(self, node_id: str) -> dict[str, Any]:
        return dict(self._json("POST", "/peer/v1/sync", json={"node_id": node_id}, timeout=600.0))

    def get_chunk(self, chunk_id: bytes) -> bytes | None:
        try:
            resp = self._http.get(f"/peer/v1/chunks/{chunk_id.hex()}")
        except httpx.HTTPError as exc:
            raise PeerUnreachable(self.address, _explain(exc)) from None
        if resp.status_code == 404:
            return None
        self._check(resp)
        return resp.content

    def has_chunks(self, ids: list[bytes]) -> list[bytes]:
        """Which of `ids` the peer holds (and can serve verified)."""
        body = self._json("POST", "/peer/v1/chunks/has", json={"ids": [i.hex() for i in ids]})
        try:
            return [bytes.fromhex(h) for h in body.get("have", [])]
        except (TypeError, ValueError, AttributeError):
            raise PeerError(f"peer {self.address} sent a malformed chunk list", "has") from None

    def fetch_chunks(self, ids: list[bytes]) -> Iterator[tuple[bytes, bytes | None]]:
        """Stream the sealed blobs of `ids` (None for those the peer lacks), in bounded memory."""
        body = {"ids": [i.hex() for i in ids]}
        try:
            with self._http.stream("POST", "/peer/v1/chunks/batch", json=body,
                                   timeout=httpx.Timeout(120.0, connect=5.0)) as resp:
                if resp.status_code >= 400:
                    resp.read()
                    self._check(resp)
                yield from FrameReader(resp.iter_raw(1 << 20))
        except httpx.HTTPError as exc:
            raise PeerUnreachable(self.address, _explain(exc)) from None
