"""The last line of the servers: an unexpected error is one log line and the API's own body."""

from __future__ import annotations

import logging

import httpx
import pytest
from fastapi import FastAPI

from plaza.api.energy.replies import install_replies
from plaza.api.errors import install_error_handlers
from plaza.api.serving import ThreadedServer


def _failing(install: object) -> FastAPI:
    app = FastAPI(title="failing")
    assert callable(install)
    install(app)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("line one\nline two " + "x" * 1_000)

    return app


@pytest.mark.parametrize(
    ("install", "shape"),
    [
        (install_replies, {"success": False, "code": "internal_error"}),
        (install_error_handlers, {"error": {"code": "internal_error"}}),
    ],
)
def test_an_unexpected_error_is_one_short_log_line_and_a_generic_body(
    install: object, shape: dict[str, object], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR), ThreadedServer(_failing(install)) as server:
        reply = httpx.get(server.url + "/boom")
    assert reply.status_code == 500
    body = reply.json()
    for name, value in shape.items():
        if isinstance(value, dict):
            assert body[name]["code"] == value["code"]
        else:
            assert body[name] == value
    assert "line" not in reply.text  # the error's text stays in the log
    [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert record.exc_info is None
    line = record.getMessage()
    assert "\n" not in line
    assert len(line) < 300
    assert "RuntimeError on GET /boom" in line
