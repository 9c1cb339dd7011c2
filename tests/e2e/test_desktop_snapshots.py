"""The desktop app's Snapshots tab end to end: the real Tk app on the shared Xvfb display against a
real node process.

A person backs up a folder through the app (the folder dialog replaced by the `ask_directory`
seam), sees the snapshot listed, browses it one folder at a time (a folder's children are fetched
with depth=1 when its arrow is clicked), and restores it — whole, one folder of it, and again over
existing files after saying yes — into empty folders; the bytes match. The test pumps
`root.update()` while waiting on conditions, never on sleeps. Screenshot: test-artifacts/.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from tkinter import ttk
from typing import Any

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


def _spy_on_contents_requests(h: Harness) -> list[dict[str, Any]]:
    """The query of every GET /api/v1/snapshots/<id> the app makes (recorded on its worker thread)."""
    asked: list[dict[str, Any]] = []
    submit = h.app.calls.submit

    class Spy:
        def __init__(self, client: Any) -> None:
            self.client = client

        def __getattr__(self, name: str) -> Any:
            return getattr(self.client, name)

        def get_json(self, url: str, **params: Any) -> Any:
            if url.startswith("/api/v1/snapshots/"):
                asked.append(params)
            return self.client.get_json(url, **params)

    def spying(call: Callable[[Any], Any], *args: Any, **kw: Any) -> bool:
        return submit(lambda client: call(Spy(client)), *args, **kw)

    h.app.calls.submit = spying  # type: ignore[method-assign]
    return asked


def _click_arrow(h: Harness, tree: ttk.Treeview, iid: str) -> None:
    """Click the arrow in front of a folder, as a person opens it."""
    tree.see(iid)
    h.root.update()
    x0, y0, width, height = tree.bbox(iid)  # type: ignore[misc]
    y = y0 + height // 2
    x = next((x for x in range(x0, x0 + width) if "indicator" in tree.identify_element(x, y)), None)
    assert x is not None, f"no arrow in front of {iid}"
    tree.event_generate("<ButtonPress-1>", x=x, y=y)
    tree.event_generate("<ButtonRelease-1>", x=x, y=y)


def test_desktop_app_backs_up_browses_and_restores(make_node: Callable[..., NodeProcess],
                                                   harness_for: Callable[[str], Harness], tmp_path: Path,
                                                   artifacts: Path, capfd: pytest.CaptureFixture[str]) -> None:
    node = make_node("a")
    h = harness_for(node.web)
    app, panel = h.app, h.app.window.snapshots
    asked = _spy_on_contents_requests(h)
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

    # the new snapshot is selected and browsed: the backed-up folder, open, with its children only
    cat = f"{src}/photos/cat.jpg"
    tree = panel.contents.tree
    h.until(lambda: panel.contents_of == first.iid and tree.exists(f"f:{src}/report.txt"), "its contents")
    assert tree.parent(f"d:{src}/photos") == f"d:{src}" and tree.parent(f"d:{src}") == ""
    assert tree.item(f"d:{src}", "text").strip() == str(src) and tree.item(f"d:{src}", "open")
    assert tree.item(f"d:{src}", "values")[0] == "1.7 MiB"  # the folder's whole subtree
    assert tree.item(f"d:{src}/photos", "values")[0] == "1.7 MiB"
    assert tree.item(f"f:{src}/report.txt", "values")[0] == "3.5 KiB"
    assert tree.item(f"f:{src}/latest report", "values")[2] == "→ report.txt"
    assert [tree.item(i, "text").strip() for i in tree.get_children(f"d:{src}")] == [
        "empty", "photos", "latest report", "report.txt"]
    # photos/ is not loaded yet: one "Loading…" line makes it expandable
    assert tree.get_children(f"d:{src}/photos") == (f"p:{src}/photos",) and not tree.exists(f"f:{cat}")
    assert tree.item(f"p:{src}/photos", "text").strip() == "Loading…"
    assert {str(a["prefix"]) for a in asked} == {str(src.parent), str(src)}
    assert all(a.get("depth") == 1 for a in asked), "no request for a whole tree"

    # clicking its arrow fetches that folder's children (depth=1), and only them
    _click_arrow(h, tree, f"d:{src}/photos")
    h.until(lambda: tree.exists(f"f:{cat}"), "the photos folder's children")
    assert tree.item(f"d:{src}/photos", "open") and asked[-1] == {"prefix": f"{src}/photos", "depth": 1}
    assert tree.parent(f"f:{cat}") == f"d:{src}/photos" and not tree.exists(f"p:{src}/photos")
    assert tree.item(f"f:{cat}", "values")[0] == "1.4 MiB" and len(tree.item(f"f:{cat}", "values")[2]) == 12
    assert tree.item(f"d:{src}/photos/2024", "values")[0] == "293.0 KiB"
    assert tree.get_children(f"d:{src}/photos/2024") == (f"p:{src}/photos/2024",)
    _click_arrow(h, tree, f"d:{src}/empty")  # an empty folder: its "Loading…" goes, nothing comes
    h.until(lambda: not tree.get_children(f"d:{src}/empty"), "the empty folder")
    loads = len(asked)
    _click_arrow(h, tree, f"d:{src}/photos")  # closed and opened again: nothing fetched again
    _click_arrow(h, tree, f"d:{src}/photos")
    h.root.update()
    assert len(asked) == loads and tree.item(f"d:{src}/photos", "open")
    assert panel.selected_entry().path == f"{src}/photos"  # type: ignore[union-attr]  # a click selects
    tree.selection_set(())
    h.root.update()
    assert app.window.restore_button.cget("text") == "Restore snapshot…"

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
    assert not tree.exists(f"f:{cat}"), "another snapshot starts with its folders closed"

    # what a person would look at: the newest snapshot open, a photo selected
    _click_arrow(h, tree, f"d:{src}/photos")
    h.until(lambda: tree.exists(f"d:{src}/photos/2024") and tree.exists(f"f:{cat}"), "the photos again")
    _click_arrow(h, tree, f"d:{src}/photos/2024")
    h.until(lambda: tree.exists(f"f:{src}/photos/2024/dog.png"), "the 2024 folder's children")
    assert tree.item(f"f:{src}/photos/2024/dog.png", "values")[0] == "293.0 KiB"
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
