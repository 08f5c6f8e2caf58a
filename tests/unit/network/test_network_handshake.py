"""The peering handshake authenticates both sides and refuses everything else."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

import pytest

from plaza.crypto import SigningKey
from plaza.network import ConnectionClosed, HandshakeFailed
from plaza.network.frames import Response, decode_frame, encode_frame
from plaza.network.handshake import KeyCheck, accept_handshake, dial_handshake

NETWORK = 7


class Pipe:
    """One end of an in-memory duplex link."""

    def __init__(
        self, inbox: asyncio.Queue[bytes | None], outbox: asyncio.Queue[bytes | None]
    ) -> None:
        self._inbox, self._outbox = inbox, outbox

    async def send(self, data: bytes) -> None:
        await self._outbox.put(data)

    async def recv(self) -> bytes:
        data = await self._inbox.get()
        if data is None:
            raise ConnectionClosed(1000)
        return data

    async def close(self, code: int = 1000, reason: str = "") -> None:
        await self._outbox.put(None)


def pipes() -> tuple[Pipe, Pipe]:
    a: asyncio.Queue[bytes | None] = asyncio.Queue()
    b: asyncio.Queue[bytes | None] = asyncio.Queue()
    return Pipe(a, b), Pipe(b, a)


def allow(*keys: SigningKey) -> KeyCheck:
    allowed = {key.public_key.raw for key in keys}
    return lambda key: None if key in allowed else "key is not on the allowlist"


async def _handshake(
    dialer: SigningKey,
    accepter: SigningKey,
    *,
    dial_check: KeyCheck,
    accept_check: KeyCheck,
    dial_network: int = NETWORK,
    expected: bytes | None = None,
) -> tuple[bytes, bytes]:
    dial_end, accept_end = pipes()

    async def closing_on_failure(end: Pipe, handshake: Awaitable[bytes]) -> bytes:
        try:
            return await handshake
        except HandshakeFailed:
            await end.close()  # as the node does: the other side sees the link close
            raise

    dialed, accepted = await asyncio.gather(
        closing_on_failure(
            dial_end, dial_handshake(dial_end, dialer, dial_network, dial_check, expected)
        ),
        closing_on_failure(
            accept_end, accept_handshake(accept_end, accepter, NETWORK, accept_check)
        ),
        return_exceptions=True,
    )
    # The side that refused says why; the other only sees the link close.
    for result in (dialed, accepted):
        if isinstance(result, HandshakeFailed) and "connection closed" not in str(result):
            raise result
    assert isinstance(dialed, bytes), dialed
    assert isinstance(accepted, bytes), accepted
    return dialed, accepted


def test_both_sides_learn_each_others_key() -> None:
    a, b = SigningKey.generate(), SigningKey.generate()
    seen_by_dialer, seen_by_accepter = asyncio.run(
        _handshake(a, b, dial_check=allow(b), accept_check=allow(a))
    )
    assert seen_by_dialer == b.public_key.raw
    assert seen_by_accepter == a.public_key.raw


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("dialer not allowed", "allowlist"),
        ("accepter not allowed", "allowlist"),
        ("other network", "network"),
        ("unexpected key", "configured"),
    ],
)
def test_refusals(case: str, reason: str) -> None:
    a, b, c = SigningKey.generate(), SigningKey.generate(), SigningKey.generate()
    options: dict[str, object] = {"dial_check": allow(b), "accept_check": allow(a)}
    if case == "dialer not allowed":
        options["accept_check"] = allow(c)
    elif case == "accepter not allowed":
        options["dial_check"] = allow(c)
    elif case == "other network":
        options["dial_network"] = NETWORK + 1
    else:
        options["expected"] = c.public_key.raw
    with pytest.raises(HandshakeFailed, match=reason):
        asyncio.run(_handshake(a, b, **options))  # type: ignore[arg-type]


def test_a_forged_response_is_refused() -> None:
    """A dialer claiming an allowed key it does not hold fails the signature check."""
    impostor, victim, accepter = SigningKey.generate(), SigningKey.generate(), SigningKey.generate()

    async def scenario() -> None:
        dial_end, accept_end = pipes()
        accepting = asyncio.create_task(
            accept_handshake(accept_end, accepter, NETWORK, allow(victim))
        )
        decode_frame(await dial_end.recv())
        forged = Response(victim.public_key.raw, bytes(32), impostor.sign(b"anything"))
        await dial_end.send(encode_frame(forged))
        await accepting

    with pytest.raises(HandshakeFailed, match="signature"):
        asyncio.run(scenario())
