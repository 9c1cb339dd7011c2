"""Folder backups end to end through the `dlbs` CLI against real nodes: backup, snapshots, ls,
diff, restore (by id and --at), forget; bad input exits 1 with one line and changes nothing; a
node killed mid-backup leaves no snapshot; a corrupt chunk is found by check --read-data and
repaired from a peer; a second node restores a folder it never had, bit-exact."""

from __future__ import annotations

import json
import math
import os
import shutil
import sqlite3
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

import chunkdisk
from backup.backuptree import manifest, restored_root, same_bytes
from nodeproc import NodeProcess, wait_for, write_config

pytestmark = pytest.mark.slow
MakeNode = Callable[..., NodeProcess]
MiB = 1 << 20


def make_source(root: Path) -> Path:
    (root / "docs" / "deep").mkdir(parents=True)
    (root / "empty").mkdir()
    (root / "docs" / "a.txt").write_bytes(b"alpha\n" * 500)
    (root / "docs" / "deep" / "big.bin").write_bytes(os.urandom(3 * MiB + 5))
    (root / "docs" / "gone.txt").write_bytes(b"to be deleted")
    (root / "run.sh").write_bytes(b"#!/bin/sh\n")
    os.chmod(root / "run.sh", 0o755)
    (root / "link").symlink_to("docs/a.txt")
    (root / "x.tmp").write_bytes(b"excluded")
    return root


def snapshots(node: NodeProcess) -> list[dict[str, Any]]:
    return list(json.loads(node.cli("snapshots", "--json").stdout))


def backup(node: NodeProcess, *args: str) -> dict[str, Any]:
    return dict(json.loads(node.cli("backup", *args, "--json", timeout=600).stdout))


def one_line_error(res: Any) -> str:
    err = res.stderr.decode()
    assert res.returncode == 1, (res.returncode, err, res.stdout.decode())
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err


def test_backup_snapshots_ls_diff_restore_forget(make_node: MakeNode, tmp_path: Path) -> None:
    a = make_node("a", False)
    write_config(a, prune_grace=0)
    a.start()
    src = make_source(tmp_path / "src")
    res = a.cli("backup", str(src), "--exclude", "*.tmp")
    assert "saved" in res.stdout.decode()
    first = snapshots(a)
    assert len(first) == 1
    s1 = first[0]
    assert s1["paths"] == [str(src)] and s1["files"] == 4 and s1["symlinks"] == 1 and s1["excludes"] == ["*.tmp"]
    assert not s1["partial"] and s1["parent"] is None and len(s1["id"]) == 32
    jobs = httpx.get(f"{a.web}/api/v1/jobs", timeout=10).json()["jobs"]
    prog = next(j for j in jobs if j["kind"] == "backup" and j["state"] == "done")["progress"]
    assert prog["files_done"] == prog["files_total"] == 4 and prog["bytes_done"] == prog["bytes_total"] > 3 * MiB
    want1 = {k: v for k, v in manifest(src).items() if k != "x.tmp"}

    # change the source; make sure the next snapshot's time is a later second than the first's
    (src / "docs" / "a.txt").write_bytes(b"changed\n")
    (src / "docs" / "gone.txt").unlink()
    (src / "new.txt").write_bytes(b"new file")
    wait_for(lambda: time.time() > math.ceil(s1["time"]) + 0.05, timeout=3, what="the next second")
    s2 = backup(a, str(src), "--exclude", "*.tmp")
    assert s2["parent"] == s1["id"] and s2["files"] == 4
    assert [s["id"] for s in snapshots(a)] == [s1["id"], s2["id"]]
    want2 = {k: v for k, v in manifest(src).items() if k != "x.tmp"}

    listing = json.loads(a.cli("ls", "--snapshot", s1["short_id"], str(src / "docs"), "--json").stdout)
    assert {e["path"] for e in listing["entries"]} == {str(src / p) for p in
                                                        ("docs", "docs/a.txt", "docs/gone.txt", "docs/deep",
                                                         "docs/deep/big.bin")}
    link = json.loads(a.cli("ls", "--snapshot", s1["id"], "--json").stdout)["entries"]
    assert any(e["type"] == "symlink" and e["target"] == "docs/a.txt" for e in link)

    diff = a.cli("diff", s1["short_id"], s2["short_id"]).stdout.decode()
    assert f"+ {src}/new.txt" in diff and f"- {src}/docs/gone.txt" in diff and f"M {src}/docs/a.txt" in diff
    assert "1 added, 1 removed" in diff and "big.bin" not in diff

    out1 = tmp_path / "out1"
    res = a.cli("restore", s1["short_id"], "--target", str(out1))
    assert "restored 4 file(s)" in res.stdout.decode()
    assert manifest(restored_root(out1, src)) == want1

    # --at: a second between the two snapshots gives the first; a later minute gives the newest
    between = datetime.fromtimestamp(math.ceil(s1["time"])).strftime("%Y-%m-%d %H:%M:%S")
    out_at = tmp_path / "out-at"
    a.cli("restore", "--at", between, str(src / "docs"), "--target", str(out_at))
    assert (out_at / "docs" / "gone.txt").read_bytes() == b"to be deleted"
    assert (out_at / "docs" / "a.txt").read_bytes() == b"alpha\n" * 500
    later = datetime.fromtimestamp(s2["time"] + 60).strftime("%Y-%m-%d %H:%M")
    out_late = tmp_path / "out-late"
    a.cli("restore", "--at", later, "--target", str(out_late))
    assert manifest(restored_root(out_late, src)) == want2
    early = datetime.fromtimestamp(s1["time"] - 3600).strftime("%Y-%m-%d %H:%M")
    one_line_error(a.cli("restore", "--at", early, "--target", str(tmp_path / "never"), check=False))
    assert not (tmp_path / "never").exists()

    # forget: a dry run changes nothing, then the real one forgets the first and prunes its chunks
    chunks_before = chunkdisk.held_ids(a.data_dir / "chunks")
    dry = a.cli("forget", "--keep-last", "1", "--dry-run").stdout.decode()
    assert "would forget 1 snapshot(s), kept 1" in dry and s1["short_id"] in dry
    assert [s["id"] for s in snapshots(a)] == [s1["id"], s2["id"]]
    assert chunkdisk.held_ids(a.data_dir / "chunks") == chunks_before
    real = a.cli("forget", "--keep-last", "1").stdout.decode()
    assert "forgot 1 snapshot(s), kept 1" in real
    assert [s["id"] for s in snapshots(a)] == [s2["id"]]
    chunks_after = chunkdisk.held_ids(a.data_dir / "chunks")
    assert chunks_after < chunks_before  # the first tree and the old a.txt/gone.txt chunks are gone
    one_line_error(a.cli("restore", s1["id"], "--target", str(tmp_path / "forgotten"), check=False))
    out2 = tmp_path / "out2"
    a.cli("restore", s2["id"], "--target", str(out2))
    assert manifest(restored_root(out2, src)) == want2
    assert json.loads(a.cli("check", "--read-data", "--json").stdout)["ok"] is True


