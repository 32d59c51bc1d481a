"""Alembic migrations of the derbes schema, shipped inside the package.

Run them with ``derbes db upgrade`` (or ``derbes.services.database.upgrade``);
no ``alembic.ini`` is needed: ``derbes.adapters.migrate`` builds the config.
"""
