"""The chunk codec (core/codec.py) and key derivation (core/keys.py): exact round trips, and any
tampering, wrong id or wrong key is an IntegrityError, never wrong bytes."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlbs.core.codec import FLAG_ZSTD, HEADER_LEN, MAGIC, ChunkCodec
from dlbs.core.keys import ClusterKeys
from dlbs.errors import IntegrityError

SECRET = bytes(range(32))
CODEC = ChunkCodec(ClusterKeys.from_secret(SECRET))
OTHER = ChunkCodec(ClusterKeys.from_secret(bytes(32)))

payloads = st.one_of(
    st.binary(max_size=4096),
    st.builds(lambda b, n: b * n, st.binary(min_size=1, max_size=16), st.integers(1, 4000)),  # compressible
)


@given(payloads)
def test_round_trip_is_exact(data: bytes) -> None:
    cid = CODEC.chunk_id(data)
    blob = CODEC.encode(cid, data)
    assert blob[:4] == MAGIC
    assert CODEC.decode(cid, blob) == data


@settings(max_examples=200)
@given(payloads, st.data())
def test_any_single_byte_flip_is_detected(data: bytes, draw: st.DataObject) -> None:
    cid = CODEC.chunk_id(data)
    blob = bytearray(CODEC.encode(cid, data))
    i = draw.draw(st.integers(0, len(blob) - 1), label="index")
    blob[i] ^= draw.draw(st.integers(1, 255), label="mask")
    with pytest.raises(IntegrityError):
        CODEC.decode(cid, bytes(blob))


@given(payloads, st.integers(0, 64))
def test_truncated_or_extended_blobs_are_detected(data: bytes, cut: int) -> None:
    cid = CODEC.chunk_id(data)
    blob = CODEC.encode(cid, data)
    with pytest.raises(IntegrityError):
        CODEC.decode(cid, blob[: max(0, len(blob) - 1 - cut)])
    with pytest.raises(IntegrityError):
        CODEC.decode(cid, blob + b"\x00")


@given(payloads, payloads)
def test_a_blob_under_another_id_is_detected(a: bytes, b: bytes) -> None:
    ida, idb = CODEC.chunk_id(a), CODEC.chunk_id(b)
    if ida == idb:
        return
    with pytest.raises(IntegrityError):
        CODEC.decode(idb, CODEC.encode(ida, a))


@given(payloads)
def test_another_clusters_key_cannot_open_a_chunk(data: bytes) -> None:
    cid = CODEC.chunk_id(data)
    with pytest.raises(IntegrityError):
        OTHER.decode(cid, CODEC.encode(cid, data))


def test_encode_with_a_lying_id_fails_on_decode() -> None:
    data = b"hello world" * 100
    wrong = CODEC.chunk_id(b"something else")
    with pytest.raises(IntegrityError, match="corrupt"):
        CODEC.decode(wrong, CODEC.encode(wrong, data))


def test_chunk_ids_are_keyed_blake3() -> None:
    import blake3

    data = b"the same bytes"
    assert CODEC.chunk_id(data) == CODEC.chunk_id(bytearray(data)) == CODEC.chunk_id(memoryview(data))
    assert len(CODEC.chunk_id(data)) == 32
    assert CODEC.chunk_id(data) != OTHER.chunk_id(data)
    assert CODEC.chunk_id(data) != blake3.blake3(data).digest()  # unkeyed: an outsider could compute it
    keys = ClusterKeys.from_secret(SECRET)
    assert CODEC.chunk_id(data) == blake3.blake3(data, key=keys.chunk_id_key).digest()


def test_compressible_chunks_are_compressed_and_random_ones_are_not() -> None:
    zeros = bytes(1 << 20)
    blob = CODEC.encode(CODEC.chunk_id(zeros), zeros)
    assert blob[4] & FLAG_ZSTD
    assert len(blob) < 10_000
    rnd = os.urandom(1 << 16)
    blob = CODEC.encode(CODEC.chunk_id(rnd), rnd)
    assert not blob[4] & FLAG_ZSTD
    assert len(blob) == HEADER_LEN + len(rnd) + 16


def test_encryption_hides_the_plaintext_and_uses_fresh_nonces() -> None:
    data = b"TOP-SECRET-MARKER " * 4000
    cid = CODEC.chunk_id(data)
    a, b = CODEC.encode(cid, data), CODEC.encode(cid, data)
    assert a != b  # random nonce
    rnd = os.urandom(4096) + b"TOP-SECRET-MARKER"
    for blob in (a, b, CODEC.encode(CODEC.chunk_id(rnd), rnd)):
        assert b"TOP-SECRET" not in blob


def test_key_derivation_gives_independent_keys() -> None:
    k = ClusterKeys.from_secret(SECRET)
    assert len(k.chunk_id_key) == len(k.encryption_key) == len(k.auth_key) == 32
    assert len({k.chunk_id_key, k.encryption_key, k.auth_key}) == 3
    assert 0 < k.gear_seed < 2**63
    assert ClusterKeys.from_secret(SECRET) == k
    other = ClusterKeys.from_secret(bytes(32))
    assert other.chunk_id_key != k.chunk_id_key and other.gear_seed != k.gear_seed
    for bad in (b"", bytes(31), bytes(33)):
        with pytest.raises(ValueError):
            ClusterKeys.from_secret(bad)
