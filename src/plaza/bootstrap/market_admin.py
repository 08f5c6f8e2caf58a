"""The marketplace's own authority, from its machine: admitting its first operator.

Auditors and operators are admitted by an operator's signed request (the API's
sponsorship rule); the first operator has no one to sponsor it. Whoever can
open the marketplace's data directory and database already holds its authority,
so :func:`admit_operator` registers an operator there on the marketplace's own
behalf, the way :meth:`~plaza.bootstrap.market.MarketRuntime.admit_operator`
does in-process. It touches only the participants table (one transaction), so
it is safe while the marketplace serves.
"""

from __future__ import annotations

from plaza.bootstrap.clock import SystemClock
from plaza.bootstrap.market_files import MarketDataDir
from plaza.clock import Clock
from plaza.crypto import Identity
from plaza.market.auth import (
    Participant,
    ParticipantRegistry,
    Principal,
    Role,
    sign_registration,
)
from plaza.market.sql import SqlParticipantStore, make_engine, upgrade_schema
from plaza.settings import MarketSettings

__all__ = ["admit_operator"]


def admit_operator(
    settings: MarketSettings, identity: Identity, display_name: str, clock: Clock | None = None
) -> Participant:
    """Register ``identity`` as an operator of the marketplace in ``settings.data_dir``
    (its database: SQLite there, or ``database_url``); the schema is brought to head first."""
    clock = clock or SystemClock()
    data = MarketDataDir(settings.data_dir)
    audience = settings.audience or str(data.identity().address)
    url = settings.database_url
    engine = make_engine(
        data.database_url if url is None else url.get_secret_value(),
        schema=settings.database_schema,
    )
    try:
        upgrade_schema(engine)
        registry = ParticipantRegistry(SqlParticipantStore(engine), clock, audience=audience)
        signed = sign_registration(
            identity.signing,
            identity.encryption.public_key,
            display_name=display_name,
            roles=[Role.OPERATOR],
            audience=audience,
            clock=clock,
        )
        return registry.register(signed, sponsor=Principal.system())
    finally:
        engine.dispose()
