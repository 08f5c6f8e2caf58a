"""``plaza.market.auth`` is pure domain: no database, web framework or SQL package below it."""

from __future__ import annotations

import ast
from pathlib import Path

import plaza.market.auth

FORBIDDEN = (
    "sqlalchemy",
    "alembic",
    "psycopg",
    "sqlite3",
    "fastapi",
    "starlette",
    "httpx",
    "plaza.market.sql",
    "plaza.api",
)


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_auth_imports_no_infrastructure() -> None:
    package = Path(plaza.market.auth.__file__).parent
    modules = sorted(package.glob("*.py"))
    assert len(modules) >= 10
    for module in modules:
        bad = {name for name in _imports(module) if name.startswith(FORBIDDEN)}
        assert not bad, f"{module.name} imports {sorted(bad)}"
