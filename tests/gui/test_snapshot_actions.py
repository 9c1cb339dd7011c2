"""The Snapshots controller without a display: backup and restore jobs are polled until they end,
the "files exist" refusal asks before overwriting, and a node that stops answering is given up on.

The CallRunner is replaced by one that runs each call at once, `root.after` by a list the test
runs by hand, and the window by fakes that record what would be shown.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dlbs.errors import DlbsError, InvalidInput, NotFound, PeerError
from dlbs.gui.snapshots import MAX_POLL_FAILURES, Snapshots
from dlbs.gui.viewmodel import LogLine


class FakeNode:
    """Answers get_json/post_json from scripted responses (a value or an exception to raise)."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, Any]]] = []
        self.post_answers: list[Any] = []
        self.job_answers: list[Any] = []
        self.snapshots: list[dict[str, Any]] = []

    def post_json(self, url: str, body: dict[str, Any]) -> Any:
        self.posts.append((url, body))
        return _answer(self.post_answers.pop(0))

    def get_json(self, url: str, **_params: Any) -> Any:
        if url == "/api/v1/snapshots":
            return {"snapshots": self.snapshots}
        if url.startswith("/api/v1/jobs/"):
            return _answer(self.job_answers.pop(0))
        return {"snapshot": {"id": url.rsplit("/", 1)[-1]}, "entries": []}


def _answer(value: Any) -> Any:
    if isinstance(value, BaseException):
        raise value
    return value


class InlineCalls:
    def __init__(self, node: FakeNode) -> None:
        self.node = node

    def submit(self, call: Callable[[Any], Any], on_ok: Callable[[Any], None] | None = None,
               on_error: Callable[[DlbsError], None] | None = None, key: str | None = None) -> bool:
        try:
            value = call(self.node)
        except DlbsError as exc:
            if on_error:
                on_error(exc)
        else:
            if on_ok:
                on_ok(value)
        return True


class FakePanel:
    def __init__(self) -> None:
        self.rows: list[Any] = []
        self.contents_of: str | None = None
        self.selected: str | None = None
        self.entry: Any = None

    def show(self, rows: list[Any]) -> None:
        self.rows = rows

    def placeholder(self, text: str) -> None: ...

    def selected_snapshot(self) -> str | None:
        return self.selected

    def select_snapshot(self, sid: str) -> None:
        self.selected = sid

    def selected_entry(self) -> Any:
        return self.entry

    def contents_loading(self, sid: str, _summary: str) -> None:
        self.contents_of = sid

    def show_contents(self, sid: str, _summary: str, _rows: list[Any]) -> None: ...

    def contents_error(self, text: str) -> None: ...


class FakeLog:
    def __init__(self) -> None:
        self.lines: list[LogLine] = []

    def append(self, line: LogLine) -> None:
        self.lines.append(line)


class FakeWindow:
    def __init__(self) -> None:
        self.snapshots = FakePanel()
        self.log = FakeLog()
        self.progress: list[tuple[float | None, str]] = []
        self.count = -1

    def show_progress(self, fraction: float | None, text: str = "") -> None:
        self.progress.append((fraction, text))

    def set_snapshot_count(self, n: int) -> None:
        self.count = n


class FakeRoot:
    def __init__(self) -> None:
        self.later: list[tuple[int, Callable[[], None]]] = []

    def after(self, ms: int, func: Callable[[], None]) -> str:
        self.later.append((ms, func))
        return "after#1"

    def run_pending(self) -> int:
        pending, self.later = self.later, []
        for _ms, func in pending:
            func()
        return len(pending)


class Host:
    def __init__(self) -> None:
        self.node = FakeNode()
        self.calls = InlineCalls(self.node)
        self.root = FakeRoot()
        self.window = FakeWindow()
        self.folders: list[str] = []
        self.answers: list[bool] = []
        self.questions: list[str] = []
        self.notes: list[tuple[str, str]] = []

        class Busy:
            active = 0

        self.transfers = Busy()

    def ask_directory(self, _title: str) -> str:
        return self.folders.pop(0) if self.folders else ""

    def confirm(self, _title: str, message: str) -> bool:
        self.questions.append(message)
        return self.answers.pop(0)

    def note(self, text: str, level: str = "info") -> None:
        self.notes.append((text, level))

    def say(self, text: str, level: str = "info") -> None:
        self.notes.append((text, level))


def job(state: str, kind: str = "backup", **extra: Any) -> dict[str, Any]:
    return {"id": "j1", "kind": kind, "title": f"{kind} of /x", "state": state, "progress": {}, "result": None,
            "error": None, **extra}


def snapshot(sid: str) -> dict[str, Any]:
    return {"id": sid, "short_id": sid[:8], "time": 1.0, "host": "vm", "paths": ["/x"], "files": 1, "dirs": 1,
            "size": 1, "added_bytes": 1, "partial": False, "errors": []}


