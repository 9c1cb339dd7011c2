"""/api/v1 (api/routes_v1.py): streamed raw uploads to a path, any version's bytes, history,
restore, prefix listings, stats, status and config, with the shapes of docs/api-contract.md."""

from __future__ import annotations

import hashlib
import os
from urllib.parse import quote

import pytest
from apiclient import NAMES, InProcessClient, assert_error, disk_state

from dlbs.service import NodeService

VERSION_KEYS = {"path", "id", "origin", "origin_name", "seq", "time", "timestamp", "deleted", "size", "mode",
                "modified", "mtime_ns", "sha256", "chunks", "supersedes"}


def put(web: InProcessClient, path: str, data: bytes, **headers: str):  # type: ignore[no-untyped-def]
    return web.put(f"/api/v1/files/{quote(path)}", content=data, headers=headers)


def test_put_returns_the_version(web: InProcessClient, node_service: NodeService) -> None:
    data = os.urandom(2 * 1024 * 1024 + 3)
    r = put(web, "docs/a.bin", data, **{"X-Dlbs-Mtime-Ns": "1700000000123456789", "X-Dlbs-Mode": "0o600"})
    assert r.status_code == 200, r.text
    v = r.json()
    assert set(v) == VERSION_KEYS | {"version"}
    assert v["path"] == "docs/a.bin" and v["version"] == 1 and v["seq"] == 1 and v["deleted"] is False
    assert v["size"] == len(data) and v["sha256"] == hashlib.sha256(data).hexdigest()
    assert v["mtime_ns"] == 1700000000123456789 and v["modified"] == "2023-11-14T22:13:20Z"
    assert v["mode"] == 0o600 and v["origin"] == node_service.node_id and v["id"] == f"{node_service.node_id}:1"
    assert v["chunks"] >= 1 and v["supersedes"] == []
    v2 = put(web, "docs/a.bin", b"second").json()
    assert v2["version"] == 2 and v2["supersedes"] == [v["id"]]


def test_get_any_version(web: InProcessClient) -> None:
    for i in range(3):
        put(web, "a.txt", f"content {i}".encode())
    assert web.get("/api/v1/files/a.txt").content == b"content 2"
    for n in (1, 2, 3):
        r = web.get("/api/v1/files/a.txt", params={"version": n})
        assert r.content == f"content {n - 1}".encode()
        assert r.headers["x-dlbs-sha256"] == hashlib.sha256(r.content).hexdigest()
        assert r.headers["content-length"] == str(len(r.content))
    assert_error(web.get("/api/v1/files/a.txt", params={"version": 4}), 404)


def test_expected_sha256_mismatch_records_nothing(web: InProcessClient, node_service: NodeService) -> None:
    r = put(web, "a.bin", b"payload", **{"X-Dlbs-Sha256": "ab" * 32})
    assert assert_error(r, 400)["error"] == "checksum mismatch"
    assert node_service.repo.catalog.version_count() == 0
    ok = put(web, "a.bin", b"payload", **{"X-Dlbs-Sha256": hashlib.sha256(b"payload").hexdigest()})
    assert ok.status_code == 200


def test_listing_with_prefix(web: InProcessClient) -> None:
    for p in ("a/1", "a/2", "a/b/3", "ab", "c"):
        put(web, p, p.encode())
    put(web, "a/1", b"again")
    body = web.get("/api/v1/files", params={"prefix": "a"}).json()
    assert body["prefix"] == "a"
    assert [f["path"] for f in body["files"]] == ["a/1", "a/2", "a/b/3"]
    entry = body["files"][0]
    assert set(entry) == VERSION_KEYS | {"versions", "conflict", "conflicting"}
    assert entry["versions"] == 2 and entry["conflict"] is False and entry["conflicting"] == []
    assert len(web.get("/api/v1/files").json()["files"]) == 5
    assert web.get("/api/v1/files", params={"prefix": "a/"}).json()["files"] == body["files"]


