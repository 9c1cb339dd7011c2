"""`dlbs gui`: the desktop app, a client of one node's HTTP API (never of its files).

`App` wires the window's buttons to NodeClient calls. It is owned by the Tk thread: every call to
the node runs on a CallRunner thread, and its result comes back through the runner's queue, which
`_tick` drains every 50 ms with `root.after`, so the window never waits on the network. A node that
is down shows as down; errors become log lines and status-bar text, never tracebacks.
"""

from __future__ import annotations

import contextlib
import logging
import time
import tkinter as tk
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from tkinter import filedialog, messagebox
from typing import Any

from dlbs.client import NodeClient, default_node_url
from dlbs.errors import DlbsError, InvalidInput
from dlbs.gui.dialogs import HistoryDialog, SettingsDialog
from dlbs.gui.formatting import clock_time, error_text, human_size, unavailable_text
from dlbs.gui.settings_form import form_values, parse_settings
from dlbs.gui.snapshots import AskDirectory, Snapshots
from dlbs.gui.theme import apply_theme
from dlbs.gui.transfers import Transfers
from dlbs.gui.viewmodel import (
    Level,
    app_line,
    build_tree,
    event_line,
    history_rows,
    last_event_id,
    node_rows,
    stat_cards,
    sync_lines,
)
from dlbs.gui.window import MainWindow
from dlbs.gui.worker import CallRunner

log = logging.getLogger(__name__)

TICK_MS = 50
REFRESH_KINDS = {"upload", "delete", "restore", "sync", "backup"}
FIRST_EVENTS = 30  # on start, show only the node's most recent events

AskOpenFiles = Callable[[], Sequence[str]]
AskSaveAs = Callable[[str], str]
Confirm = Callable[[str, str], bool]


