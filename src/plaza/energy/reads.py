"""Read access is granted, never assumed: the credential an energy module's private reads take.

A device's ``GET /status`` and ``/transactions`` show its pool, contracts and
payments, and the marketplace's ``GET /audit/{id}`` shows a contract's twins
decrypted: none is anyone's to read. The caller proves who it is with the letter
the modules already speak (:mod:`plaza.energy.envelope`), carried in the
:data:`READ_HEADER` header since a GET has no body: signed by the reader, sealed to
the module, addressed to it (the audience), fresh and never replayed, its body
``{"read": "<path>"}`` naming the path read, so a letter read off one request
opens nothing else. Who may read is the module's rule: a device's owner (the
``assetOwner`` of its ``/init``, with ``assetOwnerPublicKey``); for the
marketplace's audit its operator (a letter signed with the marketplace's own key,
sender ``marketplace``) or an auditor the marketplace lists
(:attr:`~plaza.energy.backend.model.MarketplaceSettings.auditors`).
"""

from __future__ import annotations

from collections.abc import Callable

from plaza.crypto import Identity, PublicKey
from plaza.energy.envelope import Letter, ModuleKey, open_letter, seal_letter
from plaza.energy.errors import NotAuthenticated
from plaza.market.auth import NonceStore

__all__ = ["READ_HEADER", "open_read", "read_credentials"]

#: The request header that carries a read's letter (a ``{"encrypted": …}`` document).
READ_HEADER = "X-Energy-Letter"


def read_credentials(
    path: str,
    *,
    sender: str,
    identity: Identity,
    recipient: ModuleKey,
    audience: str,
    now_ms: int,
) -> dict[str, str]:
    """The header that lets ``sender`` read ``path`` from the module ``recipient`` once."""
    document = seal_letter(
        {"read": path},
        sender=sender,
        identity=identity,
        recipient=recipient,
        audience=audience,
        now_ms=now_ms,
    )
    return {READ_HEADER: document.decode("ascii")}


def open_read(
    document: str | None,
    path: str,
    *,
    identity: Identity,
    audience: str,
    now_ms: int,
    nonces: NonceStore,
    known_key: Callable[[str], PublicKey | None],
) -> Letter:
    """The reader's letter for ``path``, checked; :class:`NotAuthenticated` without one."""
    if not document:
        raise NotAuthenticated(f"reading {path} takes a letter from a reader in {READ_HEADER}")
    letter = open_letter(
        document.encode("latin-1"),  # how Starlette decoded the header
        identity=identity,
        audience=audience,
        now_ms=now_ms,
        nonces=nonces,
        known_key=known_key,
    )
    if dict(letter.body) != {"read": path}:
        raise NotAuthenticated(f"the letter does not ask to read {path}")
    return letter
