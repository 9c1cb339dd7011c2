"""How routes find the node they serve."""

from __future__ import annotations

from fastapi import Request

from dlbs.service import NodeService


def node_of(request: Request) -> NodeService:
    node: NodeService = request.app.state.node
    return node
