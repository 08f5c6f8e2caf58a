"""The README's Python example runs as written against a live node."""

from __future__ import annotations

import re
from pathlib import Path

from node_server import RunningNode

README = Path(__file__).parents[2] / "README.md"


def test_readme_python_example_runs(node: RunningNode) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.DOTALL)
    assert blocks, "the README has no Python example"
    for block in blocks:
        code = block.replace("http://127.0.0.1:8650", node.url)
        exec(compile(code, str(README), "exec"), {})  # running our own README, on purpose
