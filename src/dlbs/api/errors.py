"""Maps errors to HTTP responses, in one place: every error body is {"error", "detail", "code"}."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from dlbs.errors import DlbsError

log = logging.getLogger(__name__)


def error_response(status: int, error: str, detail: str, code: str) -> JSONResponse:
    return JSONResponse({"error": error, "detail": detail, "code": code}, status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DlbsError)
    async def _dlbs(_: Request, exc: DlbsError) -> JSONResponse:
        if exc.status >= 500:
            log.error("%s: %s", exc.message, exc.detail)
        return error_response(exc.status, exc.message, exc.detail, exc.code)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errs = exc.errors()
        first = errs[0] if errs else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        msg = str(first.get("msg", "invalid request"))
        if first.get("type") == "json_invalid":
            return error_response(400, "malformed JSON", msg, "invalid_input")
        return error_response(400, "invalid request", f"{where}: {msg}" if where else msg, "invalid_input")

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        names = {404: "not found", 405: "method not allowed", 401: "unauthorized", 403: "forbidden"}
        return error_response(
            exc.status_code, names.get(exc.status_code, "error"), str(exc.detail),
            {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "error"),
        )
