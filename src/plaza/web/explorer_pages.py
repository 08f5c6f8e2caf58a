"""The explorer: no login, the ledger as anyone holding a node's address sees it.

``GET /explorer`` shows the latest milestones, a search box and, with JavaScript,
milestones and confirmations arriving live (``GET /explorer/live``, the node's
events relayed as HTML by :mod:`plaza.web.live`). A message page shows its
payload, tag, parents, children and confirmation, which refreshes itself on each
milestone until it is confirmed; an address page its balance and history; a tag
page its messages.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from plaza.web.errors import BadInput
from plaza.web.explorer import Explorer, parse_message_id
from plaza.web.live import relay_events
from plaza.web.pages import pages_of

__all__ = ["router"]

router = APIRouter(prefix="/explorer")
_MILESTONE = re.compile(r"[0-9]{1,12}")


def _explorer(request: Request) -> Explorer:
    explorer: Explorer = request.app.state.explorer
    return explorer


def _render(request: Request, name: str, context: dict[str, Any]) -> HTMLResponse:
    response: HTMLResponse = pages_of(request).render(request, name, context)
    return response


@router.get("", response_class=HTMLResponse)
def explorer_home(request: Request) -> HTMLResponse:
    milestones = _explorer(request).latest()
    return _render(request, "explorer/index.html", {"title": "Explorer", "milestones": milestones})


@router.get("/search")
def search(request: Request, q: str = "") -> Response:
    """A message id, a milestone index, an address or a tag: to its page."""
    text = q.strip()
    if not text:
        raise BadInput("q", "give a message id, a milestone index, an address or a tag")
    if len(text) > 128:
        raise BadInput("q", "at most 128 characters")
    if re.fullmatch(r"[0-9a-fA-F]{64}", text):
        target = f"/explorer/messages/{text.lower()}"
    elif _MILESTONE.fullmatch(text):
        target = f"/explorer/milestones/{text}"
    elif text.lower().startswith("plz1"):
        target = f"/explorer/addresses/{text}"
    else:
        return RedirectResponse(request.url_for("tag").include_query_params(tag=text), 303)
    return RedirectResponse(target, status_code=303)


@router.get("/milestones/{index}")
def milestone(request: Request, index: str) -> Response:
    """A milestone is a message: its page."""
    record = _explorer(request).milestone(index)
    return RedirectResponse(f"/explorer/messages/{record.message_id.hex()}", status_code=303)


@router.get("/messages/{message_id}", response_class=HTMLResponse)
def message(request: Request, message_id: str) -> HTMLResponse:
    view = _explorer(request).message(message_id)
    context = {"title": f"Message {view.message.id.hex()[:12]}", "view": view}
    return _render(request, "explorer/message.html", context)


@router.get("/messages/{message_id}/state", response_class=HTMLResponse)
def message_state(request: Request, message_id: str) -> HTMLResponse:
    """The confirmation line alone: what a message page swaps in on each milestone."""
    identifier = parse_message_id(message_id)
    metadata = _explorer(request).read(lambda node: node.metadata(identifier), "message")
    context = {"metadata": metadata, "message_id": identifier}
    return _render(request, "explorer/_state.html", context)


@router.get("/addresses/{address}", response_class=HTMLResponse)
def address(request: Request, address: str) -> HTMLResponse:
    view = _explorer(request).address(address)
    return _render(request, "explorer/address.html", {"title": "Address", "view": view})


@router.get("/tags", response_class=HTMLResponse, name="tag")
def tag(request: Request, tag: str = "", cursor: str = "") -> HTMLResponse:
    view = _explorer(request).tag(tag, cursor)
    return _render(request, "explorer/tag.html", {"title": f"Tag {tag}", "view": view})


@router.get("/live")
async def live(request: Request) -> StreamingResponse:
    """The node's milestones and confirmations as HTML fragments (Server-Sent Events)."""
    pages = request.app.state.pages

    def render(kind: str, data: dict[str, Any]) -> str:
        html: str = pages.fragment(f"explorer/_live_{kind}.html", {"event": data})
        return html

    stream = relay_events(_explorer(request).node_url, render)
    headers = {"cache-control": "no-store", "x-accel-buffering": "no"}
    return StreamingResponse(stream, media_type="text/event-stream", headers=headers)
