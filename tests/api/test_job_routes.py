"""GET /api/v1/jobs/<id>: state and progress, and `?wait=S` returning as soon as the job ends."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from apiclient import InProcessClient, assert_error

from dlbs.service import NodeService

MiB = 1 << 20


def start_backup(web: InProcessClient, tmp_path: Path) -> str:
    src = tmp_path / "src"
    src.mkdir()
    for i in range(20):
        (src / f"f{i}.txt").write_bytes(b"x" * (1000 * i))
    r = web.post("/api/v1/backups", json={"paths": [str(src)], "exclude": []})
    assert r.status_code == 200, r.text
    return str(r.json()["id"])


def test_wait_returns_the_finished_job(web: InProcessClient, tmp_path: Path) -> None:
    job_id = start_backup(web, tmp_path)
    started = time.monotonic()
    j = web.get(f"/api/v1/jobs/{job_id}?wait=10").json()
    assert j["state"] == "done" and j["result"]["files"] == 20
    assert time.monotonic() - started < 9  # it came back when the job ended, not at the deadline
    again = time.monotonic()
    assert web.get(f"/api/v1/jobs/{job_id}?wait=10").json()["state"] == "done"
    assert time.monotonic() - again < 1  # an ended job answers at once


@pytest.mark.parametrize("wait", ["abc", "-1", "10.5", "nan", "inf", ""])
def test_a_bad_wait_is_a_clear_400(web: InProcessClient, tmp_path: Path, wait: str) -> None:
    job_id = start_backup(web, tmp_path)
    body = assert_error(web.get(f"/api/v1/jobs/{job_id}?wait={wait}"), 400)
    assert body["error"] == "invalid wait"
    assert web.get(f"/api/v1/jobs/{job_id}?wait=10").json()["state"] == "done"


def test_an_unknown_job_is_404(web: InProcessClient) -> None:
    assert_error(web.get("/api/v1/jobs/nope?wait=1"), 404)


def test_closing_the_node_during_a_backup_does_not_hang(node_service: NodeService, web: InProcessClient,
                                                        tmp_path: Path) -> None:
    """Found by accident: a close mid-backup leaked encode slots and hung the process forever."""
    src = tmp_path / "big"
    src.mkdir()
    for i in range(40):
        (src / f"f{i}.bin").write_bytes(os.urandom(MiB))
    job_id = web.post("/api/v1/backups", json={"paths": [str(src)], "exclude": []}).json()["id"]
    node_service.repo._pool.shutdown(wait=True)  # what closing the node does to the encoders
    j = web.get(f"/api/v1/jobs/{job_id}?wait=10").json()
    assert j["state"] in ("done", "failed")


def test_job_progress_reads_as_words_in_the_activity_log() -> None:
    from dlbs.jobs import _summary

    assert _summary({"chunks_checked": 5, "chunks_total": 111}) == "5/111 chunks"
    assert _summary({"files_done": 1, "files_total": 4, "bytes_done": 2**20, "bytes_total": 2**21}) == \
        "1/4 files, 1.0/2.0 MiB"
