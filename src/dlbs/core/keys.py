"""Keys derived from the cluster secret.

One 32-byte cluster secret is the root of trust. HKDF-SHA256 with distinct `info` labels derives
independent keys from it, so learning one (say, the gear seed, which shapes chunk boundaries)
says nothing about another (the encryption key).
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def derive(secret: bytes, label: bytes, length: int) -> bytes:
    """An independent key for `label` from the cluster secret (HKDF-SHA256)."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=b"dlbs/v1", info=label).derive(secret)


@dataclass(frozen=True)
class ClusterKeys:
    """The derived keys of one cluster. Immutable and safe to share between threads."""

    chunk_id_key: bytes  # keyed BLAKE3: chunk ids an outsider cannot compute
    encryption_key: bytes  # AES-256-GCM for chunks at rest and in flight
    gear_seed: int  # FastCDC gear-table seed: boundaries an outsider cannot predict
    auth_key: bytes  # for node-to-node credentials derived from the secret

    @classmethod
    def from_secret(cls, secret: bytes) -> ClusterKeys:
        if len(secret) != 32:
            raise ValueError("the cluster secret must be 32 bytes")
        seed = int.from_bytes(derive(secret, b"gear-seed", 8), "big") >> 1  # pyfastcdc takes < 2**63
        return cls(
            chunk_id_key=derive(secret, b"chunk-id", 32),
            encryption_key=derive(secret, b"chunk-encryption", 32),
            gear_seed=seed or 1,
            auth_key=derive(secret, b"peer-auth", 32),
        )
