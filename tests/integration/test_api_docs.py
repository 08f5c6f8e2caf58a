"""docs/api.md lists every endpoint the node serves, and nothing it does not."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from node_server import RunningNode

DOC = Path(__file__).parents[2] / "docs" / "api.md"


def test_api_doc_matches_openapi(node: RunningNode) -> None:
    paths = httpx.get(f"{node.url}/openapi.json").json()["paths"]
    served = {(method.upper(), path) for path, operations in paths.items() for method in operations}
    documented = set(
        re.findall(r"^\| (GET|POST|PUT|DELETE) \| `([^`]+)` \|", DOC.read_text(), re.M)
    )
    assert documented == served
