"""A client of a node's web port: what the CLI and the desktop app use to talk to a node.

Every method is one HTTP call; errors come back as the DlbsError the node reported (or a
PeerError saying why the node could not be reached), never as an httpx exception.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from dlbs import errors
from dlbs.errors import DlbsError, PeerError

DEFAULT_NODE = "http://127.0.0.1:5000"
PIECE = 1 << 20

_BY_CODE: dict[str, type[DlbsError]] = {
    cls.code: cls
    for cls in (errors.InvalidInput, errors.NotFound, errors.Unauthorized, errors.Conflict,
                errors.IntegrityError, errors.StorageError, errors.PeerError, errors.ConfigError)
}


def default_node_url() -> str:
    return os.environ.get("DLBS_NODE", DEFAULT_NODE).rstrip("/")


def quote_path(path: str) -> str:
    return quote(path, safe="/")


def _raise_for(resp: httpx.Response) -> None:
    if resp.status_code < 400:
        return
    try:
        body = resp.json()
        message, detail, code = body.get("error", "error"), body.get("detail", ""), body.get("code", "")
    except ValueError:
        message, detail, code = f"HTTP {resp.status_code}", resp.text[:200], ""
    cls = _BY_CODE.get(code, DlbsError)
    raise cls(message, detail)


class NodeClient:
    """Talks to one node's web port. Not thread-safe per call stream, but cheap to make per thread."""

    def __init__(self, base_url: str | None = None, timeout: float = 30.0, auth: tuple[str, str] | None = None) -> None:
        self.base_url = (base_url or default_node_url()).rstrip("/")
        if "://" not in self.base_url:
            self.base_url = "http://" + self.base_url
        self._http = httpx.Client(base_url=self.base_url, timeout=httpx.Timeout(timeout, connect=5.0), auth=auth)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> NodeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        try:
            resp = self._http.request(method, url, **kw)
        except httpx.ConnectError as exc:
            raise PeerError(
                f"cannot reach the node at {self.base_url}",
                f"{_reason(exc)}; is `dlbs node` running? (--node URL or DLBS_NODE picks another)",
            ) from None
        except httpx.TimeoutException:
            raise PeerError(f"the node at {self.base_url} did not answer in time", "timeout") from None
        except httpx.HTTPError as exc:
            raise PeerError(f"talking to the node at {self.base_url} failed", str(exc)) from None
        _raise_for(resp)
        return resp

    def _json(self, method: str, url: str, **kw: Any) -> Any:
        return self._request(method, url, **kw).json()

    # ---- files --------------------------------------------------------------------------------

    def list(self, prefix: str = "") -> list[dict[str, Any]]:
        return list(self._json("GET", "/api/v1/files", params={"prefix": prefix})["files"])

    def history(self, path: str) -> dict[str, Any]:
        return dict(self._json("GET", f"/api/v1/history/{quote_path(path)}"))

    def delete(self, path: str) -> dict[str, Any]:
        return dict(self._json("DELETE", f"/api/v1/files/{quote_path(path)}"))

    def restore(self, path: str, version: int) -> dict[str, Any]:
        return dict(self._json("POST", f"/api/v1/restore/{quote_path(path)}", json={"version": version}))

    def upload(self, local: Path, path: str, progress: Callable[[int], None] | None = None) -> dict[str, Any]:
        """Stream `local` to the node as a new version of `path`; verifies the node's sha256."""
        st = local.stat()
        sha = hashlib.sha256()

        def body() -> Iterator[bytes]:
            with local.open("rb") as f:
                while piece := f.read(PIECE):
                    sha.update(piece)
                    if progress:
                        progress(len(piece))
                    yield piece

        headers = {
            "Content-Type": "application/octet-stream",
            "Content-Length": str(st.st_size),
            "X-Dlbs-Mtime-Ns": str(st.st_mtime_ns),
            "X-Dlbs-Mode": str(st.st_mode & 0o7777),
        }
        result = dict(self._json("PUT", f"/api/v1/files/{quote_path(path)}", content=body(), headers=headers,
                                 timeout=httpx.Timeout(None, connect=5.0)))
        if result.get("sha256") != sha.hexdigest():
            raise errors.IntegrityError("upload verification failed",
                                        f"{local} changed while it was uploaded, or the node stored other bytes")
        return result

    def download(self, path: str, out: Path | None, version: int | None = None,
                 progress: Callable[[int, int], None] | None = None, overwrite: bool = False) -> dict[str, Any]:
        """Stream a file to `out` (None: stdout) via a temp file; verified against its sha256."""
        params = {"version": version} if version else None
        url = f"/api/v1/files/{quote_path(path)}"
        if out is not None and out.exists() and not overwrite:
            raise errors.InvalidInput("output exists", f"{out} already exists (use --force to overwrite)")
        try:
            with self._http.stream("GET", url, params=params, timeout=httpx.Timeout(60.0, connect=5.0)) as resp:
                if resp.status_code >= 400:
                    resp.read()
                    _raise_for(resp)
                total = int(resp.headers.get("content-length", "0"))
                expected = resp.headers.get("x-dlbs-sha256", "")
                return _save_stream(resp.iter_raw(PIECE), out, total, expected, progress)
        except httpx.ConnectError as exc:
            raise PeerError(f"cannot reach the node at {self.base_url}", _reason(exc)) from None
        except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
            raise errors.IntegrityError(
                "download interrupted", f"the node stopped sending {path} ({exc}); see `dlbs status`"
            ) from None

    # ---- node ---------------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        return dict(self._json("GET", "/api/stats"))

    def health(self) -> dict[str, Any]:
        return dict(self._json("GET", "/health"))

    def nodes(self) -> dict[str, Any]:
        return dict(self._json("GET", "/api/nodes"))

    def set_nodes(self, nodes: list[str]) -> dict[str, Any]:
        return dict(self._json("POST", "/api/nodes", json={"nodes": nodes}))

    def config(self) -> dict[str, Any]:
        return dict(self._json("GET", "/api/v1/config"))

    def set_config(self, changes: dict[str, Any]) -> dict[str, Any]:
        return dict(self._json("POST", "/api/v1/config", json=changes))

    def sync(self) -> dict[str, Any]:
        return dict(self._json("POST", "/api/sync", timeout=httpx.Timeout(600.0, connect=5.0)))

    def status(self, refresh: bool = True) -> dict[str, Any]:
        """This node and its peers; `refresh` contacts every peer now (else a few seconds' cache)."""
        return dict(self._json("GET", "/api/v1/status", params={"refresh": "true" if refresh else "false"}))

    def events(self, after: int = 0) -> list[dict[str, Any]]:
        return list(self._json("GET", "/api/v1/events/recent", params={"after": after})["events"])

    def get_json(self, url: str, **params: Any) -> Any:
        return self._json("GET", url, params=params or None)

    def post_json(self, url: str, body: Any, timeout: float | None = None) -> Any:
        kw: dict[str, Any] = {"json": body}
        if timeout is not None:
            kw["timeout"] = httpx.Timeout(timeout, connect=5.0)
        return self._json("POST", url, **kw)


