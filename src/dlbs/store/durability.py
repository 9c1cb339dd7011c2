"""Making written files durable early, on a background thread, so `flush()` has little left to do.

A backup writes hundreds of MiB; fsyncing it all at the end made the pipeline wait for the disk
(and `syncfs(2)`, used before, also waited for every other dirty byte on the filesystem, such as
a folder the user had just copied). Like restic and borg, which fsync each pack as it is
finished, the store hands a file that will get no more writes to the flusher at once; `flush()`
then fsyncs only what is still pending. A generation per path makes a rewrite after an early
fsync pending again, so "flushed" always means "these bytes".

A failed fsync is sticky: on Linux the kernel reports a writeback error once and marks the pages
clean, so a second fsync of the same file would succeed with the bytes gone. The failure is kept
and `flush()` raises `FlushError` naming every such file; the store then forgets what was in it.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from pathlib import Path

log = logging.getLogger(__name__)


def write_all(fd: int, data: bytes | memoryview) -> None:
    """os.write until every byte is out (a write may take only part)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FlushError(OSError):
    """fsync failed for `failed` (path -> error): their bytes may not be on disk."""

    def __init__(self, failed: dict[Path, OSError]) -> None:
        path, exc = next(iter(failed.items()))
        super().__init__(exc.errno, f"fsync of {path} failed: {exc.strerror or exc}")
        self.failed = failed


class Flusher:
    """Tracks files and folders with bytes not yet durable. Thread-safe."""

    def __init__(self, name: str = "dlbs-flush") -> None:
        self._lock = threading.Lock()
        self._gen = 0
        self._files: dict[Path, int] = {}
        self._dirs: dict[Path, int] = {}
        self._failed: dict[Path, OSError] = {}
        self._queue: queue.Queue[tuple[Path, int] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def written(self, path: Path, *, done: bool) -> None:
        """`path` has new bytes; `done`: it gets no more writes, so start making it durable now."""
        with self._lock:
            self._gen += 1
            self._files[path] = gen = self._gen
        if done:
            self._queue.put((path, gen))

    def dir_changed(self, path: Path) -> None:
        """A name was created or renamed in folder `path`."""
        with self._lock:
            self._gen += 1
            self._dirs[path] = self._gen

    def _sync_one(self, table: dict[Path, int], path: Path, gen: int) -> None:
        try:
            fsync_path(path)
        except FileNotFoundError:  # deleted meanwhile (prune, compaction): nothing to keep
            pass
        except OSError as exc:  # sticky: never retried, always reported by flush()
            log.error("fsync of %s failed: %s", path, exc)
            with self._lock:
                self._failed[path] = exc
                table.pop(path, None)
            return
        with self._lock:
            if table.get(path) == gen:
                del table[path]

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                path, gen = item
                with self._lock:
                    current = self._files.get(path) == gen
                    dir_gen = self._dirs.get(path.parent)
                if not current:
                    continue  # flushed already, or written again since (the newer write is queued)
                self._sync_one(self._files, path, gen)
                if dir_gen is not None:
                    self._sync_one(self._dirs, path.parent, dir_gen)
            finally:
                self._queue.task_done()

    def flush(self) -> None:
        """Make every file and folder written before this call durable; raises FlushError for
        every fsync that failed since the last flush (here or in the background)."""
        with self._lock:
            files, dirs = dict(self._files), dict(self._dirs)
        for path, gen in files.items():
            self._sync_one(self._files, path, gen)
        for path, gen in dirs.items():  # after the files: a name must not point at lost bytes
            self._sync_one(self._dirs, path, gen)
        with self._lock:
            failed, self._failed = self._failed, {}
        if failed:
            raise FlushError(failed)

    def idle(self) -> None:
        """Wait until the background thread has nothing queued (for tests)."""
        self._queue.join()

    def pending(self) -> int:
        with self._lock:
            return len(self._files) + len(self._dirs)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=30)
