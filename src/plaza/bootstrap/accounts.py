"""People's accounts for the web app, composed over a market database.

:func:`open_accounts` opens (and migrates) a market database of its own in a folder, as
``plaza demo`` does, and :func:`ensure_demo_accounts` makes the demo's accounts there
(its owners and an auditor holding the market's auditor role) with generated passwords.
:func:`web_accounts` puts :class:`~plaza.market.accounts.AccountService` and the
account's API keys on the market's own tables (participants, API keys, and the
accounts' tables of migration 0008), keyed with the market's API key pepper, so a
key made on the web authenticates at that market's API. The OpenID Connect
providers come from :class:`~plaza.settings.WebSettings`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from plaza.bootstrap.market_files import MarketDataDir
from plaza.clock import Clock
from plaza.crypto.passwords import INTERACTIVE, PasswordHasher
from plaza.market.accounts import AccountKeys, AccountService, LoginPolicy, WalletBackups
from plaza.market.auth import ApiKeyService, Pepper, Role
from plaza.market.sql import (
    SqlAccountStore,
    SqlApiKeyStore,
    SqlParticipantStore,
    SqlSessionStore,
    SqlWalletBackupStore,
    make_engine,
    upgrade_schema,
)
from plaza.settings import OidcProviderSettings
from plaza.web.oidc import OidcClient, OidcProvider
from plaza.web.sessions import WebAccounts

__all__ = [
    "DemoLogin",
    "ensure_demo_accounts",
    "oidc_providers",
    "open_accounts",
    "web_accounts",
]


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
    backups = WalletBackups(SqlWalletBackupStore(engine), clock)
    return WebAccounts(
        service,
        AccountKeys(keys, participants),
        backups=backups,
        oidc=oidc,
        market_api=market_api,
    )


def open_accounts(
    folder: Path,
    clock: Clock,
    *,
    providers: Sequence[OidcProvider] = (),
    database_url: str | None = None,
    schema: str | None = None,
) -> tuple[WebAccounts, Callable[[], None]]:
    """Accounts in a market database of their own in ``folder`` (``market.sqlite3`` and the
    API key pepper, made on first use), or at ``database_url`` (in ``schema``) keyed with
    ``folder``'s pepper; and what closes them."""
    data = MarketDataDir(folder)
    engine = make_engine(database_url or data.database_url, schema=schema if database_url else None)
    try:
        upgrade_schema(engine)
        accounts = web_accounts(engine, data.pepper(), clock, providers=providers)
    except BaseException:
        engine.dispose()
        raise

    def close() -> None:
        if accounts.oidc is not None:
            accounts.oidc.close()
        engine.dispose()

    return accounts, close


@dataclass(frozen=True, slots=True)
class DemoLogin:
    """A demo account; ``password`` only on the run that made it (it is printed once).
    ``user_id`` is what another vertical names to show something on its pages (a sensor's
    ``--owner``)."""

    email: str
    who: str
    password: str | None
    user_id: str = ""


def ensure_demo_accounts(service: AccountService, owners: Iterable[str]) -> list[DemoLogin]:
    """An account for each owner (``<name>@example.org``, a new provider and consumer),
    ``auditor@example.org`` (the market's auditor role) and ``operator@example.org`` (the
    operator's: it makes more auditors from its account page), each made once."""
    trader: tuple[Role, ...] = (Role.PROVIDER, Role.CONSUMER)
    wanted = [(f"{name}@example.org", f"owner {name}", trader) for name in owners]
    wanted.append(("auditor@example.org", "auditor", (Role.AUDITOR,)))
    wanted.append(("operator@example.org", "operator", (Role.OPERATOR,)))
    logins = []
    for email, who, roles in wanted:
        password, account = None, service.accounts.by_email(email)
        if account is None:
            password = secrets.token_urlsafe(12)
            account = service.create(email, password, roles=roles)
        logins.append(DemoLogin(email, who, password, account.user_id))
    return logins
