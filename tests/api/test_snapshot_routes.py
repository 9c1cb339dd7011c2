"""GET /api/v1/snapshots/<id>[?prefix=&depth=1]: a snapshot's entries, or one folder's children."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from apiclient import InProcessClient, assert_error


@pytest.fixture
def snap(web: InProcessClient, tmp_path: Path) -> tuple[str, Path]:
    src = tmp_path / "src"
    (src / "photos" / "2024").mkdir(parents=True)
    (src / "photos" / "2024" / "a.jpg").write_bytes(b"a" * 1000)
    (src / "photos" / "2024" / "b.jpg").write_bytes(b"b" * 2000)
    (src / "photos" / "top.jpg").write_bytes(b"t" * 300)
    (src / "notes.txt").write_bytes(b"hello")
    (src / "empty").mkdir()
    (src / "link").symlink_to("notes.txt")
    job = web.post("/api/v1/backups", json={"paths": [str(src)], "exclude": []}).json()
    done = web.get(f"/api/v1/jobs/{job['id']}?wait=10").json()
    assert done["state"] == "done", done
    return str(done["result"]["id"]), src


def test_depth_1_lists_one_folder_with_subtree_totals(web: InProcessClient, snap: tuple[str, Path]) -> None:
    sid, src = snap
    r = web.get(f"/api/v1/snapshots/{sid}?prefix={quote(str(src))}&depth=1")
    assert r.status_code == 200, r.text
    rows = {e["path"].rsplit("/", 1)[-1]: e for e in r.json()["entries"]}
    assert list(rows) == ["empty", "photos", "link", "notes.txt"]  # folders first, then by name
    assert (rows["photos"]["type"], rows["photos"]["files"], rows["photos"]["size"]) == ("dir", 3, 3300)
    assert (rows["empty"]["files"], rows["empty"]["size"]) == (0, 0)
    assert rows["notes.txt"]["size"] == 5 and rows["link"]["target"] == "notes.txt"
    assert rows["photos"]["mtime_ns"] == (src / "photos").stat().st_mtime_ns

    deeper = web.get(f"/api/v1/snapshots/{sid}?prefix={quote(str(src / 'photos'))}&depth=1").json()["entries"]
    assert [(e["path"].rsplit("/", 1)[-1], e.get("files")) for e in deeper] == [("2024", 2), ("top.jpg", None)]


def test_without_depth_the_whole_subtree_comes_back(web: InProcessClient, snap: tuple[str, Path]) -> None:
    sid, src = snap
    entries = web.get(f"/api/v1/snapshots/{sid}?prefix={quote(str(src / 'photos'))}").json()["entries"]
    assert sorted(e["path"][len(str(src)):] for e in entries) == [
        "/photos", "/photos/2024", "/photos/2024/a.jpg", "/photos/2024/b.jpg", "/photos/top.jpg"]


@pytest.mark.parametrize("depth", ["0", "2", "all", ""])
def test_a_bad_depth_is_a_clear_400(web: InProcessClient, snap: tuple[str, Path], depth: str) -> None:
    sid, _ = snap
    assert assert_error(web.get(f"/api/v1/snapshots/{sid}?depth={depth}"), 400)["error"] == "invalid depth"


def test_a_path_that_is_not_in_the_snapshot_is_a_404(web: InProcessClient, snap: tuple[str, Path]) -> None:
    sid, src = snap
    for depth in ("", "&depth=1"):
        body = assert_error(web.get(f"/api/v1/snapshots/{sid}?prefix={quote(str(src / 'nope'))}{depth}"), 404)
        assert body["error"] == "path not in snapshot" and "nope" in body["detail"]
    empty = web.get(f"/api/v1/snapshots/{sid}?prefix={quote(str(src / 'empty'))}&depth=1")
    assert empty.status_code == 200 and empty.json()["entries"] == []  # an empty folder is there
