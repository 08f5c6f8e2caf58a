"""The market's domain stays pure: only its store adapter touches a database driver.

The import-linter contract for the market lists other packages' modules; this
test keeps the same promise for the book, matching and service modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import plaza.market

MARKET = Path(plaza.market.__file__).parent
ADAPTERS = {"sqlite.py", "__init__.py"}
FORBIDDEN = {
    "sqlite3",
    "psycopg",
    "sqlalchemy",
    "alembic",
    "fastapi",
    "starlette",
    "uvicorn",
    "httpx",
    "websockets",
    "redis",
    "time",
    "datetime",
    "random",
    "socket",
}


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_domain_modules_import_no_drivers_and_read_no_clock() -> None:
    modules = [*MARKET.glob("*.py"), *(MARKET / "matching").glob("*.py")]
    assert len(modules) > 10
    for path in modules:
        if path.name in ADAPTERS and path.parent == MARKET:
            continue
        assert not imported(path) & FORBIDDEN, path.name
