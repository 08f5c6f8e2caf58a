"""Typed settings, read once, from arguments and ``PLAZA_*`` environment variables."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = [
    "MarketSettings",
    "NodeSettings",
    "OidcProviderSettings",
    "WalletSettings",
    "WebSettings",
]


class NodeSettings(BaseSettings):
    """Where a node keeps its data, where it listens, and how its network behaves."""

    model_config = SettingsConfigDict(env_prefix="PLAZA_", frozen=True)

    data_dir: Path = Path(".plaza/node")
    host: str = "127.0.0.1"
    port: int = Field(default=8650, ge=0, le=65535)
    network: str = "plaza-devnet"
    store: Literal["sqlite", "postgres", "memory"] = "sqlite"
    postgres_dsn: SecretStr = SecretStr("postgresql://postgres@localhost/postgres")
    postgres_schema: str | None = None
    coordinator: bool = True
    peers: tuple[str, ...] = ()  # PUBLIC_KEY_HEX@HOST:PORT of nodes to dial
    allow_peers: tuple[str, ...] = ()  # public keys (hex) that may dial in besides ``peers``
    pow_difficulty: int = Field(default=11, ge=0, le=32)
    milestone_interval_s: float = Field(default=1.0, gt=0, le=3600)
    held_limit: int = Field(default=10_000, ge=1, description="messages waiting for parents")
    held_per_client: int = Field(default=1_000, ge=1, description="held, per client host")
    held_per_peer: int = Field(default=5_000, ge=1, description="held, per peer")
    held_ttl_s: float = Field(default=120.0, gt=0, description="a held message then expires")
    subscribers_per_client: int = Field(default=8, ge=1, description="event streams per host")
    subscribers_total: int = Field(default=256, ge=1, description="event streams in all")
    pow_requests_per_s: float = Field(default=5.0, gt=0)
    pow_burst: int = Field(default=20, ge=1)
    verify_workers: int = Field(default_factory=lambda: min(4, os.cpu_count() or 1), ge=1, le=64)
    faucet_amount: int = Field(default=1_000_000, gt=0, description="base units per grant")
    faucet_interval_s: float = Field(default=60.0, ge=0, description="per address")
    faucet_requests_per_s: float = Field(default=0.1, gt=0, description="per client host")
    faucet_burst: int = Field(default=5, ge=1)


class WalletSettings(BaseSettings):
    """Secrets a script hands the ``plaza wallet`` commands instead of typing them.

    ``PLAZA_WALLET_PASSWORD`` and ``PLAZA_WALLET_MNEMONIC`` are read once and
    kept as secrets (hidden in ``repr``); unset, the commands prompt with hidden
    input. ``PLAZA_WALLET_KDF`` sets the cost of new wallet files: ``moderate``
    (the default, about 0.5 s and 256 MiB per unlock) or ``interactive``; the
    ``minimum`` is for test suites only and protects nothing.
    """

    model_config = SettingsConfigDict(env_prefix="PLAZA_WALLET_", frozen=True)

    password: SecretStr | None = None
    mnemonic: SecretStr | None = None
    kdf: Literal["moderate", "interactive", "minimum"] = "moderate"


class MarketSettings(BaseSettings):
    """Where a marketplace keeps its data and keys, where it listens, what it runs on.

    The data directory holds the marketplace's keys (``marketplace.key``: its
    signing and encryption identity) and the API key pepper (``api-key.pepper``),
    both made on first run with mode 0600, webhook subscriptions (``hub.sqlite3``)
    and, by default, the database (``market.sqlite3``: participants, the book's
    journal, settlements, twins, assets) and job queue (``jobs.sqlite3``).
    ``database_url`` takes a ``postgresql://`` URL (psycopg 3) instead, with an
    optional ``database_schema``. ``audience`` defaults to the marketplace's own
    ``plz1`` address, so requests signed for one marketplace never verify at another.

    With a ``node_url`` every order, contract and settlement step is recorded on
    a twin on that node's ledger; ``twin-cursors.sqlite3`` (0600) holds the
    twins' channel secrets. An empty ``node_url`` turns twins off (tests,
    benchmarks). ``auditor_keys`` are auditors' X25519 public keys (hex): each
    new twin's read-only key is sealed to each of them on the ledger, so they
    can audit from their own machines; other auditors ask ``POST /audit/keys``.
    ``twin_carriers`` (on by default) sends twin states in carriers, many to one
    ledger message and its proof of work; off, each state is a message of its own.
    ``twin_lag_limit_s`` bounds the twin lag: while the oldest twin state not on the
    ledger yet is older, new orders, assets and matches get 503 ``twins_behind`` with
    ``Retry-After`` (contracts already made go on); 0 turns the limit off.

    Webhook callbacks must resolve to public addresses, at registration and at
    each delivery (no SSRF into the marketplace's own network);
    ``allow_private_callbacks`` lifts that, for tests and local demos only.
    """

    model_config = SettingsConfigDict(env_prefix="PLAZA_MARKET_", frozen=True)

    data_dir: Path = Path(".plaza/market")
    host: str = "127.0.0.1"
    port: int = Field(default=8660, ge=0, le=65535)
    node_url: str = "http://127.0.0.1:8650"
    auditor_keys: tuple[Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")], ...] = ()
    twin_carriers: bool = True
    twin_lag_limit_s: float = Field(default=30.0, ge=0, le=86_400)
    database_url: SecretStr | None = None
    database_schema: str | None = None
    jobs: Literal["inline", "sqlite", "redis"] = "sqlite"
    redis_url: SecretStr = SecretStr("redis://localhost:6379/0")
    policy: str = "one_to_one"
    audience: str | None = None
    periodic_interval_s: float = Field(default=1.0, gt=0, le=3600)
    mqtt_host: str | None = None
    mqtt_port: int = Field(default=1883, ge=1, le=65535)
    mqtt_root: str = "plaza"
    allow_private_callbacks: bool = False


class OidcProviderSettings(BaseModel):
    """One OpenID Connect provider people may log in with: ``name`` is its slug in the
    login address (``/login/oidc/<name>``), ``label`` its button's text, ``issuer`` its
    URL exactly as its ``/.well-known/openid-configuration`` names it."""

    model_config = ConfigDict(frozen=True)

    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$")]
    label: Annotated[str, Field(min_length=1, max_length=60)]
    issuer: Annotated[str, Field(pattern=r"^https?://")]
    client_id: Annotated[str, Field(min_length=1)]
    client_secret: SecretStr


#: A Leaflet tile URL: ``http(s)://host[:port]/…{z}…{x}…{y}…``.
TILE_URL_PATTERN = (
    r"^https?://[A-Za-z0-9.:\[\]-]+/[^\s\"'<>]*\{z\}[^\s\"'<>]*\{x\}[^\s\"'<>]*\{y\}[^\s\"'<>]*$"
)


class WebSettings(BaseSettings):
    """The web app's accounts, where they are kept and how people log in:
    ``oidc_providers`` as JSON in ``PLAZA_WEB_OIDC_PROVIDERS`` (``[{"name": "example",
    "label": "Example", "issuer": "https://id.example.org", "client_id": "…",
    "client_secret": "…"}]``); the redirect address to register with a provider is
    ``<web address>/login/oidc/<name>/callback``."""

    model_config = SettingsConfigDict(env_prefix="PLAZA_WEB_", frozen=True)

    oidc_providers: tuple[OidcProviderSettings, ...] = ()
    #: The maps' tile server (``PLAZA_WEB_TILE_URL``, ``…/{z}/{x}/{y}.png``); none: the
    #: offline base layer alone.
    tile_url: Annotated[str, Field(pattern=TILE_URL_PATTERN)] | None = None
    tile_attribution: str = Field(default="", max_length=200)
    #: Where ``plaza web run`` keeps its people's accounts (``PLAZA_WEB_ACCOUNTS_URL``,
    #: ``postgresql://…``, in ``PLAZA_WEB_ACCOUNTS_SCHEMA`` if set); none: SQLite in its
    #: data directory. Web processes sharing one database share their accounts.
    accounts_url: SecretStr | None = None
    accounts_schema: Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]{0,62}$")] | None = None
