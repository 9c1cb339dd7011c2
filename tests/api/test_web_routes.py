"""The v2.0 web endpoints (api/routes_web.py) with their exact v2.0 shapes (docs/api-contract.md):
/api/files, /api/upload, /api/delete/<f>, /api/download/<f>, /api/stats, /api/nodes, /api/sync."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from apiclient import NAMES, InProcessClient, assert_error, disk_state

import chunkdisk
from dlbs.service import NodeService

CONTRACT = Path(__file__).resolve().parents[2] / "docs" / "api-contract.md"


def contract_keys(route: str) -> set[str]:
    """The JSON keys docs/api-contract.md lists for `route` (e.g. "GET /api/stats")."""
    for line in CONTRACT.read_text().splitlines():
        if line.startswith(f"- `{route}`"):
            return set(re.findall(r'"(\w+)"', line.split("→", 1)[1].split("; `", 1)[0]))
    raise AssertionError(f"{route} is not in {CONTRACT}")


def form_upload(web: InProcessClient, name: str, data: bytes, folder: str | None = None):  # type: ignore[no-untyped-def]
    return web.post("/api/upload", files={"file": (name, data, "application/octet-stream")},
                    data={"path": folder} if folder is not None else None)


def seed(web: InProcessClient, name: str, data: bytes) -> None:
    """Store a file without going through /api/upload (tested on its own)."""
    r = web.put(f"/api/v1/files/{quote(name, safe='')}", content=data)
    assert r.status_code == 200, r.text


def test_upload_shape_and_listing_shape(web: InProcessClient) -> None:
    data = os.urandom(2_500_000)
    r = form_upload(web, "photo.jpg", data)
    assert r.status_code == 200, r.text
    sha = hashlib.sha256(data).hexdigest()
    assert r.json() == {"message": "File uploaded successfully", "filename": "photo.jpg", "hash": sha,
                        "size": len(data)}
    assert set(r.json()) == contract_keys("POST /api/upload")
    files = web.get("/api/files").json()
    assert isinstance(files, list) and len(files) == 1
    assert set(files[0]) == contract_keys("GET /api/files") == {"name", "size", "modified", "hash"}
    assert files[0]["name"] == "photo.jpg" and files[0]["size"] == len(data) and files[0]["hash"] == sha


def test_upload_into_a_folder(web: InProcessClient) -> None:
    r = form_upload(web, "a.txt", b"hello", folder="/docs/2024/")
    assert r.status_code == 200 and r.json()["filename"] == "docs/2024/a.txt"
    assert web.get("/api/download/docs/2024/a.txt").content == b"hello"
    assert web.get(f"/api/download/{quote('docs/2024/a.txt', safe='')}").content == b"hello"


def test_download_and_delete(web: InProcessClient) -> None:
    seed(web, "a.bin", b"abc" * 1000)
    got = web.get("/api/download/a.bin")
    assert got.status_code == 200 and got.content == b"abc" * 1000
    assert got.headers["content-type"] == "application/octet-stream"
    assert 'filename="a.bin"' in got.headers["content-disposition"]
    r = web.delete("/api/delete/a.bin")
    assert r.status_code == 200 and r.json()["filename"] == "a.bin"
    assert web.get("/api/files").json() == []
    assert_error(web.get("/api/download/a.bin"), 404)
    assert_error(web.delete("/api/delete/a.bin"), 404)


@pytest.mark.parametrize("name", [n for n in NAMES if '"' not in n])  # multipart escapes '"' as %22
def test_names_round_trip_through_a_form_upload(web: InProcessClient, name: str) -> None:
    folder, _, base = name.rpartition("/")
    data = os.urandom(1000)
    r = form_upload(web, base, data, folder=folder or None)
    assert r.status_code == 200, r.text
    assert r.json()["filename"] == name
    assert [f["name"] for f in web.get("/api/files").json()] == [name]
    assert web.get(f"/api/download/{quote(name, safe='/')}").content == data


@pytest.mark.parametrize("name", NAMES)
def test_names_round_trip_through_list_download_and_delete(web: InProcessClient, name: str) -> None:
    data = os.urandom(1000)
    seed(web, name, data)
    assert [f["name"] for f in web.get("/api/files").json()] == [name]
    assert web.get(f"/api/download/{quote(name, safe='/')}").content == data
    assert web.get(f"/api/download/{quote(name, safe='')}").content == data
    assert web.delete(f"/api/delete/{quote(name, safe='')}").json()["filename"] == name
    assert web.get("/api/files").json() == []


def test_stats_shape_and_numbers(web: InProcessClient, node_service: NodeService) -> None:
    s = web.get("/api/stats").json()
    assert set(s) == contract_keys("GET /api/stats")
    assert (s["total_files"], s["chunks"], s["integrity_errors"], s["last_sync"]) == (0, 0, 0, None)
    data = os.urandom(3 * 1024 * 1024)
    for name in ("a", "b", "c"):
        seed(web, name, data)
    s = web.get("/api/stats").json()
    assert s["total_files"] == 3 and s["total_versions"] == 3
    assert s["total_size"] == s["referenced_bytes"] == 3 * len(data)
    assert s["unique_bytes"] == len(data)
    assert len(data) <= s["stored_bytes"] < 1.01 * len(data)
    assert s["dedup_ratio"] == 3.0
    assert s["node_id"] == node_service.node_id and s["node_name"] == node_service.node_name
    assert s["nodes_total"] == 1 and s["nodes_online"] == 1


def test_stats_count_integrity_errors(web: InProcessClient, node_service: NodeService) -> None:
    data = os.urandom(100_000)
    seed(web, "a.bin", data)
    v = node_service.repo.version("a.bin")
    chunkdisk.flip_byte(node_service.data.chunks, v.chunks[0].id)
    r = web.get("/api/download/a.bin")
    body = assert_error(r, 500)
    assert body["code"] == "integrity_error" and data[:16] not in r.content
    assert web.get("/api/stats").json()["integrity_errors"] == 1


def test_nodes_get_and_post(web: InProcessClient, node_service: NodeService) -> None:
    assert web.get("/api/nodes").json()["nodes"] == []
    r = web.post("/api/nodes", json={"nodes": ["192.168.1.10:8000", " 192.168.1.11:8000 ", ""]})
    assert r.status_code == 200, r.text
    assert r.json()["nodes"] == ["192.168.1.10:8000", "192.168.1.11:8000"]
    assert web.get("/api/nodes").json()["nodes"] == ["192.168.1.10:8000", "192.168.1.11:8000"]
    assert json.loads(node_service.config_path.read_text())["nodes"] == ["192.168.1.10:8000", "192.168.1.11:8000"]
    assert web.get("/api/stats").json()["nodes_total"] == 3


def test_nodes_shape_matches_the_contract(web: InProcessClient) -> None:
    body = web.get("/api/nodes").json()
    assert set(body) == contract_keys("GET /api/nodes")
    assert body["nodes"] == [] and body["details"] == []


def test_cross_origin_writes_are_refused(web: InProcessClient, node_service: NodeService) -> None:
    before = disk_state(node_service)
    evil = {"Origin": "http://evil.example"}
    assert_error(web.post("/api/upload", files={"file": ("x", b"x")}, headers=evil), 403)
    assert_error(web.post("/api/nodes", json={"nodes": ["1.2.3.4:8000"]}, headers=evil), 403)
    assert_error(web.post("/upload", content=b"x", headers={**evil, "Filename": "x"}), 403)
    assert_error(web.put("/api/v1/files/x", content=b"x", headers={"Sec-Fetch-Site": "cross-site"}), 403)
    assert disk_state(node_service) == before
    same = web.put("/api/v1/files/x", content=b"x", headers={"Origin": "http://testserver"})
    assert same.status_code == 200
    assert web.get("/api/files", headers=evil).status_code == 200  # reads are fine


def test_page_is_served_with_csp(web: InProcessClient) -> None:
    r = web.get("/")
    assert r.status_code == 200
    assert r.headers.get("x-content-type-options") == "nosniff"
