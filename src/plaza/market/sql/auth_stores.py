"""SQL adapters of the auth ports, for SQLite and PostgreSQL alike.

Each method is one transaction (:func:`~plaza.market.sql.engine.writing` or
:func:`~plaza.market.sql.engine.reading`). Integrity violations the ports name
become their errors (``ParticipantExists``...); any other database failure
becomes :class:`~plaza.market.sql.errors.MarketStorageError`.

The nonce check is one ``INSERT ... ON CONFLICT DO UPDATE ... WHERE expired``
statement: the row count says whether the nonce was new (or its old entry had
expired), and the database's row lock makes exactly one of several concurrent
callers win, on either engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, Row, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from plaza.crypto import EncryptionPublicKey, PublicKey
from plaza.market.auth.errors import ParticipantExists, ParticipantNotFound
from plaza.market.auth.model import ApiKey, Participant, Role, Scope
from plaza.market.sql.auth_tables import api_keys, participant_roles, participants, request_nonces
from plaza.market.sql.engine import reading, translated, writing
from plaza.market.sql.errors import MarketStorageError

__all__ = ["SqlApiKeyStore", "SqlNonceStore", "SqlParticipantStore"]

#: Expired nonces are deleted at most this often (the index on expiry keeps it cheap).
_PURGE_INTERVAL_MS = 1000


def _check_window(limit: int, offset: int) -> None:
    if limit < 1 or offset < 0:
        raise ValueError("limit must be positive and offset not negative")


def _participant(row: Row[Any], roles: Iterable[str]) -> Participant:
    return Participant(
        id=row.id,
        signing_key=PublicKey(bytes(row.signing_key)),
        encryption_key=EncryptionPublicKey(bytes(row.encryption_key)),
        display_name=row.display_name,
        roles=frozenset(Role(role) for role in roles),
        registered_at_ms=row.registered_at_ms,
        excluded=bool(row.excluded),
    )


def _participant_values(participant: Participant) -> dict[str, object]:
    return {
        "signing_key": participant.signing_key.raw,
        "encryption_key": participant.encryption_key.raw,
        "display_name": participant.display_name,
        "registered_at_ms": participant.registered_at_ms,
        "excluded": participant.excluded,
    }


def _load(conn: Connection, ids: Sequence[str]) -> list[Participant]:
    """The participants with ``ids``, in that order (two queries, whatever their number)."""
    found = conn.execute(select(participants).where(participants.c.id.in_(ids)))
    rows = {row.id: row for row in found}
    roles: dict[str, list[str]] = {}
    query = select(participant_roles).where(participant_roles.c.participant_id.in_(ids))
    for row in conn.execute(query):
        roles.setdefault(row.participant_id, []).append(row.role)
    return [_participant(rows[i], roles.get(i, ())) for i in ids if i in rows]


class SqlParticipantStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, participant: Participant) -> None:
        try:
            with translated("adding a participant"), writing(self._engine) as conn:
                values = _participant_values(participant)
                conn.execute(insert(participants).values(id=participant.id, **values))
                self._insert_roles(conn, participant)
        except MarketStorageError as error:
            if isinstance(error.__cause__, IntegrityError):
                raise ParticipantExists(participant.id) from None
            raise

    def get(self, participant_id: str) -> Participant | None:
        with translated("reading a participant"), reading(self._engine) as conn:
            found = _load(conn, [participant_id])
        return found[0] if found else None

    def update(self, participant: Participant) -> None:
        with translated("updating a participant"), writing(self._engine) as conn:
            changed = conn.execute(
                update(participants)
                .where(participants.c.id == participant.id)
                .values(**_participant_values(participant))
            ).rowcount
            if not changed:
                raise ParticipantNotFound(participant.id)
            where = participant_roles.c.participant_id == participant.id
            conn.execute(delete(participant_roles).where(where))
            self._insert_roles(conn, participant)

    def list(self, *, limit: int = 100, offset: int = 0) -> Sequence[Participant]:
        _check_window(limit, offset)
        page = (
            select(participants.c.id)
            .order_by(participants.c.registered_at_ms, participants.c.id)
            .limit(limit)
            .offset(offset)
        )
        with translated("listing participants"), reading(self._engine) as conn:
            ids = list(conn.execute(page).scalars())
            return _load(conn, ids) if ids else []

    @staticmethod
    def _insert_roles(conn: Connection, participant: Participant) -> None:
        rows = [{"participant_id": participant.id, "role": str(r)} for r in participant.roles]
        conn.execute(insert(participant_roles), rows)


def _api_key(row: Row[Any]) -> ApiKey:
    return ApiKey(
        id=row.id,
        owner_id=row.owner_id,
        name=row.name,
        scopes=frozenset(Scope(scope) for scope in row.scopes.split()),
        created_at_ms=row.created_at_ms,
        key_hash=bytes(row.key_hash),
        revoked_at_ms=row.revoked_at_ms,
        last_used_at_ms=row.last_used_at_ms,
        expires_at_ms=row.expires_at_ms,
    )


class SqlApiKeyStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, key: ApiKey) -> None:
        with translated("adding an API key"), writing(self._engine) as conn:
            owner = select(participants.c.id).where(participants.c.id == key.owner_id)
            if conn.execute(owner).first() is None:
                raise ParticipantNotFound(key.owner_id)
            if conn.execute(select(api_keys.c.id).where(api_keys.c.id == key.id)).first():
                raise ValueError(f"API key id {key.id} exists already")
            conn.execute(
                insert(api_keys).values(
                    id=key.id,
                    owner_id=key.owner_id,
                    name=key.name,
                    scopes=" ".join(sorted(key.scopes)),
                    key_hash=key.key_hash,
                    created_at_ms=key.created_at_ms,
                    revoked_at_ms=key.revoked_at_ms,
                    last_used_at_ms=key.last_used_at_ms,
                    expires_at_ms=key.expires_at_ms,
                )
            )

    def get(self, key_id: str) -> ApiKey | None:
        with translated("reading an API key"), reading(self._engine) as conn:
            row = conn.execute(select(api_keys).where(api_keys.c.id == key_id)).first()
        return None if row is None else _api_key(row)

    def list_for_owner(self, owner_id: str) -> Sequence[ApiKey]:
        query = (
            select(api_keys)
            .where(api_keys.c.owner_id == owner_id)
            .order_by(api_keys.c.created_at_ms, api_keys.c.id)
        )
        with translated("listing API keys"), reading(self._engine) as conn:
            return [_api_key(row) for row in conn.execute(query)]

    def revoke(self, key_id: str, at_ms: int) -> ApiKey | None:
        with translated("revoking an API key"), writing(self._engine) as conn:
            conn.execute(
                update(api_keys)
                .where(api_keys.c.id == key_id, api_keys.c.revoked_at_ms.is_(None))
                .values(revoked_at_ms=at_ms)
            )
            row = conn.execute(select(api_keys).where(api_keys.c.id == key_id)).first()
        return None if row is None else _api_key(row)

    def touch(self, key_id: str, at_ms: int) -> None:
        later = (api_keys.c.last_used_at_ms.is_(None)) | (api_keys.c.last_used_at_ms < at_ms)
        with translated("recording an API key's use"), writing(self._engine) as conn:
            conn.execute(
                update(api_keys).where(api_keys.c.id == key_id, later).values(last_used_at_ms=at_ms)
            )


class SqlNonceStore:
    """Nonces in a table keyed by ``(participant_id, nonce)``, with an index on expiry."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        dialect = {"sqlite": sqlite, "postgresql": postgresql}[engine.dialect.name]
        self._insert = dialect.insert
        self._next_purge_ms = 0

    def remember(self, participant_id: str, nonce: str, *, expires_at_ms: int, now_ms: int) -> bool:
        statement = self._insert(request_nonces).values(
            participant_id=participant_id, nonce=nonce, expires_at_ms=expires_at_ms
        )
        statement = statement.on_conflict_do_update(
            index_elements=[request_nonces.c.participant_id, request_nonces.c.nonce],
            set_={"expires_at_ms": statement.excluded.expires_at_ms},
            where=request_nonces.c.expires_at_ms <= now_ms,
        ).execution_options(preserve_rowcount=True)  # SQLAlchemy keeps INSERT counts only if asked
        with translated("recording a request nonce"), writing(self._engine) as conn:
            stored = conn.execute(statement).rowcount == 1
            if now_ms >= self._next_purge_ms:
                self._next_purge_ms = now_ms + _PURGE_INTERVAL_MS
                self._delete_expired(conn, now_ms)
        return stored

    def purge_expired(self, now_ms: int) -> int:
        with translated("purging request nonces"), writing(self._engine) as conn:
            return self._delete_expired(conn, now_ms)

    def count(self) -> int:
        with translated("counting request nonces"), reading(self._engine) as conn:
            return int(conn.execute(select(func.count()).select_from(request_nonces)).scalar_one())

    @staticmethod
    def _delete_expired(conn: Connection, now_ms: int) -> int:
        expired = delete(request_nonces).where(request_nonces.c.expires_at_ms <= now_ms)
        return conn.execute(expired).rowcount
