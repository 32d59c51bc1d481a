"""Typed settings: one object, environment prefix ``DERBES_``."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_database_url() -> str:
    return f"sqlite:///{Path('var') / 'derbes.sqlite3'}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DERBES_", env_file=None, extra="ignore")

    database_url: str = Field(default_factory=_default_database_url)
    registers_dir: Path = Path("registers")
    var_dir: Path = Path("var")
    default_language: str = "ru"
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    log_level: str = "INFO"
    # A DPO's corrections to the Kazakhstan working calendar (YAML, same format
    # as derbes/data/kz_calendar_overrides.yaml); they win over the shipped table.
    calendar_overrides: Path | None = None
    # A corrected copy of the regime table (derbes/data/regime.yaml) used instead
    # of the shipped one, so a citation or term can be fixed without a release.
    regime_file: Path | None = None
