"""/api/v1 backup routes: start backups and restores (jobs), browse and diff snapshots, forget, check."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request

from dlbs.api.deps import json_body, node_of
from dlbs.api.streams import in_thread
from dlbs.errors import InvalidInput

router = APIRouter(prefix="/api/v1")


def _str_list(body: dict[str, Any], key: str) -> list[str]:
    v = body.get(key, [])
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise InvalidInput(f"invalid {key}", f"{key} must be a list of strings")
    return v


def _bool(body: dict[str, Any], key: str) -> bool:
    v = body.get(key, False)
    if not isinstance(v, bool):
        raise InvalidInput(f"invalid {key}", f"{key} must be true or false")
    return v


def parse_time(text: str) -> float:
    """'2026-11-20 18:00', '2026-11-20T18:00:00', '2026-11-20' (local time) or epoch seconds."""
    t = text.strip()
    try:
        return float(t)
    except ValueError:
        pass
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(t, fmt).timestamp()
        except ValueError:
            continue
    raise InvalidInput("invalid time", f"{text!r}: use e.g. \"2026-11-20 18:00\"")


@router.post("/backups")
async def start_backup(request: Request) -> dict[str, Any]:
    node = node_of(request)
    body = await json_body(request)
    job = await in_thread(node.backups.start_backup, _str_list(body, "paths"), _str_list(body, "exclude"))
    return job.to_json()


@router.get("/jobs")
async def jobs(request: Request) -> dict[str, Any]:
    return {"jobs": [j.to_json() for j in node_of(request).jobs.all()]}


MAX_WAIT = 10.0


@router.get("/jobs/{job_id}")
async def job(request: Request, job_id: str) -> dict[str, Any]:
    """A job's state; with `?wait=S` (up to 10 s) the answer waits until the job ends or S seconds
    pass, so a watcher learns of the end at once instead of on its next poll."""
    j = node_of(request).jobs.get(job_id)
    raw = request.query_params.get("wait", "0")
    try:
        wait = float(raw)
    except ValueError:
        raise InvalidInput("invalid wait", f"{raw!r} is not a number of seconds") from None
    if not 0 <= wait <= MAX_WAIT:
        raise InvalidInput("invalid wait", f"wait must be between 0 and {MAX_WAIT:g} seconds")
    deadline = time.monotonic() + wait
    while j.state == "running" and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    return j.to_json()


@router.get("/snapshots")
async def snapshots(request: Request) -> dict[str, Any]:
    return {"snapshots": await in_thread(node_of(request).backups.list)}


@router.get("/snapshots/{snap_id}")
async def snapshot_entries(request: Request, snap_id: str, prefix: str = "") -> dict[str, Any]:
    """Entries under `prefix`; `?depth=1`: only its direct children, folders with subtree totals."""
    depth = request.query_params.get("depth")
    if depth not in (None, "1"):
        raise InvalidInput("invalid depth", f"depth={depth!r}: use depth=1 for one level, or leave it out")
    return await in_thread(node_of(request).backups.entries, snap_id, prefix, depth == "1")


@router.get("/diff")
async def diff(request: Request, a: str, b: str) -> dict[str, Any]:
    return await in_thread(node_of(request).backups.diff, a, b)


@router.post("/restores")
async def start_restore(request: Request) -> dict[str, Any]:
    node = node_of(request)
    body = await json_body(request)
    snap, at, path, target = body.get("snapshot"), body.get("at"), body.get("path"), body.get("target")
    if snap is not None and not isinstance(snap, str):
        raise InvalidInput("invalid snapshot", "snapshot must be an id string")
    if path is not None and not isinstance(path, str):
        raise InvalidInput("invalid path", "path must be a string")
    if not isinstance(target, str) or not target:
        raise InvalidInput("invalid target", "target must be a folder path")
    when = parse_time(at) if isinstance(at, str) else (float(at) if isinstance(at, int | float) else None)
    job = await in_thread(node.backups.start_restore, snap, when, path, target, _bool(body, "overwrite"))
    return job.to_json()


@router.post("/forget")
async def forget(request: Request) -> dict[str, Any]:
    node = node_of(request)
    body = await json_body(request)
    rules = {k: v for k, v in body.items() if k.startswith("keep_")}
    return await in_thread(node.backups.forget, rules, _bool(body, "dry_run"), body.get("prune", True) is True)


@router.post("/check")
async def check(request: Request) -> dict[str, Any]:
    node = node_of(request)
    body = await json_body(request)
    job = await in_thread(node.backups.start_check, _bool(body, "read_data"), _bool(body, "repair"))
    return job.to_json()