class App:
    """The desktop app's behaviour. Test seams: `ask_open_files()` returns local paths to upload,
    `ask_save_as(suggested_name)` a path to save to ("" = cancelled), `confirm(title, message)`
    answers a yes/no question, `ask_directory(title)` returns a folder ("" = cancelled) to back up
    or restore into, `make_client()` builds the NodeClient each worker thread uses."""

    def __init__(self, root: tk.Tk, node_url: str | None = None, *, ask_open_files: AskOpenFiles | None = None,
                 ask_save_as: AskSaveAs | None = None, confirm: Confirm | None = None,
                 ask_directory: AskDirectory | None = None, make_client: Callable[[], Any] | None = None,
                 poll_ms: int = 2000) -> None:
        self.root = root
        self.node_url = (node_url or default_node_url()).rstrip("/")
        self.ask_open_files = ask_open_files or (lambda: filedialog.askopenfilenames(
            parent=root, title="Upload files to dlbs"))
        self.ask_save_as = ask_save_as or (lambda name: filedialog.asksaveasfilename(
            parent=root, title="Save as", initialfile=name))
        self.confirm = confirm or (lambda title, message: messagebox.askyesno(
            title, message, parent=root, icon="warning"))
        self.ask_directory = ask_directory or (lambda title: filedialog.askdirectory(
            parent=root, title=title, mustexist=False))
        self.poll_ms = poll_ms
        self.calls = CallRunner(make_client or (lambda: NodeClient(self.node_url, timeout=30.0)))
        self.fonts = apply_theme(root)
        self.window = MainWindow(root, self.fonts, self.node_url, {
            "upload": self.upload, "save_as": self.save_as, "history": self.show_history,
            "delete": self.delete_selected, "refresh": self.refresh, "sync": self.sync_now,
            "settings": self.open_settings, "open_file": self.show_history,
            "backup": lambda: self.snapshots.backup_folder(), "restore": lambda: self.snapshots.restore_selected(),
            "select_snapshot": lambda sid: self.snapshots.browse(sid),
            "open_snapshot_folder": lambda path: self.snapshots.open_folder(path),
        })
        self.snapshots = Snapshots(self)
        self.transfers = Transfers(self)
        self.online: bool | None = None
        self.syncing = False
        self.files: list[dict[str, Any]] = []
        self.settings_dialog: SettingsDialog | None = None
        self.history_dialog: HistoryDialog | None = None
        self._config: dict[str, Any] = {}
        self._event_cursor: int | None = None
        self._uptime = 0.0
        self._closed = False
        root.report_callback_exception = self._tk_error  # type: ignore[method-assign]
        root.protocol("WM_DELETE_WINDOW", self.close)
        self.window.stats.show(stat_cards(None))
        self.say(f"Connecting to the node at {self.node_url}…")
        root.after(TICK_MS, self._tick)
        root.after_idle(self.refresh_files)
        root.after_idle(self._poll_loop)

    # ---- the loop ---------------------------------------------------------------------------------

    def _tick(self) -> None:
        if self._closed:
            return
        self.calls.drain()
        self.root.after(TICK_MS, self._tick)

    def refresh(self) -> None:
        """Reload everything now: files, snapshots, status, stats and new events."""
        self.refresh_files()
        self._poll_once()

    def _poll_loop(self) -> None:
        """Every `poll_ms`: status, stats and new events (a call still running is not repeated)."""
        if self._closed:
            return
        self._poll_once()
        self.root.after(self.poll_ms, self._poll_loop)

    def _poll_once(self) -> None:
        self.calls.submit(lambda c: c.status(refresh=False), self._got_status, self._status_failed, key="status")
        self.calls.submit(lambda c: c.stats(), self._got_stats, lambda _e: None, key="stats")
        after = self._event_cursor or 0
        self.calls.submit(lambda c: c.events(after), self._got_events, lambda _e: None, key="events")
        self.snapshots.refresh()

    def refresh_files(self) -> None:
        self.calls.submit(lambda c: c.list(), self._got_files, partial(self._failed, "Listing files"),
                          key="files")

    def _got_files(self, files: list[dict[str, Any]]) -> None:
        self.files = files
        self.window.tree.show(build_tree(files))
        self.window.clock.configure(text=f"files updated {clock_time(time.time())}")

    def _got_status(self, status: dict[str, Any]) -> None:
        uptime = float(status.get("uptime") or 0)
        if uptime < self._uptime:  # the node restarted: its event ids start again at 1
            self._event_cursor = 0
        self._uptime = uptime
        self.window.nodes.show(node_rows(status, self.node_url))
        name = status.get("node_name") or "node"
        self.window.set_connection("online", f"{name} online")
        if self.online is not True:
            if self.online is False:
                self.note(f"The node at {self.node_url} is reachable again", "success")
                self.refresh_files()
            self.say(f"Connected to {name} at {self.node_url}")
        self.online = True

    def _status_failed(self, exc: DlbsError) -> None:
        text = error_text(exc)
        self.window.nodes.show(node_rows(None, self.node_url, exc.detail or text))
        self.window.set_connection("offline", "node down")
        self.window.stats.show(stat_cards(None))
        if not self.window.tree.rows:
            self.window.tree.placeholder("Cannot reach the node. Its files appear here once it is back.")
        if self.online is not False:
            self.note(text, "error")
        self.online = False

    def _got_stats(self, stats: dict[str, Any]) -> None:
        self.window.stats.show(stat_cards(stats))

    def _got_events(self, events: list[dict[str, Any]]) -> None:
        first = self._event_cursor is None
        self._event_cursor = last_event_id(events, self._event_cursor or 0)
        shown = events[-FIRST_EVENTS:] if first else events
        for ev in shown:
            self.window.log.append(event_line(ev))
        if not first and any(ev.get("kind") in REFRESH_KINDS for ev in events):
            self.refresh_files()

    # ---- messages ---------------------------------------------------------------------------------

    def note(self, text: str, level: Level = "info") -> None:
        """Log one of the app's own actions and show it in the status bar."""
        self.window.log.append(app_line(text, level))
        self.say(text, level)

    def say(self, text: str, level: Level = "info") -> None:
        self.window.set_status(text, level)

    def _failed(self, action: str, exc: DlbsError) -> None:
        self.note(error_text(exc, action), "error")

    def _tk_error(self, exc_type: type[BaseException], exc: BaseException, _tb: object) -> None:
        log.error("GUI callback failed: %s: %s", exc_type.__name__, exc)
        self.note(f"Internal error: {error_text(exc)}", "error")

    # ---- actions ----------------------------------------------------------------------------------

    def upload(self) -> None:
        """Ask for files (the `ask_open_files` seam) and upload them into the selected folder."""
        chosen = list(self.ask_open_files() or ())
        if chosen:
            self.transfers.upload([Path(p) for p in chosen], self._target_folder())

    def _target_folder(self) -> str:
        sel = self.window.tree.tree.selection()
        if len(sel) == 1:
            iid = sel[0]
            return iid[2:] if iid.startswith("d:") else iid[2:].rpartition("/")[0]
        return ""

    def delete_selected(self) -> None:
        paths = self.window.tree.selected_files()
        if not paths:
            self.say("Select the files (or a folder) to delete first.", "warning")
            return
        listing = "\n".join(f"  • {p}" for p in paths[:12]) + (f"\n  … and {len(paths) - 12} more"
                                                              if len(paths) > 12 else "")
        what = paths[0] if len(paths) == 1 else f"{len(paths)} files"
        if self.confirm("Delete from the backup network?",
                        f"Delete {what}?\n\n{listing}\n\nEarlier versions stay in the history."):
            self.transfers.delete(paths)

    def save_as(self) -> None:
        path = self.window.tree.single_file()
        if path is None:
            self.say("Select one file to save.", "warning")
            return
        self.download_version(path, None)

    def download_version(self, path: str, version: int | None) -> None:
        target = self.ask_save_as(path.rsplit("/", 1)[-1])
        if target:
            self.transfers.download(path, Path(target), version)

    def sync_now(self) -> None:
        if self.syncing:
            return
        self.syncing = True
        self.window.sync_button.state(["disabled"])
        self.note("Sync started…")
        self.calls.submit(lambda c: c.sync(), self._synced, self._sync_failed)

    def _synced(self, result: dict[str, Any]) -> None:
        self._sync_over()
        lines = sync_lines(result)
        for line in lines:
            self.window.log.append(line)
        worst: Level = "error" if any(line.level == "error" for line in lines) else "success"
        self.say(lines[-1].text if len(lines) == 1 else f"Sync finished with {len(lines)} nodes", worst)
        self.refresh()

    def _sync_failed(self, exc: DlbsError) -> None:
        self._sync_over()
        self.note(unavailable_text(exc, "Sync now", "POST /api/sync"), "error")

    def _sync_over(self) -> None:
        self.syncing = False
        self.window.sync_button.state(["!disabled"])

    # ---- settings ---------------------------------------------------------------------------------

    def open_settings(self) -> None:
        if self.settings_dialog is not None and self.settings_dialog.winfo_exists():
            self.settings_dialog.lift()
            return
        dialog = SettingsDialog(self.root, self.fonts, on_save=self.save_settings)
        self.settings_dialog = dialog

        def loaded(cfg: dict[str, Any]) -> None:
            self._config = cfg
            if dialog.winfo_exists():
                dialog.fill(*form_values(cfg))

        def failed(exc: DlbsError) -> None:
            if dialog.winfo_exists():
                dialog.show_error(error_text(exc, "Loading settings"))
            self._failed("Loading settings", exc)

        self.calls.submit(lambda c: c.config(), loaded, failed)

    def save_settings(self, nodes: str, schedule: str, replicas: str) -> None:
        """Validate the form locally, then POST /api/nodes and /api/v1/config; the node's error
        detail, if any, is shown in the dialog and the log."""
        dialog = self.settings_dialog if self.settings_dialog and self.settings_dialog.winfo_exists() else None
        try:
            settings = parse_settings(nodes, schedule, replicas)
        except InvalidInput as exc:
            if dialog:
                dialog.show_error(error_text(exc))
            self.note(error_text(exc, "Saving settings"), "warning")
            return
        if dialog:
            dialog.set_busy(True, "Saving…")
        sync = dict(self._config.get("sync") or {})

        loaded_nodes = self._config.get("nodes")

        def call(c: Any) -> dict[str, Any]:
            if settings.nodes != loaded_nodes:
                c.set_nodes(settings.nodes)
            return dict(c.set_config(settings.config_change(sync)))

        def saved(cfg: dict[str, Any]) -> None:
            self._config = cfg
            if dialog:
                dialog.close()
            peers = len(settings.nodes)
            replicas_text = "every node" if settings.replicas is None else str(settings.replicas)
            self.note(f"Settings saved: {peers} peer{'s' if peers != 1 else ''}, sync {settings.schedule}, "
                      f"replicas {replicas_text}", "success")
            self.refresh()

        def failed(exc: DlbsError) -> None:
            if dialog and dialog.winfo_exists():
                dialog.show_error(error_text(exc, "The node refused the settings"))
            self._failed("Saving settings", exc)

        self.calls.submit(call, saved, failed)

    # ---- history ----------------------------------------------------------------------------------

    def show_history(self, path: str | None = None) -> None:
        path = path or self.window.tree.single_file()
        if path is None:
            self.say("Select one file to see its history.", "warning")
            return
        if self.history_dialog is not None and self.history_dialog.winfo_exists():
            self.history_dialog.close()
        target = path
        self.history_dialog = HistoryDialog(self.root, self.fonts, path,
                                            on_restore=lambda v: self.restore_version(target, v),
                                            on_download=lambda v: self.download_version(target, v))
        self._load_history(path)

    def _load_history(self, path: str) -> None:
        dialog = self.history_dialog

        def shown(history: dict[str, Any]) -> None:
            if dialog is not None and dialog.winfo_exists():
                dialog.show(history_rows(history))

        def failed(exc: DlbsError) -> None:
            if dialog is not None and dialog.winfo_exists():
                dialog.show_error(error_text(exc, "Loading the history"))
            self._failed(f"History of {path}", exc)

        self.calls.submit(lambda c: c.history(path), shown, failed)

    def restore_version(self, path: str, version: int) -> None:
        def restored(v: dict[str, Any]) -> None:
            self.note(f"Restored {path} to version {version} (now version {v.get('version', '?')}, "
                      f"{human_size(v.get('size'))})", "success")
            self.refresh_files()
            if self.history_dialog is not None and self.history_dialog.winfo_exists() \
                    and self.history_dialog.path == path:
                self._load_history(path)

        self.note(f"Restoring {path} to version {version}…")
        self.calls.submit(lambda c: c.restore(path, version), restored,
                          partial(self._failed, f"Restoring {path}"))

    # ---- shutdown ---------------------------------------------------------------------------------

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.calls.close()
        self.window.tree.release_images()
        self.window.snapshots.release_images()
        with contextlib.suppress(tk.TclError):  # already gone
            self.root.destroy()


def run(node_url: str | None = None) -> None:
    """Open the window and run until it is closed. SystemExit with a readable message when there
    is no display to open it on."""
    try:
        root = tk.Tk(className="dlbs")
    except tk.TclError as exc:
        raise SystemExit(f"dlbs gui: cannot open a window ({exc}); is DISPLAY set?") from None
    App(root, node_url)
    with contextlib.suppress(KeyboardInterrupt):
        root.mainloop()