def test_bad_input_exits_1_with_one_line_and_changes_nothing(make_node: MakeNode, tmp_path: Path) -> None:
    a = make_node("a")
    src = make_source(tmp_path / "src")
    snap = backup(a, str(src))
    before = snapshots(a)
    src_before = manifest(src)
    unknown = ("0" if snap["id"][0] != "0" else "1") * 8
    out = tmp_path / "out"
    clash = tmp_path / "clash"
    (restored_root(clash, src) / "docs").mkdir(parents=True)
    (restored_root(clash, src) / "docs" / "a.txt").write_bytes(b"mine")
    cases = {
        "missing source": ["backup", str(tmp_path / "does-not-exist")],
        "unknown id (restore)": ["restore", unknown, "--target", str(out)],
        "unknown id (ls)": ["ls", "--snapshot", unknown],
        "unknown id (diff)": ["diff", unknown, snap["id"]],
        "short id": ["restore", snap["id"][:3], "--target", str(out)],
        "not an id": ["restore", "zzzzzzzz", "--target", str(out)],
        "target inside the source": ["restore", snap["id"], "--target", str(src / "restored")],
        "target is the source": ["restore", snap["id"], "--target", str(src)],
        "existing files": ["restore", snap["id"], "--target", str(clash)],
        "path not in snapshot": ["restore", snap["id"], str(tmp_path / "elsewhere"), "--target", str(out)],
        "bad time": ["restore", "--at", "yesterday-ish", "--target", str(out)],
        "negative keep rule": ["forget", "--keep-last", "-1"],
        "no keep rule": ["forget"],
    }
    for what, args in cases.items():
        res = a.cli(*args, check=False)
        try:
            one_line_error(res)
        except AssertionError as exc:
            raise AssertionError(f"{what}: {exc}") from None
        assert snapshots(a) == before, what
        assert not out.exists(), what
    assert manifest(src) == src_before
    assert (restored_root(clash, src) / "docs" / "a.txt").read_bytes() == b"mine"
    assert sorted(p.name for p in (restored_root(clash, src)).iterdir()) == ["docs"]


