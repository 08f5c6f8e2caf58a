"""``plaza bench``'s report: a figure without samples is null and the command fails (issue 16).

Before, ``plaza bench network`` printed ``NaN`` (not JSON) and exited 0 when a
measurement got no samples.
"""

from __future__ import annotations

import json
import math

import pytest
import typer

from plaza.cli.bench import _report


def test_a_figure_without_samples_is_null_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(typer.Exit) as failed:
        _report("plaza bench x", {"samples": 0, "p50_s": math.nan, "ok": True}, as_json=True)
    assert failed.value.exit_code == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out) == {"samples": 0, "p50_s": None, "ok": True}
    assert "NaN" not in captured.out
    assert "p50_s" in captured.err


def test_figures_with_samples_print_and_succeed(capsys: pytest.CaptureFixture[str]) -> None:
    _report("plaza bench x", {"p50_s": 0.25, "e2e_p99_s": None}, as_json=True)
    assert json.loads(capsys.readouterr().out) == {"p50_s": 0.25, "e2e_p99_s": None}
