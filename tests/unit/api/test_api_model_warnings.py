"""Plaza's own pydantic models give no ``UnsupportedFieldAttributeWarning``.

The suite ignores that warning (see ``filterwarnings`` in ``pyproject.toml``): FastAPI
builds an included router's routes at their first request inside
``warnings.catch_warnings()``, which is not thread-safe, so with several servers in one
test process another thread's restore can re-arm ``error`` in the middle of FastAPI's
own, deliberately ignored, alias warning. This test keeps the check for Plaza's code:
one fresh interpreter, one thread, the warning an error, every module imported (their
models are built at import; alembic's migration scripts only run under alembic).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

_AS_ERROR = """
import warnings
from pydantic.warnings import UnsupportedFieldAttributeWarning
warnings.simplefilter("error", UnsupportedFieldAttributeWarning)
"""

_EVERY_MODULE = """
import importlib, pkgutil, plaza
for module in pkgutil.walk_packages(plaza.__path__, "plaza."):
    if not module.name.endswith("__main__") and ".migrations" not in module.name:
        importlib.import_module(module.name)
"""

_MISUSED = """
from typing import Annotated
from pydantic import Field, TypeAdapter
TypeAdapter(Annotated[int, Field(alias="b")])
"""


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _AS_ERROR + code],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_every_plaza_module_imports_without_the_warning() -> None:
    result = _run(_EVERY_MODULE)
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.parametrize("code", [_MISUSED])
def test_the_check_catches_a_misused_field(code: str) -> None:
    result = _run(code)
    assert result.returncode != 0
    assert "UnsupportedFieldAttributeWarning" in result.stderr
