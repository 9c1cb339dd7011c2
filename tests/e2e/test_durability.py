"""kill -9 in the middle of a large upload: every acknowledged version survives with the right
bytes, and the half-sent upload leaves no version."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator

import httpx
import pytest

from nodeproc import NodeProcess, wait_for

pytestmark = pytest.mark.slow
MiB = 1 << 20


def chunk_files(node: NodeProcess) -> int:
    return sum(1 for p in (node.data_dir / "chunks").glob("??/*"))


def test_sigkill_during_an_upload_loses_nothing_acknowledged(node: NodeProcess) -> None:
    acked: dict[str, bytes] = {}
    with httpx.Client(base_url=node.web, trust_env=False, timeout=60) as http:
        for i, size in enumerate([0, 10, 300_000, 3 * MiB, 6 * MiB]):
            data = os.urandom(size)
            r = http.put(f"/api/v1/files/acked-{i}.bin", content=data)
            assert r.status_code == 200
            acked[f"acked-{i}.bin"] = data
        first = os.urandom(2 * MiB)
        assert http.put("/api/v1/files/big.bin", content=first).status_code == 200  # version 1 of big.bin
        acked["big.bin"] = first
    before = chunk_files(node)

    stop = threading.Event()
    sent = [0]

    def endless() -> Iterator[bytes]:
        while not stop.is_set() and sent[0] < 4096 * MiB:
            piece = os.urandom(MiB)
            sent[0] += len(piece)
            yield piece

    failure: list[BaseException] = []

    def upload() -> None:
        try:
            httpx.put(f"{node.web}/api/v1/files/big.bin", content=endless(), trust_env=False,
                      headers={"Content-Length": str(4096 * MiB)}, timeout=60)
        except BaseException as exc:
            failure.append(exc)

    t = threading.Thread(target=upload, daemon=True)
    t.start()
    try:
        wait_for(lambda: chunk_files(node) >= before + 8, timeout=60, what="the large upload to write chunks")
        node.kill()
    finally:
        stop.set()
        t.join(timeout=30)
    assert failure, "the upload should have failed when the node died"

    node.start()
    with httpx.Client(base_url=node.web, trust_env=False, timeout=60) as http:
        for path, data in acked.items():
            r = http.get(f"/api/v1/files/{path}")
            assert r.status_code == 200, (path, r.text)
            assert hashlib.sha256(r.content).hexdigest() == hashlib.sha256(data).hexdigest(), path
        h = http.get("/api/v1/history/big.bin").json()
        assert len(h["versions"]) == 1  # the half-sent upload recorded nothing
        stats = http.get("/api/stats").json()
        assert stats["total_versions"] == len(acked) and stats["integrity_errors"] == 0
    assert not any((node.data_dir / "chunks" / "tmp").iterdir())  # crash leftovers cleaned on open
