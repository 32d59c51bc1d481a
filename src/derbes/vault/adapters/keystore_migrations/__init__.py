"""Alembic migrations of the key store, a database separate from the data database.

Run by ``derbes init`` (or ``derbes.vault.adapters.keystore_migrate.upgrade``). The
revision table is ``keystore_alembic_version``, so the key store may share a
server — even a database — with the data without the two histories mixing.
"""
