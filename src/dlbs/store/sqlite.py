"""What the store's two SQLite databases (the catalog, the pack index) share: how a connection is
opened, one write transaction, and the readers of many threads."""

from __future__ import annotations

import contextlib
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path


def connect(path: Path | str) -> sqlite3.Connection:
    """WAL mode with `synchronous=FULL`: a committed transaction survives kill -9 and power loss.
    Autocommit mode (`isolation_level=None`): transactions are explicit (`transaction`)."""
    conn = sqlite3.connect(path, timeout=60, check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    return conn


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction on `conn` (the caller holds its writer lock): committed when the block
    ends, rolled back if the block or the commit raises."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):  # a failed COMMIT may have rolled back already
            conn.execute("ROLLBACK")
        raise


class _Lease:
    """A thread's reader; when the thread ends (its locals are dropped) the connection goes back to
    the pool for the next new thread. Closing it instead would not free its fd: SQLite's unix VFS
    keeps a file open while another connection in the process holds a lock on it, so short-lived
    threads (a backup's file workers, restore workers) piled up descriptors."""

    def __init__(self, conn: sqlite3.Connection, idle: queue.SimpleQueue[sqlite3.Connection]) -> None:
        self.conn = conn
        self._idle = idle

    def __del__(self) -> None:
        self._idle.put(self.conn)


class ReaderPool:
    """One read connection per thread, reused by later threads once a thread ends."""

    def __init__(self, open_conn: Callable[[], sqlite3.Connection]) -> None:
        self._open = open_conn
        self._local = threading.local()
        self._idle: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()

    def get(self) -> sqlite3.Connection:
        lease: _Lease | None = getattr(self._local, "lease", None)
        if lease is None:
            try:
                conn = self._idle.get_nowait()  # the reader of a thread that has ended
            except queue.Empty:
                conn = self._open()
                # Every worker thread gets its own reader; SQLite's default 2 MiB page cache each
                # added up to >100 MiB of node RSS under load. The OS page cache still holds the db.
                conn.execute("PRAGMA cache_size=-256")
            lease = self._local.lease = _Lease(conn, self._idle)
        return lease.conn

    def close(self) -> None:
        """Close every reader (the node is closing: no thread reads any more)."""
        if getattr(self._local, "lease", None) is not None:
            self._local.lease = None  # gives this thread's connection back to the pool
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                break
