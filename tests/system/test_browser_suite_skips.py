"""The browser tests skip, saying why, only where Chromium is missing and this is not CI; in CI
(``CI=true``) a missing Chromium fails them instead of hiding them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).parents[2]


def _run(ci: bool) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "CI"}
    env["PLAZA_CHROMIUM"] = "/nonexistent/chromium"
    if ci:
        env["CI"] = "true"
    command = [
        sys.executable,
        "-m",
        "pytest",
        "tests/browser",
        "-k",
        "keyboard",
        "-rs",
        "-q",
        "-p",
        "no:cacheprovider",
    ]
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_without_chromium_the_browser_tests_skip_and_say_why() -> None:
    done = _run(ci=False)
    assert done.returncode == 0, done.stdout[-2000:]
    assert "1 skipped" in done.stdout
    assert "no Chromium at /nonexistent/chromium" in done.stdout


def test_in_ci_without_chromium_the_browser_tests_fail_rather_than_skip() -> None:
    done = _run(ci=True)
    assert done.returncode != 0, done.stdout[-2000:]
    assert "skipped" not in done.stdout
