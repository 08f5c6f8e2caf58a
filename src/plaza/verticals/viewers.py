"""Who is browsing a vertical's private page (an owner's dashboard), as the web app says.

Verticals do not import :mod:`plaza.web` (it mounts them); the app's renderer gives the
viewer (``request.app.state.pages.viewer``), and these protocols are the part of it a
vertical reads. A person not logged in is sent to the login page, told when their session
expired; such a page is private to its viewer, so it is never cached.
"""

from __future__ import annotations

from typing import Protocol

from fastapi import Request
from fastapi.responses import RedirectResponse

__all__ = ["NO_STORE", "Account", "Viewer", "user_or_login"]

NO_STORE = {"cache-control": "no-store"}


class Account(Protocol):
    @property
    def user_id(self) -> str: ...


class Viewer(Protocol):
    """Who is browsing, as ``app.state.pages.viewer`` gives it (plaza.web's Viewer)."""

    @property
    def account(self) -> Account | None: ...

    @property
    def expired(self) -> bool: ...


def user_or_login(request: Request) -> str | RedirectResponse:
    """The logged-in person's user id, or the way to the login page."""
    viewer: Viewer = request.app.state.pages.viewer(request)
    if viewer.account is None:
        return RedirectResponse("/login?expired=1" if viewer.expired else "/login", 303)
    return viewer.account.user_id
