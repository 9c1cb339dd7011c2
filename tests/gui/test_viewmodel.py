"""The desktop app's view model, without a display: tree rows, node rows, stats, history, log lines."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from dlbs.gui import viewmodel as vm


def entry(path: str, size: int = 10, modified: str = "2024-05-01T10:00:00Z", sha: str = "ab" * 32,
          **extra: Any) -> dict[str, Any]:
    return {"path": path, "size": size, "modified": modified, "sha256": sha, "versions": 1, "conflict": False,
            "deleted": False, **extra}


def test_view_model_has_no_tkinter() -> None:
    """The pure modules import without tkinter (checked in a fresh interpreter)."""
    code = ("import sys, dlbs.gui.viewmodel, dlbs.gui.formatting, dlbs.gui.settings_form, dlbs.gui.worker; "
            "sys.exit('tkinter' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0


def test_build_tree_nests_folders_before_files_sorted() -> None:
    rows = vm.build_tree([
        entry("b.txt"), entry("docs/2024/z.pdf", size=2048), entry("A.txt"), entry("docs/readme.md", size=1024),
        entry("docs/2024/a.pdf", size=1024, modified="2024-06-01T00:00:00Z"),
    ])
    assert [(r.iid, r.parent) for r in rows] == [
        ("d:docs", ""), ("d:docs/2024", "d:docs"), ("f:docs/2024/a.pdf", "d:docs/2024"),
        ("f:docs/2024/z.pdf", "d:docs/2024"), ("f:docs/readme.md", "d:docs"), ("f:A.txt", ""), ("f:b.txt", ""),
    ]
    docs = rows[0]
    assert docs.is_dir and docs.name == "docs" and docs.size == "4.0 KiB" and docs.hash == ""
    assert docs.modified.startswith("2024-06-01") or docs.modified.startswith("2024-05-31")  # local zone
    leaf = rows[2]
    assert leaf.name == "a.pdf" and leaf.size == "1.0 KiB" and leaf.hash == "abababababab"


def test_build_tree_skips_deleted_and_marks_conflicts() -> None:
    rows = vm.build_tree([entry("gone.txt", deleted=True), entry("x.txt", conflict=True)])
    assert [r.path for r in rows] == ["x.txt"]
    assert rows[0].conflict


def test_build_tree_parents_always_precede_children() -> None:
    rows = vm.build_tree([entry(f"a/b{i % 3}/c{i}.txt") for i in range(30)] + [entry("a/top.txt")])
    seen = {""}
    for r in rows:
        assert r.parent in seen
        seen.add(r.iid)


def test_files_under_expands_selected_folders() -> None:
    rows = vm.build_tree([entry("a/x"), entry("a/b/y"), entry("c")])
    assert sorted(vm.files_under(rows, ["d:a"])) == ["a/b/y", "a/x"]
    assert vm.files_under(rows, ["f:c", "d:a/b"]) == ["a/b/y", "c"]
    assert vm.files_under(rows, []) == []


def test_node_rows_one_node_cluster_shows_no_peers() -> None:
    rows = vm.node_rows({"node_name": "laptop", "uptime": 75, "nodes": []}, "http://127.0.0.1:5000")
    assert [(r.name, r.state) for r in rows] == [("laptop", "online"), ("no peers", "none")]
    assert "up 1m 15s" in rows[0].detail


def test_node_rows_peers_online_and_down() -> None:
    from dlbs.service import ago  # what the node puts in /api/v1/status

    now = 1_000_000.0
    status = {"node_name": "a", "uptime": 5, "nodes": [
        {"name": "pi", "address": "10.0.0.2:8000", "online": True, "last_sync_ago": ago(now, now - 180), "behind": 2},
        {"name": "", "address": "10.0.0.3:8000", "online": False, "reason": "connection refused",
         "last_seen_ago": ago(now, None)},
        {"name": "nas", "address": "10.0.0.4:8000", "online": True, "last_sync_ago": ago(now, None)},
        {"name": "old", "address": "10.0.0.5:8000", "online": False, "last_seen_ago": ago(now, now - 7200)},
    ]}
    rows = vm.node_rows(status, "http://x")
    assert [(r.name, r.state) for r in rows] == [("a", "online"), ("pi", "online"), ("10.0.0.3:8000", "offline"),
                                                  ("nas", "online"), ("old", "offline")]
    assert rows[1].detail == "synced 3m ago · 2 behind"
    assert rows[2].detail == "connection refused · never seen"
    assert rows[3].detail == "online, not synced yet"
    assert rows[4].detail == "last seen 2h ago"


def test_node_rows_unreachable_node_is_down() -> None:
    rows = vm.node_rows(None, "http://127.0.0.1:1", "connection refused")
    assert len(rows) == 1 and rows[0].state == "offline" and rows[0].detail == "connection refused"


def test_stat_cards() -> None:
    cards = vm.stat_cards({"total_files": 1234, "total_versions": 2000, "stored_bytes": 3 * 1024**2,
                           "total_size": 6 * 1024**2, "dedup_ratio": 2.0, "chunks": 7, "nodes_total": 3,
                           "nodes_online": 2, "last_sync": None})
    assert [(c.label, c.value) for c in cards] == [
        ("Files", "1,234"), ("Stored", "3.0 MiB"), ("Dedup", "2.00×"), ("Nodes online", "2 / 3")]
    assert cards[3].hint == "never synced"
    assert [c.value for c in vm.stat_cards(None)] == ["—"] * 4


def test_history_rows_newest_first_with_current_marked() -> None:
    history = {"path": "f", "current": "n:2", "versions": [
        {"id": "n:1", "version": 1, "time": "2024-01-01T00:00:00Z", "size": 5, "sha256": "1" * 64,
         "origin_name": "a", "deleted": False},
        {"id": "n:2", "version": 2, "time": "2024-01-02T00:00:00Z", "size": 0, "sha256": "", "origin_name": "b",
         "deleted": True},
    ]}
    rows = vm.history_rows(history)
    assert [r.version for r in rows] == [2, 1]
    assert rows[0].current and rows[0].deleted and rows[0].size == "deleted"
    assert not rows[1].current and rows[1].hash == "111111111111" and rows[1].origin == "a"


def test_event_lines_and_cursor() -> None:
    events = [{"id": 3, "time": 0, "kind": "upload", "level": "success", "message": "Stored x"},
              {"id": 7, "time": 0, "kind": "peer", "level": "bogus", "message": "?"}]
    lines = [vm.event_line(e) for e in events]
    assert (lines[0].source, lines[0].level, lines[0].text) == ("upload", "success", "Stored x")
    assert lines[1].level == "info"  # unknown levels fall back, never crash
    assert vm.last_event_id(events, 2) == 7
    assert vm.last_event_id([], 5) == 5


def test_sync_lines() -> None:
    ok = vm.sync_lines({"results": [
        {"node": "b", "name": "pi", "status": "ok", "pulled_versions": 3, "fetched_chunks": 4, "bytes": 2048},
        {"node": "c", "status": "offline", "error": "connection refused"},
    ]})
    assert [(line.level, line.text) for line in ok] == [
        ("success", "Sync with pi: ok (3 versions, 4 chunks, 2.0 KiB)"),
        ("error", "Sync with c: connection refused"),
    ]
    none = vm.sync_lines({"results": [], "message": "no peers"})
    assert none[0].text == "Sync: no peers" and none[0].level == "info"


def test_one_version_is_not_plural() -> None:
    cards = vm.stat_cards({"total_files": 1, "total_versions": 1, "stored_bytes": 10, "total_size": 10})
    assert any(c.hint == "1 version" for c in cards)
