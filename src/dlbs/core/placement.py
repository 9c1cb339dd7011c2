"""Placement: which nodes hold which chunk.

Default (replicas None): every node holds every chunk, as in v2.0. With `replicas: R`, each chunk
lives on the R nodes with the highest rendezvous score BLAKE3(node id | chunk id): every node
computes the same answer from the same member list, and when a member leaves only the chunks it
held move (to the next-highest scorers).
"""

from __future__ import annotations

from collections.abc import Iterable

import blake3


def score(node_id: str, chunk_id: bytes) -> bytes:
    return blake3.blake3(node_id.encode() + b"\x00" + chunk_id).digest(8)


def holders(chunk_id: bytes, members: Iterable[str], replicas: int | None) -> list[str]:
    """The nodes that should hold `chunk_id`, best first (all members when replicas is None)."""
    ms = sorted(set(members))
    if replicas is None or replicas >= len(ms):
        return sorted(ms, key=lambda m: score(m, chunk_id), reverse=True)
    return sorted(ms, key=lambda m: score(m, chunk_id), reverse=True)[:replicas]


def should_hold(node_id: str, chunk_id: bytes, members: Iterable[str], replicas: int | None) -> bool:
    if replicas is None:
        return True
    return node_id in holders(chunk_id, members, replicas)