def _reason(exc: Exception) -> str:
    text = str(exc)
    if "refused" in text.lower():
        return "connection refused"
    return text or type(exc).__name__


def _save_stream(pieces: Iterator[bytes], out: Path | None, total: int, expected: str,
                 progress: Callable[[int, int], None] | None) -> dict[str, Any]:
    import sys
    import tempfile

    sha = hashlib.sha256()
    received = 0
    if out is None:
        for piece in pieces:
            sha.update(piece)
            received += len(piece)
            sys.stdout.buffer.write(piece)
            if progress:
                progress(len(piece), total)
        sys.stdout.buffer.flush()
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".part")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as f:
                for piece in pieces:
                    sha.update(piece)
                    received += len(piece)
                    f.write(piece)
                    if progress:
                        progress(len(piece), total)
                f.flush()
                os.fsync(f.fileno())
            if received != total or (expected and sha.hexdigest() != expected):
                raise errors.IntegrityError(
                    "download verification failed",
                    f"received {received} of {total} bytes, sha256 {sha.hexdigest()[:16]}… (expected {expected[:16]}…)",
                )
            os.replace(tmp, out)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    if received != total or (expected and sha.hexdigest() != expected):
        raise errors.IntegrityError("download verification failed", f"received {received} of {total} bytes")
    return {"size": received, "sha256": sha.hexdigest(), "path": str(out) if out else "-"}
