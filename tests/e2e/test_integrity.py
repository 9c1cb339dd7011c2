"""A corrupted chunk on disk against a real node: never wrong bytes. A multi-chunk download is cut
short, `dlbs get` exits 1 and leaves no file, and the stats count the integrity error."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import httpx
import pytest

import chunkdisk
from nodeproc import NodeProcess

pytestmark = pytest.mark.slow
MiB = 1 << 20


def chunk_ids(node: NodeProcess, path: str) -> list[str]:
    """The chunk ids of the current version, from the catalog (read-only)."""
    import sqlite3

    from dlbs.core.model import unpack_chunk_refs

    conn = sqlite3.connect(f"file:{node.data_dir / 'catalog.db'}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT chunks FROM versions WHERE path = ? ORDER BY seq DESC LIMIT 1", (path,)).fetchone()
    finally:
        conn.close()
    return [r.id.hex() for r in unpack_chunk_refs(row[0])]


def test_a_corrupt_chunk_is_never_served(node: NodeProcess, tmp_path: Path) -> None:
    data = os.urandom(10 * MiB)
    with httpx.Client(base_url=node.web, trust_env=False, timeout=30) as http:
        assert http.put("/api/v1/files/big.bin", content=data).status_code == 200
        assert http.put("/api/v1/files/small.bin", content=b"tiny file").status_code == 200
        ids = chunk_ids(node, "big.bin")
        assert len(ids) >= 4
        chunkdisk.flip_byte(node.data_dir / "chunks", ids[-2])
        chunkdisk.flip_byte(node.data_dir / "chunks", chunk_ids(node, "small.bin")[0])  # a packed blob

        # the corrupt chunk is in the middle: the status line is out, so the body is cut short
        got = bytearray()
        with pytest.raises(httpx.HTTPError), http.stream("GET", "/api/v1/files/big.bin") as r:
            assert r.status_code == 200
            for piece in r.iter_raw():
                got += piece
        assert len(got) < len(data)
        assert data.startswith(bytes(got))  # what did arrive is right
        with pytest.raises(httpx.HTTPError), http.stream("GET", "/api/download/big.bin") as r:
            r.read()

        # the first chunk is corrupt: a clean JSON error before any byte
        r = http.get("/api/download/small.bin")
        assert r.status_code == 500
        assert r.json()["code"] == "integrity_error" and "error" in r.json() and "detail" in r.json()
        assert b"tiny file" not in r.content

        assert http.get("/api/stats").json()["integrity_errors"] == 2

    outdir = tmp_path / "out"
    outdir.mkdir()
    for name in ("big.bin", "small.bin"):
        out = outdir / name
        res = node.cli("get", name, "-o", str(out), check=False)
        assert res.returncode == 1, res.stderr
        assert "Traceback" not in res.stderr.decode()
        assert len(res.stderr.decode().strip().splitlines()) == 1
        assert not out.exists()
    assert list(outdir.iterdir()) == []  # no partial or temp file either
    st = json.loads(node.cli("status", "--json").stdout)
    assert st["stats"]["integrity_errors"] == 2


def test_sync_with_no_peers_has_the_contract_shape(node: NodeProcess) -> None:
    r = httpx.post(f"{node.web}/api/sync", trust_env=False, timeout=30)
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"results", "message"} and body["results"] == []


def test_good_chunks_still_verify(node: NodeProcess) -> None:
    data = os.urandom(5 * MiB)
    with httpx.Client(base_url=node.web, trust_env=False, timeout=30) as http:
        http.put("/api/v1/files/ok.bin", content=data)
        r = http.get("/api/v1/files/ok.bin")
        assert hashlib.sha256(r.content).hexdigest() == r.headers["x-dlbs-sha256"] == hashlib.sha256(data).hexdigest()
        assert http.get("/api/stats").json()["integrity_errors"] == 0
