"""The Snapshots tab's view model, without a display: snapshot rows, contents rows (one folder at a
time), job progress, job outcomes and the "files exist" question."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from dlbs.gui import snapshots_model as sm


def snap(sid: str, time: float, **extra: Any) -> dict[str, Any]:
    return {"id": sid, "short_id": sid[:8], "time": time, "host": "vm", "paths": ["/home/me/docs"], "files": 1234,
            "dirs": 5, "size": 3 * 1024**2, "added_bytes": 1536, "partial": False, "errors": [], **extra}


def entry(path: str, type_: str = "file", size: int = 0, **extra: Any) -> dict[str, Any]:
    return {"path": path, "type": type_, "mode": 0o644, "mtime_ns": 1_714_557_600_000_000_000, "size": size,
            "sha256": "cd" * 32 if type_ == "file" else "", "target": "", **extra}


def test_model_has_no_tkinter() -> None:
    code = "import sys, dlbs.gui.snapshots_model; sys.exit('tkinter' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0


def test_snapshot_rows_newest_first_with_units_and_badge() -> None:
    rows = sm.snapshot_rows([snap("a" * 32, 1_700_000_000), snap("b" * 32, 1_700_000_500, partial=True,
                                                                 errors=["/home/me/docs/x: permission denied"]),
                             {"id": "", "time": 1}])
    assert [r.iid for r in rows] == ["b" * 32, "a" * 32]
    newest = rows[0]
    assert newest.short_id == "bbbbbbbb" and newest.host == "vm" and newest.paths == "/home/me/docs"
    assert (newest.files, newest.size, newest.added) == ("1,234", "3.0 MiB", "1.5 KiB")
    assert newest.partial and newest.status == "▲ partial (1)" and newest.problems[0].endswith("denied")
    assert rows[1].status == "✔ complete"
    assert len(newest.time) == len("2023-11-14 22:13:20")


def test_snapshot_rows_tolerate_missing_fields() -> None:
    (row,) = sm.snapshot_rows([{"id": "c" * 32}])
    assert (row.short_id, row.host, row.paths, row.files, row.size, row.time) == (
        "cccccccc", "—", "—", "0", "—", "—")


def test_snapshot_summary() -> None:
    text = sm.snapshot_summary(snap("d" * 32, 1_700_000_000, files=1, partial=True))
    assert text.startswith("dddddddd · ") and text.endswith(" · vm · 1 file · 3.0 MiB · partial")


def test_child_rows_of_one_folder_with_loading_notes_under_folders() -> None:
    docs = "d:/home/me/docs"
    rows = sm.child_rows([
        entry("/home/me/docs/b.txt", size=10), entry("/home/me/docs/zeta", "dir", size=5 * 1024**2, files=7),
        entry("/home/me/docs/A", "dir", size=2048, files=1), entry("/home/me/docs/link", "symlink", target="b.txt"),
        entry("/home/me/docs/a.txt", size=5), entry("relative/ignored"), entry("/", "dir"),
    ], docs)
    assert [(r.iid, r.parent) for r in rows] == [
        ("d:/home/me/docs/A", docs), ("p:/home/me/docs/A", "d:/home/me/docs/A"),
        ("d:/home/me/docs/zeta", docs), ("p:/home/me/docs/zeta", "d:/home/me/docs/zeta"),
        ("f:/home/me/docs/a.txt", docs), ("f:/home/me/docs/b.txt", docs), ("f:/home/me/docs/link", docs),
    ]
    by = {r.iid: r for r in rows}
    folder, note = by["d:/home/me/docs/zeta"], by["p:/home/me/docs/zeta"]
    assert (folder.name, folder.path, folder.is_dir, folder.size) == ("zeta", "/home/me/docs/zeta", True, "5.0 MiB")
    assert folder.modified != "—" and folder.hash == ""
    assert (note.name, note.path, note.is_dir, note.conflict) == (sm.LOADING, "", False, False)
    assert by["f:/home/me/docs/a.txt"].hash == "cd" * 6 and by["f:/home/me/docs/b.txt"].size == "10 B"
    assert (by["f:/home/me/docs/link"].size, by["f:/home/me/docs/link"].hash) == ("link", "→ b.txt")
    assert sm.is_entry(folder.iid) and sm.is_entry("f:/x") and not sm.is_entry(note.iid)
    assert sm.placeholder_iid(folder.iid) == note.iid
    assert sm.child_rows([], docs) == []


def test_child_rows_top_level_names_and_a_limit() -> None:
    (top,) = sm.child_rows([entry("/etc/hosts", size=3, mtime_ns=None)], "")
    assert (top.iid, top.parent, top.name, top.modified) == ("f:/etc/hosts", "", "/etc/hosts", "—")
    many = [entry(f"/d/{i:03}") for i in range(50)]
    rows = sm.child_rows(many, "d:/d", limit=10)
    assert len(rows) == 11 and rows[9].path == "/d/009"
    more = rows[-1]
    assert (more.iid, more.parent, more.name, more.path) == ("m:d:/d", "d:/d", "… 40 more not shown", "")
    assert not sm.is_entry(rows[-1].iid)


def test_root_rows_from_the_listing_of_their_parents() -> None:
    listing = [entry("/home/me/docs", "dir", size=3 * 1024, files=2), entry("/home/me/other", "dir"),
               entry("/home/me/notes.md", size=7)]
    rows = sm.root_rows(["/home/me/docs", "/home/me/notes.md", "/srv/gone", "/home/me/docs", "rel"], listing)
    assert [(r.iid, r.parent, r.name) for r in rows] == [
        ("d:/home/me/docs", "", "/home/me/docs"), ("p:/home/me/docs", "d:/home/me/docs", sm.LOADING),
        ("f:/home/me/notes.md", "", "/home/me/notes.md"),
        ("d:/srv/gone", "", "/srv/gone"), ("p:/srv/gone", "d:/srv/gone", sm.LOADING),
    ]
    assert rows[0].size == "3.0 KiB" and rows[2].size == "7 B" and rows[3].size == "—"
    assert sm.parent_path("/home/me/docs") == "/home/me" and sm.parent_path("/srv") == "/"
    assert sm.parent_path("/") == "/" and sm.parent_path("/a/b/") == "/a"


def test_a_note_row_for_a_folder_that_could_not_be_loaded() -> None:
    note = sm.note_row("d:/x/y", "⚠ cannot reach the node", problem=True)
    assert (note.iid, note.parent, note.path, note.conflict) == ("p:/x/y", "d:/x/y", "", True)


def test_job_progress_prefers_bytes() -> None:
    job = {"kind": "backup", "state": "running",
           "progress": {"files_done": 3, "files_total": 10, "bytes_done": 1024**2, "bytes_total": 4 * 1024**2}}
    view = sm.job_progress(job)
    assert view.fraction == 0.25
    assert view.text == "Backing up · 3/10 files · 1.0 MiB of 4.0 MiB"
    only_files = sm.job_progress({"kind": "restore", "progress": {"files_done": 1, "files_total": 4,
                                                                  "bytes_done": 0, "bytes_total": 0}})
    assert only_files.fraction == 0.25 and only_files.text.startswith("Restoring · 1/4 files")
    assert sm.job_progress({"kind": "backup", "state": "running", "progress": {}}) == sm.JobView(None, "Backing up…")
    empty_done = sm.job_progress({"kind": "backup", "state": "done", "progress": {"files_total": 0, "bytes_total": 0}})
    assert empty_done.fraction == 1.0
    check = sm.job_progress({"kind": "check", "progress": {"chunks_checked": 5, "chunks_total": 20}})
    assert check == sm.JobView(0.25, "Checking · 5/20 chunks")


def test_job_outcomes() -> None:
    done = sm.job_outcome({"kind": "backup", "state": "done", "title": "Backup of /x",
                           "result": snap("e" * 32, 1, files=2, dirs=1)})
    assert done == sm.Outcome("Snapshot eeeeeeee saved: 2 files, 1 folder, 3.0 MiB (1.5 KiB added)", "success")
    partial = sm.job_outcome({"kind": "backup", "state": "done",
                              "result": snap("f" * 32, 1, partial=True, errors=["/x/a: unreadable"])})
    assert partial.level == "warning" and partial.text.endswith("PARTIAL: 1 problem")
    assert partial.details == ("/x/a: unreadable",)
    restored = sm.job_outcome({"kind": "restore", "state": "done", "result": {
        "snapshot": "0123456789abcdef", "target": "/tmp/out", "files_done": 1, "bytes_done": 2048}})
    assert restored == sm.Outcome("Restored 1 file (2.0 KiB) from snapshot 01234567 into /tmp/out", "success")
    failed = sm.job_outcome({"kind": "restore", "state": "failed", "title": "Restore of 01234567 into /t",
                             "error": {"error": "cannot restore here", "detail": "/t/a: Permission denied"}})
    assert failed == sm.Outcome("Restore of 01234567 into /t failed: cannot restore here (/t/a: Permission denied)",
                                "error")


def test_restore_question_only_for_existing_files() -> None:
    q = sm.restore_question("files exist", "2 file(s) already exist in /t, e.g. a.txt; allow overwriting "
                                           "(--overwrite) or choose an empty folder")
    assert q is not None
    assert q.startswith("2 file(s) already exist in /t, e.g. a.txt.\n\nReplace them") and "--overwrite" not in q
    assert sm.restore_question("target is not a folder", "/t") is None


def test_restore_texts() -> None:
    assert sm.restore_what("01234567", None) == "snapshot 01234567"
    assert sm.restore_what("01234567", "/a/b") == "/a/b from snapshot 01234567"
    assert sm.restore_button_text(False, None) == "Restore…"
    assert sm.restore_button_text(True, None) == "Restore snapshot…"
    assert sm.restore_button_text(True, "/home/me/docs/photos") == "Restore “photos”…"
    assert sm.restore_button_text(True, "/x/" + "n" * 40) == f"Restore “{'n' * 17}…”…"
