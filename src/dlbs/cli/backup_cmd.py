"""Backup commands: backup, snapshots, diff, restore, forget, check (each one call of the node's API,
then a progress bar while the job runs)."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn
from rich.table import Table
from rich.text import Text

from dlbs.cli.app import NodeOption, app, console, err_console, human_size, print_json
from dlbs.client import NodeClient
from dlbs.errors import DlbsError, InvalidInput


def watch_job(client: NodeClient, job: dict[str, Any]) -> dict[str, Any]:
    """Poll a job until it ends, drawing a progress bar; returns its result or raises its error."""
    progress = Progress(TextColumn("{task.description}", markup=False), BarColumn(),
                        DownloadColumn(binary_units=True), TransferSpeedColumn(), TimeRemainingColumn(),
                        TextColumn("{task.fields[files]}", markup=False), console=err_console, transient=True,
                        disable=not err_console.is_terminal)
    with progress:
        task = progress.add_task(job["title"], total=None, files="")
        while job["state"] == "running":
            job = client.get_json(f"/api/v1/jobs/{job['id']}?wait=0.25")  # returns as soon as it ends
            p = job.get("progress") or {}
            if "bytes_total" in p:
                progress.update(task, total=p["bytes_total"] or None, completed=p.get("bytes_done", 0),
                                files=f"{p.get('files_done', 0)}/{p.get('files_total', 0)} files")
            elif "chunks_total" in p:
                progress.update(task, total=p["chunks_total"], completed=p.get("chunks_checked", 0), files="chunks")
    if job["state"] == "failed":
        err = job.get("error") or {}
        raise DlbsError(err.get("error", "job failed"), err.get("detail", ""))
    return dict(job.get("result") or {})


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")


@app.command()
def backup(
    paths: list[Path] = typer.Argument(..., help="Folders (or files) to back up."),
    exclude: list[str] = typer.Option([], "--exclude", "-e", help="Glob of names/paths to skip (repeatable)."),
    as_json: bool = typer.Option(False, "--json"),
    node: str | None = NodeOption,
) -> None:
    """Back up folders into a new snapshot (incremental: unchanged files are not read again)."""
    absolute = []
    for p in paths:
        p = p.expanduser()
        if not p.exists():
            raise InvalidInput("source not found", f"{p} does not exist")
        absolute.append(str(p.absolute()))
    with NodeClient(node) as client:
        job = client.post_json("/api/v1/backups", {"paths": absolute, "exclude": exclude})
        snap = watch_job(client, job)
    if as_json:
        print_json(snap)
        return
    console.print(Text(
        f"snapshot {snap['short_id']} saved: {snap['files']} files, {snap['dirs']} folders, "
        f"{human_size(snap['size'])}, {human_size(snap['added_bytes'])} added"))
    if snap.get("partial"):
        err_console.print(Text(f"warning: the snapshot is PARTIAL: {len(snap['errors'])} problem(s):", style="yellow"))
        for e in snap["errors"][:20]:
            err_console.print(Text(f"  {e}"))
        raise typer.Exit(3)
    for e in snap.get("errors", [])[:20]:
        err_console.print(Text(f"note: {e}", style="yellow"))


@app.command()
def snapshots(as_json: bool = typer.Option(False, "--json"), node: str | None = NodeOption) -> None:
    """List snapshots: id, time, host, paths, files, size, added bytes."""
    with NodeClient(node) as client:
        snaps = client.get_json("/api/v1/snapshots")["snapshots"]
    if as_json:
        print_json(snaps)
        return
    if not snaps:
        err_console.print("no snapshots yet (dlbs backup FOLDER)")
        return
    table = Table(box=None, pad_edge=False)
    for col in ("id", "time", "host", "paths", "files", "size", "added", ""):
        table.add_column(col, justify="right" if col in ("files", "size", "added") else "left")
    for s in snaps:
        table.add_row(s["short_id"], _when(s["time"]), Text(s["host"]), Text(", ".join(s["paths"])), str(s["files"]),
                      human_size(s["size"]), human_size(s["added_bytes"]),
                      Text("partial", style="yellow") if s["partial"] else "")
    console.print(table)


@app.command()
def diff(a: str = typer.Argument(...), b: str = typer.Argument(...), node: str | None = NodeOption) -> None:
    """Files added, removed and changed between two snapshots."""
    with NodeClient(node) as client:
        d = client.get_json("/api/v1/diff", a=a, b=b)
    for sign, key, style in (("+", "added", "green"), ("-", "removed", "red"), ("M", "changed", "yellow")):
        for p in d[key]:
            console.print(Text(f"{sign} {p}", style=style))
    console.print(Text(f"{len(d['added'])} added, {len(d['removed'])} removed, {len(d['changed'])} changed"))


@app.command()
def restore(
    snapshot: str | None = typer.Argument(None, help="Snapshot id (or a prefix of it); or use --at."),
    path: str | None = typer.Argument(None, help="Only this file or folder of the snapshot."),
    target: Path = typer.Option(..., "--target", "-t", help="Folder to restore into."),
    at: str | None = typer.Option(None, "--at", help='Point in time, e.g. "2026-11-20 18:00".'),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace files that exist in the target."),
    node: str | None = NodeOption,
) -> None:
    """Restore a snapshot (or one path of it) into --target; bit-exact, with modes and times."""
    if at is not None and snapshot is not None and path is None and (snapshot.startswith("/") or "~" in snapshot):
        snapshot, path = None, snapshot  # `dlbs restore --at T ~/Documents --target X`
    if at is None and snapshot is None:
        raise InvalidInput("which snapshot?", "give a snapshot id (see `dlbs snapshots`) or --at TIME")
    if path is not None:
        path = os.path.abspath(os.path.expanduser(path))
    body = {"snapshot": snapshot if at is None else None, "at": at, "path": path,
            "target": str(target.expanduser().absolute()), "overwrite": overwrite}
    with NodeClient(node) as client:
        job = client.post_json("/api/v1/restores", body)
        r = watch_job(client, job)
    console.print(Text(f"restored {r['files_done']} file(s), {human_size(r['bytes_done'])} from snapshot "
                       f"{r['snapshot'][:8]} into {r['target']}"))


@app.command()
def forget(
    keep_last: int = typer.Option(0, "--keep-last", min=0),
    keep_hourly: int = typer.Option(0, "--keep-hourly", min=0),
    keep_daily: int = typer.Option(0, "--keep-daily", min=0),
    keep_weekly: int = typer.Option(0, "--keep-weekly", min=0),
    keep_monthly: int = typer.Option(0, "--keep-monthly", min=0),
    keep_yearly: int = typer.Option(0, "--keep-yearly", min=0),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only show what would be forgotten and pruned."),
    prune: bool = typer.Option(True, "--prune/--no-prune", help="Remove chunks nothing references any more."),
    node: str | None = NodeOption,
) -> None:
    """Forget snapshots by keep rules (as restic's forget), then prune unreferenced data."""
    body = {"keep_last": keep_last, "keep_hourly": keep_hourly, "keep_daily": keep_daily,
            "keep_weekly": keep_weekly, "keep_monthly": keep_monthly, "keep_yearly": keep_yearly,
            "dry_run": dry_run, "prune": prune}
    with NodeClient(node) as client:
        r = client.post_json("/api/v1/forget", body, timeout=600)
    verb = "would forget" if dry_run else "forgot"
    for s in r["keep"]:
        console.print(Text(f"keep   {s['short_id']}  {_when(s['time'])}  {', '.join(s['paths'])}  "
                           f"({', '.join(s['reasons'])})"))
    for s in r["forget"]:
        console.print(Text(f"{'forget' if not dry_run else 'would forget'} {s['short_id']}  {_when(s['time'])}  "
                           f"{', '.join(s['paths'])}", style="yellow"))
    console.print(Text(f"{verb} {len(r['forget'])} snapshot(s), kept {len(r['keep'])}"))
    if "prune" in r:
        p = r["prune"]
        console.print(Text(f"prune: {'would remove' if dry_run else 'removed'} {p['removed_chunks']} chunk(s) "
                           f"({human_size(p['removed_bytes'])}); {p['kept_in_grace']} recent kept (grace period)"
                           + (f"; compacted {p['packs_compacted']} pack file(s), freeing "
                              f"{human_size(p['compacted_bytes'])}" if p.get("packs_compacted") else "")))


@app.command()
def check(
    read_data: bool = typer.Option(False, "--read-data", help="Decrypt and re-hash every chunk."),
    repair: bool = typer.Option(False, "--repair", help="Replace corrupt or missing chunks from peers."),
    as_json: bool = typer.Option(False, "--json"),
    node: str | None = NodeOption,
) -> None:
    """Verify the catalog and the chunks; optionally repair from peers."""
    with NodeClient(node) as client:
        job = client.post_json("/api/v1/check", {"read_data": read_data, "repair": repair})
        r = watch_job(client, job)
    if as_json:
        print_json(r)
    else:
        entries = f"{r['entries']} {'entry' if r['entries'] == 1 else 'entries'} (file versions and snapshots)"
        console.print(Text(f"{entries}, {r['chunks_checked']} chunks read: {len(r['missing'])} missing, "
                           f"{len(r['corrupt'])} corrupt, {len(r['repaired'])} repaired, "
                           f"{len(r['unrepaired'])} not repaired"))
        for e in r["unreadable_entries"]:
            console.print(Text(f"unreadable: {e}", style="red"))
        fixed = set(r["repaired"])
        for what in ("corrupt", "missing"):
            for c in r[what]:
                if c not in fixed and c not in r["unrepaired"]:
                    console.print(Text(f"{what} chunk {c[:16]}", style="red"))
        for c in r["unrepaired"]:
            console.print(Text(f"could not repair chunk {c[:16]}: no reachable peer has a good copy", style="red"))
        console.print(Text("ok", style="green") if r["ok"] else Text("problems found", style="bold red"))
        if not r["ok"] and not repair:
            err_console.print("run `dlbs check --read-data --repair` to replace them with good copies from peers")
    if not r["ok"]:
        raise typer.Exit(1)
