"""In-process API fixtures: a real NodeService in a temp dir and its peer and web apps."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from apiclient import InProcessClient

from dlbs.api.app import create_peer_app, create_web_app
from dlbs.service import NodeService


@pytest.fixture
def node_service(tmp_path: Path) -> Iterator[NodeService]:
    svc = NodeService.open(tmp_path / "node")
    yield svc
    svc.close()


@pytest.fixture
def web(node_service: NodeService) -> Iterator[InProcessClient]:
    c = InProcessClient(create_web_app(node_service))
    yield c
    c.close()


@pytest.fixture
def peer(node_service: NodeService) -> Iterator[InProcessClient]:
    c = InProcessClient(create_peer_app(node_service), {"Authorization": f"Bearer {node_service.token}"})
    yield c
    c.close()


@pytest.fixture
def peer_anon(node_service: NodeService) -> Iterator[InProcessClient]:
    c = InProcessClient(create_peer_app(node_service))
    yield c
    c.close()