def test_a_node_killed_mid_backup_leaves_no_snapshot(make_node: MakeNode, tmp_path: Path) -> None:
    a = make_node("a")
    small = make_source(tmp_path / "small")
    backup(a, str(small))
    before = snapshots(a)
    big = tmp_path / "big"
    big.mkdir()
    for i in range(30):
        (big / f"f{i:02d}.bin").write_bytes(os.urandom(10 * MiB))
    want = manifest(big)
    chunk_bytes_before = chunkdisk.disk_bytes(a.data_dir / "chunks")
    with httpx.Client(base_url=a.web, timeout=30) as http:
        job = http.post("/api/v1/backups", json={"paths": [str(big)], "exclude": []}).json()

        def started() -> bool:
            j = http.get(f"/api/v1/jobs/{job['id']}").json()
            assert j["state"] == "running", j  # killed before it could finish
            return bool((j.get("progress") or {}).get("bytes_done", 0) > 0)

        wait_for(started, timeout=30, interval=0.01, what="the backup to have read some bytes")
    a.kill()
    assert chunkdisk.disk_bytes(a.data_dir / "chunks") > chunk_bytes_before  # it was killed mid-way
    a.start()
    assert snapshots(a) == before
    snap = backup(a, str(big))
    assert not snap["partial"] and snap["files"] == 30
    assert [s["id"] for s in snapshots(a)] == [*(s["id"] for s in before), snap["id"]]
    out = tmp_path / "out"
    a.cli("restore", snap["id"], "--target", str(out), timeout=600)
    assert manifest(restored_root(out, big)) == want
    assert json.loads(a.cli("check", "--json").stdout)["ok"] is True


def test_repair_from_a_peer_and_restore_on_a_node_that_never_had_the_folder(make_node: MakeNode,
                                                                             tmp_path: Path) -> None:
    a = make_node("a")
    token = a.cli("invite", "--data-dir", str(a.data_dir)).stdout.decode().strip()
    b = make_node("b", False)
    joined = b.cli("join", token, "--peer", a.peer, "--data-dir", str(b.data_dir), "--port", str(b.port),
                   "--web-port", str(b.web_port), "--name", "b").stdout.decode()
    assert f"dlbs node --data-dir {b.data_dir}" in joined  # a second node on one machine: say which
    assert json.loads((b.data_dir / "config.json").read_text())["web_port"] == b.web_port
    b.start()

    src = make_source(tmp_path / "src")
    snap = backup(a, str(src))
    want = manifest(src)
    a_chunks = chunkdisk.held_ids(a.data_dir / "chunks")
    wait_for(lambda: any(s["id"] == snap["id"] for s in snapshots(b)), timeout=60, interval=0.2,
             what="b to have the snapshot")
    wait_for(lambda: a_chunks <= chunkdisk.held_ids(b.data_dir / "chunks"), timeout=60, interval=0.2,
             what="b to hold every chunk")

    # b restores a folder it never had; the source is moved away first
    orig = tmp_path / "orig"
    shutil.move(str(src), orig)
    out_b = tmp_path / "out-b"
    b.cli("restore", snap["short_id"], "--target", str(out_b))
    assert manifest(restored_root(out_b, src)) == want
    assert same_bytes(orig, restored_root(out_b, src))

    # corrupt one chunk of big.bin on a: check finds it, --repair fetches it from b
    entries = json.loads(a.cli("ls", "--snapshot", snap["id"], "--json").stdout)["entries"]
    assert any(e["path"].endswith("big.bin") for e in entries)
    conn = sqlite3.connect(f"file:{a.data_dir / 'catalog.db'}?mode=ro", uri=True)
    try:
        sizes = dict(conn.execute("SELECT id, length FROM chunks").fetchall())
    finally:
        conn.close()
    victim = max(sizes, key=lambda cid: sizes[cid]).hex()  # a chunk of big.bin (the largest): a file of its own
    small_victim = min(sizes, key=lambda cid: sizes[cid]).hex()  # a small file's chunk: inside a pack
    assert chunkdisk.locate(a.data_dir / "chunks", small_victim).packed  # type: ignore[union-attr]
    chunkdisk.flip_byte(a.data_dir / "chunks", victim)
    chunkdisk.flip_byte(a.data_dir / "chunks", small_victim)

    found = a.cli("check", "--read-data", "--json", check=False)
    assert found.returncode == 1
    report = json.loads(found.stdout)
    assert sorted(report["corrupt"]) == sorted([victim, small_victim]) and report["ok"] is False
    fixed = json.loads(a.cli("check", "--read-data", "--repair", "--json").stdout)
    assert sorted(fixed["repaired"]) == sorted([victim, small_victim]) and fixed["ok"] is True
    assert json.loads(a.cli("check", "--read-data", "--json").stdout)["ok"] is True
    out_a = tmp_path / "out-a"
    a.cli("restore", snap["id"], "--target", str(out_a))
    assert manifest(restored_root(out_a, src)) == want
    assert same_bytes(orig, restored_root(out_a, src))
