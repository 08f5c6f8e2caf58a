"""Signed documents: a statement that stays verifiable afterwards, by anyone holding the key.

A letter (:mod:`.letters`) proves who sent a request, once, to one recipient. Some
statements must outlive the request: the states an agent writes to a record's twin,
a contract a marketplace hands both parties, the answer to a question. Those are
*documents*, ``{"message", "signature", "signer"}`` (the shape the energy seed's twin
viewer shows): ``signature`` is Ed25519 by ``signer`` (hex) over the format's domain
and the :func:`~.letters.canonical_json` of ``message``. Each family of documents has
its own domain (:class:`DocumentFormat`), so a document of one family, or a letter,
never passes for a document of another.

Signing is deterministic: the same message signed by the same key is the same
document, byte for byte (a twin recognises a state it wrote before by that).

Refusals are the auth family's: :class:`~.errors.MalformedSignedRequest` for what is
not a document, :class:`~.errors.BadDocumentSignature` for one the expected signer
did not sign.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plaza.crypto import BadSignature, Identity, PublicKey
from plaza.market.auth.errors import BadDocumentSignature, MalformedSignedRequest
from plaza.market.auth.letters import canonical_json

__all__ = ["DocumentFormat"]

_FIELDS = frozenset({"message", "signature", "signer"})


class DocumentFormat:
    """One family of signed documents, named by its signature domain."""

    def __init__(self, domain: str) -> None:
        if not domain or not domain.isprintable():
            raise ValueError("a document domain is a non-empty printable string")
        self._domain = domain.encode() + b"\x00"

    def sign(self, message: Mapping[str, Any], identity: Identity) -> dict[str, Any]:
        """A document that proves, later and to anyone, that ``identity`` said ``message``."""
        signature = identity.signing.sign(self._domain + canonical_json(message))
        return {
            "message": dict(message),
            "signature": signature.hex(),
            "signer": identity.public_key.raw.hex(),
        }

    def verify(self, document: object, signer: PublicKey) -> dict[str, Any]:
        """The message of a document of this family, if ``signer`` signed it."""
        if not isinstance(document, Mapping) or set(document) != _FIELDS:
            raise MalformedSignedRequest(
                "a signed document has exactly message, signature and signer"
            )
        message, signature = document["message"], document["signature"]
        if not isinstance(message, dict) or not isinstance(signature, str):
            raise MalformedSignedRequest("message is an object and signature hex")
        if document["signer"] != signer.raw.hex():
            raise BadDocumentSignature("the document is signed by another key")
        try:
            signer.verify(self._domain + canonical_json(message), bytes.fromhex(signature))
        except (BadSignature, ValueError):
            raise BadDocumentSignature("the document's signature does not verify") from None
        return message
