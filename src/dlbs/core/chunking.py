"""Content-defined chunking: FastCDC with a gear table keyed by the cluster secret.

Boundaries depend on content, not offsets, so inserting a byte at the front of a file moves only
the first boundary and every later chunk is found again (deduplicated). Keying the gear table
means an outsider cannot predict where a known file would be cut. Sizes: 256 KiB min,
~1 MiB average, 4 MiB max.

Thread-safety: a FastCDC instance is not concurrency-safe; `Chunker` makes one per thread.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Protocol

from pyfastcdc import FastCDC

MIN_SIZE = 256 * 1024
AVG_SIZE = 768 * 1024  # pyfastcdc's real average is avg_size + min_size (cut-point skipping): ~1 MiB
MAX_SIZE = 4 * 1024 * 1024


class Readable(Protocol):
    def readinto(self, b: memoryview) -> int: ...


class Chunker:
    """Cuts streams and buffers into chunks. Thread-safe: each thread has its own FastCDC."""

    def __init__(self, gear_seed: int) -> None:
        self._seed = gear_seed
        self._local = threading.local()

    def _cdc(self) -> FastCDC:
        cdc = getattr(self._local, "cdc", None)
        if cdc is None:
            cdc = self._local.cdc = FastCDC(
                avg_size=AVG_SIZE, min_size=MIN_SIZE, max_size=MAX_SIZE, normalized_chunking=1, seed=self._seed
            )
        return cdc

    def cut_stream(self, stream: Readable) -> Iterator[memoryview]:
        """Yield chunks of `stream`; each view is valid only until the next one is yielded."""
        for chunk in self._cdc().cut_stream(stream):
            yield chunk.data

    def cut_bytes_views(self, data: bytes | memoryview) -> Iterator[memoryview]:
        """Cut a buffer already in memory; the views stay valid as long as `data` does."""
        for chunk in self._cdc().cut_buf(data):
            yield chunk.data

    def cut_bytes(self, data: bytes) -> Iterator[bytes]:
        for chunk in self._cdc().cut_buf(data):
            yield bytes(chunk.data)
