"""Human units, local times, short hashes and error text for the desktop app."""

from __future__ import annotations

import pytest

from dlbs.errors import DlbsError, NotFound, PeerError
from dlbs.gui import formatting as fmt


@pytest.mark.parametrize(("n", "text"), [
    (0, "0 B"), (1023, "1023 B"), (1024, "1.0 KiB"), (1536, "1.5 KiB"), (5 * 1024**3, "5.0 GiB"),
    (3 * 1024**6, "3072.0 PiB"), (None, "—"),
])
def test_human_size(n: int | None, text: str) -> None:
    assert fmt.human_size(n) == text


def test_times_are_local_and_tolerant() -> None:
    assert len(fmt.local_time("2024-05-01T10:00:00Z")) == len("2024-05-01 10:00")
    assert len(fmt.local_time(1714557600.0, seconds=True)) == len("2024-05-01 10:00:00")
    assert fmt.local_time("garbage") == "—"
    assert fmt.local_time(None) == "—"
    assert fmt.clock_time(None) == "--:--:--"
    assert fmt.parse_time("2024-05-01T10:00:00") is not None  # naive ISO is taken as UTC


def test_short_hash_duration_ratio() -> None:
    assert fmt.short_hash("0123456789abcdef") == "0123456789ab"
    assert fmt.short_hash("") == "—"
    assert [fmt.duration(s) for s in (5, 75, 3725, 90000)] == ["5s", "1m 15s", "1h 2m", "1d 1h"]
    assert fmt.ratio(1.234) == "1.23×"


def test_error_text_is_one_readable_line() -> None:
    down = PeerError("cannot reach the node at http://127.0.0.1:1", "connection refused")
    assert fmt.error_text(down, "Upload") == \
        "Upload failed: cannot reach the node at http://127.0.0.1:1 (connection refused)"
    assert fmt.error_text(DlbsError("error", "boom")) == "boom"
    assert fmt.error_text(ValueError("bad")) == "ValueError: bad"


def test_unavailable_text_names_a_missing_route() -> None:
    assert fmt.unavailable_text(NotFound("not found", "Not Found"), "Sync now", "POST /api/sync") == \
        "Sync now is not available on this node yet (POST /api/sync answered 404)"
    other = NotFound("no such file", "x.txt")
    assert fmt.unavailable_text(other, "Sync now", "POST /api/sync") == "Sync now failed: no such file (x.txt)"
