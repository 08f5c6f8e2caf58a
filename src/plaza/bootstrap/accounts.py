"""People's accounts for the web app, composed over a market database.

:func:`web_accounts` puts :class:`~plaza.market.accounts.AccountService` and the
account's API keys on the market's own tables (participants, API keys, and the
accounts' tables of migration 0008), keyed with the market's API key pepper, so a
key made on the web authenticates at that market's API. The OpenID Connect
providers come from :class:`~plaza.settings.WebSettings`.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine

from plaza.clock import Clock
from plaza.crypto.passwords import INTERACTIVE, PasswordHasher
from plaza.market.accounts import AccountKeys, AccountService, LoginPolicy
from plaza.market.auth import ApiKeyService, Pepper
from plaza.market.sql import SqlAccountStore, SqlApiKeyStore, SqlParticipantStore, SqlSessionStore
from plaza.settings import OidcProviderSettings
from plaza.web.oidc import OidcClient, OidcProvider
from plaza.web.sessions import WebAccounts

__all__ = ["oidc_providers", "web_accounts"]


def oidc_providers(settings: Sequence[OidcProviderSettings]) -> list[OidcProvider]:
    return [
        OidcProvider(
            name=p.name,
            label=p.label,
            issuer=p.issuer,
            client_id=p.client_id,
            client_secret=p.client_secret.get_secret_value(),
        )
        for p in settings
    ]


def web_accounts(
    engine: Engine,
    pepper: Pepper,
    clock: Clock,
    *,
    providers: Sequence[OidcProvider] = (),
    market_api: str | None = None,
    policy: LoginPolicy | None = None,
    hasher: PasswordHasher = INTERACTIVE,
) -> WebAccounts:
    """Accounts over the market database behind ``engine`` (migrated to head); close
    ``.oidc`` when done, if there are providers."""
    participants = SqlParticipantStore(engine)
    service = AccountService(
        SqlAccountStore(engine),
        SqlSessionStore(engine),
        participants,
        clock,
        policy=policy,
        hasher=hasher,
    )
    keys = ApiKeyService(SqlApiKeyStore(engine), participants, pepper, clock)
    oidc = OidcClient(providers, clock) if providers else None
    return WebAccounts(service, AccountKeys(keys, participants), oidc=oidc, market_api=market_api)
