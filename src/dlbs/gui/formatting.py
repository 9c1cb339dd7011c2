"""How the desktop app writes numbers, times and hashes: human units, local times, short hashes.

Pure functions (no tkinter), so they are unit-tested without a display.
"""

from __future__ import annotations

from datetime import UTC, datetime

from dlbs.errors import DlbsError, NotFound, PeerError

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")


def human_size(n: float | None) -> str:
    """`1536` -> `1.5 KiB`; bytes stay whole (`512 B`); None (unknown) -> an em dash."""
    if n is None:
        return "—"
    value = float(n)
    for unit in _UNITS:
        if abs(value) < 1024 or unit == _UNITS[-1]:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def parse_time(value: str | float | None) -> datetime | None:
    """An ISO time (`2024-05-01T10:00:00Z`) or epoch seconds as an aware datetime; None if unusable."""
    if value is None or value == "":
        return None
    try:
        if isinstance(value, int | float):
            return datetime.fromtimestamp(float(value), UTC)
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def local_time(value: str | float | None, seconds: bool = False) -> str:
    """A time as `2024-05-01 12:00` in the viewer's local zone; an em dash when unknown."""
    dt = parse_time(value)
    if dt is None:
        return "—"
    return dt.astimezone().strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def clock_time(value: str | float | None) -> str:
    """Just the local wall-clock time (`14:03:27`), for log lines."""
    dt = parse_time(value)
    return dt.astimezone().strftime("%H:%M:%S") if dt else "--:--:--"


def short_hash(sha: str | None, length: int = 12) -> str:
    """The first `length` hex digits of a hash, enough to tell versions apart at a glance."""
    return sha[:length] if sha else "—"


def duration(seconds: float | None) -> str:
    """`3725` -> `1h 2m`; short and coarse, for uptimes and "last seen" ages."""
    if seconds is None:
        return "—"
    s = int(max(0, seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60}s"
    if s < 86400:
        return f"{s // 3600}h {s % 3600 // 60}m"
    return f"{s // 86400}d {s % 86400 // 3600}h"


def ratio(value: float | None) -> str:
    """A dedup ratio as `1.25×`."""
    return "—" if value is None else f"{float(value):.2f}×"


def error_text(exc: BaseException, action: str = "") -> str:
    """One readable line for an error, prefixed with what the user was doing.

    A DlbsError carries the node's own message and detail; anything else (a bug) is named by type,
    never shown as a traceback.
    """
    if isinstance(exc, DlbsError):
        body, detail = exc.message, exc.detail
        if isinstance(exc, PeerError):  # keep the reason, drop the command-line hint after it
            detail = detail.split(";")[0].strip()
        if detail and detail.lower() != body.lower():
            body = f"{body} ({detail})" if body and body != "error" else detail
    else:
        body = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return f"{action} failed: {body}" if action else body


def unavailable_text(exc: BaseException, action: str, route: str) -> str:
    """Like error_text, but says plainly when the node does not offer `route` (HTTP 404)."""
    if isinstance(exc, NotFound) and exc.detail.lower() == "not found":
        return f"{action} is not available on this node yet ({route} answered 404)"
    return error_text(exc, action)
