"""Reading docs/protocol.md's JSON test vector blocks, and the hash the document calls H."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

DOC = Path(__file__).parents[3] / "docs" / "protocol.md"


def block(heading: str) -> dict[str, Any]:
    """The JSON block that follows ``heading`` in docs/protocol.md."""
    found = re.search(heading + r".*?```json\n(.*?)```", DOC.read_text(), re.DOTALL)
    assert found is not None, f"docs/protocol.md has no {heading} block"
    vectors: dict[str, Any] = json.loads(found.group(1))
    return vectors


def h(data: bytes) -> bytes:
    """H: BLAKE2b-256, unkeyed."""
    return hashlib.blake2b(data, digest_size=32).digest()