def test_a_backup_is_polled_until_done_then_listed_and_selected() -> None:
    host = Host()
    s = Snapshots(host)  # type: ignore[arg-type]
    host.folders = ["/x/../x"]
    host.node.post_answers = [job("running")]
    half = {"files_done": 1, "files_total": 2, "bytes_done": 50, "bytes_total": 100}
    host.node.job_answers = [job("running", progress=half), job("done", progress={**half, "bytes_done": 100},
                                                                 result=snapshot("a" * 32))]
    host.node.snapshots = [snapshot("a" * 32)]
    s.backup_folder()
    assert host.node.posts == [("/api/v1/backups", {"paths": ["/x"], "exclude": []})]
    assert s.active == 1 and host.root.later[0][0] == 250
    host.root.run_pending()
    assert host.window.progress[-1] == (0.5, "Backing up · 1/2 files · 50 B of 100 B")
    host.root.run_pending()
    assert s.active == 0 and not s.jobs and not host.root.later
    assert host.window.progress[-1] == (None, "")
    assert (1.0, "Backing up · 1/2 files · 100 B of 100 B") in host.window.progress
    assert host.notes[-1][1] == "success" and host.notes[-1][0].startswith("Snapshot aaaaaaaa saved")
    assert host.window.snapshots.selected == "a" * 32 and host.window.count == 1


def test_a_cancelled_dialog_does_nothing() -> None:
    host = Host()
    s = Snapshots(host)  # type: ignore[arg-type]
    s.backup_folder()
    host.window.snapshots.selected = "b" * 32
    s.restore_selected()
    assert not host.node.posts and s.active == 0


def test_restore_asks_before_overwriting_and_retries() -> None:
    host = Host()
    s = Snapshots(host)  # type: ignore[arg-type]
    panel = host.window.snapshots
    panel.selected = panel.contents_of = "b" * 32

    class Entry:
        path = "/x/photos"

    panel.entry = Entry()
    exists = InvalidInput("files exist", "1 file(s) already exist in /t, e.g. photos/a; allow overwriting "
                                         "(--overwrite) or choose an empty folder")
    host.folders = ["/t", "/t"]
    host.node.post_answers = [exists, exists, job("done", "restore", result={
        "snapshot": "b" * 32, "target": "/t", "files_done": 1, "bytes_done": 3})]
    host.answers = [False, True]
    s.restore_selected()  # "no": nothing more happens
    assert host.node.posts[-1][1] == {"snapshot": "b" * 32, "path": "/x/photos", "target": "/t", "overwrite": False}
    assert len(host.questions) == 1 and "already exist in /t" in host.questions[0]
    assert s.active == 0 and host.notes[-1] == ("Restore cancelled: nothing was changed.", "info")
    s.restore_selected()  # "yes": the same restore again with overwrite
    assert [p[1]["overwrite"] for p in host.node.posts] == [False, False, True]
    assert s.active == 0
    assert host.notes[-1] == ("Restored 1 file (3 B) from snapshot bbbbbbbb into /t", "success")


def test_other_restore_errors_are_reported_not_asked_about() -> None:
    host = Host()
    s = Snapshots(host)  # type: ignore[arg-type]
    host.folders = ["/t"]
    host.node.post_answers = [NotFound("path not in snapshot", "/x/nope is not in this snapshot")]
    s.restore("c" * 32, "/x/nope")
    assert not host.questions and s.active == 0
    assert host.notes[-1] == ("Restore of /x/nope from snapshot cccccccc failed: path not in snapshot "
                              "(/x/nope is not in this snapshot)", "error")


def test_a_failed_job_shows_the_nodes_detail() -> None:
    host = Host()
    s = Snapshots(host)  # type: ignore[arg-type]
    host.folders = ["/x"]
    host.node.post_answers = [job("running")]
    host.node.job_answers = [job("failed", error={"error": "backup failed", "detail": "disk full"})]
    s.backup_folder()
    host.root.run_pending()
    assert host.notes[-1] == ("backup of /x failed: backup failed (disk full)", "error") and s.active == 0


def test_polling_survives_a_blip_but_gives_up_on_a_lost_job() -> None:
    host = Host()
    s = Snapshots(host)  # type: ignore[arg-type]
    host.folders = ["/x"]
    host.node.post_answers = [job("running")]
    host.node.job_answers = [PeerError("cannot reach the node", "connection refused"), job("running"),
                             NotFound("not found", "no such job")]
    s.backup_folder()
    host.root.run_pending()  # the blip: tried again a second later
    assert host.root.later and host.root.later[0][0] == 1000 and s.active == 1
    host.root.run_pending()
    host.root.run_pending()
    assert s.active == 0 and not host.root.later
    assert "no longer knows this job" in host.notes[-1][0] and host.notes[-1][1] == "error"


def test_polling_gives_up_after_many_failures() -> None:
    host = Host()
    s = Snapshots(host)  # type: ignore[arg-type]
    host.folders = ["/x"]
    host.node.post_answers = [job("running")]
    host.node.job_answers = [PeerError("cannot reach the node", "refused")] * MAX_POLL_FAILURES
    s.backup_folder()
    while host.root.run_pending():
        pass
    assert s.active == 0 and host.notes[-1][0].startswith("Lost track of backup of /x: cannot reach the node")