def test_delete_history_and_restore(web: InProcessClient) -> None:
    put(web, "f.txt", b"one")
    put(web, "f.txt", b"two")
    r = web.delete("/api/v1/files/f.txt")
    assert r.status_code == 200 and r.json()["path"] == "f.txt"
    assert_error(web.get("/api/v1/files/f.txt"), 404)
    assert_error(web.delete("/api/v1/files/f.txt"), 404)
    h = web.get("/api/v1/history/f.txt").json()
    assert set(h) == {"path", "current", "conflict", "versions"}
    assert h["current"] is None and h["conflict"] is False
    assert [v["version"] for v in h["versions"]] == [1, 2, 3]
    assert [v["deleted"] for v in h["versions"]] == [False, False, True]
    assert set(h["versions"][0]) == VERSION_KEYS | {"version"}
    r = web.post("/api/v1/restore/f.txt", json={"version": 1})
    assert r.status_code == 200 and r.json()["version"] == 4
    assert web.get("/api/v1/files/f.txt").content == b"one"
    h = web.get("/api/v1/history/f.txt").json()
    assert h["current"] == h["versions"][-1]["id"]
    assert_error(web.post("/api/v1/restore/f.txt", json={"version": 3}), 400)  # a deletion
    assert_error(web.post("/api/v1/restore/f.txt", json={"version": 99}), 404)
    assert_error(web.get("/api/v1/history/nothing.txt"), 404)


@pytest.mark.parametrize("name", NAMES)
def test_names_round_trip_exactly(web: InProcessClient, name: str) -> None:
    data = os.urandom(500)
    assert put(web, name, data).json()["path"] == name
    assert [f["path"] for f in web.get("/api/v1/files").json()["files"]] == [name]
    assert web.get(f"/api/v1/files/{quote(name)}").content == data
    assert web.get(f"/api/v1/history/{quote(name)}").json()["path"] == name
    assert web.delete(f"/api/v1/files/{quote(name)}").json()["path"] == name


def test_stats_status_and_config(web: InProcessClient, node_service: NodeService) -> None:
    put(web, "a", b"x" * 1000)
    stats = web.get("/api/v1/stats").json()
    assert stats["total_files"] == 1 and stats["integrity_errors"] == 0
    st = web.get("/api/v1/status", params={"refresh": "false"}).json()
    assert {"node_id", "node_name", "version", "data_dir", "uptime", "stats", "nodes"} <= set(st)
    assert st["node_id"] == node_service.node_id and st["nodes"] == [] and st["stats"]["total_files"] == 1
    cfg = web.get("/api/v1/config").json()
    assert {"nodes", "node_name", "sync", "replicas", "repair_after", "max_send_kbps", "sources",
            "retention"} <= set(cfg)
    assert "web_password" not in cfg
    r = web.post("/api/v1/config", json={"node_name": "renamed"})
    assert r.status_code == 200 and r.json()["node_name"] == "renamed"
    assert web.get("/api/v1/config").json()["node_name"] == "renamed"
    before = disk_state(node_service)
    assert_error(web.post("/api/v1/config", json={"web_password": "x"}), 400)
    assert_error(web.post("/api/v1/config", json={"sync": {"schedule": "sometimes"}}), 400)
    assert_error(web.post("/api/v1/config", json={"nodes": "not a list"}), 400)
    assert disk_state(node_service) == before


def test_recent_events(web: InProcessClient) -> None:
    put(web, "a", b"x")
    web.delete("/api/v1/files/a")
    events = web.get("/api/v1/events/recent").json()["events"]
    kinds = [e["kind"] for e in events]
    assert "upload" in kinds and "delete" in kinds
    assert set(events[0]) == {"id", "time", "kind", "level", "message", "data"}
    last = events[-1]["id"]
    assert web.get("/api/v1/events/recent", params={"after": last}).json()["events"] == []
