"""The one error hierarchy of dlbs; the HTTP layer and the CLI each map it in one place.

    DlbsError                  base: something went wrong that a user can be told about
    ├── InvalidInput           the caller's input is wrong (bad path, bad JSON, bad option)   -> 400 / exit 1
    ├── NotFound               no such file, version, node or snapshot                         -> 404 / exit 1
    ├── Unauthorized           missing or wrong credentials                                    -> 401 / exit 1
    ├── Conflict               the request contradicts the current state                       -> 409 / exit 1
    ├── IntegrityError         stored data failed verification (never served as wrong bytes)  -> 500 / exit 1
    ├── StorageError           the disk refused (full, read-only, permissions)                 -> 507 / exit 1
    ├── PeerError              another node could not be reached or misbehaved                 -> 502 / exit 1
    └── ConfigError            config.json or the data dir is unusable                         -> 500 / exit 1
"""

from __future__ import annotations


class DlbsError(Exception):
    """Base of every error dlbs raises on purpose. `code` is the stable machine-readable name."""

    code = "error"
    status = 500

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.message}: {self.detail}" if self.detail else self.message


class InvalidInput(DlbsError):
    code = "invalid_input"
    status = 400


class NotFound(DlbsError):
    code = "not_found"
    status = 404


class Unauthorized(DlbsError):
    code = "unauthorized"
    status = 401


class Conflict(DlbsError):
    code = "conflict"
    status = 409


class IntegrityError(DlbsError):
    code = "integrity_error"
    status = 500


class StorageError(DlbsError):
    code = "storage_error"
    status = 507


class PeerError(DlbsError):
    code = "peer_error"
    status = 502


class ConfigError(DlbsError):
    code = "config_error"
    status = 500
