"""``plaza`` imports a command's module when that command runs, not every layer at start.

Checked in a fresh interpreter by what it imported (not by timing): starting ``plaza``
and running a wallet command must not import the marketplace's web framework, its
database toolkit or the composition root's marketplace, which took seconds before
``plaza wallet balance`` could print a line.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

#: Modules only the serving commands need.
HEAVY = ("fastapi", "sqlalchemy", "plaza.bootstrap.market", "plaza.api")


def _imported_after(code: str) -> set[str]:
    script = f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    return set(done.stdout.split())


def _running(*args: str) -> str:
    """The code that runs ``plaza *args`` in the interpreter, as the ``plaza`` script does."""
    call = f"app({list(args)!r})"
    return f"from plaza.cli.main import app\ntry:\n    {call}\nexcept SystemExit:\n    pass"


@pytest.mark.parametrize(
    "code",
    ["import plaza.cli.main", _running("wallet", "--help"), _running("version")],
    ids=["start", "wallet --help", "version"],
)
def test_plaza_imports_no_serving_layer_before_a_serving_command(code: str) -> None:
    imported = _imported_after(code)
    assert not [module for module in HEAVY if module in imported]


def test_a_serving_command_still_finds_its_module() -> None:
    assert "plaza.cli.web" in _imported_after(_running("web", "--help"))


def test_plaza_bootstrap_names_are_imported_when_first_used() -> None:
    imported = _imported_after("import plaza.bootstrap.clock")
    assert "plaza.bootstrap.market" not in imported
    assert "plaza.bootstrap.market" in _imported_after("from plaza.bootstrap import build_market")
