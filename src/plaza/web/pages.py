"""Rendering pages: the app's templates and the verticals', with what every page needs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from plaza.web.display import UnitBook, short_id, when
from plaza.web.sessions import Viewer, remember_viewer, viewer_of
from plaza.web.tiles import TileServer

__all__ = ["Pages", "pages_of"]


class Pages:
    """Renders the app's templates with what every page needs (navigation, filters).

    Kept on ``app.state.pages`` so a vertical's routes render their own templates,
    which may extend ``base.html``: ``request.app.state.pages.render(request, name, ctx)``.
    """

    def __init__(
        self,
        loaders: Sequence[Path],
        nav: Sequence[tuple[str, str]],
        units: UnitBook,
        *,
        tiles: TileServer | None = None,
    ):
        environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader([str(path) for path in loaders]),
            autoescape=jinja2.select_autoescape(default=True),
            undefined=jinja2.StrictUndefined,
        )
        environment.filters.update(when=when, short=short_id)
        environment.globals.update(nav=tuple(nav), units=units, tiles=tiles)
        self.templates = Jinja2Templates(env=environment)
        self.units = units

    def render(
        self, request: Request, name: str, context: Mapping[str, Any], *, status: int = 200
    ) -> HTMLResponse:
        """The page, with who is browsing (``viewer``: the navigation's account links and the
        forms' CSRF token) and the cookies that needs."""
        full = {"viewer": viewer_of(request), **context}
        response = self.templates.TemplateResponse(request, name, full, status_code=status)
        response.headers["vary"] = "HX-Request, HX-Target, Cookie"
        remember_viewer(request, response)
        return response

    def viewer(self, request: Request) -> Viewer:
        """Who is browsing, for a vertical's page that shows a logged-in person their own
        things (a vertical reaches it here, as it may not import :mod:`plaza.web`)."""
        return viewer_of(request)

    def fragment(self, name: str, context: Mapping[str, Any]) -> str:
        """A template rendered to a string (an SSE event's HTML)."""
        return self.templates.get_template(name).render(dict(context))


def pages_of(request: Request) -> Pages:
    """The app's :class:`Pages` (``app.state.pages``)."""
    pages: Pages = request.app.state.pages
    return pages
