"""What the Snapshots tab shows, computed from the node's JSON: snapshot rows, the contents tree of
one snapshot (loaded one folder at a time), a running job's progress text, and the sentence a
finished job leaves in the log.

Pure (no tkinter, no I/O), like viewmodel.py, so every rule here is unit-tested without a display.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from dlbs.gui.formatting import human_size, local_time, short_hash
from dlbs.gui.viewmodel import Level, TreeRow, file_iid, folder_iid

MAX_ENTRIES = 20_000  # a folder of more entries shows only these (Tk's Treeview slows down past it)
VERBS = {"backup": "Backing up", "restore": "Restoring", "check": "Checking"}


# ---- the snapshot list ------------------------------------------------------------------------

@dataclass(frozen=True)
class SnapshotRow:
    """One snapshot in the list. `iid` is the full id (stable across refreshes)."""

    iid: str
    short_id: str
    time: str
    host: str
    paths: str
    files: str
    size: str
    added: str
    partial: bool
    problems: tuple[str, ...]

    @property
    def status(self) -> str:
        return f"▲ partial ({len(self.problems)})" if self.partial else "✔ complete"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def snapshot_rows(snapshots: Iterable[Mapping[str, Any]]) -> list[SnapshotRow]:
    """GET /api/v1/snapshots as rows, newest first (the node lists them oldest first)."""
    rows = []
    for s in sorted(snapshots, key=lambda s: float(s.get("time") or 0), reverse=True):
        sid = str(s.get("id") or "")
        if not sid:
            continue
        rows.append(SnapshotRow(
            iid=sid, short_id=str(s.get("short_id") or sid[:8]), time=local_time(s.get("time"), seconds=True),
            host=str(s.get("host") or "—"), paths=", ".join(str(p) for p in s.get("paths") or ()) or "—",
            files=f"{int(s.get('files') or 0):,}", size=human_size(s.get("size")),
            added=human_size(s.get("added_bytes")), partial=bool(s.get("partial")),
            problems=tuple(str(e) for e in s.get("errors") or ()),
        ))
    return rows


def snapshot_summary(snap: Mapping[str, Any]) -> str:
    """One line above a snapshot's contents: `057f46a8 · 2026-11-25 02:14:05 · vm · 2 files · 4.9 KiB`."""
    parts = [str(snap.get("short_id") or str(snap.get("id") or "")[:8]),
             local_time(snap.get("time"), seconds=True), str(snap.get("host") or "—"),
             _plural(int(snap.get("files") or 0), "file"), human_size(snap.get("size"))]
    if snap.get("partial"):
        parts.append("partial")
    return " · ".join(parts)


# ---- one snapshot's contents, one folder at a time --------------------------------------------

LOADING = "Loading…"


def parent_path(path: str) -> str:
    """The folder holding an absolute path (`/` for a top-level one and for `/` itself)."""
    return path.rstrip("/").rsplit("/", 1)[0] or "/"


def placeholder_iid(folder: str) -> str:
    """The iid of a folder's one child while its contents are not loaded (`folder` is its iid)."""
    return f"p:{folder[2:]}"


def is_entry(iid: str) -> bool:
    """Whether a contents row is a snapshot entry (`d:`/`f:`), not a "Loading…" or other note."""
    return iid.startswith(("d:", "f:"))


def note_row(parent_iid: str, text: str, iid: str | None = None, problem: bool = False) -> TreeRow:
    """A line in the tree that is not an entry: "Loading…" under a folder not yet opened, why it
    could not be loaded (`problem`), or how many rows were left out. Its `path` is empty."""
    return TreeRow(iid=iid or placeholder_iid(parent_iid), parent=parent_iid, name=text, path="", is_dir=False,
                   size="", modified="", hash="", conflict=problem)


def _entry_row(e: Mapping[str, Any], parent_iid: str) -> TreeRow:
    path = str(e["path"])
    folder = e.get("type") == "dir"
    modified = local_time(int(e["mtime_ns"]) / 1e9) if isinstance(e.get("mtime_ns"), int) else "—"
    if folder:
        size, mark = human_size(int(e.get("size") or 0)), ""  # the node's total of the folder's subtree
    elif e.get("type") == "symlink":
        size, mark = "link", f"→ {e.get('target') or '?'}"
    else:
        size, mark = human_size(e.get("size")), short_hash(e.get("sha256") or None)
    return TreeRow(iid=folder_iid(path) if folder else file_iid(path), parent=parent_iid,
                   name=path if not parent_iid else path.rsplit("/", 1)[-1], path=path, is_dir=folder,
                   size=size, modified=modified, hash=mark)


def child_rows(entries: Iterable[Mapping[str, Any]], parent_iid: str, limit: int = MAX_ENTRIES) -> list[TreeRow]:
    """GET /api/v1/snapshots/<id>?prefix=<folder>&depth=1 entries as the rows below `parent_iid`.

    Folders come first, then files and symlinks, each sorted case-insensitively. Every folder is
    followed by one "Loading…" child, so the tree shows it as expandable until it is opened. A
    folder's size is the total of its subtree (the node's `size` for it); a row's `path` is the
    entry's absolute path, which is what POST /api/v1/restores takes. Top-level rows
    (`parent_iid` "") are named by their whole path. Past `limit` entries a note says how many
    more there are.
    """
    good = [e for e in entries if str(e.get("path") or "").startswith("/") and str(e.get("path")) != "/"]
    good.sort(key=lambda e: (e.get("type") != "dir", str(e["path"]).rsplit("/", 1)[-1].lower(), str(e["path"])))
    rows: list[TreeRow] = []
    for e in good[:limit]:
        row = _entry_row(e, parent_iid)
        rows.append(row)
        if row.is_dir:
            rows.append(note_row(row.iid, LOADING))
    if len(good) > limit:
        rows.append(note_row(parent_iid, f"… {len(good) - limit:,} more not shown", iid=f"m:{parent_iid}"))
    return rows


