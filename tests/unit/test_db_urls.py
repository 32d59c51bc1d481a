"""Database URL handling, without touching a database."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import create_engine

from derbes.errors import ConfigurationError
from derbes.platform.db import display_url, is_sqlite, parse_url
from derbes.platform.tables import UtcDateTime


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u@localhost/derbes",
        "postgres://u@localhost/derbes",
        "postgresql+psycopg://u@localhost/derbes",
    ],
)
def test_postgres_urls_use_psycopg3(url: str) -> None:
    assert parse_url(url).drivername == "postgresql+psycopg"


def test_sqlite_url_is_kept() -> None:
    assert parse_url("sqlite:///var/derbes.sqlite3").drivername == "sqlite"
    assert is_sqlite("sqlite:///var/derbes.sqlite3")


def test_display_url_hides_the_password() -> None:
    shown = display_url("postgresql://derbes:s3cret@db.example/derbes")
    assert "s3cret" not in shown
    assert "***" in shown


def test_garbage_url_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        parse_url("not a url")


@pytest.mark.parametrize("url", ["sqlite://", "postgresql+psycopg://"])
def test_naive_datetimes_are_refused(url: str) -> None:
    dialect = create_engine(url).dialect  # no connection is made
    with pytest.raises(ValueError, match="naive"):
        UtcDateTime().process_bind_param(datetime(2026, 1, 5, 9, 0), dialect)
