"""Uploads, downloads and deletes: batches of calls with a progress bar and one log line per file.

Each batch is one CallRunner job that handles its files in order; progress and per-file outcomes are
posted back to the Tk thread as they happen, so the bar moves while the window stays responsive.
One file failing does not stop the others. `Transfers` is owned by the Tk thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from dlbs.errors import DlbsError
from dlbs.gui.formatting import error_text, human_size
from dlbs.gui.viewmodel import Level
from dlbs.gui.worker import CallRunner


class _Window(Protocol):
    def show_progress(self, fraction: float | None, text: str = "") -> None: ...


class TransferHost(Protocol):
    """What Transfers needs from the App."""

    calls: CallRunner

    @property
    def window(self) -> _Window: ...

    def note(self, text: str, level: Level = "info") -> None: ...

    def refresh_files(self) -> None: ...


@dataclass
class _Progress:
    verb: str
    total_bytes: int
    count: int
    done_bytes: int = 0
    index: int = 0
    name: str = ""


@dataclass(frozen=True)
class BatchResult:
    ok: list[str]
    failed: list[str]


class Transfers:
    def __init__(self, host: TransferHost) -> None:
        self.host = host
        self.active = 0  # batches still running (tests wait for 0)
        self._progress: _Progress | None = None

    # ---- upload -----------------------------------------------------------------------------------

    def upload(self, files: list[Path], folder: str = "") -> None:
        """Upload local `files` as `folder/name` each (multi-file, one progress bar for the batch)."""
        try:
            total = sum(f.stat().st_size for f in files)
        except OSError as exc:
            self.host.note(f"Upload failed: cannot read {exc.filename}: {exc.strerror}", "error")
            return
        folder = folder.strip("/")
        self._start(_Progress("Uploading", total, len(files)))
        post = self.host.calls.post

        def job(client: Any) -> BatchResult:
            ok, failed = [], []
            for i, local in enumerate(files, start=1):
                remote = f"{folder}/{local.name}" if folder else local.name
                post(partial(self._next_file, i, remote))
                try:
                    v = client.upload(local, remote, progress=lambda n: post(partial(self._advance, n)))
                except (DlbsError, OSError) as exc:
                    failed.append(remote)
                    post(partial(self.host.note, error_text(exc, f"Upload of {remote}"), "error"))
                else:
                    ok.append(remote)
                    post(partial(self.host.note, f"Uploaded {remote} ({human_size(v.get('size'))}, "
                                                 f"version {v.get('version', 1)})", "success"))
            return BatchResult(ok, failed)

        self._submit(job, "Upload", "uploaded")

    # ---- download ---------------------------------------------------------------------------------

    def download(self, path: str, target: Path, version: int | None = None) -> None:
        """Save `path` (or one of its versions) to `target`; the save dialog already asked about
        overwriting, so an existing file is replaced (atomically, after verification)."""
        self._start(_Progress("Downloading", 0, 1))
        post = self.host.calls.post
        label = f"{path} (version {version})" if version else path

        def on_bytes(n: int, total: int) -> None:
            post(partial(self._advance, n, total))

        def job(client: Any) -> BatchResult:
            post(partial(self._next_file, 1, label))
            try:
                got = client.download(path, target, version=version, progress=on_bytes, overwrite=True)
            except (DlbsError, OSError) as exc:
                post(partial(self.host.note, error_text(exc, f"Download of {label}"), "error"))
                return BatchResult([], [path])
            post(partial(self.host.note, f"Saved {label} to {target} ({human_size(got.get('size'))})", "success"))
            return BatchResult([path], [])

        self._submit(job, "Download", "saved", refresh=False)

    # ---- delete -----------------------------------------------------------------------------------

    def delete(self, paths: list[str]) -> None:
        self._start(_Progress("Deleting", 0, len(paths)))
        post = self.host.calls.post

        def job(client: Any) -> BatchResult:
            ok, failed = [], []
            for i, path in enumerate(paths, start=1):
                post(partial(self._next_file, i, path))
                try:
                    client.delete(path)
                except DlbsError as exc:
                    failed.append(path)
                    post(partial(self.host.note, error_text(exc, f"Delete of {path}"), "error"))
                else:
                    ok.append(path)
                    post(partial(self.host.note, f"Deleted {path}", "warning"))
            return BatchResult(ok, failed)

        self._submit(job, "Delete", "deleted")

    # ---- shared -----------------------------------------------------------------------------------

    def _submit(self, job: Callable[[Any], BatchResult], action: str, past: str, refresh: bool = True) -> None:
        def done(result: BatchResult) -> None:
            self._finish()
            if len(result.ok) + len(result.failed) > 1:
                level: Level = "warning" if result.failed else "success"
                extra = f", {len(result.failed)} failed" if result.failed else ""
                self.host.note(f"{action}: {len(result.ok)} {past}{extra}", level)
            if refresh:
                self.host.refresh_files()

        def failed(exc: DlbsError) -> None:
            self._finish()
            self.host.note(error_text(exc, action), "error")

        self.active += 1
        self.host.calls.submit(job, done, failed)

    def _start(self, progress: _Progress) -> None:
        self._progress = progress
        self.host.window.show_progress(0.0, f"{progress.verb}…")

    def _next_file(self, index: int, name: str) -> None:
        p = self._progress
        if p is None:
            return
        p.index, p.name = index, name
        self._render()

    def _advance(self, n: int, total: int | None = None) -> None:
        p = self._progress
        if p is None:
            return
        if total is not None and p.total_bytes == 0:
            p.total_bytes = total
        p.done_bytes += n
        self._render()

    def _render(self) -> None:
        p = self._progress
        if p is None:
            return
        if p.total_bytes:
            fraction = p.done_bytes / p.total_bytes
            amount = f" · {human_size(p.done_bytes)} of {human_size(p.total_bytes)}"
        else:
            fraction, amount = (p.index - 1) / max(p.count, 1), ""
        which = f" {p.index}/{p.count}" if p.count > 1 else ""
        self.host.window.show_progress(fraction, f"{p.verb}{which} {p.name}{amount}")

    def _finish(self) -> None:
        self.active -= 1
        if self.active <= 0:
            self.active = 0
            self._progress = None
            self.host.window.show_progress(None, "")
