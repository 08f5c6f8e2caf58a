"""Typed settings, read once, from arguments and ``PLAZA_*`` environment variables."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["NodeSettings"]


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
    pow_difficulty: int = Field(default=11, ge=0, le=32)
    milestone_interval_s: float = Field(default=1.0, gt=0, le=3600)
    held_limit: int = Field(default=10_000, ge=1)
    pow_requests_per_s: float = Field(default=5.0, gt=0)
    pow_burst: int = Field(default=20, ge=1)
    verify_workers: int = Field(default_factory=lambda: min(4, os.cpu_count() or 1), ge=1, le=64)
