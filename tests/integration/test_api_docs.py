"""docs/api.md lists every endpoint the node and the marketplace serve, and nothing else.

The node's table is the part before the ``# Marketplace API`` heading, the
marketplace's the part after; each is checked against its own app's OpenAPI.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from market_server import RunningMarket
from node_server import RunningNode

DOC = Path(__file__).parents[2] / "docs" / "api.md"
MARKET_HEADING = "\n# Marketplace API\n"


def _documented(text: str) -> set[tuple[str, str]]:
    return set(re.findall(r"^\| (GET|POST|PUT|PATCH|DELETE) \| `([^`]+)` \|", text, re.M))


def _served(url: str) -> set[tuple[str, str]]:
    paths = httpx.get(f"{url}/openapi.json").json()["paths"]
    return {(method.upper(), path) for path, operations in paths.items() for method in operations}


def test_api_doc_matches_openapi(node: RunningNode) -> None:
    node_part, _, _ = DOC.read_text().partition(MARKET_HEADING)
    assert _documented(node_part) == _served(node.url)


def test_market_api_doc_matches_openapi(market: RunningMarket) -> None:
    _, heading, market_part = DOC.read_text().partition(MARKET_HEADING)
    assert heading, "docs/api.md has no '# Marketplace API' section"
    assert _documented(market_part) == _served(market.url)
