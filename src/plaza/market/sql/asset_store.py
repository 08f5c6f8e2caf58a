"""The SQL adapter of :class:`~plaza.market.assets.ports.AssetDirectory`.

A new state is one ``UPDATE ... WHERE version = :previous`` of the current row and
one ``INSERT`` into the history, in one transaction: the row count says whether
another writer got there first, so two writers can never both store version n.
Searches filter on kind, owner and status in SQL; the distance from a point, when
asked, is measured here on the rows that pass (the public page asks for few).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, Select, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from plaza.market.assets.model import MAX_ASSETS, AssetQuery, select_assets
from plaza.market.book.codec import decode_asset, encode_asset
from plaza.market.errors import AssetConflict
from plaza.market.model import Asset
from plaza.market.sql.asset_tables import asset_states, assets
from plaza.market.sql.engine import reading, translated, writing
from plaza.market.sql.errors import MarketStorageError

__all__ = ["SqlAssetDirectory"]


def _decoded(text: str) -> Asset:
    try:
        return decode_asset(text)
    except ValueError as error:
        raise MarketStorageError(f"a stored asset state is unreadable: {error}") from None


def _filtered(query: AssetQuery) -> Select[Any]:
    statement = select(assets.c.state)
    if query.kind is not None:
        statement = statement.where(assets.c.kind == query.kind)
    if query.owner is not None:
        statement = statement.where(assets.c.owner == query.owner)
    if query.statuses:
        statement = statement.where(assets.c.status.in_(sorted(s.value for s in query.statuses)))
    return statement.order_by(assets.c.registered_at_ms, assets.c.id)


class SqlAssetDirectory:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, asset: Asset, *, idempotency_key: str | None = None) -> None:
        state = encode_asset(asset)
        try:
            with translated("adding an asset"), writing(self._engine) as conn:
                conn.execute(
                    insert(assets).values(
                        id=asset.id,
                        owner=asset.owner,
                        kind=asset.kind,
                        status=asset.status.value,
                        version=asset.version,
                        registered_at_ms=asset.registered_at_ms,
                        idempotency_key=idempotency_key,
                        state=state,
                    )
                )
                conn.execute(
                    insert(asset_states).values(
                        asset_id=asset.id, version=asset.version, state=state
                    )
                )
        except MarketStorageError as error:
            if isinstance(error.__cause__, IntegrityError):
                raise AssetConflict(asset.id, "the id or idempotency key is taken") from None
            raise

    def save(self, asset: Asset) -> None:
        state = encode_asset(asset)
        statement = (
            update(assets)
            .where(assets.c.id == asset.id)
            .where(assets.c.version == asset.version - 1)
            .values(status=asset.status.value, version=asset.version, state=state)
        )
        with translated("saving an asset"), writing(self._engine) as conn:
            if conn.execute(statement).rowcount != 1:
                raise AssetConflict(asset.id, f"version {asset.version} does not follow")
            conn.execute(
                insert(asset_states).values(asset_id=asset.id, version=asset.version, state=state)
            )

    def get(self, asset_id: str) -> Asset | None:
        query = select(assets.c.state).where(assets.c.id == asset_id)
        with translated("reading an asset"), reading(self._engine) as conn:
            text = conn.execute(query).scalar()
        return None if text is None else _decoded(text)

    def by_key(self, owner: str, idempotency_key: str) -> Asset | None:
        query = select(assets.c.state).where(
            (assets.c.owner == owner) & (assets.c.idempotency_key == idempotency_key)
        )
        with translated("reading an asset by key"), reading(self._engine) as conn:
            text = conn.execute(query).scalar()
        return None if text is None else _decoded(text)

    def history(self, asset_id: str) -> list[Asset]:
        query = (
            select(asset_states.c.state)
            .where(asset_states.c.asset_id == asset_id)
            .order_by(asset_states.c.version)
        )
        with translated("reading an asset's states"), reading(self._engine) as conn:
            texts = conn.execute(query).scalars().all()
        return [_decoded(text) for text in texts]

    def search(self, query: AssetQuery) -> list[Asset]:
        statement = _filtered(query)
        paged_here = query.near is None or query.radius_km is None
        if paged_here and query.limit is not None:
            limit = max(min(query.limit, MAX_ASSETS), 0)
            statement = statement.limit(limit).offset(max(query.offset, 0))
        with translated("searching assets"), reading(self._engine) as conn:
            texts = conn.execute(statement).scalars().all()
        found = [_decoded(text) for text in texts]
        return found if paged_here else select_assets(found, query)

    def count(self) -> int:
        with translated("counting assets"), reading(self._engine) as conn:
            return int(conn.execute(select(func.count()).select_from(assets)).scalar_one())
