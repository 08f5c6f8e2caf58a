"""API documentation that works offline, and a ``GET /`` that says where things are.

FastAPI's own ``/docs`` page loads Swagger UI's script and styles from a CDN, so
without a network (the demo on a train, CI) every documentation page is blank.
:func:`serve_docs` serves the same page with Swagger UI from the npm package
``swagger-ui-dist``, which ``make`` installs into ``node_modules/`` (never copied
into the repository), and answers ``GET /``: a browser is sent to ``/docs``, any
other client gets a small JSON index. Every app passes ``docs_url=None,
redoc_url=None`` to ``FastAPI`` and calls :func:`serve_docs` instead.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

__all__ = ["DOCS_ASSETS", "front_end_packages", "serve_docs"]

#: Where an app serves Swagger UI's files.
DOCS_ASSETS = "/docs/assets"
#: Names the directory of the front-end packages when it is not the repository's.
PACKAGES_ENV = "PLAZA_NODE_MODULES"


def front_end_packages() -> Path:
    """The ``node_modules`` directory ``make`` fills from ``package.json``: ``$PLAZA_NODE_MODULES``,
    else the one beside the ``pyproject.toml`` this source tree lives in, else the working
    directory's. It may not exist (an install without npm): pages then name what is missing."""
    configured = os.environ.get(PACKAGES_ENV)
    if configured:
        return Path(configured)
    for parent in Path(__file__).resolve().parents:
        if (parent / "pyproject.toml").is_file() and (parent / "node_modules").is_dir():
            return parent / "node_modules"
    return Path.cwd() / "node_modules"


def serve_docs(app: FastAPI, *, packages: Path | None = None) -> None:
    """Serve ``/docs`` with local Swagger UI files and ``GET /`` as an index (neither in
    the OpenAPI document)."""
    swagger = (packages or front_end_packages()) / "swagger-ui-dist"
    app.mount(DOCS_ASSETS, StaticFiles(directory=swagger, check_dir=False), name="docs-assets")
    title = app.title

    @app.get("/docs", include_in_schema=False)
    async def docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{title}: API documentation",
            swagger_js_url=f"{root}{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{DOCS_ASSETS}/favicon-32x32.png",
            swagger_ui_parameters={"validatorUrl": None},  # no call to the online validator
        )

    @app.get("/", include_in_schema=False)
    async def index(request: Request) -> Response:
        if "text/html" in request.headers.get("accept", ""):
            return RedirectResponse("docs", status_code=307)
        body: dict[str, Any] = {"name": title, "docs": "/docs", "openapi": app.openapi_url}
        return JSONResponse(body)
