"""File commands: put, get, ls, rm, history, restore. Each is one call of the node's HTTP API."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table
from rich.text import Text

from dlbs.cli.app import NodeOption, app, console, err_console, human_size, print_json
from dlbs.client import NodeClient
from dlbs.errors import InvalidInput


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}", markup=False), BarColumn(), DownloadColumn(binary_units=True),
        TransferSpeedColumn(), TimeRemainingColumn(), console=err_console, transient=True,
        disable=not err_console.is_terminal,
    )


def _when(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return iso


@app.command()
def put(
    files: list[Path] = typer.Argument(..., help="Local file(s) to store."),
    as_path: str | None = typer.Option(None, "--as", help="Path to store it under (one file only)."),
    node: str | None = NodeOption,
) -> None:
    """Store files in the backup network (a new version if the path exists)."""
    if as_path is not None and len(files) != 1:
        raise InvalidInput("--as takes one file", f"{len(files)} files were given")
    for f in files:
        if not f.is_file():
            raise InvalidInput("not a file", f"{f} does not exist or is not a regular file"
                               + (" (for folders, use `dlbs backup`)" if f.is_dir() else ""))
        if not os.access(f, os.R_OK):
            raise InvalidInput("cannot read", f"{f}: permission denied")
    with NodeClient(node) as client:
        for f in files:
            target = as_path or f.name
            size = f.stat().st_size
            with _progress() as progress:
                task = progress.add_task(target, total=size)
                result = client.upload(f, target, progress=lambda n, t=task: progress.advance(t, n))
            line = Text()
            line.append(result["path"], style="bold")
            line.append(f"  {human_size(result['size'])}  sha256 {result['sha256']}  (version {result['version']})")
            console.print(line)


@app.command()
def get(
    path: str = typer.Argument(..., help="Path in the network."),
    output: Path | None = typer.Option(None, "-o", "--output", help="Where to write it ('-' for stdout)."),
    version: int | None = typer.Option(None, "--version", min=1, help="Version number (see `dlbs history`)."),
    force: bool = typer.Option(False, "--force", help="Overwrite the output file if it exists."),
    node: str | None = NodeOption,
) -> None:
    """Download a file (streamed and verified against its sha256)."""
    out: Path | None = Path(path.rsplit("/", 1)[-1]) if output is None else output
    if out is not None and str(out) == "-":
        out = None
    if out is not None and out.is_dir():
        out = out / path.rsplit("/", 1)[-1]
    with NodeClient(node) as client, _progress() as progress:
        task = progress.add_task(path, total=None)

        def advance(n: int, total: int) -> None:
            progress.update(task, advance=n, total=total)

        result = client.download(path, out, version=version, progress=advance, overwrite=force)
    if out is not None:
        line = Text()
        line.append(str(out), style="bold")
        line.append(f"  {human_size(result['size'])}  sha256 {result['sha256']}  verified")
        console.print(line)


@app.command("ls")
def ls(
    prefix: str = typer.Argument("", help="Only paths in this folder."),
    as_json: bool = typer.Option(False, "--json", help="JSON output for scripts."),
    snapshot: str | None = typer.Option(None, "--snapshot", "-s", help="Browse this snapshot instead."),
    node: str | None = NodeOption,
) -> None:
    """List files: path, size, modified, sha256 (short), versions. With --snapshot, browse a snapshot."""
    if snapshot is not None:
        _ls_snapshot(snapshot, prefix, as_json, node)
        return
    with NodeClient(node) as client:
        files = client.list(prefix)
    if as_json:
        print_json(files)
        return
    if not files:
        err_console.print("no files" + (f" under {prefix}" if prefix else ""), markup=False)
        return
    table = Table(box=None, pad_edge=False)
    for col, just in (("path", "left"), ("size", "right"), ("modified", "left"), ("sha256", "left"),
                      ("versions", "right")):
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    for f in files:
        name = Text(f["path"])
        if f.get("conflict"):
            name.append("  [conflict]", style="bold yellow")
        table.add_row(name, human_size(f["size"]), _when(f["modified"]), f["sha256"][:12], str(f["versions"]))
    console.print(table)


@app.command()
def rm(path: str = typer.Argument(...), node: str | None = NodeOption) -> None:
    """Delete a file: its history stays (restore with `dlbs restore-version`)."""
    with NodeClient(node) as client:
        client.delete(path)
    console.print(Text(f"deleted {path} (history kept: dlbs history {path})"))


@app.command()
def history(
    path: str = typer.Argument(...),
    as_json: bool = typer.Option(False, "--json", help="JSON output for scripts."),
    node: str | None = NodeOption,
) -> None:
    """Every version of a file: number, time, size, sha256, origin node."""
    with NodeClient(node) as client:
        h = client.history(path)
    if as_json:
        print_json(h)
        return
    table = Table(box=None, pad_edge=False, title=Text(path), title_justify="left")
    for col in ("n", "time", "size", "sha256", "origin", ""):
        table.add_column(col, justify="right" if col in ("n", "size") else "left")
    for v in h["versions"]:
        mark = "deleted" if v["deleted"] else ("current" if v["id"] == h["current"] else "")
        table.add_row(str(v["version"]), _when(v["time"]), "-" if v["deleted"] else human_size(v["size"]),
                      v["sha256"][:12] or "-", Text(v["origin_name"] or v["origin"]), mark)
    console.print(table)
    if h.get("conflict"):
        console.print(Text("this path has conflicting versions: both are kept; write it again to resolve",
                           style="yellow"))


@app.command("restore-version")
def restore_version(
    path: str = typer.Argument(...),
    version: int = typer.Argument(..., min=1, help="The version to make current again."),
    node: str | None = NodeOption,
) -> None:
    """Make an older version of a file current again (as a new version; nothing is lost)."""
    with NodeClient(node) as client:
        v = client.restore(path, version)
    console.print(Text(f"{path}: version {version} restored as version {v['version']}"))


def _ls_snapshot(snapshot: str, prefix: str, as_json: bool, node: str | None) -> None:
    pre = os.path.abspath(os.path.expanduser(prefix)) if prefix else ""
    with NodeClient(node) as client:
        r = client.get_json(f"/api/v1/snapshots/{snapshot}", prefix=pre)
    if as_json:
        print_json(r)
        return
    table = Table(box=None, pad_edge=False)
    for col, just in (("type", "left"), ("mode", "left"), ("size", "right"), ("modified", "left"), ("path", "left")):
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    for e in r["entries"]:
        name = Text(e["path"] + ("/" if e["type"] == "dir" else ""))
        if e["type"] == "symlink":
            name.append(f" -> {e['target']}", style="cyan")
        when = datetime.fromtimestamp(e["mtime_ns"] / 1e9).strftime("%Y-%m-%d %H:%M")
        table.add_row(e["type"], oct(e["mode"])[2:], human_size(e["size"]) if e["type"] == "file" else "", when, name)
    console.print(table)
