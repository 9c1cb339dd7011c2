"""Finding snapshots (backup/snapshots.py): by id prefix (ambiguous, unknown, malformed), by time,
the parent of the next backup, and forgotten ones hidden."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from backuptree import open_repo

from dlbs.backup import snapshots
from dlbs.core.model import KIND_FORGET, KIND_SNAPSHOT, Version
from dlbs.core.snapshot import SnapshotInfo
from dlbs.errors import InvalidInput, NotFound
from dlbs.store.repository import Repository


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repository]:
    r = open_repo(tmp_path / "repo")
    yield r
    r.close()


def record(repo: Repository, sid: str, when: float, host: str = "h", paths: tuple[str, ...] = ("/data",)) -> Version:
    info = SnapshotInfo(id=sid, time=when, host=host, node_id=repo.node.node_id, paths=paths, files=0, dirs=0,
                        symlinks=0, size=0, added_bytes=0, partial=False)
    return repo.catalog.add_entry(repo.node.node_id, repo.node.node_name, repo.clock.now, kind=KIND_SNAPSHOT,
                                  path=sid, size=0, sha256="", chunks=(), meta=info.meta_json())


def test_resolve_by_prefix(repo: Repository) -> None:
    a = record(repo, "abcd0000" + "0" * 24, 100.0)
    b = record(repo, "abcd1111" + "1" * 24, 200.0)
    record(repo, "ffff2222" + "2" * 24, 300.0)
    assert snapshots.resolve(repo, "abcd0").path == a.path
    assert snapshots.resolve(repo, "ABCD1111").path == b.path  # case does not matter
    assert snapshots.resolve(repo, a.path).path == a.path
    with pytest.raises(InvalidInput, match="ambiguous"):
        snapshots.resolve(repo, "abcd")
    with pytest.raises(NotFound):
        snapshots.resolve(repo, "abce")
    for bad in ("abc", "", "zzzz", "abcd-", "../x"):
        with pytest.raises(InvalidInput):
            snapshots.resolve(repo, bad)


def test_forgotten_snapshots_are_hidden(repo: Repository) -> None:
    a = record(repo, "a" * 32, 100.0)
    b = record(repo, "b" * 32, 200.0)
    repo.catalog.add_entry(repo.node.node_id, repo.node.node_name, repo.clock.now, kind=KIND_FORGET, path="forget-1",
                           size=0, sha256="", chunks=(), meta=json.dumps({"snapshots": [a.path]}))
    assert [v.path for v in snapshots.live_snapshots(repo)] == [b.path]
    with pytest.raises(NotFound):
        snapshots.resolve(repo, "aaaa")


def test_at_time_and_latest_for(repo: Repository) -> None:
    a = record(repo, "a" * 32, 100.0)
    b = record(repo, "b" * 32, 200.0, paths=("/other",))
    c = record(repo, "c" * 32, 300.0)
    record(repo, "d" * 32, 400.0, host="elsewhere")
    assert snapshots.at_time(repo, 250.0).path == b.path
    assert snapshots.at_time(repo, 250.0, "/data/x").path == a.path
    assert snapshots.at_time(repo, 300.0, "/data").path == c.path
    assert snapshots.at_time(repo, 1000.0, "/").path == "d" * 32  # a folder above the sources
    with pytest.raises(NotFound):
        snapshots.at_time(repo, 99.0)
    with pytest.raises(NotFound):
        snapshots.at_time(repo, 250.0, "/nowhere")
    latest = snapshots.latest_for(repo, "h", ("/data",))
    assert latest is not None and latest.path == c.path
    assert snapshots.latest_for(repo, "h", ("/data", "/other")) is None
