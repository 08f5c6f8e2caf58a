"""The web app's one error family: what a page answers when a request cannot be served.

Every route turns bad input into :class:`BadInput` (400) and a missing thing into
:class:`PageNotFound` (404) before it reads anything, so a browser never gets a 500
for what it can send; the app renders both as an HTML page that says what was
wrong (:mod:`plaza.web.app`).
"""

from __future__ import annotations

__all__ = ["BadInput", "NotAllowed", "PageNotFound", "Unavailable", "WebError"]


class WebError(Exception):
    """A request the web app cannot serve; ``status`` is its HTTP status."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadInput(WebError):
    """A parameter a person (or a link) gave is not one the page can use."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class NotAllowed(WebError):
    """The person is known but may not do this (the service that owns the rule said so)."""

    status = 403


class PageNotFound(WebError):
    """The listing, message, milestone or page asked for does not exist (yet)."""

    status = 404


class Unavailable(WebError):
    """A service the page reads from (the node) does not answer."""

    status = 503
