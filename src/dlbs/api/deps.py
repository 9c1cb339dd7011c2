"""What every route needs: the node it serves, and the request's JSON body checked."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from dlbs.errors import InvalidInput
from dlbs.service import NodeService


def node_of(request: Request) -> NodeService:
    node: NodeService = request.app.state.node
    return node


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object body; InvalidInput when it is missing, malformed or not an object."""
    raw = await request.body()
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput("malformed JSON", str(exc)) from None
    if not isinstance(body, dict):
        raise InvalidInput("malformed JSON", "expected a JSON object")
    return body
