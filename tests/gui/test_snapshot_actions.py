"""The Snapshots controller without a display: a snapshot's contents load one folder at a time
(depth=1), backup and restore jobs are polled until they end, the "files exist" refusal asks before
overwriting, and a node that stops answering is given up on.

The CallRunner is replaced by one that runs each call at once (or, `held`, when the test says),
`root.after` by a list the test runs by hand, and the window by fakes that record what would be
shown.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dlbs.errors import DlbsError, InvalidInput, NotFound, PeerError
from dlbs.gui.snapshots import MAX_POLL_FAILURES, Snapshots
from dlbs.gui.viewmodel import LogLine, TreeRow


class FakeNode:
    """Answers get_json/post_json from scripted responses (a value or an exception to raise)."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, Any]]] = []
        self.post_answers: list[Any] = []
        self.job_answers: list[Any] = []
        self.snapshots: list[dict[str, Any]] = []
        self.folders: dict[str, Any] = {}  # folder -> its depth=1 entries (or an exception)
        self.gets: list[tuple[str, dict[str, Any]]] = []

    def post_json(self, url: str, body: dict[str, Any]) -> Any:
        self.posts.append((url, body))
        return _answer(self.post_answers.pop(0))

    def get_json(self, url: str, **params: Any) -> Any:
        self.gets.append((url, params))
        if url == "/api/v1/snapshots":
            return {"snapshots": self.snapshots}
        if url.startswith("/api/v1/jobs/"):
            return _answer(self.job_answers.pop(0))
        assert set(params) == {"prefix", "depth"} and params["depth"] == 1, "only one folder at a time"
        sid = url.rsplit("/", 1)[-1]
        return {"snapshot": {**snapshot(sid), "files": 3}, "prefix": params["prefix"].strip("/"),
                "entries": _answer(self.folders.get(params["prefix"], []))}

    def folder_gets(self) -> list[str]:
        return [p["prefix"] for url, p in self.gets if url.startswith("/api/v1/snapshots/")]


def _answer(value: Any) -> Any:
    if isinstance(value, BaseException):
        raise value
    return value


class InlineCalls:
    def __init__(self, node: FakeNode) -> None:
        self.node = node
        self.held: list[Callable[[], None]] | None = None  # a list: calls wait there until run_held()

    def submit(self, call: Callable[[Any], Any], on_ok: Callable[[Any], None] | None = None,
               on_error: Callable[[DlbsError], None] | None = None, key: str | None = None) -> bool:
        if self.held is not None:
            self.held.append(lambda: self._run(call, on_ok, on_error))
        else:
            self._run(call, on_ok, on_error)
        return True

    def run_held(self) -> None:
        pending, self.held = self.held or [], None
        for run in pending:
            run()

    def _run(self, call: Callable[[Any], Any], on_ok: Callable[[Any], None] | None,
             on_error: Callable[[DlbsError], None] | None) -> None:
        try:
            value = call(self.node)
        except DlbsError as exc:
            if on_error:
                on_error(exc)
        else:
            if on_ok:
                on_ok(value)


class FakePanel:
    def __init__(self) -> None:
        self.rows: list[Any] = []
        self.contents_of: str | None = None
        self.selected: str | None = None
        self.entry: Any = None
        self.summary = ""
        self.contents: list[TreeRow] = []  # what the tree shows, the way FileTree keeps its rows
        self.errors: list[str] = []

    def unloaded(self, folder: str) -> bool:
        return [r.iid for r in self.contents if r.parent == folder] == [f"p:{folder[2:]}"]

    def fill_folder(self, folder: str, rows: list[TreeRow]) -> None:
        assert self.unloaded(folder), f"{folder} was filled twice"
        self.contents = [r for r in self.contents if r.parent != folder] + rows

    def folder_error(self, folder: str, text: str) -> None:
        self.contents = [r for r in self.contents if r.parent != folder]
        self.contents.append(TreeRow(f"p:{folder[2:]}", folder, f"⚠ {text}", "", False, "", "", "", conflict=True))

    def names(self, parent: str) -> list[str]:
        return [r.name for r in self.contents if r.parent == parent]

    def show(self, rows: list[Any]) -> None:
        self.rows = rows

    def placeholder(self, text: str) -> None: ...

    def selected_snapshot(self) -> str | None:
        return self.selected

    def select_snapshot(self, sid: str) -> None:
        self.selected = sid

    def selected_entry(self) -> Any:
        return self.entry

    def contents_loading(self, sid: str, summary: str) -> None:
        self.contents_of, self.summary, self.contents = sid, summary, []

    def show_contents(self, sid: str, summary: str, rows: list[TreeRow]) -> None:
        self.contents_of, self.summary, self.contents = sid, summary, list(rows)

    def contents_error(self, text: str) -> None:
        self.errors.append(text)
        self.contents = []


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