def root_rows(paths: Iterable[str], entries: Iterable[Mapping[str, Any]]) -> list[TreeRow]:
    """The top-level rows of a snapshot: one per backed-up path (a snapshot's `paths`), named by its
    whole absolute path. `entries` are the depth=1 listings of those paths' parent folders, which
    hold each path's own entry (a folder with its subtree's size, or a single file). A path not
    among them is shown as a folder still to be loaded."""
    by_path = {str(e.get("path")): e for e in entries}
    rows: list[TreeRow] = []
    for path in dict.fromkeys(str(p) for p in paths):
        if not path.startswith("/"):
            continue
        e = by_path.get(path)
        if e is not None and path != "/":
            rows.extend(child_rows([e], ""))
        else:
            iid = folder_iid(path)
            rows += [TreeRow(iid=iid, parent="", name=path, path=path, is_dir=True, size="—", modified="—",
                             hash=""), note_row(iid, LOADING)]
    return rows


# ---- jobs -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class JobView:
    """A running job as the progress bar shows it; `fraction` None while the total is unknown."""

    fraction: float | None
    text: str


def job_progress(job: Mapping[str, Any]) -> JobView:
    """`Backing up · 3/10 files · 1.2 MiB of 5.0 MiB` from a job's `progress` (bytes decide the bar)."""
    verb = VERBS.get(str(job.get("kind") or ""), "Working")
    p = job.get("progress") or {}
    if "files_total" not in p and "bytes_total" not in p:
        if "chunks_total" in p:
            total = int(p.get("chunks_total") or 0)
            done = int(p.get("chunks_checked") or 0)
            return JobView(done / total if total else None, f"{verb} · {done:,}/{total:,} chunks")
        return JobView(None, f"{verb}…")
    files_done, files_total = int(p.get("files_done") or 0), int(p.get("files_total") or 0)
    bytes_done, bytes_total = int(p.get("bytes_done") or 0), int(p.get("bytes_total") or 0)
    if bytes_total:
        fraction: float | None = bytes_done / bytes_total
    elif files_total:
        fraction = files_done / files_total
    else:
        fraction = 1.0 if job.get("state") == "done" else None
    text = f"{verb} · {files_done:,}/{files_total:,} files · {human_size(bytes_done)} of {human_size(bytes_total)}"
    return JobView(None if fraction is None else max(0.0, min(1.0, fraction)), text)


@dataclass(frozen=True)
class Outcome:
    text: str
    level: Level
    details: tuple[str, ...] = ()  # extra log lines (a partial snapshot's problems)


def job_outcome(job: Mapping[str, Any]) -> Outcome:
    """The log line a finished job leaves: what was saved or restored, or why it failed."""
    title = str(job.get("title") or job.get("kind") or "job")
    if job.get("state") == "failed":
        err = job.get("error") or {}
        message, detail = str(err.get("error") or "job failed"), str(err.get("detail") or "")
        body = f"{message} ({detail})" if detail and detail.lower() != message.lower() else message
        return Outcome(f"{title} failed: {body}", "error")
    r = job.get("result") or {}
    if job.get("kind") == "backup":
        text = (f"Snapshot {r.get('short_id') or str(r.get('id') or '')[:8]} saved: "
                f"{_plural(int(r.get('files') or 0), 'file')}, {_plural(int(r.get('dirs') or 0), 'folder')}, "
                f"{human_size(r.get('size'))} ({human_size(r.get('added_bytes'))} added)")
        problems = tuple(str(e) for e in r.get("errors") or ())
        if r.get("partial"):
            return Outcome(f"{text}; PARTIAL: {_plural(len(problems), 'problem')}", "warning", problems[:20])
        return Outcome(text, "success", problems[:20])
    if job.get("kind") == "restore":
        snap = str(r.get("snapshot") or "")[:8]
        return Outcome(f"Restored {_plural(int(r.get('files_done') or 0), 'file')} "
                       f"({human_size(r.get('bytes_done'))}) from snapshot {snap} into {r.get('target') or '?'}",
                       "success")
    return Outcome(f"{title}: done", "success")


def restore_question(message: str, detail: str) -> str | None:
    """For the node's "files exist" refusal, the question to ask before retrying with overwrite;
    None for any other error. The node's hint for the command line (after the ';') is dropped."""
    if message.strip().lower() != "files exist":
        return None
    fact = detail.split(";")[0].strip() or "Some files already exist in the target folder"
    return (f"{fact}.\n\nReplace them with the snapshot's copies? Files in the folder that are not in "
            "the snapshot are left alone.")


def restore_button_text(snapshot_selected: bool, entry_path: str | None, width: int = 18) -> str:
    """The Restore button says what it will bring back: the selected entry, else the snapshot."""
    if not snapshot_selected:
        return "Restore…"
    if not entry_path:
        return "Restore snapshot…"
    name = entry_path.rstrip("/").rsplit("/", 1)[-1] or entry_path
    if len(name) > width:
        name = name[: width - 1] + "…"
    return f"Restore “{name}”…"


def restore_what(snapshot_short_id: str, path: str | None) -> str:
    """`snapshot 057f46a8` or `/home/me/docs/a.txt from snapshot 057f46a8`, for titles and log lines."""
    return f"{path} from snapshot {snapshot_short_id}" if path else f"snapshot {snapshot_short_id}"
