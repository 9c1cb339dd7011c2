"""What the desktop app shows, computed from the node's JSON: tree rows, node rows, stat cards,
history rows and log lines.

Pure (no tkinter, no I/O), so every rule here is unit-tested without a display. The widgets only
copy these frozen values onto the screen.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from dlbs.gui.formatting import clock_time, duration, human_size, local_time, ratio, short_hash

Level = Literal["info", "success", "warning", "error"]
LEVELS: tuple[Level, ...] = ("info", "success", "warning", "error")


# ---- file tree --------------------------------------------------------------------------------

@dataclass(frozen=True)
class TreeRow:
    """One line of the file tree. `iid` is stable across refreshes (`d:folder` / `f:path`)."""

    iid: str
    parent: str  # "" for the top level
    name: str
    path: str
    is_dir: bool
    size: str
    modified: str
    hash: str
    versions: int = 0
    conflict: bool = False


def folder_iid(path: str) -> str:
    return f"d:{path}"


def file_iid(path: str) -> str:
    return f"f:{path}"


def build_tree(files: Iterable[Mapping[str, Any]]) -> list[TreeRow]:
    """Rows for a flat list of /api/v1/files entries, parents before children.

    Folders come first, then files, each sorted case-insensitively; a folder shows the total size
    and the newest modification time of everything under it. Deleted entries are left out.
    """
    live = [f for f in files if not f.get("deleted") and f.get("path")]
    folders: dict[str, list[str]] = {"": []}  # folder -> child folders
    members: dict[str, list[Mapping[str, Any]]] = {"": []}
    totals: dict[str, int] = {}
    newest: dict[str, str] = {}
    for f in live:
        parts = str(f["path"]).split("/")
        parent = ""
        for part in parts[:-1]:
            here = f"{parent}/{part}" if parent else part
            if here not in folders:
                folders[here], members[here] = [], []
                folders[parent].append(here)
            totals[here] = totals.get(here, 0) + int(f.get("size") or 0)
            mod = str(f.get("modified") or "")
            newest[here] = max(newest.get(here, ""), mod)
            parent = here
        members[parent].append(f)

    rows: list[TreeRow] = []

    def walk(folder: str) -> None:
        for sub in sorted(folders[folder], key=lambda p: p.rsplit("/", 1)[-1].lower()):
            rows.append(TreeRow(
                iid=folder_iid(sub), parent=folder_iid(folder) if folder else "",
                name=sub.rsplit("/", 1)[-1], path=sub, is_dir=True, size=human_size(totals.get(sub, 0)),
                modified=local_time(newest.get(sub) or None), hash="",
            ))
            walk(sub)
        for f in sorted(members[folder], key=lambda e: str(e["path"]).rsplit("/", 1)[-1].lower()):
            path = str(f["path"])
            rows.append(TreeRow(
                iid=file_iid(path), parent=folder_iid(folder) if folder else "",
                name=path.rsplit("/", 1)[-1], path=path, is_dir=False, size=human_size(f.get("size")),
                modified=local_time(f.get("modified")), hash=short_hash(f.get("sha256") or f.get("hash")),
                versions=int(f.get("versions") or 0), conflict=bool(f.get("conflict")),
            ))

    walk("")
    return rows


def files_under(rows: Iterable[TreeRow], iids: Iterable[str]) -> list[str]:
    """The file paths a selection stands for: a selected folder means every file under it."""
    chosen = set(iids)
    out: list[str] = []
    by_iid = {r.iid: r for r in rows}
    for r in rows:
        if r.is_dir:
            continue
        node: TreeRow | None = r
        while node is not None:
            if node.iid in chosen:
                out.append(r.path)
                break
            node = by_iid.get(node.parent)
    return out


# ---- nodes and stats --------------------------------------------------------------------------

@dataclass(frozen=True)
class NodeRow:
    """One node in the status panel. `state` picks the colour: online, offline, or none (no peers)."""

    name: str
    address: str
    state: Literal["online", "offline", "none"]
    detail: str


def node_rows(status: Mapping[str, Any] | None, base_url: str, error: str = "") -> list[NodeRow]:
    """This node first (online when it answered), then each peer; "no peers" for a one-node cluster."""
    if status is None:
        return [NodeRow("this node", base_url, "offline", error or "not reachable")]
    uptime = duration(status.get("uptime"))
    rows = [NodeRow(str(status.get("node_name") or "this node"), base_url, "online", f"this node · up {uptime}")]
    peers = list(status.get("nodes") or [])
    if not peers:
        rows.append(NodeRow("no peers", "", "none", "a one-node cluster: add peers in Settings"))
    for p in peers:
        online = bool(p.get("online"))
        address = str(p.get("address") or "")
        name = str(p.get("name") or address or p.get("id") or "peer")
        # The node says "3m ago" or "never" (service.ago).
        synced, seen_ago = p.get("last_sync_ago"), p.get("last_seen_ago")
        if online:
            detail = f"synced {synced}" if synced and synced != "never" else "online, not synced yet"
            if p.get("behind"):
                detail += f" · {p['behind']} behind"
        else:
            seen = f"last seen {seen_ago}" if seen_ago and seen_ago != "never" else "never seen"
            detail = f"{p['reason']} · {seen}" if p.get("reason") else seen
        rows.append(NodeRow(name, address, "online" if online else "offline", detail))
    return rows


@dataclass(frozen=True)
class StatCard:
    label: str
    value: str
    hint: str = ""


def stat_cards(stats: Mapping[str, Any] | None) -> list[StatCard]:
    """The statistics strip: files, stored size, dedup ratio, nodes online."""
    if stats is None:
        return [StatCard("Files", "—"), StatCard("Stored", "—"), StatCard("Dedup", "—"),
                StatCard("Nodes online", "—")]
    total, online = stats.get("nodes_total"), stats.get("nodes_online")
    nodes = f"{online} / {total}" if total is not None and online is not None else "—"
    versions = stats.get("total_versions")
    return [
        StatCard("Files", f"{stats.get('total_files', 0):,}",
                 f"{versions:,} {'version' if versions == 1 else 'versions'}" if isinstance(versions, int) else ""),
        StatCard("Stored", human_size(stats.get("stored_bytes")),
                 f"{human_size(stats.get('total_size'))} in current files"),
        StatCard("Dedup", ratio(stats.get("dedup_ratio")), f"{stats.get('chunks', 0):,} chunks"),
        StatCard("Nodes online", nodes,
                 f"last sync {local_time(stats['last_sync'])}" if stats.get("last_sync") else "never synced"),
    ]


# ---- history ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class HistoryRow:
    version: int
    time: str
    size: str
    hash: str
    origin: str
    current: bool
    deleted: bool


def history_rows(history: Mapping[str, Any]) -> list[HistoryRow]:
    """A path's versions, newest first, with the current one marked."""
    current = history.get("current")
    rows = []
    for i, v in enumerate(history.get("versions") or [], start=1):
        rows.append(HistoryRow(
            version=int(v.get("version") or i), time=local_time(v.get("time"), seconds=True),
            size="deleted" if v.get("deleted") else human_size(v.get("size")),
            hash="" if v.get("deleted") else short_hash(v.get("sha256")),
            origin=str(v.get("origin_name") or v.get("origin") or ""),
            current=current is not None and v.get("id") == current, deleted=bool(v.get("deleted")),
        ))
    return rows[::-1]


