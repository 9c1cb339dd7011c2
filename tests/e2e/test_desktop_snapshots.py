"""The desktop app's Snapshots tab end to end: the real Tk app on the shared Xvfb display against a
real node process.

A person backs up a folder through the app (the folder dialog replaced by the `ask_directory`
seam), sees the snapshot listed, browses it, and restores it — whole, one folder of it, and again
over existing files after saying yes — into empty folders; the bytes match. The test pumps
`root.update()` while waiting on conditions, never on sleeps. Screenshot: test-artifacts/.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from test_desktop_gui import Harness, harness_for, xdisplay

from nodeproc import NodeProcess

pytestmark = pytest.mark.slow
__all__ = ["harness_for", "xdisplay"]  # fixtures shared with test_desktop_gui.py (one Xvfb per run)


def _same_tree(source: Path, copy: Path) -> None:
    """Every file under `source` is in `copy` with the same bytes, and nothing else is."""
    want = {p.relative_to(source): p.read_bytes() for p in source.rglob("*") if p.is_file()}
    got = {p.relative_to(copy): p.read_bytes() for p in copy.rglob("*") if p.is_file()}
    assert got.keys() == want.keys()
    assert all(got[k] == want[k] for k in want)


def test_desktop_app_backs_up_browses_and_restores(make_node: Callable[..., NodeProcess],
                                                   harness_for: Callable[[str], Harness], tmp_path: Path,
                                                   artifacts: Path, capfd: pytest.CaptureFixture[str]) -> None:
    node = make_node("a")
    h = harness_for(node.web)
    app, panel = h.app, h.app.window.snapshots
    h.until(lambda: app.online, "the app to reach the node")
    h.until(lambda: not panel.rows and "No snapshots yet" in str(panel.empty.cget("text")), "the empty list")

    src = tmp_path / "my docs"
    (src / "photos" / "2024").mkdir(parents=True)
    (src / "empty").mkdir()
    files = {"report.txt": b"quarterly numbers\n" * 200, "photos/cat.jpg": os.urandom(1_500_000),
             "photos/2024/dog.png": os.urandom(300_000)}
    for rel, data in files.items():
        (src / rel).write_bytes(data)
    (src / "latest report").symlink_to("report.txt")

    # a folder that does not exist is refused with the node's reason, and nothing is left running
    app.window.show_tab("snapshots")
    h.root.update()
    assert app.window.backup_button.winfo_ismapped() and not app.window.upload_button.winfo_ismapped()
    h.folders = [str(tmp_path / "nowhere")]
    app.snapshots.backup_folder()
    h.until(lambda: app.snapshots.active == 0 and h.logged("Backup of", "error"), "the refused backup")
    assert h.logged("source not found", "error")

    # back up through the app's own action, the folder dialog replaced by the seam
    h.progress.clear()
    h.folders = [str(src)]
    app.snapshots.backup_folder()
    assert h.folder_titles[-1] == "Back up a folder"
    h.until(lambda: app.snapshots.active == 0 and h.logged("saved: 3 files", "success"), "the backup job")
    assert any(f is not None and f >= 0.99 for f in h.progress), "the progress bar reached the end"
    assert h.progress[-1] is None, "the progress bar is hidden when done"
    h.until(lambda: len(panel.rows) == 1, "the snapshot to be listed")
    first = panel.rows[0]
    assert first.paths == str(src) and first.files == "3" and not first.partial
    assert app.window.tabs.tab(app.window.snapshots_tab, "text") == "Snapshots  1"

    # the new snapshot is selected and browsed: a tree under the backed-up folder
    cat = f"{src}/photos/cat.jpg"
    h.until(lambda: panel.contents_of == first.iid and panel.contents.tree.exists(f"f:{cat}"), "its contents")
    tree = panel.contents.tree
    assert tree.parent(f"f:{cat}") == f"d:{src}/photos"
    assert tree.parent(f"d:{src}/photos") == f"d:{src}" and tree.parent(f"d:{src}") == ""
    assert tree.item(f"d:{src}", "text").strip() == str(src) and tree.item(f"d:{src}", "open")
    assert tree.exists(f"d:{src}/empty")
    assert tree.item(f"f:{cat}", "values")[0] == "1.4 MiB"
    assert tree.item(f"f:{src}/latest report", "values")[2] == "→ report.txt"

    # restore the whole snapshot into an empty folder: the absolute paths are recreated under it
    whole = tmp_path / "restore-all"
    whole.mkdir()
    h.folders = [str(whole)]
    app.snapshots.restore_selected()
    assert "snapshot" in h.folder_titles[-1]
    h.until(lambda: app.snapshots.active == 0 and h.logged("Restored 3 files"), "the whole restore")
    _same_tree(src, whole / src.relative_to("/"))
    assert os.readlink(whole / src.relative_to("/") / "latest report") == "report.txt"

    # restore one folder of it: select it in the tree
    panel.select_entry(f"{src}/photos")
    h.root.update()
    part = tmp_path / "restore-photos"
    h.folders = [str(part)]
    app.snapshots.restore_selected()
    assert f"{src}/photos" in h.folder_titles[-1]
    h.until(lambda: app.snapshots.active == 0 and h.logged("Restored 2 files"), "the folder restore")
    _same_tree(src / "photos", part / "photos")

    # again into the same folder: the node refuses ("files exist"); "no" changes nothing, "yes" overwrites
    (part / "photos" / "cat.jpg").write_bytes(b"changed since")
    h.folders, h.answer = [str(part)], False
    app.snapshots.restore_selected()
    h.until(lambda: app.snapshots.active == 0 and h.questions, "the question about existing files")
    question = h.questions[-1]
    assert "already exist" in question and "Replace them" in question and "--overwrite" not in question
    assert h.logged("stopped", "warning")
    assert (part / "photos" / "cat.jpg").read_bytes() == b"changed since"
    h.folders, h.answer = [str(part)], True
    restored = len([t for t in h.log_texts() if t.startswith("Restored 2 files")])
    app.snapshots.restore_selected()
    h.until(lambda: app.snapshots.active == 0
            and len([t for t in h.log_texts() if t.startswith("Restored 2 files")]) == restored + 1,
            "the restore with overwrite")
    _same_tree(src / "photos", part / "photos")

    # a second backup after a change: listed first, selected, and its contents show the change
    (src / "report.txt").write_bytes(b"revised numbers\n" * 300)
    (src / "notes.md").write_text("# notes\n")
    h.folders = [str(src)]
    app.snapshots.backup_folder()
    h.until(lambda: app.snapshots.active == 0 and len(panel.rows) == 2, "the second snapshot")
    newest = panel.rows[0]
    assert newest.files == "4" and newest.iid != first.iid
    assert [s["id"] for s in httpx.get(f"{node.web}/api/v1/snapshots").json()["snapshots"]][-1] == newest.iid
    h.until(lambda: panel.contents_of == newest.iid and tree.exists(f"f:{src}/notes.md"), "the newest contents")

    # what a person would look at: the newest snapshot open, a photo selected
    tree.item(f"d:{src}/photos", open=True)
    tree.item(f"d:{src}/photos/2024", open=True)
    panel.select_entry(cat)
    tree.yview_moveto(0)
    h.root.update()
    assert app.window.restore_button.cget("text") == "Restore “cat.jpg”…"
    assert panel.selected_entry() is not None and panel.selected_entry().path == cat  # type: ignore[union-attr]
    h.screenshot(artifacts / "desktop-snapshots.png")

    # the Files tab is still one click away, with its own toolbar
    app.window.show_tab("files")
    h.root.update()
    assert app.window.upload_button.winfo_ismapped() and not app.window.backup_button.winfo_ismapped()
    assert not [t for t in h.log_texts() if t.startswith("Internal error")]
    assert "Traceback" not in capfd.readouterr().err
