"""SQL adapters of the account ports (:mod:`plaza.market.accounts.ports`), SQLite and
PostgreSQL alike: one transaction per method, integrity violations the ports name turned
into their errors, any other failure into :class:`~plaza.market.sql.errors.MarketStorageError`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, Row, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from plaza.market.accounts.backups import WalletBackup
from plaza.market.accounts.errors import AccountNotFound, IdentityTaken
from plaza.market.accounts.model import Account, Session
from plaza.market.sql.account_tables import (
    account_identities,
    accounts,
    login_failures,
    wallet_backups,
    web_sessions,
)
from plaza.market.sql.engine import reading, translated, writing
from plaza.market.sql.errors import MarketStorageError

__all__ = ["SqlAccountStore", "SqlSessionStore", "SqlWalletBackupStore"]


def _account(row: Row[Any]) -> Account:
    return Account(
        user_id=row.user_id,
        email=row.email,
        participant_id=row.participant_id,
        created_at_ms=row.created_at_ms,
        password_hash=row.password_hash,
        locked_until_ms=row.locked_until_ms,
    )


def _one(conn: Connection, *where: Any) -> Account | None:
    row = conn.execute(select(accounts).where(*where)).first()
    return None if row is None else _account(row)


class SqlAccountStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, account: Account) -> bool:
        try:
            return self._add(account)
        except MarketStorageError as error:
            taken = isinstance(error.__cause__, IntegrityError)  # the email, taken meanwhile?
            if taken and self.by_email(account.email) is not None:
                return False
            raise

    def _add(self, account: Account) -> bool:
        with translated("adding an account"), writing(self._engine) as conn:
            if _one(conn, accounts.c.user_id == account.user_id) is not None:
                raise ValueError(f"user id {account.user_id} exists already")
            if _one(conn, accounts.c.email == account.email) is not None:
                return False
            conn.execute(
                insert(accounts).values(
                    user_id=account.user_id,
                    email=account.email,
                    participant_id=account.participant_id,
                    created_at_ms=account.created_at_ms,
                    password_hash=account.password_hash,
                    locked_until_ms=account.locked_until_ms,
                )
            )
        return True

    def get(self, user_id: str) -> Account | None:
        with translated("reading an account"), reading(self._engine) as conn:
            return _one(conn, accounts.c.user_id == user_id)

    def by_email(self, email: str) -> Account | None:
        with translated("reading an account"), reading(self._engine) as conn:
            return _one(conn, accounts.c.email == email)

    def update(self, account: Account) -> None:
        change = (
            update(accounts)
            .where(accounts.c.user_id == account.user_id)
            .values(password_hash=account.password_hash, locked_until_ms=account.locked_until_ms)
        )
        with translated("updating an account"), writing(self._engine) as conn:
            if not conn.execute(change).rowcount:
                raise AccountNotFound(account.user_id)

    def link_identity(self, issuer: str, subject: str, user_id: str) -> None:
        key = (account_identities.c.issuer == issuer, account_identities.c.subject == subject)
        with translated("linking an identity"), writing(self._engine) as conn:
            if _one(conn, accounts.c.user_id == user_id) is None:
                raise AccountNotFound(user_id)
            linked = conn.execute(select(account_identities.c.user_id).where(*key)).scalar()
            if linked is None:
                conn.execute(
                    insert(account_identities).values(
                        issuer=issuer, subject=subject, user_id=user_id
                    )
                )
            elif linked != user_id:
                raise IdentityTaken(issuer, subject)

    def by_identity(self, issuer: str, subject: str) -> Account | None:
        query = select(account_identities.c.user_id).where(
            account_identities.c.issuer == issuer, account_identities.c.subject == subject
        )
        with translated("reading an identity"), reading(self._engine) as conn:
            user_id = conn.execute(query).scalar()
            return None if user_id is None else _one(conn, accounts.c.user_id == user_id)

    def record_failure(self, user_id: str, at_ms: int, *, since_ms: int) -> int:
        old = (login_failures.c.user_id == user_id, login_failures.c.at_ms < since_ms)
        with translated("recording a wrong password"), writing(self._engine) as conn:
            conn.execute(delete(login_failures).where(*old))
            if at_ms >= since_ms:
                conn.execute(insert(login_failures).values(user_id=user_id, at_ms=at_ms))
            return self._count(conn, user_id, since_ms)

    def failures_since(self, user_id: str, since_ms: int) -> int:
        with translated("counting wrong passwords"), reading(self._engine) as conn:
            return self._count(conn, user_id, since_ms)

    def clear_failures(self, user_id: str) -> None:
        with translated("forgetting wrong passwords"), writing(self._engine) as conn:
            conn.execute(delete(login_failures).where(login_failures.c.user_id == user_id))

    @staticmethod
    def _count(conn: Connection, user_id: str, since_ms: int) -> int:
        query = select(func.count()).where(
            login_failures.c.user_id == user_id, login_failures.c.at_ms >= since_ms
        )
        return int(conn.execute(query).scalar_one())


def _session(row: Row[Any]) -> Session:
    return Session(
        id_hash=bytes(row.id_hash),
        user_id=row.user_id,
        created_at_ms=row.created_at_ms,
        expires_at_ms=row.expires_at_ms,
    )


class SqlSessionStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, session: Session) -> None:
        with translated("adding a session"), writing(self._engine) as conn:
            if self._get(conn, session.id_hash) is not None:
                raise ValueError("a session with this hash exists already")
            conn.execute(
                insert(web_sessions).values(
                    id_hash=session.id_hash,
                    user_id=session.user_id,
                    created_at_ms=session.created_at_ms,
                    expires_at_ms=session.expires_at_ms,
                )
            )

    def get(self, id_hash: bytes) -> Session | None:
        with translated("reading a session"), reading(self._engine) as conn:
            return self._get(conn, id_hash)

    def delete(self, id_hash: bytes) -> bool:
        with translated("ending a session"), writing(self._engine) as conn:
            gone = conn.execute(delete(web_sessions).where(web_sessions.c.id_hash == id_hash))
            return bool(gone.rowcount)

    def purge_expired(self, now_ms: int) -> int:
        expired = delete(web_sessions).where(web_sessions.c.expires_at_ms <= now_ms)
        with translated("purging sessions"), writing(self._engine) as conn:
            return int(conn.execute(expired).rowcount)

    @staticmethod
    def _get(conn: Connection, id_hash: bytes) -> Session | None:
        row = conn.execute(select(web_sessions).where(web_sessions.c.id_hash == id_hash)).first()
        return None if row is None else _session(row)


class SqlWalletBackupStore:
    """Each account's one wallet backup (``wallet_backups``), replaced by the next."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get(self, user_id: str) -> WalletBackup | None:
        with translated("reading a wallet backup"), reading(self._engine) as conn:
            row = conn.execute(
                select(wallet_backups).where(wallet_backups.c.user_id == user_id)
            ).first()
        return None if row is None else WalletBackup(row.user_id, row.locked, row.saved_at_ms)

    def put(self, backup: WalletBackup) -> None:
        values = {"locked": backup.locked, "saved_at_ms": backup.saved_at_ms}
        with translated("keeping a wallet backup"), writing(self._engine) as conn:
            changed = conn.execute(
                update(wallet_backups)
                .where(wallet_backups.c.user_id == backup.user_id)
                .values(**values)
            )
            if not changed.rowcount:
                conn.execute(insert(wallet_backups).values(user_id=backup.user_id, **values))
