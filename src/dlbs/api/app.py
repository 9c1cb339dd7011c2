"""The two HTTP apps of a node.

- Peer app (port 8000, all interfaces): the v2.0 node endpoints and the replication API; every
  request but `GET /health` needs `Authorization: Bearer <cluster token>`, else 401.
- Web app (port 5000, loopback by default): the web page, the v2.0 web API, /api/v1, and the
  v2.0 node endpoints. State-changing requests from another origin are refused (403), so a web
  page elsewhere cannot drive the node through the user's browser. When the web port listens
  beyond loopback, a password (HTTP basic auth) is required.
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Awaitable, Callable
from importlib import resources
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

from dlbs.api import routes_backup, routes_node, routes_peer, routes_v1, routes_web
from dlbs.api.errors import error_response, install_error_handlers
from dlbs.service import NodeService

Next = Callable[[Request], Awaitable[Response]]
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def _bearer(request: Request) -> str:
    auth = request.headers.get("authorization", "")
    return auth[7:].strip() if auth[:7].lower() == "bearer " else ""


def create_peer_app(node: NodeService) -> FastAPI:
    app = FastAPI(title="dlbs peer API", version=node.version, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.node = node
    install_error_handlers(app)
    expected = node.token.encode()

    @app.middleware("http")
    async def authenticate(request: Request, call_next: Next) -> Response:
        if request.url.path == "/health" and request.method in SAFE_METHODS:
            return await call_next(request)
        if not hmac.compare_digest(_bearer(request).encode(), expected):
            return error_response(
                401, "unauthorized", "this node needs the cluster token (Authorization: Bearer …)", "unauthorized"
            )
        return await call_next(request)

    app.include_router(routes_node.router)
    app.include_router(routes_peer.router)
    return app


def _same_origin(request: Request) -> bool:
    if request.headers.get("sec-fetch-site") == "cross-site":
        return False
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc.lower() == request.headers.get("host", "").lower()


def create_web_app(node: NodeService, password: str | None = None) -> FastAPI:
    app = FastAPI(title="dlbs web API", version=node.version, docs_url="/api/docs", redoc_url=None)
    app.state.node = node
    install_error_handlers(app)

    @app.middleware("http")
    async def guard(request: Request, call_next: Next) -> Response:
        if password is not None:
            auth = request.headers.get("authorization", "")
            ok = False
            if auth[:6].lower() == "basic ":
                try:
                    _, _, given = base64.b64decode(auth[6:]).decode().partition(":")
                    ok = hmac.compare_digest(given.encode(), password.encode())
                except (ValueError, UnicodeDecodeError):
                    ok = False
            if not ok:
                resp = error_response(401, "unauthorized", "this web page needs the node's web password",
                                      "unauthorized")
                resp.headers["WWW-Authenticate"] = 'Basic realm="dlbs"'
                return resp
        if request.method not in SAFE_METHODS and not _same_origin(request):
            return error_response(403, "forbidden", "cross-origin requests cannot change this node", "forbidden")
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    app.include_router(routes_web.router)
    app.include_router(routes_v1.router)
    app.include_router(routes_backup.router)
    app.include_router(routes_node.router)

    static = resources.files("dlbs.web") / "static"
    index = static / "index.html"

    @app.get("/", include_in_schema=False)
    async def page() -> Response:
        if not index.is_file():
            return Response("dlbs node: the web page is not installed", media_type="text/plain")
        return FileResponse(str(index), headers={
            "Cache-Control": "no-cache",
            "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                                       "script-src 'self'; connect-src 'self'; object-src 'none'; "
                                       "base-uri 'none'; frame-ancestors 'none'",
        })

    app.mount("/static", StaticFiles(directory=str(static), check_dir=False), name="static")
    return app
