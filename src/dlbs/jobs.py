"""Long-running work (backups, restores, checks) as jobs: started by the API, watched by the faces.

A job runs on its own thread; its progress is readable at any time (`GET /api/v1/jobs/<id>`) and
is also published as events, so the CLI shows a progress bar and the web page a live log.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dlbs.errors import DlbsError, NotFound
from dlbs.events import EventBus

log = logging.getLogger(__name__)
KEEP_FINISHED = 50


@dataclass
class Job:
    id: str
    kind: str
    title: str
    state: str = "running"  # running | done | failed
    progress: dict[str, Any] = field(default_factory=dict)
    result: dict[str, Any] | None = None
    error: dict[str, str] | None = None
    started: float = field(default_factory=time.time)
    finished: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "title": self.title, "state": self.state,
                "progress": self.progress, "result": self.result, "error": self.error,
                "started": self.started, "finished": self.finished}


Work = Callable[[Callable[[dict[str, Any]], None]], dict[str, Any]]


class JobRunner:
    """Thread-safe registry of jobs; one thread per running job."""

    def __init__(self, events: EventBus) -> None:
        self.events = events
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._last_event: dict[str, float] = {}

    def start(self, kind: str, title: str, work: Work, exclusive: threading.Lock | None = None) -> Job:
        job = Job(secrets.token_hex(6), kind, title)
        with self._lock:
            self._jobs[job.id] = job
            finished = [j for j in self._jobs.values() if j.state != "running"]
            for old in sorted(finished, key=lambda j: j.started)[:-KEEP_FINISHED]:
                self._jobs.pop(old.id, None)
        self.events.publish(kind, f"{title}: started", "info", job=job.id)

        def report(progress: dict[str, Any]) -> None:
            job.progress = progress
            now = time.monotonic()
            if now - self._last_event.get(job.id, 0) >= 1.0:
                self._last_event[job.id] = now
                self.events.publish(kind, f"{title}: {_summary(progress)}", "info", job=job.id, progress=progress)

        def run() -> None:
            try:
                if exclusive is not None:
                    with exclusive:
                        job.result = work(report)
                else:
                    job.result = work(report)
                job.state = "done"
                self.events.publish(kind, f"{title}: done", "success", job=job.id, result=job.result)
            except DlbsError as exc:
                job.state, job.error = "failed", {"error": exc.message, "detail": exc.detail, "code": exc.code}
                log.warning("%s failed: %s", title, exc)
                self.events.publish(kind, f"{title}: failed: {exc}", "error", job=job.id)
            except Exception as exc:
                job.state, job.error = "failed", {"error": "internal error", "detail": repr(exc), "code": "error"}
                log.exception("%s crashed", title)
                self.events.publish(kind, f"{title}: failed: {exc!r}", "error", job=job.id)
            finally:
                job.finished = time.time()

        threading.Thread(target=run, name=f"dlbs-job-{kind}", daemon=True).start()
        return job

    def get(self, job_id: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise NotFound("unknown job", job_id)
        return job

    def all(self) -> list[Job]:
        with self._lock:
            return sorted(self._jobs.values(), key=lambda j: j.started, reverse=True)


def _summary(p: dict[str, Any]) -> str:
    if "files_total" in p:
        return (f"{p.get('files_done', 0)}/{p['files_total']} files, "
                f"{p.get('bytes_done', 0) / 2**20:.1f}/{p.get('bytes_total', 0) / 2**20:.1f} MiB")
    if "chunks_total" in p:
        return f"{p.get('chunks_checked', 0)}/{p['chunks_total']} chunks"
    return ", ".join(f"{k} {v}" for k, v in p.items())