def entry(path: str, type_: str = "file", size: int = 0, **extra: Any) -> dict[str, Any]:
    return {"path": path, "type": type_, "mode": 0o644, "mtime_ns": 1_714_557_600_000_000_000, "size": size,
            "sha256": "ab" * 32 if type_ == "file" else "", "target": "", **extra}


DOCS = "/home/me/docs"


def browsing(sid: str = "d" * 32) -> tuple[Host, Snapshots]:
    """A node holding one snapshot of DOCS: report.txt and photos/ (cat.jpg and 2024/dog.png)."""
    host = Host()
    s = Snapshots(host)  # type: ignore[arg-type]
    s.snapshots = {sid: {**snapshot(sid), "paths": [DOCS]}}
    host.node.folders = {
        "/home/me": [entry(DOCS, "dir", size=4096 + 10, files=3)],
        DOCS: [entry(f"{DOCS}/report.txt", size=10), entry(f"{DOCS}/photos", "dir", size=4096, files=2)],
        f"{DOCS}/photos": [entry(f"{DOCS}/photos/2024", "dir", size=1024, files=1),
                           entry(f"{DOCS}/photos/cat.jpg", size=3072)],
    }
    return host, s


def test_browse_shows_the_backed_up_folder_and_only_its_children() -> None:
    host, s = browsing()
    sid = "d" * 32
    s.browse(sid)
    panel = host.window.snapshots
    # the folder holding the backed-up path (for the path's own entry and size), then the path itself
    assert host.node.folder_gets() == ["/home/me", DOCS]
    assert all(url == f"/api/v1/snapshots/{sid}" for url, _p in host.node.gets)
    assert panel.contents_of == sid and panel.summary.endswith("vm · 3 files · 1 B")
    assert panel.names("") == [DOCS]
    (root,) = [r for r in panel.contents if r.parent == ""]
    assert (root.iid, root.path, root.is_dir, root.size) == (f"d:{DOCS}", DOCS, True, "4.0 KiB")
    assert panel.names(f"d:{DOCS}") == ["photos", "report.txt"]
    by = {r.iid: r for r in panel.contents}
    assert by[f"d:{DOCS}/photos"].size == "4.0 KiB" and by[f"f:{DOCS}/report.txt"].size == "10 B"
    assert by[f"f:{DOCS}/report.txt"].hash == "ab" * 6 and by[f"f:{DOCS}/report.txt"].path == f"{DOCS}/report.txt"
    assert panel.names(f"d:{DOCS}/photos") == ["Loading…"]  # not fetched until opened
    assert panel.unloaded(f"d:{DOCS}/photos")


