"""The last line of every Plaza server: an unexpected error is one log line and a generic reply.

Starlette's own last resort (``ServerErrorMiddleware``) answers a handler's
``Exception`` and then raises it again for the server to log, so each fault left
two tracebacks in the log: fuzzing the energy modules for a few minutes grew a
demo's log to 35 MB. :class:`UnexpectedErrors` sits inside it and keeps the error:
it logs one line (the request, the error's class and the start of its message)
and answers with the API's own generic body, so a client sees the shape it
expects and the log stays readable. Bad input never reaches it: each API turns
its decoding errors into its own 400 before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["MAX_LOGGED_CHARS", "UnexpectedErrors"]

log = logging.getLogger(__name__)

#: How much of an error's message the log line keeps.
MAX_LOGGED_CHARS = 200


class UnexpectedErrors:
    """ASGI middleware: an exception the app let through becomes ``answer()`` and one log line."""

    def __init__(self, app: ASGIApp, *, answer: Callable[[], Response], name: str) -> None:
        self._app = app
        self._answer = answer
        self._name = name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self._app(scope, receive, tracking_send)
        except Exception as error:  # the point: nothing escapes as a traceback
            self._log(scope, error)
            if not started:
                await self._answer()(scope, receive, send)

    def _log(self, scope: Scope, error: Exception) -> None:
        text = str(error).replace("\n", " ")[:MAX_LOGGED_CHARS]
        where = f"{scope.get('method', '?')} {scope.get('path', '?')}"
        log.error("%s: unexpected %s on %s: %s", self._name, type(error).__name__, where, text)
