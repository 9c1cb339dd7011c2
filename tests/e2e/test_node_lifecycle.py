"""A node's life: first start, a port in use, SIGTERM in the middle of an upload, restart."""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from nodeproc import DLBS, NodeProcess

pytestmark = pytest.mark.slow


def test_first_start_creates_identity_and_cluster(node: NodeProcess) -> None:
    for name in ("node.json", "cluster.json", "config.json", "catalog.db", "node.crt", "node.key", "cluster-ca.crt"):
        assert (node.data_dir / name).exists(), name
    assert oct((node.data_dir / "cluster.json").stat().st_mode & 0o777) == "0o600"
    health = httpx.get(f"{node.web}/health").json()
    assert health["status"] == "healthy" and len(health["node_id"]) == 16
    token = node.cli("invite", "--data-dir", str(node.data_dir)).stdout.decode().strip()
    assert token.startswith("dlbs1-") and token not in str(health)


def test_port_in_use_is_one_clear_line(node: NodeProcess, make_node: Callable[..., NodeProcess]) -> None:
    other = make_node("other", False)
    res = subprocess.run(
        [*DLBS, "node", "--data-dir", str(other.data_dir), "--host", "127.0.0.1", "--port", str(node.port),
         "--web-port", str(other.web_port)], env=other.env(), capture_output=True, timeout=60)
    assert res.returncode == 1
    err = res.stderr.decode()
    assert "cannot listen on the peer port" in err and "Traceback" not in err


def test_sigterm_mid_upload_exits_cleanly_and_keeps_the_catalog_consistent(node: NodeProcess) -> None:
    done = httpx.put(f"{node.web}/api/v1/files/before.bin", content=os.urandom(3 << 20))
    assert done.status_code == 200
    before_sha = done.json()["sha256"]
    started = threading.Event()

    def slow_body() -> Iterator[bytes]:
        for _ in range(400):
            started.set()
            yield os.urandom(64 << 10)
            time.sleep(0.01)

    def upload() -> None:
        with contextlib.suppress(httpx.HTTPError):
            httpx.put(f"{node.web}/api/v1/files/during.bin", content=slow_body(), timeout=60)

    t = threading.Thread(target=upload, daemon=True)
    t.start()
    assert started.wait(10)
    time.sleep(0.3)
    assert node.proc is not None
    node.proc.send_signal(signal.SIGTERM)
    assert node.proc.wait(timeout=40) == 0, node.output()
    t.join(timeout=30)
    conn = sqlite3.connect(node.data_dir / "catalog.db")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    node.start()
    files = {f["path"]: f for f in httpx.get(f"{node.web}/api/v1/files").json()["files"]}
    assert files["before.bin"]["sha256"] == before_sha
    if "during.bin" in files:  # recorded whole, or not at all
        body = httpx.get(f"{node.web}/api/v1/files/during.bin").content
        assert hashlib.sha256(body).hexdigest() == files["during.bin"]["sha256"]
        assert len(body) == files["during.bin"]["size"]
    assert "Traceback" not in node.output()


def test_dlbs_module_runs_without_a_node() -> None:
    res = subprocess.run([sys.executable, "-m", "dlbs", "ls", "--node", "http://127.0.0.1:9"], capture_output=True,
                         timeout=60)
    assert res.returncode == 1
    lines = res.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "cannot reach the node" in lines[0]
