"""Local validation of the settings form, before anything reaches the node."""

from __future__ import annotations

import pytest

from dlbs.errors import InvalidInput
from dlbs.gui import settings_form as sf


def test_nodes_one_per_line_commas_and_dedup() -> None:
    assert sf.parse_nodes("192.168.1.10:8000\n pi.local:8000, [fe80::1]:9000\n\n192.168.1.10:8000") == [
        "192.168.1.10:8000", "pi.local:8000", "[fe80::1]:9000"]
    assert sf.parse_nodes("  ") == []


@pytest.mark.parametrize("bad", ["nohost", "host:", ":8000", "host:99999", "host:0", "a b:c", "ho$t:80"])
def test_bad_node_addresses_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput) as info:
        sf.parse_nodes(bad)
    assert "host:port" in info.value.detail or "port" in info.value.detail


def test_schedule() -> None:
    assert sf.parse_schedule("Daily ") == "daily"
    assert sf.parse_schedule("hourly") == "hourly"
    assert sf.parse_schedule("600") == 600
    assert sf.parse_schedule("90s") == 90
    for bad in ("weekly", "5", "-10", "1.5", ""):
        with pytest.raises(InvalidInput):
            sf.parse_schedule(bad)


def test_replicas() -> None:
    assert sf.parse_replicas("") is None
    assert sf.parse_replicas("all") is None
    assert sf.parse_replicas(" 2 ") == 2
    for bad in ("0", "-1", "two", "1.5"):
        with pytest.raises(InvalidInput):
            sf.parse_replicas(bad)


def test_config_change_keeps_other_sync_keys() -> None:
    s = sf.parse_settings("a:1", "hourly", "")
    assert s.config_change({"schedule": "daily", "notify": False}) == {
        "sync": {"schedule": "hourly", "notify": False}, "replicas": None}


def test_form_values_round_trip() -> None:
    cfg = {"nodes": ["a:1", "b:2"], "sync": {"schedule": 600}, "replicas": 2}
    assert sf.form_values(cfg) == ("a:1\nb:2", "600", "2")
    assert sf.parse_settings(*sf.form_values(cfg)) == sf.Settings(["a:1", "b:2"], 600, 2)
    assert sf.form_values({}) == ("", "daily", "")
