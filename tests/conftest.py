"""Shared fixtures: real node processes (always stopped) and a test-artifacts folder."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from nodeproc import NodeProcess

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def make_node(tmp_path: Path) -> Iterator[Callable[..., NodeProcess]]:
    """Factory: make_node("a") starts a real `dlbs node` on free loopback ports in a temp data dir."""
    nodes: list[NodeProcess] = []

    def make(name: str = "node", start: bool = True, *extra: str) -> NodeProcess:
        n = NodeProcess(tmp_path / name, name=name)
        nodes.append(n)
        if start:
            n.start(*extra)
        return n

    yield make
    for n in nodes:
        n.stop()


@pytest.fixture
def node(make_node: Callable[..., NodeProcess]) -> NodeProcess:
    return make_node("node")
