"""What every test module shares: the garbage it made is collected before the next begins.

A socket or file that a module's servers and clients leave to the garbage collector is
closed, with its ResourceWarning (an error in this suite), whenever the collector next
runs: without this, in whichever later test happens to allocate enough to trigger it, so
the warning fails a test that had nothing to do with it. Collecting at the end of each
module reports such a warning in the module that caused it, as a failure of its last test.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="module")
def _collect_garbage_per_module() -> Iterator[None]:
    yield
    gc.collect()
