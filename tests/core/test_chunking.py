"""Content-defined chunking (core/chunking.py): exact cover, determinism, keyed boundaries, size
limits and the property dedup relies on (an insertion only moves nearby boundaries)."""

from __future__ import annotations

import io
import random
import threading

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlbs.core.chunking import MAX_SIZE, MIN_SIZE, Chunker
from dlbs.core.keys import ClusterKeys

MiB = 1 << 20
SEED = ClusterKeys.from_secret(bytes(range(32))).gear_seed


def rand_bytes(seed: int, n: int) -> bytes:
    return random.Random(seed).randbytes(n)


def sizes(chunks: list[bytes]) -> list[int]:
    return [len(c) for c in chunks]


class TrickleReader:
    """A stream that returns short reads (like a network body), to test cut_stream's buffering."""

    def __init__(self, data: bytes, step: int) -> None:
        self._data = memoryview(data)
        self._step = step

    def readinto(self, b: memoryview) -> int:
        n = min(len(b), self._step, len(self._data))
        b[:n] = self._data[:n]
        self._data = self._data[n:]
        return n


mixed = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@mixed
@given(st.integers(0, 2**32), st.integers(0, 9 * MiB))
def test_chunks_cover_the_input_exactly_and_respect_the_size_limits(seed: int, n: int) -> None:
    data = rand_bytes(seed, n)
    chunks = list(Chunker(SEED).cut_bytes(data))
    assert b"".join(chunks) == data
    assert all(len(c) <= MAX_SIZE for c in chunks)
    assert all(len(c) >= MIN_SIZE for c in chunks[:-1])
    assert all(len(c) > 0 for c in chunks)


@mixed
@given(st.integers(0, 2**32), st.integers(1, 6 * MiB), st.integers(1, 300_000))
def test_cut_stream_matches_cut_bytes_whatever_the_read_sizes(seed: int, n: int, step: int) -> None:
    data = rand_bytes(seed, n)
    chunker = Chunker(SEED)
    streamed = [bytes(v) for v in chunker.cut_stream(TrickleReader(data, step))]
    assert streamed == list(chunker.cut_bytes(data))
    assert [bytes(v) for v in chunker.cut_stream(io.BytesIO(data))] == streamed


@mixed
@given(st.integers(0, 2**32))
def test_same_input_same_boundaries(seed: int) -> None:
    data = rand_bytes(seed, 5 * MiB)
    assert sizes(list(Chunker(SEED).cut_bytes(data))) == sizes(list(Chunker(SEED).cut_bytes(data)))


@mixed
@given(st.binary(min_size=32, max_size=32), st.binary(min_size=32, max_size=32))
def test_different_secrets_give_different_boundaries(s1: bytes, s2: bytes) -> None:
    if s1 == s2:
        return
    data = rand_bytes(7, 8 * MiB)
    a = sizes(list(Chunker(ClusterKeys.from_secret(s1).gear_seed).cut_bytes(data)))
    b = sizes(list(Chunker(ClusterKeys.from_secret(s2).gear_seed).cut_bytes(data)))
    assert a != b


def test_average_chunk_size_is_about_one_mib() -> None:
    data = rand_bytes(1, 64 * MiB)
    chunks = list(Chunker(SEED).cut_bytes(data))
    mean = len(data) / len(chunks)
    assert 0.75 * MiB <= mean <= 1.4 * MiB, mean


def test_one_byte_inserted_at_the_front_reuses_almost_every_chunk() -> None:
    data = rand_bytes(2, 32 * MiB)
    chunker = Chunker(SEED)
    before = set(chunker.cut_bytes(data))
    after = list(chunker.cut_bytes(b"\x01" + data))
    reused = sum(1 for c in after if c in before) / len(after)
    assert reused >= 0.9, f"only {reused:.0%} of chunks reused"


def test_chunkers_are_safe_to_share_between_threads() -> None:
    chunker = Chunker(SEED)
    inputs = [rand_bytes(i, 6 * MiB) for i in range(4)]
    expected = [sizes(list(chunker.cut_bytes(d))) for d in inputs]
    results: dict[int, list[int]] = {}

    def work(i: int) -> None:
        for _ in range(3):
            results[i] = sizes([bytes(v) for v in chunker.cut_stream(TrickleReader(inputs[i], 100_000))])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [results[i] for i in range(4)] == expected
