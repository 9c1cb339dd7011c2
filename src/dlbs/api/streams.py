"""Bridges between the event loop and the worker threads that chunk and read files.

An upload's body arrives as async pieces on the event loop; chunking runs on a worker thread
that wants a blocking `readinto`. `BodyReader` is a bounded queue between the two, so a slow disk
slows the client down (back-pressure) instead of buffering the upload in memory.
"""

from __future__ import annotations

import asyncio
import queue
from collections.abc import AsyncIterator, Callable
from typing import TypeVar

from dlbs.errors import InvalidInput

T = TypeVar("T")
_EOF = object()
_ABORT = object()
QUEUE_PIECES = 64  # pieces are at most ~64 KiB each: a few MiB in flight at most


class BodyReader:
    """A blocking file-like reader fed from the event loop. One producer, one consumer thread."""

    def __init__(self) -> None:
        self._q: queue.Queue[object] = queue.Queue(maxsize=QUEUE_PIECES)
        self._buf = memoryview(b"")
        self._done = False

    def readinto(self, b: memoryview) -> int:
        want = len(b)
        n = 0
        while n < want:
            if not self._buf:
                if self._done:
                    break
                item = self._q.get() if n == 0 else self._get_nowait()
                if item is None:
                    break
                if item is _EOF:
                    self._done = True
                    break
                if item is _ABORT:
                    self._done = True
                    raise InvalidInput("upload interrupted", "the client went away before the upload finished")
                self._buf = memoryview(item)  # type: ignore[arg-type]
            take = min(len(self._buf), want - n)
            b[n : n + take] = self._buf[:take]
            self._buf = self._buf[take:]
            n += take
        return n

    def _get_nowait(self) -> object | None:
        try:
            return self._q.get_nowait()
        except queue.Empty:
            return None

    def read(self, size: int = -1) -> bytes:
        buf = bytearray(size if size > 0 else 1 << 20)
        n = self.readinto(memoryview(buf))
        return bytes(buf[:n])

    async def _put(self, item: object, worker: asyncio.Future[T]) -> bool:
        while True:
            try:
                self._q.put_nowait(item)
                return True
            except queue.Full:
                if worker.done():
                    return False
                await asyncio.sleep(0.002)

    async def pump(self, body: AsyncIterator[bytes], worker: asyncio.Future[T]) -> None:
        """Feed `body` into the reader until it ends, the client leaves, or the worker stops."""
        try:
            async for piece in body:
                if piece and not await self._put(piece, worker):
                    return
        except BaseException:
            await self._put(_ABORT, worker)
            raise
        await self._put(_EOF, worker)


async def stream_to_worker(body: AsyncIterator[bytes], work: Callable[[BodyReader], T]) -> T:
    """Run `work(reader)` on a worker thread while `body` is pumped into the reader."""
    reader = BodyReader()
    loop = asyncio.get_running_loop()
    worker: asyncio.Future[T] = loop.run_in_executor(None, work, reader)
    try:
        await reader.pump(body, worker)
    except BaseException:
        await asyncio.wait([worker])
        raise
    return await worker


async def in_thread(fn: Callable[..., T], *args: object) -> T:
    return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


