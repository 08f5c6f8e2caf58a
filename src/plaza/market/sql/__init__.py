"""The marketplace database: SQLAlchemy 2 Core tables, Alembic migrations, SQL adapters.

* :mod:`.engine` - :func:`make_engine` for SQLite files (WAL, foreign keys on) and
  PostgreSQL (psycopg 3), and the :func:`writing` / :func:`reading` transactions;
* :mod:`.migrate` - :func:`upgrade_schema` and friends: the migrations shipped in
  this package, run from code;
* :mod:`.metadata` / :mod:`.auth_tables` - the tables;
* :mod:`.auth_stores` - the SQL adapters of :mod:`plaza.market.auth.ports`;
* :mod:`.account_store` - people's accounts and web sessions
  (:mod:`plaza.market.accounts.ports`);
* :mod:`.asset_store` - assets and their states
  (:class:`~plaza.market.assets.ports.AssetDirectory`);
* :mod:`.book_store` - the book's journal (:class:`~plaza.market.book.ports.BookStore`);
* :mod:`.twin_store` / :mod:`.outbox_store` - the twin directory and the twin outbox
  (:mod:`plaza.market.twins.outbox`);
* :mod:`.errors` - :class:`MarketStorageError` and its family.

Typical wiring (the composition root)::

    engine = make_engine(settings.market_database_url)
    upgrade_schema(engine)            # or check_schema_current(engine) if ops migrate
    participants = SqlParticipantStore(engine)
    ...
    engine.dispose()                  # at shutdown
"""

from plaza.market.sql.account_store import (
    SqlAccountStore,
    SqlSessionStore,
    SqlWalletBackupStore,
)
from plaza.market.sql.asset_store import SqlAssetDirectory
from plaza.market.sql.auth_stores import SqlApiKeyStore, SqlNonceStore, SqlParticipantStore
from plaza.market.sql.book_store import SqlBookStore, import_journal
from plaza.market.sql.engine import make_engine, reading, sqlite_url, writing
from plaza.market.sql.errors import (
    MarketStorageError,
    SchemaDrift,
    SchemaNotCurrent,
    UnsupportedDatabase,
)
from plaza.market.sql.migrate import (
    check_no_drift,
    check_schema_current,
    current_revision,
    downgrade_schema,
    head_revision,
    upgrade_schema,
)
from plaza.market.sql.outbox_store import SqlTwinOutbox
from plaza.market.sql.settlement_store import SqlSettlementStore
from plaza.market.sql.twin_store import SqlTwinDirectory

__all__ = [
    "MarketStorageError",
    "SchemaDrift",
    "SchemaNotCurrent",
    "SqlAccountStore",
    "SqlApiKeyStore",
    "SqlAssetDirectory",
    "SqlBookStore",
    "SqlNonceStore",
    "SqlParticipantStore",
    "SqlSessionStore",
    "SqlSettlementStore",
    "SqlTwinDirectory",
    "SqlTwinOutbox",
    "SqlWalletBackupStore",
    "UnsupportedDatabase",
    "check_no_drift",
    "check_schema_current",
    "current_revision",
    "downgrade_schema",
    "head_revision",
    "import_journal",
    "make_engine",
    "reading",
    "sqlite_url",
    "upgrade_schema",
    "writing",
]
