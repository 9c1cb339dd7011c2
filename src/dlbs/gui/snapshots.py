"""Folder backups in the desktop app: list the node's snapshots, back up a folder, browse a
snapshot, restore it (or one path of it) into a folder.

Backups and restores run on the node as jobs (POST /api/v1/backups, /api/v1/restores); this
controller polls GET /api/v1/jobs/<id> through the CallRunner every `JOB_POLL_MS` and shows the
progress in the window's progress bar. `Snapshots` is owned by the Tk thread: every network call
runs on a CallRunner thread and its callback comes back to the Tk thread, and the next poll is
scheduled with `root.after`, so no thread ever sleeps to wait for a job.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from typing import Any, Protocol

from dlbs.errors import DlbsError, InvalidInput, NotFound
from dlbs.gui.formatting import error_text
from dlbs.gui.snapshotpanel import SnapshotPanel
from dlbs.gui.snapshots_model import (
    child_rows,
    job_outcome,
    job_progress,
    parent_path,
    restore_question,
    restore_what,
    root_rows,
    snapshot_rows,
    snapshot_summary,
)
from dlbs.gui.viewmodel import Level, app_line, folder_iid
from dlbs.gui.window import MainWindow
from dlbs.gui.worker import CallRunner

JOB_POLL_MS = 250
RETRY_MS = 1000
MAX_POLL_FAILURES = 20  # about 20 s of a node that does not answer before a job is given up on

AskDirectory = Callable[[str], str]  # title -> a folder ("" = cancelled)
Confirm = Callable[[str, str], bool]


class _Scheduler(Protocol):
    def after(self, ms: int, func: Callable[[], None]) -> str: ...


class _Busy(Protocol):
    active: int


class SnapshotHost(Protocol):
    """What the controller needs from the App."""

    calls: CallRunner
    root: _Scheduler
    ask_directory: AskDirectory
    confirm: Confirm

    @property
    def window(self) -> MainWindow: ...

    @property
    def transfers(self) -> _Busy: ...

    def note(self, text: str, level: Level = "info") -> None: ...

    def say(self, text: str, level: Level = "info") -> None: ...


class Snapshots:
    def __init__(self, host: SnapshotHost) -> None:
        self.host = host
        self.snapshots: dict[str, dict[str, Any]] = {}  # id -> the node's JSON, as last listed
        self.active = 0  # backups and restores started and not yet finished (tests wait for 0)
        self.jobs: dict[str, dict[str, Any]] = {}  # running jobs, by id, as last polled
        self._failures: dict[str, int] = {}
        self._select_next: str | None = None  # a snapshot just made: select it once it is listed
        self._browsing = 0  # bumped by every browse(): answers for an earlier one are ignored
        self._loading: set[str] = set()  # folders of the shown snapshot being fetched now

    @property
    def panel(self) -> SnapshotPanel:
        return self.host.window.snapshots

    # ---- the list ---------------------------------------------------------------------------------

    def refresh(self) -> None:
        self.host.calls.submit(lambda c: c.get_json("/api/v1/snapshots"), self._listed, self._list_failed,
                               key="snapshots")

    def _listed(self, body: dict[str, Any]) -> None:
        snaps = [s for s in body.get("snapshots") or [] if isinstance(s, dict) and s.get("id")]
        self.snapshots = {str(s["id"]): s for s in snaps}
        rows = snapshot_rows(snaps)
        self.panel.show(rows)
        self.host.window.set_snapshot_count(len(rows))
        wanted = self._select_next if self._select_next in self.snapshots else None
        if wanted is not None:
            self._select_next = None
            self.panel.select_snapshot(wanted)
        elif rows and self.panel.selected_snapshot() is None and self.panel.contents_of is None:
            self.panel.select_snapshot(rows[0].iid)  # show the newest one's contents from the start

    def _list_failed(self, exc: DlbsError) -> None:
        if isinstance(exc, NotFound):
            self.panel.placeholder("This node does not offer folder backups (GET /api/v1/snapshots answered 404).")
        elif not self.panel.rows:
            self.panel.placeholder("Cannot reach the node. Its snapshots appear here once it is back.")

    # ---- browse -----------------------------------------------------------------------------------

    def browse(self, snapshot_id: str) -> None:
        """Show a snapshot's contents below the list, one folder at a time: its backed-up paths
        first (each from a depth=1 listing of the folder holding it, which gives the path's own
        entry with its subtree's size), then the children of each (GET ...?prefix=&depth=1).
        Deeper folders load when they are opened (`open_folder`)."""
        snap = self.snapshots.get(snapshot_id, {"id": snapshot_id})
        self._browsing += 1
        token = self._browsing
        self._loading.clear()
        self.panel.contents_loading(snapshot_id, snapshot_summary(snap))
        roots = [str(p) for p in snap.get("paths") or () if str(p).startswith("/")] or ["/"]
        parents = list(dict.fromkeys(parent_path(p) for p in roots))
        listed: dict[str, list[Any]] = {}
        info: dict[str, Any] = {"snapshot": snap, "failed": False}

        def current() -> bool:  # the user has not moved on to another snapshot
            return token == self._browsing and self.panel.contents_of == snapshot_id

        def shown(parent: str, body: dict[str, Any]) -> None:
            if not current() or info["failed"]:
                return
            listed[parent] = [e for e in body.get("entries") or [] if isinstance(e, dict)]
            info["snapshot"] = body.get("snapshot") or info["snapshot"]
            if len(listed) < len(parents):
                return
            rows = root_rows(roots, [e for p in parents for e in listed[p]])
            self.panel.show_contents(snapshot_id, snapshot_summary(info["snapshot"]), rows)
            for row in rows:
                if row.is_dir and not row.parent:
                    self._load(snapshot_id, row.path)

        def failed(exc: DlbsError) -> None:
            if current() and not info["failed"] and len(listed) < len(parents):
                info["failed"] = True
                self.panel.contents_error(error_text(exc, f"Loading snapshot {snapshot_id[:8]}"))

        for parent in parents:
            self._list(snapshot_id, parent, partial(shown, parent), failed)

    def open_folder(self, path: str) -> None:
        """The user opened a folder of the shown snapshot whose children are not loaded yet."""
        if self.panel.contents_of is not None:
            self._load(self.panel.contents_of, path)

    def _list(self, snapshot_id: str, folder: str, ok: Callable[[dict[str, Any]], None],
              failed: Callable[[DlbsError], None]) -> None:
        url = f"/api/v1/snapshots/{snapshot_id}"
        self.host.calls.submit(lambda c: c.get_json(url, prefix=folder, depth=1), ok, failed)

    def _load(self, snapshot_id: str, path: str) -> None:
        """Fetch one folder's children and put them in place of its "Loading…" note."""
        token, iid = self._browsing, folder_iid(path)
        if path in self._loading:
            return
        self._loading.add(path)

        def current() -> bool:
            return token == self._browsing and self.panel.contents_of == snapshot_id

        def shown(body: dict[str, Any]) -> None:
            if current():
                self._loading.discard(path)
                entries = [e for e in body.get("entries") or [] if isinstance(e, dict)]
                self.panel.fill_folder(iid, child_rows(entries, iid))

        def failed(exc: DlbsError) -> None:
            if current():
                self._loading.discard(path)
                self.panel.folder_error(iid, error_text(exc, f"Loading {path}"))

        self._list(snapshot_id, path, shown, failed)

    # ---- back up ----------------------------------------------------------------------------------

    def backup_folder(self) -> None:
        """Ask for a folder (the `ask_directory` seam) and back it up into a new snapshot."""
        chosen = self.host.ask_directory("Back up a folder")
        if not chosen:
            return
        path = os.path.abspath(os.path.expanduser(chosen))
        self.host.note(f"Backing up {path}…")
        self._start(f"Backup of {path}", "/api/v1/backups", {"paths": [path], "exclude": []},
                    partial(self._refused, f"Backup of {path}"))

    # ---- restore ----------------------------------------------------------------------------------

    def restore_selected(self) -> None:
        """Restore the file or folder selected in the contents, else the whole selected snapshot."""
        sid = self.panel.selected_snapshot()
        if sid is None:
            self.host.say("Select a snapshot to restore from first.", "warning")
            return
        entry = self.panel.selected_entry() if self.panel.contents_of == sid else None
        self.restore(sid, entry.path if entry else None)

    def restore(self, snapshot_id: str, path: str | None = None) -> None:
        """Ask for a target folder (the `ask_directory` seam), then restore into it; existing files
        are never replaced without asking (`confirm`)."""
        what = restore_what(snapshot_id[:8], path)
        chosen = self.host.ask_directory(f"Restore {what} into…")
        if chosen:
            self._restore(snapshot_id, path, os.path.abspath(os.path.expanduser(chosen)), overwrite=False)

    def _restore(self, snapshot_id: str, path: str | None, target: str, overwrite: bool) -> None:
        what = restore_what(snapshot_id[:8], path)
        self.host.note(f"Restoring {what} into {target}{' (replacing existing files)' if overwrite else ''}…")
        body = {"snapshot": snapshot_id, "path": path, "target": target, "overwrite": overwrite}

        def refused(exc: DlbsError) -> None:
            question = restore_question(exc.message, exc.detail) if isinstance(exc, InvalidInput) else None
            if question is None or overwrite:
                self._refused(f"Restore of {what}", exc)
                return
            self._job_over()
            self.host.note(f"Restore of {what} stopped: {question.split(chr(10))[0]}", "warning")
            if self.host.confirm("Replace existing files?", question):
                self._restore(snapshot_id, path, target, overwrite=True)
            else:
                self.host.say("Restore cancelled: nothing was changed.", "info")

        self._start(f"Restore of {what}", "/api/v1/restores", body, refused)

    # ---- jobs -------------------------------------------------------------------------------------

    def _start(self, title: str, url: str, body: dict[str, Any], refused: Callable[[DlbsError], None]) -> None:
        self.active += 1
        self.host.window.show_progress(0.0, f"{title}: starting…")
        self.host.calls.submit(lambda c: c.post_json(url, body), self._watch, refused)

    def _refused(self, action: str, exc: DlbsError) -> None:
        self._job_over()
        self.host.note(error_text(exc, action), "error")

    def _watch(self, job: dict[str, Any]) -> None:
        """A job's latest state: show its progress, and poll again or report how it ended."""
        job_id = str(job.get("id") or "")
        view = job_progress(job)
        self.host.window.show_progress(view.fraction or 0.0, view.text)
        if job.get("state") == "running" and job_id:
            self.jobs[job_id] = job
            self.host.root.after(JOB_POLL_MS, partial(self._poll, job_id))
            return
        self.jobs.pop(job_id, None)
        self._failures.pop(job_id, None)
        self._finished(job)

    def _poll(self, job_id: str) -> None:
        self.host.calls.submit(lambda c: c.get_json(f"/api/v1/jobs/{job_id}"), self._watch,
                               partial(self._poll_failed, job_id), key=f"job:{job_id}")

    def _poll_failed(self, job_id: str, exc: DlbsError) -> None:
        failures = self._failures.get(job_id, 0) + 1
        self._failures[job_id] = failures
        job = self.jobs.get(job_id, {"id": job_id})
        if isinstance(exc, NotFound) or failures >= MAX_POLL_FAILURES:
            self.jobs.pop(job_id, None)
            self._failures.pop(job_id, None)
            self._job_over()
            why = "the node no longer knows this job (did it restart?)" if isinstance(exc, NotFound) \
                else error_text(exc)
            self.host.note(f"Lost track of {job.get('title') or 'a job'}: {why}", "error")
            return
        self.host.root.after(RETRY_MS, partial(self._poll, job_id))

    def _finished(self, job: dict[str, Any]) -> None:
        self._job_over()
        outcome = job_outcome(job)
        self.host.note(outcome.text, outcome.level)
        for line in outcome.details:
            self.host.window.log.append(app_line(f"  {line}", "warning"))
        if job.get("kind") == "backup" and job.get("state") == "done":
            self._select_next = str((job.get("result") or {}).get("id") or "") or None
            self.refresh()

    def _job_over(self) -> None:
        self.active = max(0, self.active - 1)
        if self.jobs:  # another job is still running: show its progress instead
            view = job_progress(next(iter(self.jobs.values())))
            self.host.window.show_progress(view.fraction or 0.0, view.text)
        elif self.host.transfers.active == 0:
            self.host.window.show_progress(None, "")
