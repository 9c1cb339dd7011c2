"""20 uploads at once against a real node, of different files and of one shared path: each
succeeds (or fails cleanly) and the catalog stays consistent."""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import httpx
import pytest

from nodeproc import NodeProcess

pytestmark = pytest.mark.slow
N = 20


def blobs(n: int) -> list[bytes]:
    # a shared 6 MiB random prefix (its first chunks are deduplicated across uploads), then 0.5-2 MiB
    # of random bytes of each upload's own
    common = os.urandom(6 << 20)
    return [common + os.urandom(512 * 1024 * (1 + i % 4)) for i in range(n)]


def upload_all(node: NodeProcess, jobs: list[tuple[str, bytes]]) -> list[httpx.Response]:
    def one(job: tuple[str, bytes]) -> httpx.Response:
        path, data = job
        with httpx.Client(base_url=node.web, trust_env=False, timeout=120) as http:
            return http.put(f"/api/v1/files/{quote(path)}", content=data)

    with ThreadPoolExecutor(N) as pool:
        return list(pool.map(one, jobs))


def test_concurrent_uploads_of_different_files(node: NodeProcess) -> None:
    data = blobs(N)
    jobs = [(f"dir/file {i}.bin", d) for i, d in enumerate(data)]
    results = upload_all(node, jobs)
    assert [r.status_code for r in results] == [200] * N, [r.text for r in results if r.status_code != 200]
    with httpx.Client(base_url=node.web, trust_env=False, timeout=60) as http:
        files = {f["path"]: f for f in http.get("/api/v1/files").json()["files"]}
        assert set(files) == {p for p, _ in jobs}
        for path, d in jobs:
            assert files[path]["sha256"] == hashlib.sha256(d).hexdigest() and files[path]["versions"] == 1
            assert http.get(f"/api/v1/files/{quote(path)}").content == d
        stats = http.get("/api/stats").json()
        assert stats["total_versions"] == N and stats["integrity_errors"] == 0
        # the shared prefix is stored about once, not 20 times
        assert stats["unique_bytes"] < sum(len(d) for d in data) - 10 * (4 << 20)


def test_concurrent_uploads_of_one_path(node: NodeProcess) -> None:
    data = blobs(N)
    results = upload_all(node, [("shared/same name.bin", d) for d in data])
    ok = [r for r in results if r.status_code == 200]
    for r in results:
        assert r.status_code == 200 or (400 <= r.status_code < 600 and "error" in r.json()), r.text
    assert len(ok) == N
    expected = {hashlib.sha256(d).hexdigest(): d for d in data}
    with httpx.Client(base_url=node.web, trust_env=False, timeout=60) as http:
        h = http.get(f"/api/v1/history/{quote('shared/same name.bin')}").json()
        versions = h["versions"]
        assert len(versions) == N
        assert len({v["seq"] for v in versions}) == N
        assert {v["sha256"] for v in versions} == set(expected)
        assert h["conflict"] is False and h["current"] == versions[-1]["id"]
        for v in versions:
            r = http.get(f"/api/v1/files/{quote('shared/same name.bin')}", params={"version": v["version"]})
            assert r.status_code == 200
            assert hashlib.sha256(r.content).hexdigest() == v["sha256"] == r.headers["x-dlbs-sha256"]
        listing = http.get("/api/v1/files").json()["files"]
        assert len(listing) == 1 and listing[0]["versions"] == N
