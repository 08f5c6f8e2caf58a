"""The layering of docs/architecture.md holds: imports point downward only."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_import_contracts_hold() -> None:
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint_imports), "--config", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_package_under_src_is_in_a_layer() -> None:
    """A new package must be placed in the layers on purpose, not slip past the contract."""
    config = (ROOT / "pyproject.toml").read_text()
    packages = {
        p.name for p in (ROOT / "src" / "plaza").iterdir() if p.is_dir() and p.name[0] != "_"
    }
    modules = {p.stem for p in (ROOT / "src" / "plaza").glob("*.py") if p.stem[0] != "_"}
    unlayered = {name for name in packages | modules if f"plaza.{name}" not in config}
    assert unlayered <= {"testing"}, f"not in any import-linter layer: {sorted(unlayered)}"
