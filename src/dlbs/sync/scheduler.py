"""When replication runs: at start, on a schedule, when a peer says it changed, when a peer comes
back, and when a user presses "sync now".

- Change notification: after a local upload or delete, peers are told within ~0.5 s and pull.
- Heartbeat: every `HEARTBEAT` seconds each peer is greeted; one that came back online is pulled
  from and asked to pull from us, so a node that was off catches up both ways.
- Full anti-entropy every `sync.schedule` (daily by default; the time of the last one survives
  restarts, so a device that was off catches up when it starts), plus `ensure_held`.
- Sync now (`sync_now`): pull from every peer, ask each to pull from us, then `ensure_held`.

Ownership: the scheduler lives on the node's event loop; blocking replication work runs on its
own small thread pool, so the web API stays responsive while big transfers run.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from dlbs.config import Config
from dlbs.events import EventBus
from dlbs.store.catalog import Catalog
from dlbs.sync.replicator import PullResult, Replicator

log = logging.getLogger(__name__)

HEARTBEAT = 10.0
NOTIFY_DELAY = 0.3


class SyncScheduler:
    """Owned by the event loop it was started on (see module docstring)."""

    def __init__(self, replicator: Replicator, config: Callable[[], Config], catalog: Catalog,
                 events: EventBus) -> None:
        self.replicator = replicator
        self._config = config
        self.catalog = catalog
        self.events = events
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="dlbs-sync")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pulls: dict[str, asyncio.Task[PullResult]] = {}
        self._again: set[str] = set()
        self._notify_handle: asyncio.TimerHandle | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        self.last_sync: float | None = float(catalog.get_meta("last_sync", "0") or 0) or None
        self._sync_lock: asyncio.Lock | None = None

    async def _run(self, fn: Callable[..., Any], *args: Any) -> Any:
        assert self._loop is not None
        return await self._loop.run_in_executor(self._pool, fn, *args)

    # ---- lifecycle ------------------------------------------------------------------------------

    def start(self) -> list[asyncio.Task[Any]]:
        self._loop = asyncio.get_running_loop()
        self._sync_lock = asyncio.Lock()
        self._tasks = [asyncio.create_task(self._main(), name="dlbs-sync-scheduler")]
        return self._tasks

    async def stop(self) -> None:
        for t in [*self._tasks, *self._pulls.values()]:
            t.cancel()
        self.replicator.stop()
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def _main(self) -> None:
        try:
            await self.sync_now(reason="start")
            next_full = self._next_full()
            while True:
                await asyncio.sleep(HEARTBEAT)
                await self._heartbeat()
                if time.time() >= next_full:
                    await self.sync_now(reason="schedule")
                    next_full = self._next_full()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("sync scheduler crashed; replication stops until restart")
            self.events.publish("sync", "Sync scheduler crashed (see node.log)", "error")

    def _next_full(self) -> float:
        last = float(self.catalog.get_meta("last_full_sync", "0") or 0)
        return last + self._config().sync.interval_seconds

    async def _heartbeat(self) -> None:
        for address in self.replicator.addresses():
            st = self.replicator.state(address)
            was_online = st.online
            await self._run(self.replicator.hello, address)
            # Pull when it came back, is ahead of us, or was never synced with (a peer first met
            # through a status probe is already "online" here, so "came back" alone misses it).
            if st.online and (not was_online or (st.behind or 0) > 0 or st.last_sync is None):
                self.request_pull(address)
                if not was_online:
                    await self._run(self.replicator.ask_to_pull, address)

    # ---- triggers -------------------------------------------------------------------------------

    def on_local_change(self) -> None:
        """Called from any thread after a local version: tell peers soon (debounced)."""
        loop = self._loop
        if loop is None or not self._config().sync.notify:
            return
        loop.call_soon_threadsafe(self._schedule_notify)

    def _schedule_notify(self) -> None:
        if self._notify_handle is not None:
            return

        def fire() -> None:
            self._notify_handle = None
            assert self._loop is not None
            self._loop.run_in_executor(self._pool, self.replicator.notify_all)

        assert self._loop is not None
        self._notify_handle = self._loop.call_later(NOTIFY_DELAY, fire)

    def _address_of(self, node_id: str) -> str | None:
        for st in self.replicator.states():
            if st.node_id == node_id:
                return st.address
        m = self.replicator.members.get(node_id)
        return m.address if m and m.address and not m.removed else None

    def request_pull_from(self, node_id: str) -> bool:
        address = self._address_of(node_id)
        if address is None:
            log.info("notified by unknown node %s; ignoring", node_id)
            return False
        self.request_pull(address)
        return True

    def request_pull(self, address: str) -> None:
        """Pull from `address` soon; coalesces with a pull already running."""
        running = self._pulls.get(address)
        if running is not None and not running.done():
            self._again.add(address)
            return
        self._pulls[address] = asyncio.create_task(self._pull_loop(address))

    async def _pull_loop(self, address: str) -> PullResult:
        while True:
            self._again.discard(address)
            result: PullResult = await self._run(self.replicator.pull, address)
            if address not in self._again:
                return result

    async def pull_node_now(self, node_id: str) -> PullResult | None:
        address = self._address_of(node_id)
        if address is None:
            return None
        result: PullResult = await self._run(self.replicator.pull, address)
        return result

    async def sync_now(self, reason: str = "manual") -> list[PullResult]:
        """One full round with every peer, both directions. Rounds never overlap."""
        if self._sync_lock is None:  # not started (an app built without jobs): still answer
            self._loop = asyncio.get_running_loop()
            self._sync_lock = asyncio.Lock()
        async with self._sync_lock:
            addresses = self.replicator.addresses()
            if not addresses:
                self._mark_synced(False)
                return []
            if reason != "start":
                self.events.publish("sync", f"Sync started ({reason}) with {len(addresses)} peer(s)", "info")
            results = await asyncio.gather(*(self._run(self.replicator.pull, a) for a in addresses))
            online = [r.address for r in results if r.status == "ok"]
            await asyncio.gather(*(self._run(self.replicator.ask_to_pull, a) for a in online))
            held = await self._run(self.replicator.ensure_held)
            self._mark_synced(bool(online))
            ok = sum(1 for r in results if r.status == "ok")
            level = "success" if ok == len([r for r in results if r.status != "self"]) else "warning"
            pulled = sum(r.versions for r in results)
            self.events.publish(
                "sync", f"Sync finished: {ok}/{len(results)} peer(s) reached, {pulled} version(s) received"
                + (f", {held.chunks} chunk(s) repaired" if held.chunks else ""), level,
                results=[r.to_json() for r in results],
            )
            return list(results)

    def _mark_synced(self, reached_any: bool) -> None:
        """`last_full_sync` paces the schedule; `last_sync` (shown to users) only moves when a peer was reached."""
        now = time.time()
        self.catalog.set_meta("last_full_sync", str(now))
        if reached_any:
            self.last_sync = now
            self.catalog.set_meta("last_sync", str(now))
