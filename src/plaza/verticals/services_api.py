"""What a service's page asks of this server to call the service from the browser.

The call itself happens in the page (``static/services/call.js``): the browser's wallet
signs the hold, the job and the side key are sealed there, and the result is decrypted
there; no key reaches this server. The page cannot reach the provider (another origin)
or read the ledger on its own, so this server relays, for anyone, what is public or
the provider's to answer:

* ``POST /services/{name}/quote`` ``{"call_id": "<32 hex>"}``: the provider's signed
  quote, asked of the endpoint the service's announcement names (the page checks
  the signature against the service's payment address itself);
* ``GET /services/api/holds/{hold_id}``: how the call's hold stands, and once it is
  closed what closed it: the release's secret and the result record's content, or
  the refund's sealed reason.

The relay to a provider goes only to the ``/quotes`` path of a service announced on
the ledger, with a body this server builds, a short timeout and a bounded answer.
"""

from __future__ import annotations

import re
from contextlib import suppress
from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.channels import InvalidChannelData, LedgerAccessError
from plaza.channels.envelope import decode_record
from plaza.clock import SystemClock
from plaza.ledger.holds import HoldRecord
from plaza.ledger.model import DataPayload, ReleasePayload, SettlePayload
from plaza.services.catalog import listed_services
from plaza.services.description import NAME

__all__ = ["router"]

_CLOCK = SystemClock()
_HEX32 = re.compile(r"[0-9a-f]{32}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_QUOTE_BYTES = 4096
router = APIRouter()


def _problem(status: int, message: str) -> JSONResponse:
    return JSONResponse({"detail": message}, status_code=status)


@router.post("/services/{name}/quote", include_in_schema=False)
async def quote(request: Request, name: str) -> JSONResponse:
    """The provider's quote for the call id the page drew, relayed."""
    try:
        body = await request.json()
    except ValueError:
        return _problem(400, 'send {"call_id": "<32 hex digits>"} as JSON')
    call_id = body.get("call_id") if isinstance(body, dict) else None
    if not isinstance(call_id, str) or not _HEX32.fullmatch(call_id):
        return _problem(400, "call_id is 32 lower-case hex digits")
    if not NAME.fullmatch(name):
        return _problem(400, f"a service's name matches {NAME.pattern}")
    ledger = RemoteLedger(request.app.state.sources.node, clock=_CLOCK)
    try:
        found = [s for s in listed_services(ledger) if s.description.name == name]
    except LedgerAccessError as error:
        return _problem(503, f"the node is not answering: {error}")
    if not found or found[0].description.retired:
        return _problem(404, f"no service called {name!r} is sold")
    return await _relay(found[0].description.endpoint, call_id)


async def _relay(endpoint: str, call_id: str) -> JSONResponse:
    try:
        async with httpx.AsyncClient(timeout=5.0, follow_redirects=False) as http:
            answer = await http.post(f"{endpoint}/quotes", json={"call_id": call_id})
    except httpx.HTTPError as error:
        return _problem(502, f"the provider did not answer: {error}")
    if len(answer.content) > _QUOTE_BYTES:
        return _problem(502, "the provider's answer is too large to be a quote")
    try:
        value = answer.json()
    except ValueError:
        return _problem(502, f"the provider answered {answer.status_code} without JSON")
    if answer.status_code != 200 or not isinstance(value, dict):
        message = value.get("error", {}).get("message") if isinstance(value, dict) else None
        return _problem(502, f"the provider refused: {message or answer.status_code}")
    return JSONResponse({"quote": value})


@router.get("/services/api/holds/{hold_id}", include_in_schema=False)
def hold(request: Request, hold_id: str) -> JSONResponse:
    """A call's hold: ``pending`` until the ledger applied it, then its status and, once
    closed, the public parts the page opens the result or the reason with."""
    if not _HEX64.fullmatch(hold_id):
        return _problem(400, "a hold id is 64 lower-case hex digits")
    ledger = RemoteLedger(request.app.state.sources.node, clock=_CLOCK)
    try:
        record = ledger.hold(bytes.fromhex(hold_id))
        return JSONResponse(_closing(ledger, record))
    except LedgerAccessError as error:
        return _problem(503, f"the node is not answering: {error}")


def _closing(ledger: RemoteLedger, record: HoldRecord | None) -> dict[str, Any]:
    if record is None:
        return {"status": "pending"}
    answer: dict[str, Any] = {"status": record.status.value, "amount": record.hold.amount}
    closing = None if record.closed_by is None else ledger.message(record.closed_by)
    if closing is None:
        return answer
    answer["closedBy"] = closing.id.hex()
    payload = closing.payload
    if isinstance(payload, SettlePayload):
        answer["reason"] = payload.data.hex()
    if isinstance(payload, ReleasePayload):
        answer |= {"secret": payload.secret.hex(), "resultId": payload.tag.hex()}
        result = ledger.message(payload.tag) if len(payload.tag) == 32 else None
        if result is not None and isinstance(result.payload, DataPayload):
            with suppress(InvalidChannelData):  # else the page says it names no result
                answer["record"] = decode_record(result.payload.data).content.hex()
    return answer
