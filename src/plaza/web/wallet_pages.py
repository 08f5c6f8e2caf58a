"""The wallet a person holds in their browser: its page, its recovery words, its QR codes.

Keys are made, kept (locked under the person's passphrase) and used in the browser
(``static/wallet/protocol.js``, per ``docs/protocol.md``); the few public reads and the
relay of signed messages it needs are :mod:`plaza.web.wallet_api`. No seed, private key
or passphrase ever reaches this server.
"""

from __future__ import annotations

import io
from functools import cache

import segno
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from mnemonic import Mnemonic

from plaza.crypto import Address, InvalidAddress
from plaza.web.headers import SECURITY_HEADERS
from plaza.web.pages import pages_of

__all__ = ["WALLET_POLICY", "router"]

router = APIRouter(include_in_schema=False)
#: The site's Content-Security-Policy with ``'wasm-unsafe-eval'``, which lets a page compile
#: WebAssembly (libsodium's) and nothing else: ``eval`` and inline scripts stay refused.
WALLET_POLICY = SECURITY_HEADERS["content-security-policy"].replace(
    "script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'"
)


@cache
def _wordlist() -> str:
    """BIP-39's English words, the ones the Python wallet writes seeds in."""
    return "\n".join(Mnemonic("english").wordlist) + "\n"


@router.get("/wallet", response_class=HTMLResponse)
def wallet(request: Request) -> HTMLResponse:
    """The wallet's page: the site's policy, plus WebAssembly for libsodium (Argon2id and
    Ed25519 at native speed); still no eval, no inline script, no other origin."""
    page = pages_of(request).render(request, "wallet/wallet.html", {"title": "Wallet"})
    page.headers["content-security-policy"] = WALLET_POLICY
    return page


@router.get("/wallet/words.txt")
def words() -> PlainTextResponse:
    headers = {"cache-control": "public, max-age=86400"}
    return PlainTextResponse(_wordlist(), headers=headers)


@router.get("/wallet/qr/{address}.svg")
def qr(address: str) -> Response:
    """The address as a QR code, to receive coins from a phone's wallet."""
    try:
        parsed = Address.parse(address)
    except (InvalidAddress, ValueError) as error:
        message = f"not a Plaza address (plz1…): {error}"
        return JSONResponse({"error": message}, status_code=400)
    image = io.BytesIO()
    segno.make(str(parsed).upper(), error="m").save(image, kind="svg", scale=4, title=str(parsed))
    return Response(image.getvalue(), media_type="image/svg+xml")
