"""The web app people use Plaza through: the public marketplace, the explorer, the docs,
and each vertical's pages (:func:`create_web_app`; see :mod:`plaza.web.app`).

An interface, like :mod:`plaza.api`: it reads the market's book, the twins and a
node; what it changes is people's accounts, sessions and API keys, through
:mod:`plaza.market.accounts` (:mod:`plaza.web.account_pages`, :mod:`plaza.web.oidc`).
Only ``plaza.bootstrap`` and ``plaza.cli`` import it.
"""

from plaza.web.app import SECURITY_HEADERS, Pages, WebSources, create_web_app
from plaza.web.errors import BadInput, PageNotFound, Unavailable, WebError
from plaza.web.ports import (
    AuditedContract,
    AuditReader,
    CheckedState,
    PublicBook,
    TwinCheck,
    TwinReader,
    TwinState,
    Verification,
)

__all__ = [
    "SECURITY_HEADERS",
    "AuditReader",
    "AuditedContract",
    "BadInput",
    "CheckedState",
    "PageNotFound",
    "Pages",
    "PublicBook",
    "TwinCheck",
    "TwinReader",
    "TwinState",
    "Unavailable",
    "Verification",
    "WebError",
    "WebSources",
    "create_web_app",
]
