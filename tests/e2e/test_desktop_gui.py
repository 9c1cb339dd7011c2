"""The desktop app end to end: the real Tk app on a private Xvfb display against a real node process.

The app runs in the test thread; the test drives it through the app's own action methods (the file
and confirmation dialogs replaced through the App's seams) and pumps `root.update()` while waiting
on conditions, never on sleeps. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from nodeproc import NodeProcess, free_port, wait_for

pytestmark = pytest.mark.slow

SCREEN = "1400x900"


_SHARED_DISPLAY: list[str] = []  # the one display of this test run, once started


@pytest.fixture(scope="session")
def xdisplay() -> Iterator[str]:
    """A private Xvfb display for the test session; `-displayfd` makes Xvfb pick a free number and
    report it once it accepts connections. Skipped only when Xvfb is not installed.

    One display for every desktop test (test_desktop_snapshots.py imports this fixture, and its copy
    reuses the running server): Tk keeps its X connection after a window is destroyed, and Xlib ends
    the process if that server goes away, so the server outlives every Tk root of the run.
    """
    if _SHARED_DISPLAY:
        yield _SHARED_DISPLAY[0]
        return
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.skip("Xvfb is not installed (apt-get install xvfb) - cannot show the Tk app headless")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen([xvfb, "-displayfd", str(write_fd), "-screen", "0", f"{SCREEN}x24", "-nolisten", "tcp"],
                            pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    old = os.environ.get("DISPLAY")
    try:
        with os.fdopen(read_fd, "rb") as pipe:
            number = pipe.readline().decode().strip()  # blocks until the server is ready (or exits)
        if not number.isdigit():
            raise AssertionError(f"Xvfb did not start (exit code {proc.poll()})")
        display = f":{number}"
        os.environ["DISPLAY"] = display
        if shutil.which("xdpyinfo"):
            wait_for(lambda: subprocess.run(["xdpyinfo"], capture_output=True, timeout=5).returncode == 0,
                     timeout=15, what=f"display {display} to accept connections")
        _SHARED_DISPLAY.append(display)
        yield display
    finally:
        _SHARED_DISPLAY.clear()
        if old is None:
            os.environ.pop("DISPLAY", None)
        else:
            os.environ["DISPLAY"] = old
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


class Harness:
    """The app in this thread, plus helpers to pump Tk while waiting on a condition."""

    def __init__(self, url: str, tmp: Path) -> None:
        import tkinter as tk

        from dlbs.gui.app import App

        self.to_upload: list[str] = []
        self.save_to: str = ""
        self.folders: list[str] = []  # what the folder dialog answers, in order ("" = cancel)
        self.folder_titles: list[str] = []
        self.questions: list[str] = []
        self.answer = True
        self.progress: list[float | None] = []
        self.root = tk.Tk()
        self.app = App(self.root, url, poll_ms=500,
                       ask_open_files=lambda: list(self.to_upload),
                       ask_save_as=lambda _name: self.save_to,
                       confirm=self._confirm, ask_directory=self._ask_directory)
        self.root.geometry(f"{SCREEN}+0+0")  # fill the screen for the screenshots
        show = self.app.window.show_progress

        def record(fraction: float | None, text: str = "") -> None:
            self.progress.append(fraction)
            show(fraction, text)

        self.app.window.show_progress = record  # type: ignore[method-assign]

    def _confirm(self, title: str, message: str) -> bool:
        self.questions.append(f"{title}\n{message}")
        return self.answer

    def _ask_directory(self, title: str) -> str:
        self.folder_titles.append(title)
        return self.folders.pop(0) if self.folders else ""

    def until(self, pred: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
        def pumped() -> Any:
            self.root.update()
            return pred()

        return wait_for(pumped, timeout=timeout, interval=0.02, what=what)

    def idle(self) -> bool:
        return self.app.transfers.active == 0

    def paths(self) -> set[str]:
        return {r.path for r in self.app.window.tree.rows if not r.is_dir}

    def log_texts(self) -> list[str]:
        return [line.text for line in self.app.window.log.lines]

    def logged(self, fragment: str, level: str | None = None) -> bool:
        return any(fragment in line.text and (level is None or line.level == level)
                   for line in self.app.window.log.lines)

    def screenshot(self, path: Path) -> None:
        self.root.update()
        self.root.update_idletasks()
        subprocess.run(["import", "-window", "root", str(path)], check=True, timeout=30)
        assert path.stat().st_size > 10_000

    def close(self) -> None:
        self.app.close()


_CLOSED_APPS: list[Harness] = []


@pytest.fixture
def harness_for(xdisplay: str, tmp_path: Path) -> Iterator[Callable[[str], Harness]]:
    made: list[Harness] = []

    def make(url: str) -> Harness:
        h = Harness(url, tmp_path)
        made.append(h)
        return h

    yield make
    for h in made:
        h.close()
    # Never free a closed app: a Tcl interpreter (or a Tk variable) deleted by a garbage collection
    # that happens to run on another thread (a later test's worker threads) aborts the whole test
    # process. Kept here, they are freed at interpreter exit, on the main thread.
    _CLOSED_APPS.extend(made)
    made.clear()


def test_desktop_app_uploads_lists_deletes_syncs(make_node: Callable[..., NodeProcess],
                                                 harness_for: Callable[[str], Harness], tmp_path: Path,
                                                 artifacts: Path, capfd: pytest.CaptureFixture[str]) -> None:
    node = make_node("a")
    h = harness_for(node.web)
    app = h.app
    h.until(lambda: app.online, "the app to reach the node")
    name = httpx.get(f"{node.web}/api/v1/status").json()["node_name"]
    assert h.app.window.nodes.states() == {name: "online", "no peers": "none"}

    local = tmp_path / "local"
    local.mkdir()
    files = {"report.pdf": os.urandom(700_000), "photo.jpg": os.urandom(2_600_000), "notes.txt": b"version one\n"}
    for name, data in files.items():
        (local / name).write_bytes(data)

    # multi-file upload through the app's own action, the file dialog replaced by the seam
    h.to_upload = [str(local / n) for n in files]
    app.upload()
    h.until(lambda: h.idle() and h.paths() >= set(files), "the three uploads to appear in the tree")
    assert any(f is not None and f >= 0.99 for f in h.progress), "the progress bar reached the end"
    assert h.progress[-1] is None, "the progress bar is hidden when done"
    row = next(r for r in app.window.tree.rows if r.path == "photo.jpg")
    assert row.size == "2.5 MiB" and len(row.hash) == 12
    assert app.window.tree.tree.item("f:photo.jpg", "values")[0] == "2.5 MiB"

    # into a folder: select it and upload again
    app.transfers.upload([local / "notes.txt"], "projects/2024")
    h.until(lambda: h.idle() and "projects/2024/notes.txt" in h.paths(), "an upload into a folder")
    app.window.tree.tree.selection_set("d:projects/2024")
    (local / "plan.md").write_text("# plan\n")
    h.to_upload = [str(local / "plan.md")]
    app.upload()
    h.until(lambda: h.idle() and "projects/2024/plan.md" in h.paths(), "an upload into the selected folder")
    assert app.window.tree.tree.parent("f:projects/2024/plan.md") == "d:projects/2024"

    # a second version, then history: restore version 1 and save version 1 to disk
    (local / "notes.txt").write_bytes(b"version two, longer\n")
    h.to_upload = [str(local / "notes.txt")]
    app.window.tree.tree.selection_set(())
    app.upload()
    h.until(lambda: h.idle() and h.logged("Uploaded notes.txt", "success") and h.logged("version 2"),
            "the second version")
    app.window.tree.select_paths(["notes.txt"])
    app.show_history()
    dialog = app.history_dialog
    assert dialog is not None
    h.until(lambda: len(dialog.rows) == 2, "the history dialog to list two versions")
    assert dialog.rows[0].current and dialog.rows[0].version == 2
    dialog.select_version(1)
    h.save_to = str(tmp_path / "notes-v1.txt")
    dialog._with_version(lambda v: app.download_version("notes.txt", v))
    h.until(lambda: h.idle() and h.logged("Saved notes.txt (version 1)"), "saving version 1")
    assert (tmp_path / "notes-v1.txt").read_bytes() == b"version one\n"
    dialog._with_version(lambda v: app.restore_version("notes.txt", v))
    h.until(lambda: h.logged("Restored notes.txt to version 1", "success"), "the restore")
    h.until(lambda: len(dialog.rows) == 3 and dialog.rows[0].current, "the history to show the restore")
    assert httpx.get(f"{node.web}/api/v1/files/notes.txt").content == b"version one\n"
    h.screenshot(artifacts / "desktop-gui-history.png")
    dialog.close()

    # save as (the save dialog replaced by the seam)
    app.window.tree.select_paths(["photo.jpg"])
    h.save_to = str(tmp_path / "photo-copy.jpg")
    app.save_as()
    h.until(lambda: h.idle() and h.logged("Saved photo.jpg"), "save as")
    assert (tmp_path / "photo-copy.jpg").read_bytes() == files["photo.jpg"]

    # delete asks first; "no" keeps the file, "yes" deletes it
    app.window.tree.select_paths(["report.pdf"])
    h.answer = False
    app.delete_selected()
    assert h.questions and "report.pdf" in h.questions[-1]
    h.answer = True
    app.window.tree.select_paths(["report.pdf"])
    app.delete_selected()
    h.until(lambda: h.idle() and "report.pdf" not in h.paths(), "report.pdf to leave the tree")
    assert "report.pdf" not in {f["path"] for f in httpx.get(f"{node.web}/api/v1/files").json()["files"]}

    # settings: local validation first, then the node takes a valid change
    app.open_settings()
    settings = app.settings_dialog
    assert settings is not None
    h.until(lambda: "disabled" not in settings.save_button.state(), "the settings to load")
    settings.set_values("not an address", "daily", "")
    settings.save()
    assert "host:port" in str(settings.error.cget("text"))
    assert h.logged("Saving settings failed", "warning")
    settings.set_values("", "hourly", "")
    settings.save()
    h.until(lambda: h.logged("Settings saved", "success"), "the settings to be saved")
    assert not settings.winfo_exists()
    cfg = httpx.get(f"{node.web}/api/v1/config").json()
    assert cfg["sync"]["schedule"] == "hourly" and cfg["replicas"] is None and cfg["nodes"] == []

    # sync now: whatever the node answers (results, or 404 while the route is missing) is logged
    app.sync_now()
    h.until(lambda: not app.syncing, "sync to finish")
    sync_lines = [t for t in h.log_texts() if t.startswith("Sync") and t != "Sync started…"]
    assert sync_lines, h.log_texts()

    # the node's own events reach the log, and the stats strip is filled in
    h.until(lambda: any(line.source == "upload" for line in app.window.log.lines), "node events in the log")
    h.until(lambda: app.window.stats.cards[0].value == str(len(h.paths())), "the stats strip to catch up")
    app.window.tree.tree.item("d:projects", open=True)
    app.window.tree.tree.item("d:projects/2024", open=True)
    app.window.tree.select_paths(["photo.jpg"])
    h.screenshot(artifacts / "desktop-gui.png")

    assert not [t for t in h.log_texts() if t.startswith("Internal error")]
    assert "Traceback" not in capfd.readouterr().err


def test_desktop_app_shows_a_down_node_as_down(harness_for: Callable[[str], Harness], tmp_path: Path,
                                               artifacts: Path, capfd: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens here
    h = harness_for(url)
    app = h.app
    h.until(lambda: app.online is False, "the app to notice the node is down")
    assert app.window.nodes.states() == {"this node": "offline"}
    assert "down" in str(app.window.pill.cget("text"))
    assert h.logged("cannot reach the node", "error")
    assert "cannot reach the node" in str(app.window.status.cget("text"))

    # every action fails politely, and none blocks the Tk thread
    (tmp_path / "x.txt").write_text("x")
    h.to_upload = [str(tmp_path / "x.txt")]
    start = time.monotonic()
    app.upload()
    app.sync_now()
    app.open_settings()
    app.show_history("x.txt")
    app.refresh()
    assert time.monotonic() - start < 1.0, "actions return at once; the calls run off the Tk thread"
    h.until(lambda: h.idle() and not app.syncing and h.logged("Upload of x.txt failed", "error")
            and h.logged("Sync now failed", "error") and h.logged("Loading settings failed", "error")
            and h.logged("History of x.txt failed", "error"), "every action to report its error")
    assert app.settings_dialog is not None
    assert "cannot reach the node" in str(app.settings_dialog.error.cget("text"))
    app.settings_dialog.close()
    assert app.history_dialog is not None
    app.history_dialog.close()
    h.screenshot(artifacts / "desktop-gui-down.png")
    assert not [t for t in h.log_texts() if t.startswith("Internal error")]
    assert "Traceback" not in capfd.readouterr().err
