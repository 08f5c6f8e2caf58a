"""Submitting messages, reading them back, and finding them by tag or address.

Lookups are plain ``def`` routes, which FastAPI runs in its thread pool: the
store is blocking and must not stall the event loop. Submission reads its body
on the loop (bounded, so a huge upload is refused early) and then admits the
message in a worker thread, since validation and proof of work take CPU time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from plaza.api.deps import (
    MAX_ADDRESS_TEXT,
    ConfigDep,
    CursorQuery,
    LimitQuery,
    MessageIdPath,
    RuntimeDep,
    client_host,
    parse_address,
    parse_tag,
)
from plaza.api.errors import RequestProblem, error_responses
from plaza.api.schemas import (
    IdList,
    IdPage,
    MessageView,
    MetadataView,
    SubmitRequest,
    SubmitResponse,
)
from plaza.api.views import message_view, metadata_view
from plaza.http.bodies import read_limited
from plaza.ledger.admission import IngestStatus

__all__ = ["read_message_body", "router"]

router = APIRouter(tags=["messages"])

OCTET_STREAM = "application/octet-stream"
JSON = "application/json"

_STATUS_NAMES: Mapping[IngestStatus, Literal["stored", "held", "known"]] = {
    IngestStatus.STORED: "stored",
    IngestStatus.HELD: "held",
    IngestStatus.KNOWN: "known",
}

#: FastAPI cannot infer a body read by hand; document both accepted forms.
_SUBMIT_OPENAPI: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            OCTET_STREAM: {"schema": {"type": "string", "format": "binary"}},
            JSON: {"schema": SubmitRequest.model_json_schema()},
        },
    }
}

_RAW_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {OCTET_STREAM: {"schema": {"type": "string", "format": "binary"}}}}
}


async def read_message_body(request: Request, limit: int) -> bytes:
    """The submitted message's bytes, from either body form, never buffering past ``limit``."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in (OCTET_STREAM, JSON):
        raise RequestProblem(
            415, "unsupported_media_type", f"send the message as {OCTET_STREAM} or {JSON}"
        )
    body = await read_limited(request, limit, lambda: _too_large(limit))
    return body if media_type == OCTET_STREAM else _message_from_json(body)


def _too_large(limit: int) -> RequestProblem:
    return RequestProblem(
        413, "request_too_large", f"the body exceeds {limit} bytes; no message is that large"
    )


def _message_from_json(body: bytes) -> bytes:
    try:
        parsed = SubmitRequest.model_validate_json(body)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise RequestProblem(400, "invalid_request", f"{where}: {first['msg']}") from None
    return bytes.fromhex(parsed.message)


@router.post(
    "/messages",
    status_code=201,
    openapi_extra=_SUBMIT_OPENAPI,
    responses={
        200: {"model": SubmitResponse, "description": "the node already had this message"},
        **error_responses(400, 413, 415, 422, 429, 503),
    },
)
async def submit_message(
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    config: ConfigDep,
    do_work: Annotated[
        bool, Query(alias="pow", description="the node does the proof of work (rate limited)")
    ] = False,
) -> SubmitResponse:
    """Submit a signed message; 201 when new (stored or held), 200 when already known."""
    raw = await read_message_body(request, config.max_body_bytes)
    result = await run_in_threadpool(
        runtime.submit, raw, do_work=do_work, client=client_host(request)
    )
    if result.status is IngestStatus.KNOWN:
        response.status_code = 200
    assert result.message_id is not None  # only rejections lack one, and they raise
    return SubmitResponse(id=result.message_id.hex(), status=_STATUS_NAMES[result.status])


@router.get("/messages", responses=error_responses(400))
def find_messages(
    *,
    runtime: RuntimeDep,
    tag: Annotated[str | None, Query(max_length=256, description="tag as UTF-8 text")] = None,
    tag_hex: Annotated[str | None, Query(max_length=256, description="tag as hex")] = None,
    address: Annotated[
        str | None, Query(max_length=MAX_ADDRESS_TEXT, description="bech32m address")
    ] = None,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
) -> IdPage:
    """Message ids by tag, or transfers paying from or to an address, newest first."""
    tag_bytes = parse_tag(tag, tag_hex)
    if (tag_bytes is None) == (address is None):
        raise RequestProblem(400, "invalid_request", "give exactly one of tag, tag_hex or address")
    if tag_bytes is not None:
        page = runtime.tangle.find_by_tag(tag_bytes, limit=limit, cursor=cursor)
    else:
        assert address is not None
        raw = parse_address(address).raw
        page = runtime.tangle.find_by_address(raw, limit=limit, cursor=cursor)
    return IdPage(ids=[i.hex() for i in page.ids], next_cursor=page.next_cursor)


@router.get("/messages/{message_id}", responses=error_responses(400, 404))
def get_message(message_id: MessageIdPath, runtime: RuntimeDep) -> MessageView:
    """The decoded message with what the node knows of its confirmation."""
    message = runtime.tangle.get_message(message_id)
    return message_view(message, runtime.tangle.metadata(message_id))


@router.get(
    "/messages/{message_id}/raw",
    response_class=Response,
    responses={**_RAW_RESPONSE, **error_responses(400, 404)},
)
def get_raw_message(message_id: MessageIdPath, runtime: RuntimeDep) -> Response:
    """The canonical bytes, for clients that verify id and signature themselves."""
    message = runtime.tangle.get_message(message_id)
    return Response(content=message.raw, media_type=OCTET_STREAM)


@router.get("/messages/{message_id}/metadata", responses=error_responses(400, 404))
def get_metadata(message_id: MessageIdPath, runtime: RuntimeDep) -> MetadataView:
    """Only the confirmation state: the cheap thing to poll while waiting."""
    return metadata_view(runtime.tangle.metadata(message_id))


@router.get("/messages/{message_id}/children", responses=error_responses(400, 404))
def get_children(message_id: MessageIdPath, runtime: RuntimeDep, limit: LimitQuery = 100) -> IdList:
    """Messages approving this one, oldest first (the genesis has children, not a record)."""
    tangle = runtime.tangle
    if message_id != tangle.genesis.id:
        tangle.metadata(message_id)  # an unknown id is a 404, not an empty list
    return IdList(ids=[child.hex() for child in tangle.children(message_id, limit=limit)])