def test_opening_a_folder_fetches_its_children_once() -> None:
    host, s = browsing()
    s.browse("d" * 32)
    panel = host.window.snapshots
    host.calls.held = []
    s.open_folder(f"{DOCS}/photos")
    s.open_folder(f"{DOCS}/photos")  # opened again before the answer came: no second request
    assert len(host.calls.held) == 1
    host.calls.run_held()
    assert host.node.folder_gets()[-1] == f"{DOCS}/photos" and host.node.gets[-1][1]["depth"] == 1
    assert panel.names(f"d:{DOCS}/photos") == ["2024", "cat.jpg"]
    assert panel.names(f"d:{DOCS}/photos/2024") == ["Loading…"]
    assert {r.iid: r for r in panel.contents}[f"d:{DOCS}/photos/2024"].size == "1.0 KiB"
    # the restore takes the absolute path of what is selected
    panel.selected, panel.entry = "d" * 32, {r.iid: r for r in panel.contents}[f"f:{DOCS}/photos/cat.jpg"]
    host.folders = ["/t"]
    host.node.post_answers = [job("done", "restore", result={"snapshot": "d" * 32, "target": "/t",
                                                             "files_done": 1, "bytes_done": 3072})]
    s.restore_selected()
    assert host.node.posts[-1][1]["path"] == f"{DOCS}/photos/cat.jpg"


def test_a_folder_that_fails_to_load_says_why_and_can_be_retried() -> None:
    host, s = browsing()
    s.browse("d" * 32)
    panel = host.window.snapshots
    host.node.folders[f"{DOCS}/photos"] = PeerError("cannot reach the node", "connection refused")
    s.open_folder(f"{DOCS}/photos")
    (note,) = [r for r in panel.contents if r.parent == f"d:{DOCS}/photos"]
    assert note.name.startswith("⚠ ") and "cannot reach the node" in note.name and note.conflict
    assert "Traceback" not in note.name and not panel.errors
    host.node.folders[f"{DOCS}/photos"] = [entry(f"{DOCS}/photos/cat.jpg", size=3)]
    s.open_folder(f"{DOCS}/photos")  # opened again: tried again
    assert panel.names(f"d:{DOCS}/photos") == ["cat.jpg"]


def test_a_snapshot_that_cannot_be_listed_shows_the_error() -> None:
    host, s = browsing()
    host.node.folders["/home/me"] = NotFound("snapshot not found", "no snapshot dddddddd")
    s.browse("d" * 32)
    panel = host.window.snapshots
    assert len(panel.errors) == 1 and "snapshot not found" in panel.errors[0] and not panel.contents
    assert host.node.folder_gets() == ["/home/me"]


def test_answers_for_a_snapshot_no_longer_shown_are_ignored() -> None:
    host, s = browsing()
    s.snapshots["e" * 32] = {**snapshot("e" * 32), "paths": ["/srv"]}
    host.node.folders["/"] = [entry("/srv", "dir", size=1, files=1)]
    host.node.folders["/srv"] = [entry("/srv/only-in-e")]
    panel = host.window.snapshots
    host.calls.held = []
    s.browse("d" * 32)  # its answer is still on the way when the user picks another snapshot
    stale = host.calls.held
    host.calls.held = None
    s.browse("e" * 32)
    assert panel.names("") == ["/srv"] and panel.names("d:/srv") == ["only-in-e"]
    for run in stale:
        run()
    assert panel.contents_of == "e" * 32 and panel.names("") == ["/srv"] and not panel.errors
    # a folder asked for, then the user moves on: its children do not land in the other tree
    s.browse("d" * 32)
    host.calls.held = []
    s.open_folder(f"{DOCS}/photos")
    late = host.calls.held
    host.calls.held = None
    s.browse("e" * 32)
    for run in late:
        run()
    assert panel.names("") == ["/srv"] and f"d:{DOCS}/photos" not in {r.parent for r in panel.contents}


def test_a_single_file_backed_up_is_a_file_row() -> None:
    host = Host()
    s = Snapshots(host)  # type: ignore[arg-type]
    s.snapshots = {"f" * 32: {**snapshot("f" * 32), "paths": ["/etc/hosts"]}}
    host.node.folders["/etc"] = [entry("/etc/hosts", size=300)]
    s.browse("f" * 32)
    (row,) = host.window.snapshots.contents
    assert (row.iid, row.name, row.size) == ("f:/etc/hosts", "/etc/hosts", "300 B")
    assert host.node.folder_gets() == ["/etc"]
