"""What ``make_engine`` promises for SQLite files."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from derbes.platform.db import make_engine


def test_sqlite_parent_directory_is_created_and_pragmas_set(tmp_path: Path) -> None:
    path = tmp_path / "var" / "nested" / "derbes.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            foreign_keys = connection.execute(text("PRAGMA foreign_keys")).scalar()
            journal = connection.execute(text("PRAGMA journal_mode")).scalar()
    finally:
        engine.dispose()
    assert path.parent.is_dir()
    assert foreign_keys == 1
    assert journal == "wal"


def test_sqlite_ddl_is_transactional(tmp_path: Path) -> None:
    # A migration that fails half-way must leave no half-built schema behind.
    engine = make_engine(f"sqlite:///{tmp_path / 'd.sqlite3'}")
    try:
        with engine.connect() as connection:
            connection.execute(text("CREATE TABLE scratch (x INTEGER)"))
            connection.rollback()
            names = connection.execute(text("SELECT name FROM sqlite_master")).scalars().all()
    finally:
        engine.dispose()
    assert "scratch" not in names
