"""``plaza market run --workers N``'s refusal: several workers need PostgreSQL, said in one line,
before anything starts (no data directory made, no port taken) and without the URL."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from plaza.cli.main import app


def _run(tmp_path: Path, *options: str) -> tuple[int, str]:
    data = tmp_path / "market"
    result = CliRunner().invoke(
        app, ["market", "run", "--data-dir", str(data), "--workers", "2", *options]
    )
    assert not data.exists()
    return result.exit_code, result.output


def test_workers_without_a_database_url_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PLAZA_MARKET_DATABASE_URL", raising=False)
    code, output = _run(tmp_path)
    assert code == 2
    assert "--workers 2: several workers need a PostgreSQL --database-url" in output
    assert "SQLite is for one process" in output


def test_workers_on_sqlite_exit_2_without_showing_the_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLAZA_MARKET_DATABASE_URL", "sqlite:////tmp/secret-name.sqlite3")
    code, output = _run(tmp_path)
    assert code == 2
    assert "several workers need a postgresql:// --database-url" in output
    assert "secret-name" not in output
