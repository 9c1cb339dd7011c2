"""Runs the app's network calls off the Tk thread and hands the results back to it.

`CallRunner` owns a few daemon threads, each with its own NodeClient. `submit` queues a call; when
it finishes, its `on_ok` or `on_error` callback is put on a result queue, and `drain()` — called
by the owner thread only (the Tk thread, from `root.after`) — runs those callbacks there. Tk is
therefore only ever touched from its own thread, and a slow or dead node cannot freeze the window.

Every exception a call raises reaches `on_error` as a DlbsError: a node's error keeps its message
and detail, anything else (a bug) is wrapped and logged without a traceback on screen.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from dlbs.errors import DlbsError

log = logging.getLogger(__name__)

T = TypeVar("T")
Client = Any  # a NodeClient (or anything with the same methods in tests)
Callback = Callable[[], None]


@dataclass
class _Job:
    call: Callable[[Client], Any]
    on_ok: Callable[[Any], None] | None
    on_error: Callable[[DlbsError], None] | None
    key: str | None


class CallRunner:
    """A small pool of daemon threads for blocking calls; results come back via `drain()`.

    Thread-safety: `submit`, `post` and `busy` may be called from any thread; `drain` only from the
    owner thread. Each worker thread makes one client with `make_client` and reuses it.
    """

    def __init__(self, make_client: Callable[[], Client], threads: int = 4) -> None:
        self._make_client = make_client
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._results: queue.Queue[Callback] = queue.Queue()
        self._lock = threading.Lock()
        self._in_flight: set[str] = set()
        self._clients: list[Client] = []
        self._closed = False
        self._threads = [
            threading.Thread(target=self._loop, name=f"dlbs-gui-call-{i}", daemon=True) for i in range(threads)
        ]
        for t in self._threads:
            t.start()

    def submit(self, call: Callable[[Client], T], on_ok: Callable[[T], None] | None = None,
               on_error: Callable[[DlbsError], None] | None = None, key: str | None = None) -> bool:
        """Queue `call(client)`. With a `key`, a call whose key is still running is not queued again
        (periodic refreshes never pile up behind a slow node); returns False when skipped."""
        with self._lock:
            if self._closed or (key is not None and key in self._in_flight):
                return False
            if key is not None:
                self._in_flight.add(key)
        self._jobs.put(_Job(call, on_ok, on_error, key))
        return True

    def busy(self, key: str) -> bool:
        with self._lock:
            return key in self._in_flight

    def post(self, callback: Callback) -> None:
        """Run `callback` on the owner thread at its next `drain()` (e.g. upload progress)."""
        self._results.put(callback)

    def drain(self, limit: int = 500) -> int:
        """Run up to `limit` finished callbacks on the calling (owner) thread; returns how many ran."""
        ran = 0
        while ran < limit:
            try:
                callback = self._results.get_nowait()
            except queue.Empty:
                break
            ran += 1
            try:
                callback()
            except Exception as exc:  # a bug in a callback must not stop the others
                log.error("GUI callback failed: %s: %s", type(exc).__name__, exc)
        return ran

    def close(self) -> None:
        """Stop taking calls; threads finish their current call and exit (they are daemons)."""
        with self._lock:
            self._closed = True
        for _ in self._threads:
            self._jobs.put(None)
        for c in list(self._clients):
            with contextlib.suppress(Exception):  # closing is best effort
                c.close()

    def _loop(self) -> None:
        client: Client | None = None
        while True:
            job = self._jobs.get()
            if job is None:
                return
            if client is None:
                try:
                    client = self._make_client()
                except Exception as exc:
                    self._finish(job, error=_as_dlbs(exc))
                    continue
                with self._lock:
                    self._clients.append(client)
            try:
                value = job.call(client)
            except Exception as exc:
                self._finish(job, error=_as_dlbs(exc))
            else:
                self._finish(job, value=value)

    def _finish(self, job: _Job, value: Any = None, error: DlbsError | None = None) -> None:
        def deliver() -> None:
            if job.key is not None:
                with self._lock:
                    self._in_flight.discard(job.key)
            if error is not None:
                if job.on_error is not None:
                    job.on_error(error)
            elif job.on_ok is not None:
                job.on_ok(value)

        self._results.put(deliver)


def _as_dlbs(exc: Exception) -> DlbsError:
    if isinstance(exc, DlbsError):
        return exc
    log.warning("unexpected error in a GUI call: %s: %s", type(exc).__name__, exc)
    return DlbsError("unexpected error", f"{type(exc).__name__}: {exc}")