# ---- activity log -----------------------------------------------------------------------------

@dataclass(frozen=True)
class LogLine:
    time: str
    level: Level
    source: str  # "node" for the node's own events, "app" for this window's actions
    text: str


def _level(value: object) -> Level:
    return value if value in LEVELS else "info"  # type: ignore[return-value]


def app_line(text: str, level: Level = "info", now: float | None = None) -> LogLine:
    return LogLine(clock_time(now if now is not None else time.time()), level, "app", text)


def event_line(event: Mapping[str, Any]) -> LogLine:
    """A node event (/api/v1/events/recent) as a log line: `[kind] message`."""
    kind = str(event.get("kind") or "node")
    return LogLine(clock_time(event.get("time")), _level(event.get("level")), kind, str(event.get("message", "")))


def last_event_id(events: Iterable[Mapping[str, Any]], after: int) -> int:
    """The cursor for the next poll: the highest event id seen so far."""
    ids = [int(e["id"]) for e in events if isinstance(e.get("id"), int)]
    return max([after, *ids])


def sync_lines(result: Mapping[str, Any]) -> list[LogLine]:
    """POST /api/sync's result, one line per node, coloured by how it went."""
    results = list(result.get("results") or [])
    if not results:
        msg = str(result.get("message") or "nothing to sync with: this node has no peers")
        return [app_line(f"Sync: {msg}", "info")]
    lines = []
    for r in results:
        who = r.get("name") or r.get("node") or r.get("address") or "peer"
        status = str(r.get("status") or "")
        if r.get("error") or status in {"error", "failed", "offline", "unreachable"}:
            lines.append(app_line(f"Sync with {who}: {r.get('error') or status}", "error"))
            continue
        parts = [f"{r.get('pulled_versions', 0)} versions", f"{r.get('fetched_chunks', 0)} chunks"]
        if r.get("bytes"):
            parts.append(human_size(r["bytes"]))
        lines.append(app_line(f"Sync with {who}: {status or 'ok'} ({', '.join(parts)})", "success"))
    return lines
