"""The activity feed: what happened on this node, for the web page's live log and the desktop app.

`EventBus.publish` may be called from any thread; subscribers are asyncio queues on the node's
event loop (server-sent events). The last `HISTORY` events are kept so a page that connects late
still sees recent activity.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

log = logging.getLogger(__name__)

Level = Literal["info", "success", "warning", "error"]
HISTORY = 200


@dataclass(frozen=True)
class Event:
    id: int
    time: float
    kind: str  # upload, delete, restore, sync, peer, integrity, config, backup, node
    level: Level
    message: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class EventBus:
    """Fan-out of node events. Thread-safe publish; subscribe/unsubscribe on the event loop."""

    def __init__(self) -> None:
        # Ids start at the wall clock in microseconds, so they keep growing across restarts: a web
        # page or desktop app resuming "after=<last id>" from before a restart still gets the new
        # events (a node would have to average more than one event per microsecond to catch up
        # with its next start). ~1.8e15 is still exact in a JavaScript number (< 2**53).
        self._ids = itertools.count(time.time_ns() // 1000)
        self._history: deque[Event] = deque(maxlen=HISTORY)
        self._subscribers: set[asyncio.Queue[Event]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def publish(self, kind: str, message: str, level: Level = "info", **data: Any) -> Event:
        with self._lock:
            ev = Event(next(self._ids), time.time(), kind, level, message, data)
            self._history.append(ev)
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop is shutting down
                loop.call_soon_threadsafe(self._deliver, ev)
        return ev

    def _deliver(self, ev: Event) -> None:
        for q in list(self._subscribers):
            if q.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    q.get_nowait()  # a slow reader loses its oldest event, never blocks the node
            q.put_nowait(ev)

    def recent(self, after: int = 0) -> list[Event]:
        with self._lock:
            return [e for e in self._history if e.id > after]

    def subscribe(self) -> asyncio.Queue[Event]:
        q: asyncio.Queue[Event] = asyncio.Queue(maxsize=500)
        self._subscribers.add(q)
        return q

    def unsubscribe(self, q: asyncio.Queue[Event]) -> None:
        self._subscribers.discard(q)
