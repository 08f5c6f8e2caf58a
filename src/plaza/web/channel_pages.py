"""A channel's states decoded for a reader holding its key, in the browser (issue 11, item 8).

``/explorer/channels`` is the page (``static/explorer/channel.js`` parses the reader key,
walks the chain and opens each state); ``/explorer/api/tags/{tag}`` is all it asks this
site for: the data messages filed under one ledger tag, their ids, issuers and data,
which are public. The key never reaches the server. The streams vertical's pages (a
buyer's inbox, the channel it was granted) read the ledger through the same route.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from plaza.clients.errors import ClientError
from plaza.ledger.model import DataPayload
from plaza.web.pages import pages_of
from plaza.web.wallet_pages import WALLET_POLICY

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
_TAG = re.compile(r"[0-9a-f]{64}")
_PER_TAG = 20  # as many as a page of the explorer shows
_MOST_PER_TAG = 50  # an inbox's deliveries, asked for with ?limit=


@router.get("/explorer/channels")
def channel_page(request: Request) -> Response:
    """The reader's page: the site's policy with WebAssembly for libsodium (XChaCha20)."""
    page = pages_of(request).render(request, "explorer/channel.html", {"title": "Read a channel"})
    page.headers["content-security-policy"] = WALLET_POLICY
    return page


@router.get("/explorer/api/tags/{tag}")
def messages_at(request: Request, tag: str, limit: str = str(_PER_TAG)) -> JSONResponse:
    """The data messages under a 32-byte tag (hex), newest first, at most ``limit`` (20
    unless asked, at most 50)."""
    if not _TAG.fullmatch(tag):
        return JSONResponse({"error": "a tag is 64 lower-case hex digits"}, status_code=400)
    if not limit.isdigit() or not 0 < int(limit) <= _MOST_PER_TAG:
        message = f"limit is a whole number from 1 to {_MOST_PER_TAG}"
        return JSONResponse({"error": message}, status_code=400)
    node = request.app.state.sources.node
    try:
        ids = node.find_by_tag(bytes.fromhex(tag), limit=int(limit)).ids
        found = [node.get_message(message_id) for message_id in ids]
    except ClientError as error:
        return JSONResponse({"error": f"the node is not answering: {error}"}, status_code=503)
    messages = [
        {"id": m.id.hex(), "issuer": m.issuer.hex(), "data": m.payload.data.hex()}
        for m in found
        if isinstance(m.payload, DataPayload)
    ]
    return JSONResponse({"messages": messages})
